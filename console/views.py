import json

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from console import session, signin
from console.forms import ChangePasswordForm, IAMUserSignInForm, MFACodeForm, RootSignInForm, SignInChooserForm
from iam import webauthn
from iam.models import Account

DEVICE_COOKIE_AGE = 365 * 24 * 3600


def root(request):
    return redirect("home")


def _redirect_target(request):
    """Where to go after signing in: the page that sent the visitor here, if local."""
    target = request.POST.get("redirect_uri") or request.GET.get("redirect_uri") or ""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None
    ):
        return target
    return reverse("home")


def _signin_kwargs(request):
    return dict(
        source_ip=session.client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        device_cookie=request.COOKIES.get(signin.DEVICE_COOKIE, ""),
        login_to=request.build_absolute_uri(reverse("home")),
    )


def _signed_in(request, result, after=None):
    """After a correct password (or MFA code): for a principal with MFA devices, the
    MFA step; otherwise the session, then ``after`` (by default the page that sent the
    visitor to sign in), through Change password if it must be changed first."""
    after = after or _redirect_target(request)
    if result.mfa_devices:
        # The password was right; the sign-in waits for an MFA code, with no session.
        session.begin_mfa(
            request, result.principal, password_change=result.password_change, device_key=result.device_key, after=after
        )
        return redirect("signin-mfa")
    session.start(request, result.principal, password_change=result.password_change, mfa_time=result.mfa_time)
    target = reverse("change-password-required") if result.password_change else after
    if result.password_change:
        request.session["iamlab.after_password_change"] = after
    response = redirect(target)
    response.set_cookie(
        signin.DEVICE_COOKIE,
        signin.device_cookie_value(request.COOKIES.get(signin.DEVICE_COOKIE, ""), result.device_key),
        max_age=DEVICE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _iam_form_page(request, form, error="", status=200):
    return render(
        request,
        "console/signin_iam.html",
        {"form": form, "error": error, "redirect_uri": _redirect_target(request)},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def signin_view(request):
    """AWS's first sign-in page: choose Root user or IAM user."""
    if request.method == "GET" and request.GET.get("account"):
        form = IAMUserSignInForm(initial={"account": request.GET["account"]})
        return _iam_form_page(request, form)
    form = SignInChooserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["user_type"] == "iam":
            return _iam_form_page(request, IAMUserSignInForm(initial={"account": form.cleaned_data["account"]}))
        root_form = RootSignInForm(initial={"email": form.cleaned_data["email"]})
        return render(
            request,
            "console/signin_root.html",
            {"form": root_form, "email": form.cleaned_data["email"], "redirect_uri": _redirect_target(request)},
        )
    return render(
        request,
        "console/signin.html",
        {"form": form, "redirect_uri": _redirect_target(request)},
        status=400 if request.method == "POST" else 200,
    )


@sensitive_post_parameters("password")
@never_cache
@require_POST
def signin_root(request):
    form = RootSignInForm(request.POST)
    email = request.POST.get("email", "")
    context = {"form": form, "email": email, "redirect_uri": _redirect_target(request)}
    if not form.is_valid():
        return render(request, "console/signin_root.html", context, status=400)
    result = signin.sign_in_root(form.cleaned_data["email"], form.cleaned_data["password"], **_signin_kwargs(request))
    if result.principal is None:
        context["form"] = RootSignInForm(initial={"email": email})
        context["error"] = result.error
        return render(request, "console/signin_root.html", context, status=401)
    return _signed_in(request, result)


@sensitive_post_parameters("password")
@never_cache
@require_POST
def signin_iam(request):
    form = IAMUserSignInForm(request.POST)
    if not form.is_valid():
        return _iam_form_page(request, form, status=400)
    data = form.cleaned_data
    result = signin.sign_in_iam_user(data["account"], data["username"], data["password"], **_signin_kwargs(request))
    if result.principal is None:
        form = IAMUserSignInForm(initial={"account": data["account"], "username": data["username"]})
        return _iam_form_page(request, form, error=result.error, status=401)
    return _signed_in(request, result)


@sensitive_post_parameters("code", "credential")
@never_cache
@require_http_methods(["GET", "POST"])
def signin_mfa(request):
    """AWS's "Multi-factor authentication" page: the second step of signing in for a
    principal with MFA devices, after a correct password — a code from an authenticator
    app, or "Use your passkey or security key"."""
    pending = session.pending_mfa(request)
    devices = signin.mfa_devices_for(pending) if pending else []
    if not devices or request.POST.get("cancel"):
        # No password step passed in the last five minutes (or the devices are gone):
        # start again from the beginning.
        session.end_mfa(request)
        return redirect("signin")
    serials = [d.serial_number for d in devices if not webauthn.is_security_key(d.serial_number)]
    form = MFACodeForm(request.POST or None, devices=serials)
    error = ""
    rp_id, origin = webauthn.relying_party(request.scheme, request.get_host())
    kwargs = _signin_kwargs(request)
    del kwargs["device_cookie"]
    if request.method == "POST" and "credential" in request.POST:
        result = signin.sign_in_security_key(
            pending, request.session, request.POST["credential"], rp_id=rp_id, origin=origin, **kwargs
        )
        if result.principal is not None:
            return _signed_in(request, result, after=pending["after"])
        error = result.error
        form = MFACodeForm(devices=serials)
    elif request.method == "POST" and serials and form.is_valid():
        result = signin.sign_in_mfa(pending, form.cleaned_data["device"], form.cleaned_data["code"], **kwargs)
        if result.principal is not None:
            return _signed_in(request, result, after=pending["after"])
        error = result.error
        form = MFACodeForm(initial={"device": form.cleaned_data["device"]}, devices=form.devices)
    options = signin.security_key_options(pending, request.session, rp_id=rp_id)
    account = Account.objects.get(account_id=pending["account_id"])
    principal = session.principal_of(pending)
    return render(
        request,
        "console/signin_mfa.html",
        {
            "form": form,
            "error": error,
            "has_codes": bool(serials),
            "webauthn_options": json.loads(options) if options else None,
            "is_root": pending["type"] == "Root",
            "root_email": account.root_email,
            "account_display": account.alias or account.account_id,
            "user_name": principal.user_name,
        },
        status=(401 if error else 400) if request.method == "POST" else 200,
    )


@require_POST
def signout(request):
    session.end(request)
    return redirect("signin")


@sensitive_post_parameters("old_password", "new_password", "confirm_password")
@never_cache
@require_http_methods(["GET", "POST"])
def change_password_required(request):
    """AWS's forced "Change password" step after signing in with a password that must be
    reset or has expired; nothing else in the console opens until it is done."""
    if request.principal is None:
        return redirect("signin")
    if not request.console_session.get("password_change"):
        return redirect("home")
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispatch(
                session.request_context(request),
                "iam:ChangePassword",
                {"OldPassword": form.cleaned_data["old_password"], "NewPassword": form.cleaned_data["new_password"]},
            )
        except AWSError as error:
            form.add_error(None, error.message)
        else:
            target = request.session.pop("iamlab.after_password_change", None) or reverse("home")
            session.password_change_done(request)
            messages.success(request, "Your password has been changed.")
            return redirect(target)
    account = session.current_account(request)
    return render(
        request,
        "console/change_password_required.html",
        {
            "form": form,
            "account_display": account.alias or account.account_id,
            "expired": request.console_session.get("password_change") == "expired",
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
def home(request):
    return render(request, "console/home.html")


def csrf_failure(request, reason=""):
    html = render_to_string("console/csrf_failure.html", request=request)
    return HttpResponseForbidden(html)
