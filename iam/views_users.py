"""IAM console: Users — list, Create user wizard, user detail tabs, delete.

Every read and write goes through ``console.actions.run`` (the dispatcher), so the page
shows exactly what the principal may see and AWS's own error text when it may not."""

from urllib.parse import unquote

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from console.actions import run
from console.session import current_account, signin_url
from iam.forms_users import ConsolePasswordForm, CreateUserForm, DeleteConfirmForm
from iam.listing import all_pages, paginate
from iam.views_access_keys import access_key_urls, access_keys_table
from iam.views_mfa import mfa_devices_table, mfa_urls
from iam.models import AccessKey, MFADevice, User
from iam.operations import password_problems
from iam.passwords import generate_password


def users(request):
    """Users: the table with a text filter and pagination."""
    result, error = all_pages(request, "iam:ListUsers", "Users")
    if error:
        messages.error(request, error.message)
    rows = result or []
    query = request.GET.get("q", "").strip()
    if query:
        rows = [u for u in rows if query.lower() in u["UserName"].lower()]
    page = paginate(request, rows)
    _add_display_columns(request, page.object_list)
    return render(request, "iam/users/list.html", {"page": page, "query": query, "nav": "users", "denied": error})


def _add_display_columns(request, rows):
    """The Groups, MFA, Password age and access key columns for the users on the page,
    read in a few queries; the caller was already allowed to list these users."""
    ids = [row["UserId"] for row in rows]
    facts = {
        user_id: (groups, changed)
        for user_id, groups, changed in User.objects.filter(
            account__account_id=request.principal.account_id, user_id__in=ids
        )
        .annotate(group_count=Count("groups", distinct=True))
        .values_list("user_id", "group_count", "login_profile__password_changed")
    }
    keys = {}
    for user_id, key_id, status, created in (
        AccessKey.objects.filter(user__user_id__in=ids)
        .order_by("create_date")
        .values_list("user__user_id", "access_key_id", "status", "create_date")
    ):
        keys.setdefault(user_id, []).append({"AccessKeyId": key_id, "Status": status, "CreateDate": created})
    mfa = {}
    for user_id, serial in MFADevice.objects.filter(user__user_id__in=ids, enable_date__isnull=False).values_list(
        "user__user_id", "serial_number"
    ):
        kind = "Security key" if ":u2f/" in serial else "Virtual"
        if kind not in mfa.setdefault(user_id, []):
            mfa[user_id].append(kind)
    for row in rows:
        row["MFA"] = ", ".join(mfa.get(row["UserId"], []))
        row["GroupCount"], row["PasswordChanged"] = facts.get(row["UserId"], (0, None))
        row["AccessKeys"] = keys.get(row["UserId"], [])
        active = [k["CreateDate"] for k in row["AccessKeys"] if k["Status"] == "Active"]
        row["ActiveKeyCreated"] = min(active) if active else None


def _choices(request):
    """Groups, policies and users offered on the permissions step (empty when not allowed)."""
    groups, _ = all_pages(request, "iam:ListGroups", "Groups")
    policies, _ = all_pages(request, "iam:ListPolicies", "Policies", {"Scope": "All"})
    users, _ = all_pages(request, "iam:ListUsers", "Users")
    return groups or [], policies or [], users or []


def _copied_permissions(request, source):
    """The calls that give a new user the permissions of ``source``, as the console's
    "Copy permissions": its groups, managed and inline policies and boundary."""
    who = {"UserName": source}
    found, error = run(request, "iam:GetUser", who)
    if error:
        return None, error
    groups, error = all_pages(request, "iam:ListGroupsForUser", "Groups", who)
    attached, error2 = all_pages(request, "iam:ListAttachedUserPolicies", "AttachedPolicies", who)
    inline, error3 = all_pages(request, "iam:ListUserPolicies", "PolicyNames", who)
    if error or error2 or error3:
        return None, error or error2 or error3
    documents = []
    for name in inline:
        policy, error = run(request, "iam:GetUserPolicy", {**who, "PolicyName": name})
        if error:
            return None, error
        documents.append((name, unquote(policy["PolicyDocument"])))
    boundary = found["User"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
    return {
        "groups": [g["GroupName"] for g in groups],
        "policies": [p["PolicyArn"] for p in attached],
        "inline": documents,
        "boundary": boundary,
    }, None


def _create(request, data):
    """Run the AWS calls the console makes for the wizard, stopping at the first refusal
    of CreateUser (nothing is created) and reporting any later step that fails."""
    user_name = data["user_name"]
    result, error = run(request, "iam:CreateUser", {"UserName": user_name, "Path": data["path"] or "/"})
    if error:
        return None, [error.message]
    problems = []
    password = None
    if data["console_access"]:
        password = data["custom_password"] if data["password_type"] == "custom" else generate_password()
        _, error = run(
            request,
            "iam:CreateLoginProfile",
            {"UserName": user_name, "Password": password, "PasswordResetRequired": data["password_reset_required"]},
        )
        if error:
            problems.append(error.message)
            password = None
    if data["copy_from"]:
        copied, error = _copied_permissions(request, data["copy_from"])
        if error:
            problems.append(error.message)
        else:
            data = {**data, "groups": copied["groups"], "policies": copied["policies"]}
            data["permissions_boundary"] = data["permissions_boundary"] or copied["boundary"]
    steps = [("iam:AddUserToGroup", {"UserName": user_name, "GroupName": g}) for g in data["groups"]]
    steps += [("iam:AttachUserPolicy", {"UserName": user_name, "PolicyArn": arn}) for arn in data["policies"]]
    if data["copy_from"] and not problems:
        steps += [
            ("iam:PutUserPolicy", {"UserName": user_name, "PolicyName": name, "PolicyDocument": document})
            for name, document in copied["inline"]
        ]
    if data["permissions_boundary"]:
        steps.append(
            ("iam:PutUserPermissionsBoundary", {"UserName": user_name, "PermissionsBoundary": data["permissions_boundary"]})
        )
    if data["tags"]:
        steps.append(("iam:TagUser", {"UserName": user_name, "Tags": data["tags"]}))
    for action, params in steps:
        _, error = run(request, action, params)
        if error:
            problems.append(error.message)
    return {"user": result["User"], "password": password}, problems


@sensitive_post_parameters("custom_password")
@require_http_methods(["GET", "POST"])
def create_user(request):
    """Create user: details, permissions, review — one form shown in steps — then
    "Retrieve password", rendered once and never stored."""
    groups, policies, users = _choices(request)
    form = CreateUserForm(request.POST or None, groups=groups, policies=policies, users=users)
    if request.method == "POST" and form.is_valid() and _custom_password_ok(request, form):
        created, problems = _create(request, form.cleaned_data)
        if created is None:
            form.add_error("user_name", problems[0])
        else:
            for problem in problems:
                messages.error(request, problem)
            return render(
                request,
                "iam/users/retrieve_password.html",
                {
                    "user": created["user"],
                    "password": created["password"],
                    "signin_url": signin_url(request),
                    "nav": "users",
                },
            )
    return render(
        request,
        "iam/users/create.html",
        {"form": form, "groups": groups, "policies": policies, "users": users, "nav": "users"},
        status=400 if request.method == "POST" else 200,
    )


def _custom_password_ok(request, form):
    """Check a custom password against the account's policy before creating anything,
    as the AWS console does, so a refused password never leaves a half-made user."""
    data = form.cleaned_data
    if not (data["console_access"] and data["password_type"] == "custom"):
        return True
    account = current_account(request)
    problems = password_problems(account, data["custom_password"])
    if problems:
        form.add_error("custom_password", "Password does not conform to the account password policy: " + "; ".join(problems) + ".")
    return not problems


TABS = ("permissions", "groups", "tags", "security_credentials")


def user_detail(request, user_name):
    """A user's summary and the Permissions, Groups, Tags and Security credentials tabs."""
    result, error = run(request, "iam:GetUser", {"UserName": user_name})
    if error:
        if error.code == "NoSuchEntity":
            raise Http404(error.message)
        messages.error(request, error.message)
        return redirect("iam:users")
    tab = request.GET.get("tab", "permissions")
    if tab not in TABS:
        tab = "permissions"
    # The summary's "Console access" needs the login profile on every tab, as on AWS.
    profile, profile_error = run(request, "iam:GetLoginProfile", {"UserName": user_name})
    context = {
        "user": result["User"],
        "tab": tab,
        "nav": "users",
        "login_profile": profile["LoginProfile"] if profile else None,
        "login_profile_error": profile_error if profile_error and profile_error.code != "NoSuchEntity" else None,
    }
    if tab == "permissions":
        context["attached"], context["attached_error"] = all_pages(
            request, "iam:ListAttachedUserPolicies", "AttachedPolicies", {"UserName": user_name}
        )
        context["inline"], context["inline_error"] = all_pages(
            request, "iam:ListUserPolicies", "PolicyNames", {"UserName": user_name}
        )
    elif tab == "groups":
        context["groups"], context["groups_error"] = all_pages(
            request, "iam:ListGroupsForUser", "Groups", {"UserName": user_name}
        )
    elif tab == "tags":
        context["tags"], context["tags_error"] = all_pages(request, "iam:ListUserTags", "Tags", {"UserName": user_name})
    else:
        context["signin_url"] = signin_url(request)
        context["password_form"] = ConsolePasswordForm()
        context["delete_form"] = DeleteConfirmForm()
        context["access_keys"], context["access_keys_error"] = access_keys_table(request, user_name)
        context.update(access_key_urls(user_name))
        context["mfa_devices"], context["mfa_devices_error"] = mfa_devices_table(request, user_name)
        context.update(mfa_urls(user_name))
    return render(request, "iam/users/detail.html", context)


@sensitive_post_parameters("custom_password")
@require_POST
def console_access(request, user_name):
    """Security credentials → Console access: enable, reset password, or disable."""
    form = ConsolePasswordForm(request.POST)
    back = reverse("iam:user-detail", args=[user_name]) + "?tab=security_credentials"
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(back)
    data = form.cleaned_data
    if data["operation"] == "disable":
        _, error = run(request, "iam:DeleteLoginProfile", {"UserName": user_name})
        if not error:
            messages.success(request, "Console access disabled.")
    else:
        password = data["custom_password"] if data["password_type"] == "custom" else generate_password()
        action = "iam:CreateLoginProfile" if data["operation"] == "enable" else "iam:UpdateLoginProfile"
        params = {"UserName": user_name, "Password": password, "PasswordResetRequired": data["password_reset_required"]}
        _, error = run(request, action, params)
        if not error:
            return render(
                request,
                "iam/users/retrieve_password.html",
                {
                    "user": {"UserName": user_name},
                    "password": password,
                    "signin_url": signin_url(request),
                    "nav": "users",
                    "reset": data["operation"] == "reset",
                },
            )
    if error:
        messages.error(request, error.message)
    return redirect(back)


def _delete_with_dependents(request, user_name):
    """The calls the AWS console makes to delete a user: remove what DeleteUser would
    refuse to orphan (groups, policies, access keys, MFA devices, console password),
    then the user."""
    who = {"UserName": user_name}
    groups, error = all_pages(request, "iam:ListGroupsForUser", "Groups", who)
    attached, error2 = all_pages(request, "iam:ListAttachedUserPolicies", "AttachedPolicies", who)
    inline, error3 = all_pages(request, "iam:ListUserPolicies", "PolicyNames", who)
    if error or error2 or error3:
        return error or error2 or error3
    calls = [("iam:RemoveUserFromGroup", {**who, "GroupName": g["GroupName"]}) for g in groups]
    calls += [("iam:DetachUserPolicy", {**who, "PolicyArn": p["PolicyArn"]}) for p in attached]
    calls += [("iam:DeleteUserPolicy", {**who, "PolicyName": name}) for name in inline]
    keys, error = run(request, "iam:ListAccessKeys", who)
    if error:
        return error
    calls += [("iam:DeleteAccessKey", {**who, "AccessKeyId": k["AccessKeyId"]}) for k in keys["AccessKeyMetadata"]]
    devices, error = all_pages(request, "iam:ListMFADevices", "MFADevices", who)
    if error:
        return error
    for device in devices:
        calls.append(("iam:DeactivateMFADevice", {**who, "SerialNumber": device["SerialNumber"]}))
        if ":mfa/" in device["SerialNumber"]:
            calls.append(("iam:DeleteVirtualMFADevice", {"SerialNumber": device["SerialNumber"]}))
    for action, params in calls:
        _, error = run(request, action, params)
        if error:
            return error
    _, error = run(request, "iam:DeleteLoginProfile", who)
    if error and error.code != "NoSuchEntity":
        return error
    _, error = run(request, "iam:DeleteUser", who)
    return error


@require_POST
def delete_user(request, user_name):
    """Delete user, after typing the user name to confirm, as the AWS console asks."""
    form = DeleteConfirmForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"] != user_name:
        messages.error(request, f"To confirm deletion, enter the user name {user_name}.")
        return redirect(reverse("iam:user-detail", args=[user_name]) + "?tab=security_credentials")
    error = _delete_with_dependents(request, user_name)
    if error:
        messages.error(request, error.message)
        return redirect(reverse("iam:user-detail", args=[user_name]))
    messages.success(request, f"User {user_name} deleted.")
    return redirect("iam:users")
