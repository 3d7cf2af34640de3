"""IAM console: User groups — list, Create group, group detail (Users and Permissions
tabs), add and remove members, attach and detach policies, inline policies, delete.

Every read and write goes through ``console.actions.run`` (the dispatcher), so the page
shows exactly what the principal may see and AWS's own error text when it may not."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from console.actions import run
from iam.forms_groups import ChoosePoliciesForm, ChooseUsersForm, CreateGroupForm, DeleteGroupForm, InlinePolicyForm
from iam.forms_policies import EMPTY_POLICY
from iam.listing import all_pages, paginate
from iam.views_policies import decoded_document, show_policy_error

def _posted(request):
    """The POST data to bind a form to, even when empty (an unticked list is an error)."""
    return request.POST if request.method == "POST" else None



def _summary(request, group_name):
    """The Users and Permissions columns of one row: what the console fetches per group."""
    who = {"GroupName": group_name}
    members, error = all_pages(request, "iam:GetGroup", "Users", who)
    attached, error2 = all_pages(request, "iam:ListAttachedGroupPolicies", "AttachedPolicies", who)
    inline, error3 = all_pages(request, "iam:ListGroupPolicies", "PolicyNames", who)
    defined = None if (error2 or error3) else bool(attached or inline)
    return {"users": None if error else len(members), "defined": defined}


def groups(request):
    """User groups: the table with a text filter and pagination."""
    result, error = all_pages(request, "iam:ListGroups", "Groups")
    if error:
        messages.error(request, error.message)
    rows = result or []
    query = request.GET.get("q", "").strip()
    if query:
        rows = [g for g in rows if query.lower() in g["GroupName"].lower()]
    page = paginate(request, rows)
    page.object_list = [{**g, **_summary(request, g["GroupName"])} for g in page.object_list]
    return render(request, "iam/groups/list.html", {"page": page, "query": query, "nav": "groups", "denied": error})


def _users_and_policies(request):
    """Users and policies offered on Create group (empty when not allowed)."""
    users, _ = all_pages(request, "iam:ListUsers", "Users")
    policies, _ = all_pages(request, "iam:ListPolicies", "Policies", {"Scope": "All"})
    return users or [], policies or []


@require_http_methods(["GET", "POST"])
def create_group(request):
    """Create user group: name, members and policies on one page, as the AWS console."""
    users, policies = _users_and_policies(request)
    form = CreateGroupForm(_posted(request), users=users, policies=policies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        name = data["group_name"]
        _, error = run(request, "iam:CreateGroup", {"GroupName": name})
        if error:
            form.add_error("group_name", error.message)
        else:
            steps = [("iam:AddUserToGroup", {"GroupName": name, "UserName": u}) for u in data["users"]]
            steps += [("iam:AttachGroupPolicy", {"GroupName": name, "PolicyArn": arn}) for arn in data["policies"]]
            for action, params in steps:
                _, error = run(request, action, params)
                if error:
                    messages.error(request, error.message)
            messages.success(request, f"{name} user group created.")
            return redirect("iam:group-detail", group_name=name)
    return render(
        request,
        "iam/groups/create.html",
        {"form": form, "users": users, "policies": policies, "nav": "groups"},
        status=400 if request.method == "POST" else 200,
    )


TABS = ("users", "permissions")


def _get_group(request, group_name):
    """GetGroup with all its members, or the reason to leave the page: 404 for no such
    group, else a flash with AWS's message."""
    params = {"GroupName": group_name, "MaxItems": 1000}
    members = []
    while True:
        result, error = run(request, "iam:GetGroup", params)
        if error and error.code in ("NoSuchEntity", "ValidationError"):
            raise Http404(error.message)
        if error:
            messages.error(request, error.message)
            return None, redirect("iam:groups")
        members.extend(result["Users"])
        if not result.get("IsTruncated"):
            return {"group": result["Group"], "members": members}, None
        params["Marker"] = result["Marker"]


def group_detail(request, group_name):
    """A group's summary and its Users and Permissions tabs."""
    found, leave = _get_group(request, group_name)
    if leave:
        return leave
    tab = request.GET.get("tab", "users")
    if tab not in TABS:
        tab = "users"
    context = {**found, "tab": tab, "nav": "groups"}
    if tab == "permissions":
        who = {"GroupName": group_name}
        context["attached"], context["attached_error"] = all_pages(
            request, "iam:ListAttachedGroupPolicies", "AttachedPolicies", who
        )
        names, context["inline_error"] = all_pages(request, "iam:ListGroupPolicies", "PolicyNames", who)
        inline = []
        for name in names or []:
            result, error = run(request, "iam:GetGroupPolicy", {**who, "PolicyName": name})
            inline.append({"PolicyName": name, "Document": decoded_document(result["PolicyDocument"]) if result else None,
                           "error": error})
        context["inline"] = inline
    return render(request, "iam/groups/detail.html", context)


def _back(group_name, tab):
    return reverse("iam:group-detail", args=[group_name]) + f"?tab={tab}"


def _run_each(request, calls):
    """Run each call, flashing every refusal; the number that succeeded."""
    done = 0
    for action, params in calls:
        _, error = run(request, action, params)
        if error:
            messages.error(request, error.message)
        else:
            done += 1
    return done


@require_http_methods(["GET", "POST"])
def add_users(request, group_name):
    """Add users to <group>: the account's users who are not members yet."""
    found, leave = _get_group(request, group_name)
    if leave:
        return leave
    users, error = all_pages(request, "iam:ListUsers", "Users")
    if error:
        messages.error(request, error.message)
    members = {u["UserName"] for u in found["members"]}
    candidates = [u["UserName"] for u in users or [] if u["UserName"] not in members]
    form = ChooseUsersForm(_posted(request), users=candidates)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["users"]
        done = _run_each(request, [("iam:AddUserToGroup", {"GroupName": group_name, "UserName": u}) for u in chosen])
        if done:
            messages.success(request, f"{done} user{'s' if done != 1 else ''} added to this group.")
        return redirect(_back(group_name, "users"))
    return render(
        request, "iam/groups/add_users.html", {**found, "form": form, "nav": "groups"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def remove_users(request, group_name):
    """Users tab → Remove: RemoveUserFromGroup for each ticked member."""
    chosen = request.POST.getlist("users")
    if not chosen:
        messages.error(request, "Select at least one user.")
        return redirect(_back(group_name, "users"))
    done = _run_each(request, [("iam:RemoveUserFromGroup", {"GroupName": group_name, "UserName": u}) for u in chosen])
    if done:
        messages.success(request, f"{done} user{'s' if done != 1 else ''} removed from this group.")
    return redirect(_back(group_name, "users"))


@require_http_methods(["GET", "POST"])
def attach_policies(request, group_name):
    """Permissions → Add permissions → Attach policies: managed policies not yet attached."""
    found, leave = _get_group(request, group_name)
    if leave:
        return leave
    attached, _ = all_pages(request, "iam:ListAttachedGroupPolicies", "AttachedPolicies", {"GroupName": group_name})
    policies, error = all_pages(request, "iam:ListPolicies", "Policies", {"Scope": "All"})
    if error:
        messages.error(request, error.message)
    taken = {p["PolicyArn"] for p in attached or []}
    candidates = [p for p in policies or [] if p["Arn"] not in taken]
    form = ChoosePoliciesForm(_posted(request), policies=candidates)
    if request.method == "POST" and form.is_valid():
        calls = [("iam:AttachGroupPolicy", {"GroupName": group_name, "PolicyArn": a}) for a in form.cleaned_data["policies"]]
        done = _run_each(request, calls)
        if done:
            messages.success(request, f"{done} polic{'ies' if done != 1 else 'y'} attached to this group.")
        return redirect(_back(group_name, "permissions"))
    return render(
        request,
        "iam/groups/attach_policies.html",
        {**found, "form": form, "policies": candidates, "nav": "groups"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def detach_policies(request, group_name):
    """Permissions → Remove: DetachGroupPolicy for each ticked policy."""
    chosen = request.POST.getlist("policies")
    if not chosen:
        messages.error(request, "Select at least one policy.")
        return redirect(_back(group_name, "permissions"))
    done = _run_each(request, [("iam:DetachGroupPolicy", {"GroupName": group_name, "PolicyArn": a}) for a in chosen])
    if done:
        messages.success(request, f"{done} polic{'ies' if done != 1 else 'y'} removed from this group.")
    return redirect(_back(group_name, "permissions"))


@require_http_methods(["GET", "POST"])
def create_inline_policy(request, group_name):
    """Permissions → Add permissions → Create inline policy: name and JSON (PutGroupPolicy)."""
    found, leave = _get_group(request, group_name)
    if leave:
        return leave
    form = InlinePolicyForm(_posted(request), initial={"policy_document": EMPTY_POLICY})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _, error = run(
            request,
            "iam:PutGroupPolicy",
            {"GroupName": group_name, "PolicyName": data["policy_name"], "PolicyDocument": data["policy_document"]},
        )
        if not error:
            messages.success(request, f"Policy {data['policy_name']} created.")
            return redirect(_back(group_name, "permissions"))
        show_policy_error(form, error)
    return render(
        request, "iam/groups/inline_policy.html", {**found, "form": form, "nav": "groups"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def delete_inline_policy(request, group_name, policy_name):
    """Permissions → inline policy → Delete (DeleteGroupPolicy)."""
    _, error = run(request, "iam:DeleteGroupPolicy", {"GroupName": group_name, "PolicyName": policy_name})
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Policy {policy_name} deleted.")
    return redirect(_back(group_name, "permissions"))


def _delete_with_dependents(request, group_name):
    """The calls the AWS console makes to delete a group: remove what DeleteGroup would
    refuse to orphan (members, attached and inline policies), then the group."""
    who = {"GroupName": group_name}
    members, error = all_pages(request, "iam:GetGroup", "Users", who)
    attached, error2 = all_pages(request, "iam:ListAttachedGroupPolicies", "AttachedPolicies", who)
    inline, error3 = all_pages(request, "iam:ListGroupPolicies", "PolicyNames", who)
    if error or error2 or error3:
        return error or error2 or error3
    calls = [("iam:RemoveUserFromGroup", {**who, "UserName": u["UserName"]}) for u in members]
    calls += [("iam:DetachGroupPolicy", {**who, "PolicyArn": p["PolicyArn"]}) for p in attached]
    calls += [("iam:DeleteGroupPolicy", {**who, "PolicyName": name}) for name in inline]
    calls.append(("iam:DeleteGroup", who))
    for action, params in calls:
        _, error = run(request, action, params)
        if error:
            return error
    return None


@require_http_methods(["GET", "POST"])
def delete_group(request, group_name):
    """Delete <group>? — after typing the group name, as the AWS console asks."""
    found, leave = _get_group(request, group_name)
    if leave:
        return leave
    form = DeleteGroupForm(_posted(request))
    if request.method == "POST":
        if not form.is_valid() or form.cleaned_data["confirm"] != found["group"]["GroupName"]:
            form.errors.clear()
            form.add_error("confirm", f"To confirm deletion, enter the user group name {found['group']['GroupName']}.")
        else:
            error = _delete_with_dependents(request, found["group"]["GroupName"])
            if not error:
                messages.success(request, f"User group {found['group']['GroupName']} deleted.")
                return redirect("iam:groups")
            messages.error(request, error.message)
            return redirect("iam:group-detail", group_name=group_name)
    return render(
        request, "iam/groups/delete.html", {**found, "form": form, "nav": "groups"},
        status=400 if request.method == "POST" else 200,
    )
