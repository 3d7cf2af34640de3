"""Access keys in the console: Create access key (AWS's use-case step and best-practice
alternatives), Retrieve access keys (the secret shown once), Deactivate / Activate, Delete.

The same views serve a user's Security credentials tab (``user_name`` given) and the
signed-in principal's own "My security credentials" page (``user_name`` None; for root,
with AWS's warning against root access keys)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from console.actions import run

USE_CASES = [
    ("cli", "Command Line Interface (CLI)",
     "You plan to use this access key to enable the AWS CLI to access your AWS account."),
    ("local", "Local code",
     "You plan to use this access key to enable application code in a local development environment to access your AWS account."),
    ("compute", "Application running on an AWS compute service",
     "You plan to use this access key to enable application code running on an AWS compute service like Amazon EC2 to access your AWS account."),
    ("third-party", "Third-party service",
     "You plan to use this access key to enable access for a third-party application or service that monitors or manages your AWS resources."),
    ("outside", "Application running outside AWS",
     "You plan to use this access key to authenticate workloads running in your data center or other infrastructure outside of AWS."),
    ("other", "Other", "Your use case is not listed here."),
]
ALTERNATIVES = {
    "cli": [
        "Use AWS CloudShell, a browser-based CLI, to run commands.",
        "Use the AWS CLI V2 and enable authentication through a user in IAM Identity Center.",
    ],
    "local": ["Use an integrated development environment (IDE) which supports the AWS Toolkit enabling authentication through IAM Identity Center."],
    "compute": ["Use an IAM role for the compute resource (for an EC2 instance, an instance profile) instead of long-term keys."],
    "third-party": ["Use temporary security credentials (IAM roles) instead of long-term access keys."],
    "outside": ["Use IAM Roles Anywhere to generate temporary security credentials for non-AWS workloads."],
    "other": [],
}


class CreateAccessKeyForm(forms.Form):
    use_case = forms.ChoiceField(choices=[(k, label) for k, label, _ in USE_CASES], widget=forms.RadioSelect)
    confirm = forms.BooleanField(
        label="I understand the above recommendation and want to proceed to create an access key.",
        error_messages={"required": "Confirm that you understand the recommendation to continue."},
    )
    description = forms.CharField(label="Description tag value", required=False, max_length=256)


class AccessKeyActionForm(forms.Form):
    access_key_id = forms.CharField(max_length=128)
    status = forms.ChoiceField(choices=[("Active", "Active"), ("Inactive", "Inactive")], required=False)
    confirm = forms.CharField(required=False, max_length=128)


def credentials_url(user_name):
    if user_name is None:
        return reverse("iam:security-credentials")
    return reverse("iam:user-detail", args=[user_name]) + "?tab=security_credentials"


def access_key_urls(user_name):
    if user_name is None:
        return {
            "create_url": reverse("iam:own-create-access-key"),
            "update_url": reverse("iam:own-update-access-key"),
            "delete_url": reverse("iam:own-delete-access-key"),
        }
    return {
        "create_url": reverse("iam:user-create-access-key", args=[user_name]),
        "update_url": reverse("iam:user-update-access-key", args=[user_name]),
        "delete_url": reverse("iam:user-delete-access-key", args=[user_name]),
    }


def access_keys_table(request, user_name):
    """The access keys of a user (or the caller), with last use: (rows, error)."""
    params = {"UserName": user_name} if user_name else {}
    listed, error = run(request, "iam:ListAccessKeys", params)
    if error:
        return [], error
    rows = []
    for key in listed["AccessKeyMetadata"]:
        last, _ = run(request, "iam:GetAccessKeyLastUsed", {"AccessKeyId": key["AccessKeyId"]})
        rows.append({**key, "LastUsed": (last or {}).get("AccessKeyLastUsed", {})})
    return rows, None


def _with_user(user_name, params):
    return {**params, "UserName": user_name} if user_name else params


@require_http_methods(["GET", "POST"])
def create_access_key(request, user_name=None):
    form = CreateAccessKeyForm(request.POST or None, initial={"use_case": "cli"})
    if request.method == "POST" and form.is_valid():
        created, error = run(request, "iam:CreateAccessKey", _with_user(user_name, {}))
        if error:
            form.add_error(None, error.message)
        else:
            key = created["AccessKey"]
            description = form.cleaned_data["description"].strip()
            if description and user_name:
                # The console keeps an access key's description as a tag on its user,
                # keyed by the access key ID.
                _, tag_error = run(request, "iam:TagUser", {
                    "UserName": user_name, "Tags": [{"Key": key["AccessKeyId"], "Value": description}],
                })
                if tag_error:
                    messages.error(request, tag_error.message)
            owner = user_name or ("root" if request.principal.is_root else request.principal.user_name)
            filename = "rootkey.csv" if request.principal.is_root and not user_name else f"{owner}_accessKeys.csv"
            return render(request, "iam/access_keys/retrieve.html", {
                "key": key, "filename": filename, "back": credentials_url(user_name), "user_name": user_name,
            })
    chosen = form["use_case"].value() or "cli"
    return render(request, "iam/access_keys/create.html", {
        "form": form,
        "use_cases": USE_CASES,
        "alternatives": ALTERNATIVES.get(chosen, []),
        "all_alternatives": ALTERNATIVES,
        "user_name": user_name,
        "root_warning": request.principal.is_root and not user_name,
        "back": credentials_url(user_name),
    }, status=400 if request.method == "POST" else 200)


@require_POST
def update_access_key(request, user_name=None):
    form = AccessKeyActionForm(request.POST)
    if form.is_valid() and form.cleaned_data["status"]:
        key_id, status = form.cleaned_data["access_key_id"], form.cleaned_data["status"]
        _, error = run(request, "iam:UpdateAccessKey", _with_user(user_name, {"AccessKeyId": key_id, "Status": status}))
        if error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Access key {key_id} {'activated' if status == 'Active' else 'deactivated'}.")
    else:
        messages.error(request, "Choose an access key and a status.")
    return redirect(credentials_url(user_name))


@require_POST
def delete_access_key(request, user_name=None):
    """Delete, after typing the access key ID, as the AWS console asks."""
    form = AccessKeyActionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["confirm"] != form.cleaned_data["access_key_id"]:
        messages.error(request, "To confirm deletion, enter the access key ID in the text input field.")
        return redirect(credentials_url(user_name))
    key_id = form.cleaned_data["access_key_id"]
    _, error = run(request, "iam:DeleteAccessKey", _with_user(user_name, {"AccessKeyId": key_id}))
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Access key {key_id} deleted.")
    return redirect(credentials_url(user_name))
