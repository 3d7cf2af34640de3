def console(request):
    principal = getattr(request, "principal", None)
    if principal is None:
        return {}
    account_id = principal.account_id
    return {
        "principal": principal,
        "principal_display_name": "Root user" if principal.is_root else principal.user_name,
        "account_id_display": f"{account_id[:4]}-{account_id[4:8]}-{account_id[8:]}",
    }
