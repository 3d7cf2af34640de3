"""IAM console: Policies — list with type filter, Create policy (JSON editor, then
Review and create), policy detail (Permissions, Entities attached, Policy versions),
Edit (a new default version) and Delete for customer managed policies.

Every read and write goes through ``console.actions.run`` (the dispatcher), so the page
shows exactly what the principal may see and AWS's own error text when it may not."""

import json
from urllib.parse import unquote

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from console.actions import run
from iam.forms_policies import EMPTY_POLICY, CreatePolicyForm, DeletePolicyForm, EditPolicyForm, VersionForm
from iam.listing import all_pages, paginate

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
# The console's "Filter by Type" choices and the ListPolicies Scope each one asks for.
TYPES = {"all": ("All types", "All"), "aws": ("AWS managed", "AWS"), "customer": ("Customer managed", "Local")}

def _posted(request):
    """The POST data to bind a form to, even when empty (an unticked list is an error)."""
    return request.POST if request.method == "POST" else None



def decoded_document(document):
    """A policy document as the console shows it: IAM returns documents URL-encoded
    (GetPolicyVersion, GetGroupPolicy), so decode, then pretty-print valid JSON."""
    text = unquote(document)
    try:
        return json.dumps(json.loads(text), indent=4)
    except ValueError:
        return text


def is_aws_managed(arn):
    return arn.startswith(AWS_MANAGED_PREFIX)


def used_as(policy):
    """The "Used as" column: how many entities use it as a permissions policy or boundary."""
    uses = []
    if policy.get("AttachmentCount"):
        uses.append(f"Permissions policy ({policy['AttachmentCount']})")
    if policy.get("PermissionsBoundaryUsageCount"):
        uses.append(f"Boundary ({policy['PermissionsBoundaryUsageCount']})")
    return ", ".join(uses) or "None"


def policies(request):
    """Policies: Filter by Type (ListPolicies Scope), a text filter, pagination."""
    kind = request.GET.get("type", "all")
    if kind not in TYPES:
        kind = "all"
    result, error = all_pages(request, "iam:ListPolicies", "Policies", {"Scope": TYPES[kind][1]})
    if error:
        messages.error(request, error.message)
    rows = result or []
    query = request.GET.get("q", "").strip()
    if query:
        rows = [p for p in rows if query.lower() in p["PolicyName"].lower()]
    page = paginate(request, rows)
    shown = []
    for policy in page.object_list:
        # ListPolicies leaves out descriptions; the console fetches them for the rows shown.
        details, _ = run(request, "iam:GetPolicy", {"PolicyArn": policy["Arn"]})
        shown.append({
            **policy,
            "Description": (details or {}).get("Policy", {}).get("Description", ""),
            "type": "AWS managed" if is_aws_managed(policy["Arn"]) else "Customer managed",
            "used_as": used_as(policy),
        })
    page.object_list = shown
    return render(
        request,
        "iam/policies/list.html",
        {"page": page, "query": query, "kind": kind, "types": [(k, v[0]) for k, v in TYPES.items()],
         "nav": "policies", "denied": error},
    )


def show_policy_error(form, error):
    """Put an operation's error where the console shows it: name problems by the name,
    everything about the document under the editor."""
    if error.code == "EntityAlreadyExists" or (error.code == "ValidationError" and "policyName" in error.message):
        form.add_error("policy_name", error.message)
    elif error.code == "ValidationError" and "description" in error.message:
        form.add_error("description", error.message)
    elif error.code in ("MalformedPolicyDocument", "LimitExceeded", "ValidationError"):
        form.add_error("policy_document", error.message)
    else:
        form.add_error(None, error.message)


@require_http_methods(["GET", "POST"])
def create_policy(request):
    """Create policy: Specify permissions (JSON editor), then Review and create. One
    CreatePolicy call at the end, so a refused document or name saves nothing."""
    form = CreatePolicyForm(_posted(request), initial={"policy_document": EMPTY_POLICY})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {"PolicyName": data["policy_name"], "PolicyDocument": data["policy_document"]}
        if data["description"]:
            params["Description"] = data["description"]
        result, error = run(request, "iam:CreatePolicy", params)
        if not error:
            messages.success(request, f"Policy {data['policy_name']} created.")
            return redirect("iam:policy-detail", arn=result["Policy"]["Arn"])
        show_policy_error(form, error)
    return render(
        request, "iam/policies/create.html", {"form": form, "nav": "policies"},
        status=400 if request.method == "POST" else 200,
    )


def _get_policy(request, arn):
    """GetPolicy, or the reason to leave the page: 404 for no such policy, else a flash."""
    result, error = run(request, "iam:GetPolicy", {"PolicyArn": arn})
    if error and error.code in ("NoSuchEntity", "ValidationError"):
        raise Http404(error.message)
    if error:
        messages.error(request, error.message)
        return None, redirect("iam:policies")
    policy = result["Policy"]
    return {"policy": policy, "aws_managed": is_aws_managed(arn)}, None


def _default_document(request, policy):
    result, error = run(
        request, "iam:GetPolicyVersion", {"PolicyArn": policy["Arn"], "VersionId": policy["DefaultVersionId"]}
    )
    if error:
        return None, error
    return decoded_document(result["PolicyVersion"]["Document"]), None


def _entities(request, arn, **filters):
    """ListEntitiesForPolicy, every page: (rows of (type, name), error)."""
    params = {"PolicyArn": arn, "MaxItems": 1000, **filters}
    rows = []
    while True:
        result, error = run(request, "iam:ListEntitiesForPolicy", params)
        if error:
            return None, error
        rows += [("Group", g["GroupName"]) for g in result["PolicyGroups"]]
        rows += [("User", u["UserName"]) for u in result["PolicyUsers"]]
        rows += [("Role", r["RoleName"]) for r in result["PolicyRoles"]]
        if not result.get("IsTruncated"):
            return rows, None
        params["Marker"] = result["Marker"]


TABS = ("permissions", "entities", "versions")


def policy_detail(request, arn):
    """A policy's summary and its Permissions, Entities attached and Policy versions tabs."""
    found, leave = _get_policy(request, arn)
    if leave:
        return leave
    tab = request.GET.get("tab", "permissions")
    if tab not in TABS:
        tab = "permissions"
    context = {**found, "tab": tab, "nav": "policies"}
    if tab == "permissions":
        context["document"], context["document_error"] = _default_document(request, found["policy"])
    elif tab == "entities":
        context["entities"], context["entities_error"] = _entities(request, arn)
    else:
        context["versions"], context["versions_error"] = all_pages(
            request, "iam:ListPolicyVersions", "Versions", {"PolicyArn": arn}
        )
    return render(request, "iam/policies/detail.html", context)


def _back(arn, tab):
    return reverse("iam:policy-detail", kwargs={"arn": arn}) + f"?tab={tab}"


@require_POST
def policy_versions(request, arn):
    """Policy versions tab: Set as default (SetDefaultPolicyVersion) or Delete
    (DeletePolicyVersion for each ticked version)."""
    versions, error = all_pages(request, "iam:ListPolicyVersions", "Versions", {"PolicyArn": arn})
    if error:
        messages.error(request, error.message)
        return redirect(_back(arn, "versions"))
    form = VersionForm(request.POST, versions=versions)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect(_back(arn, "versions"))
    chosen = form.cleaned_data["versions"]
    if form.cleaned_data["operation"] == "set-default":
        _, error = run(request, "iam:SetDefaultPolicyVersion", {"PolicyArn": arn, "VersionId": chosen[0]})
        if error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Version {chosen[0]} is now the default version.")
    else:
        for version_id in chosen:
            _, error = run(request, "iam:DeletePolicyVersion", {"PolicyArn": arn, "VersionId": version_id})
            if error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Version {version_id} deleted.")
    return redirect(_back(arn, "versions"))


@require_http_methods(["GET", "POST"])
def edit_policy(request, arn):
    """Edit policy: the default version in the editor; Save changes creates a new
    version and makes it the default (CreatePolicyVersion, SetAsDefault)."""
    found, leave = _get_policy(request, arn)
    if leave:
        return leave
    if found["aws_managed"]:
        messages.error(request, "AWS managed policies can't be edited.")
        return redirect("iam:policy-detail", arn=arn)
    document, error = _default_document(request, found["policy"])
    if error:
        messages.error(request, error.message)
        return redirect("iam:policy-detail", arn=arn)
    form = EditPolicyForm(_posted(request), initial={"policy_document": document})
    if request.method == "POST" and form.is_valid():
        _, error = run(
            request,
            "iam:CreatePolicyVersion",
            {"PolicyArn": arn, "PolicyDocument": form.cleaned_data["policy_document"], "SetAsDefault": True},
        )
        if not error:
            messages.success(request, f"Policy {found['policy']['PolicyName']} updated.")
            return redirect("iam:policy-detail", arn=arn)
        form.add_error("policy_document", error.message)
    return render(
        request, "iam/policies/edit.html", {**found, "form": form, "nav": "policies"},
        status=400 if request.method == "POST" else 200,
    )


DETACH = {"Group": ("iam:DetachGroupPolicy", "GroupName"), "User": ("iam:DetachUserPolicy", "UserName"),
          "Role": ("iam:DetachRolePolicy", "RoleName")}


def _delete_with_dependents(request, policy):
    """The calls the AWS console makes to delete a policy: detach it from every user,
    group and role and delete its other versions, then the policy. A permissions
    boundary is left alone: removing it would widen someone's permissions, so
    DeletePolicy's own refusal is shown instead, before anything is detached."""
    arn = policy["Arn"]
    if policy.get("PermissionsBoundaryUsageCount"):
        _, error = run(request, "iam:DeletePolicy", {"PolicyArn": arn})
        return error
    attached, error = _entities(request, arn, PolicyUsageFilter="PermissionsPolicy")
    if error:
        return error
    calls = []
    for kind, name in attached:
        action, member = DETACH[kind]
        calls.append((action, {member: name, "PolicyArn": arn}))
    versions, error = all_pages(request, "iam:ListPolicyVersions", "Versions", {"PolicyArn": arn})
    if error:
        return error
    calls += [
        ("iam:DeletePolicyVersion", {"PolicyArn": arn, "VersionId": v["VersionId"]})
        for v in versions
        if not v["IsDefaultVersion"]
    ]
    calls.append(("iam:DeletePolicy", {"PolicyArn": arn}))
    for action, call_params in calls:
        _, error = run(request, action, call_params)
        if error:
            return error
    return None


@require_http_methods(["GET", "POST"])
def delete_policy(request, arn):
    """Delete <policy>? — customer managed only, after typing the policy name."""
    found, leave = _get_policy(request, arn)
    if leave:
        return leave
    name = found["policy"]["PolicyName"]
    if found["aws_managed"]:
        messages.error(request, "AWS managed policies can't be deleted.")
        return redirect("iam:policy-detail", arn=arn)
    form = DeletePolicyForm(_posted(request))
    if request.method == "POST":
        if not form.is_valid() or form.cleaned_data["confirm"] != name:
            form.errors.clear()
            form.add_error("confirm", f"To confirm deletion, enter the policy name {name}.")
        else:
            error = _delete_with_dependents(request, found["policy"])
            if not error:
                messages.success(request, f"Policy {name} deleted.")
                return redirect("iam:policies")
            messages.error(request, error.message)
            return redirect("iam:policy-detail", arn=arn)
    entities, _ = _entities(request, arn)
    return render(
        request, "iam/policies/delete.html", {**found, "form": form, "entities": entities or [], "nav": "policies"},
        status=400 if request.method == "POST" else 200,
    )
