from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, AWSError, NoSuchEntity
from console.actions import run
from console.forms import ChangePasswordForm
from console.session import current_account, request_context, signin_url
from iam.forms import PasswordPolicyForm, initial_from_policy
from iam.views_access_keys import access_key_urls, access_keys_table
from iam.views_mfa import mfa_devices_table, mfa_urls


def dashboard(request):
    """IAM dashboard: the account's sign-in URL for IAM users and security recommendations."""
    account = current_account(request)
    return render(
        request,
        "iam/dashboard.html",
        {"account": account, "signin_url": signin_url(request), "nav": "dashboard"},
    )


@require_http_methods(["POST"])
def account_alias(request):
    """IAM dashboard → AWS Account → Account Alias: create (or replace) or delete it."""
    account = current_account(request)
    if request.POST.get("operation") == "delete":
        _, error = run(request, "iam:DeleteAccountAlias", {"AccountAlias": account.alias or ""})
        success = "Account alias deleted."
    else:
        alias = request.POST.get("alias", "").strip()
        _, error = run(request, "iam:CreateAccountAlias", {"AccountAlias": alias})
        success = f"Account alias {alias} created." if not error else ""
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("iam:dashboard")


def _password_policy(request):
    """GetAccountPasswordPolicy through the dispatcher: (policy or None, error or None)."""
    try:
        return dispatch(request_context(request), "iam:GetAccountPasswordPolicy")["PasswordPolicy"], None
    except NoSuchEntity:
        return None, None
    except AccessDenied as error:
        return None, error


def account_settings(request):
    policy, denied = _password_policy(request)
    if denied:
        messages.error(request, denied.message)
    return render(
        request,
        "iam/account_settings.html",
        {"policy": policy, "denied": denied, "nav": "account-settings"},
    )


@require_http_methods(["GET", "POST"])
def edit_password_policy(request):
    ctx = request_context(request)
    if request.method == "POST":
        form = PasswordPolicyForm(request.POST)
        if form.is_valid():
            try:
                if form.cleaned_data["policy_type"] == "default":
                    try:
                        dispatch(ctx, "iam:DeleteAccountPasswordPolicy")
                    except NoSuchEntity:
                        pass  # already the IAM default
                else:
                    dispatch(ctx, "iam:UpdateAccountPasswordPolicy", form.aws_parameters())
            except AWSError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Password policy updated.")
                return redirect("iam:account-settings")
        status = 400
    else:
        policy, denied = _password_policy(request)
        if denied:
            messages.error(request, denied.message)
            return redirect("iam:account-settings")
        form = PasswordPolicyForm(initial=initial_from_policy(policy))
        status = 200
    return render(request, "iam/edit_password_policy.html", {"form": form, "nav": "account-settings"}, status=status)


@sensitive_post_parameters("old_password", "new_password", "confirm_password")
@require_http_methods(["GET", "POST"])
def security_credentials(request):
    """My security credentials: an IAM user updates their own console password; the
    caller's MFA devices and access keys."""
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and not request.principal.is_root and form.is_valid():
        try:
            dispatch(
                request_context(request),
                "iam:ChangePassword",
                {"OldPassword": form.cleaned_data["old_password"], "NewPassword": form.cleaned_data["new_password"]},
            )
        except AWSError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your console password has been updated.")
            return redirect("iam:security-credentials")
    access_keys, access_keys_error = access_keys_table(request, None)
    mfa_devices, mfa_devices_error = mfa_devices_table(request, None)
    return render(
        request,
        "iam/security_credentials.html",
        {
            "form": form,
            "account": current_account(request),
            "access_keys": access_keys,
            "access_keys_error": access_keys_error,
            **access_key_urls(None),
            "mfa_devices": mfa_devices,
            "mfa_devices_error": mfa_devices_error,
            **mfa_urls(None),
        },
        status=400 if request.method == "POST" else 200,
    )
