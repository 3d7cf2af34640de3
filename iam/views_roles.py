"""IAM console: Roles — list, Create role wizard, role detail tabs (Permissions, Trust
relationships, Tags), trust policy editor, inline policies, delete.

Every read and write goes through ``console.actions.run`` (the dispatcher), so the page
shows exactly what the principal may see and AWS's own error text when it may not."""

import json
from urllib.parse import unquote, urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from console.actions import run
from iam.forms_roles import (
    AttachPolicyForm,
    CreateRoleForm,
    DeleteRoleForm,
    InlinePolicyForm,
    TagForm,
    TrustPolicyForm,
)
from iam.listing import all_pages, paginate


def decoded_document(text):
    """A policy document as IAM returns it (URL-encoded), pretty-printed for the editor."""
    text = unquote(text or "")
    try:
        return json.dumps(json.loads(text), indent=4)
    except ValueError:
        return text


def trusted_entities(document_text):
    """The "Trusted entities" column: who the trust policy's Allow statements name,
    in the console's words ("AWS Service: ec2", "Account: 111122223333")."""
    try:
        document = json.loads(unquote(document_text or ""))
        statements = document.get("Statement", [])
    except (ValueError, AttributeError):
        return []
    statements = [statements] if isinstance(statements, dict) else statements
    found = []
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.append("Everyone")
            continue
        if not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in [values] if isinstance(values, str) else values or []:
                if kind == "Service":
                    found.append(f"AWS Service: {value.removesuffix('.amazonaws.com')}")
                elif kind == "AWS":
                    if value.endswith(":root"):
                        found.append(f"Account: {value.split(':')[4]}")
                    elif value.isdigit():
                        found.append(f"Account: {value}")
                    else:
                        found.append(value)
                elif kind == "Federated":
                    found.append(f"Identity Provider: {value}")
    return list(dict.fromkeys(found))


def roles(request):
    """Roles: the table with a text filter and pagination."""
    result, error = all_pages(request, "iam:ListRoles", "Roles")
    if error:
        messages.error(request, error.message)
    rows = result or []
    query = request.GET.get("q", "").strip()
    if query:
        rows = [r for r in rows if query.lower() in r["RoleName"].lower()]
    for row in rows:
        row["trusted_entities"] = trusted_entities(row.get("AssumeRolePolicyDocument"))
    page = paginate(request, rows)
    return render(request, "iam/roles/list.html", {"page": page, "query": query, "nav": "roles", "denied": error})


def _policies(request):
    policies, _ = all_pages(request, "iam:ListPolicies", "Policies", {"Scope": "All"})
    return policies or []


def _create(request, data):
    """The AWS calls the console makes for the wizard: CreateRole (the boundary with it),
    then each policy attachment; a refused CreateRole creates nothing."""
    params = {
        "RoleName": data["role_name"],
        "AssumeRolePolicyDocument": data["trust_policy"],
        "MaxSessionDuration": data["max_session_duration"],
    }
    if data["description"]:
        params["Description"] = data["description"]
    if data["permissions_boundary"]:
        params["PermissionsBoundary"] = data["permissions_boundary"]
    if data["tags"]:
        params["Tags"] = data["tags"]
    result, error = run(request, "iam:CreateRole", params)
    if error:
        return None, error
    for arn in data["policies"]:
        _, problem = run(request, "iam:AttachRolePolicy", {"RoleName": data["role_name"], "PolicyArn": arn})
        if problem:
            messages.error(request, problem.message)
    return result["Role"], None


@require_http_methods(["GET", "POST"])
def create_role(request):
    """Create role: Select trusted entity, Add permissions, Name, review, and create —
    one form shown in steps."""
    policies = _policies(request)
    account_id = request.principal.account_id
    form = CreateRoleForm(request.POST or None, account_id=account_id, policies=policies)
    if request.method == "POST" and form.is_valid():
        role, error = _create(request, form.cleaned_data)
        if error is None:
            messages.success(request, f"Role {role['RoleName']} created.")
            return redirect("iam:role-detail", role_name=role["RoleName"])
        if error.code == "MalformedPolicyDocument" and form.cleaned_data["trusted_entity_type"] == "custom":
            form.add_error("custom_trust_policy", error.message)
        elif error.code == "MalformedPolicyDocument":
            form.add_error(None, error.message)
        else:
            form.add_error("role_name", error.message)
    return render(
        request,
        "iam/roles/create.html",
        {"form": form, "policies": policies, "nav": "roles"},
        status=400 if request.method == "POST" else 200,
    )


TABS = ("permissions", "trust_relationships", "tags")


def _switch_role_link(request, role_name):
    aliases, _ = run(request, "iam:ListAccountAliases")
    names = (aliases or {}).get("AccountAliases") or []
    account = names[0] if names else request.principal.account_id
    return request.build_absolute_uri("/switchrole?" + urlencode({"roleName": role_name, "account": account}))


def _get_role(request, role_name):
    result, error = run(request, "iam:GetRole", {"RoleName": role_name})
    if error:
        if error.code == "NoSuchEntity":
            raise Http404(error.message)
        messages.error(request, error.message)
        return None
    return result["Role"]


def role_detail(request, role_name):
    """A role's summary and the Permissions, Trust relationships and Tags tabs."""
    role = _get_role(request, role_name)
    if role is None:
        return redirect("iam:roles")
    tab = request.GET.get("tab", "permissions")
    if tab not in TABS:
        tab = "permissions"
    context = {
        "role": role,
        "tab": tab,
        "nav": "roles",
        "switch_role_link": _switch_role_link(request, role["RoleName"]),
        "max_session_hours": role["MaxSessionDuration"] // 3600,
        "delete_form": DeleteRoleForm(),
    }
    who = {"RoleName": role_name}
    if tab == "permissions":
        context["attached"], context["attached_error"] = all_pages(
            request, "iam:ListAttachedRolePolicies", "AttachedPolicies", who
        )
        context["inline"], context["inline_error"] = all_pages(request, "iam:ListRolePolicies", "PolicyNames", who)
        context["policy_count"] = len(context["attached"] or []) + len(context["inline"] or [])
        attached_arns = {p["PolicyArn"] for p in context["attached"] or []}
        available = [p for p in _policies(request) if p["Arn"] not in attached_arns]
        context["attach_form"] = AttachPolicyForm(policies=available)
        context["boundary_choices"] = available
    elif tab == "trust_relationships":
        context["trust_policy"] = decoded_document(role["AssumeRolePolicyDocument"])
    else:
        context["tags"], context["tags_error"] = all_pages(request, "iam:ListRoleTags", "Tags", who)
        context["tag_form"] = TagForm()
    return render(request, "iam/roles/detail.html", context)


def _back(role_name, tab="permissions"):
    return redirect(reverse("iam:role-detail", args=[role_name]) + f"?tab={tab}")


def _report(request, error, success):
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@require_http_methods(["GET", "POST"])
def edit_trust_policy(request, role_name):
    """Trust relationships → Edit trust policy (UpdateAssumeRolePolicy); AWS's
    MalformedPolicyDocument text is shown under the editor."""
    role = _get_role(request, role_name)
    if role is None:
        return redirect("iam:roles")
    initial = {"policy_document": decoded_document(role["AssumeRolePolicyDocument"])}
    form = TrustPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        _, error = run(
            request,
            "iam:UpdateAssumeRolePolicy",
            {"RoleName": role_name, "PolicyDocument": form.cleaned_data["policy_document"]},
        )
        if error is None:
            messages.success(request, "Trust policy updated.")
            return _back(role_name, "trust_relationships")
        form.add_error("policy_document", error.message)
    return render(
        request,
        "iam/roles/edit_trust_policy.html",
        {"role": role, "form": form, "nav": "roles"},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def create_inline_policy(request, role_name):
    """Permissions → Add permissions → Create inline policy (PutRolePolicy)."""
    role = _get_role(request, role_name)
    if role is None:
        return redirect("iam:roles")
    form = InlinePolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _, error = run(
            request,
            "iam:PutRolePolicy",
            {"RoleName": role_name, "PolicyName": data["policy_name"], "PolicyDocument": data["policy_document"]},
        )
        if error is None:
            messages.success(request, f"Policy {data['policy_name']} created.")
            return _back(role_name)
        field = "policy_document" if error.code in ("MalformedPolicyDocument", "LimitExceeded") else "policy_name"
        form.add_error(field, error.message)
    return render(
        request,
        "iam/roles/inline_policy.html",
        {"role": role, "form": form, "nav": "roles"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def attach_policies(request, role_name):
    """Permissions → Add permissions → Attach policies (AttachRolePolicy each)."""
    arns = request.POST.getlist("policies")
    if not arns:
        messages.error(request, "Select at least one policy.")
        return _back(role_name)
    for arn in arns:
        _, error = run(request, "iam:AttachRolePolicy", {"RoleName": role_name, "PolicyArn": arn})
        if error:
            messages.error(request, error.message)
            return _back(role_name)
    if len(arns) == 1:
        messages.success(request, "Policy was successfully attached to role.")
    else:
        messages.success(request, f"{len(arns)} policies were successfully attached to role.")
    return _back(role_name)


@require_POST
def detach_policy(request, role_name):
    params = {"RoleName": role_name, "PolicyArn": request.POST.get("policy_arn", "")}
    _, error = run(request, "iam:DetachRolePolicy", params)
    _report(request, error, "Policy was successfully removed.")
    return _back(role_name)


@require_POST
def delete_inline_policy(request, role_name):
    params = {"RoleName": role_name, "PolicyName": request.POST.get("policy_name", "")}
    _, error = run(request, "iam:DeleteRolePolicy", params)
    _report(request, error, "Policy was successfully removed.")
    return _back(role_name)


@require_POST
def permissions_boundary(request, role_name):
    """Set or remove the role's permissions boundary."""
    arn = request.POST.get("permissions_boundary", "")
    if request.POST.get("operation") == "remove":
        _, error = run(request, "iam:DeleteRolePermissionsBoundary", {"RoleName": role_name})
        _report(request, error, "Permissions boundary removed.")
    elif not arn:
        messages.error(request, "Choose a policy to use as the permissions boundary.")
    else:
        _, error = run(request, "iam:PutRolePermissionsBoundary", {"RoleName": role_name, "PermissionsBoundary": arn})
        _report(request, error, "Permissions boundary set.")
    return _back(role_name)


@require_POST
def tags(request, role_name):
    """Tags → add a tag (TagRole) or remove one (UntagRole)."""
    if request.POST.get("operation") == "remove":
        _, error = run(request, "iam:UntagRole", {"RoleName": role_name, "TagKeys": [request.POST.get("key", "")]})
        _report(request, error, "Tag removed.")
        return _back(role_name, "tags")
    form = TagForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return _back(role_name, "tags")
    tag = {"Key": form.cleaned_data["key"], "Value": form.cleaned_data["value"]}
    _, error = run(request, "iam:TagRole", {"RoleName": role_name, "Tags": [tag]})
    _report(request, error, "Tags saved.")
    return _back(role_name, "tags")


def _delete_with_dependents(request, role_name):
    """The calls the AWS console makes to delete a role: detach managed policies, delete
    inline ones and take the role out of its instance profiles (DeleteRole refuses while
    any remain), then the role."""
    who = {"RoleName": role_name}
    attached, error = all_pages(request, "iam:ListAttachedRolePolicies", "AttachedPolicies", who)
    inline, error2 = all_pages(request, "iam:ListRolePolicies", "PolicyNames", who)
    profiles, error3 = all_pages(request, "iam:ListInstanceProfilesForRole", "InstanceProfiles", who)
    if error or error2 or error3:
        return error or error2 or error3
    calls = [("iam:DetachRolePolicy", {**who, "PolicyArn": p["PolicyArn"]}) for p in attached]
    calls += [("iam:DeleteRolePolicy", {**who, "PolicyName": name}) for name in inline]
    calls += [
        ("iam:RemoveRoleFromInstanceProfile", {**who, "InstanceProfileName": p["InstanceProfileName"]})
        for p in profiles
    ]
    for action, params in calls:
        _, error = run(request, action, params)
        if error:
            return error
    _, error = run(request, "iam:DeleteRole", who)
    return error


@require_POST
def delete_role(request, role_name):
    """Delete role, after typing the role name to confirm, as the AWS console asks."""
    form = DeleteRoleForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"] != role_name:
        messages.error(request, f"To confirm deletion, enter the role name {role_name}.")
        return redirect("iam:role-detail", role_name=role_name)
    error = _delete_with_dependents(request, role_name)
    if error:
        messages.error(request, error.message)
        return redirect("iam:role-detail", role_name=role_name)
    messages.success(request, f"Role {role_name} deleted.")
    return redirect("iam:roles")
