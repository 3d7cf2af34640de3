"""The console session: who is signed in, since when, and what they must do first.

Stored in the database-backed Django session under one key, so app servers keep no
state. A session lasts at most CONSOLE_SESSION_MAX_SECONDS from sign-in (AWS's 12 hours)
however active it is.

Between a correct password and a correct MFA code there is no console session at all,
only a pending sign-in (``begin_mfa``): who passed the password step, signed and
expiring after MFA_PENDING_SECONDS, under its own key in a fresh session."""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.core import signing

from awsapi.context import RequestContext
from console import clock
from iam.models import Account, User
from iam.principals import root_principal, user_principal

KEY = "iamlab.principal"
PENDING_KEY = "iamlab.mfa_pending"
PENDING_SALT = "iamlab.signin.mfa-pending"
MFA_PENDING_SECONDS = 5 * 60


def start(request, principal, password_change="", mfa_time=None):
    """Begin a console session for ``principal`` with a fresh session key (no fixation).

    ``mfa_time``: when the principal's MFA code was checked, for a session signed in
    with MFA (aws:MultiFactorAuthPresent true, aws:MultiFactorAuthAge counted from it)."""
    request.session.flush()
    request.session[KEY] = {
        "type": principal.type,
        "account_id": principal.account_id,
        "user_pk": principal.user_pk,
        "issued": clock.now().isoformat(),
        "mfa": mfa_time is not None,
        "mfa_time": mfa_time.isoformat() if mfa_time is not None else None,
        "password_change": password_change,
    }


def begin_mfa(request, principal, **carry):
    """Remember, for MFA_PENDING_SECONDS, that ``principal`` passed the password step.

    A fresh session key, no principal session: nothing is signed in until the code is
    checked. ``carry``: what the sign-in finishes with (password change, device key,
    where to go next)."""
    request.session.flush()
    marker = {
        "type": principal.type,
        "account_id": principal.account_id,
        "user_pk": principal.user_pk,
        "expires": (clock.now() + timedelta(seconds=MFA_PENDING_SECONDS)).isoformat(),
        **carry,
    }
    request.session[PENDING_KEY] = signing.dumps(marker, salt=PENDING_SALT)


def pending_mfa(request):
    """The pending sign-in's data, or None when there is none or it has expired."""
    value = request.session.get(PENDING_KEY)
    if not value:
        return None
    try:
        marker = signing.loads(value, salt=PENDING_SALT)
    except signing.BadSignature:
        marker = None
    if not marker or clock.now() >= datetime.fromisoformat(marker["expires"]):
        request.session.pop(PENDING_KEY, None)
        return None
    return marker


def end_mfa(request):
    request.session.pop(PENDING_KEY, None)


def end(request):
    request.session.flush()


def password_change_done(request):
    data = dict(request.session[KEY])
    data["password_change"] = ""
    request.session[KEY] = data


def load(request):
    """The signed-in principal and session data, or (None, None) when signed out or the
    session outlived its 12 hours or its principal was deleted."""
    data = request.session.get(KEY)
    if not data:
        return None, None
    issued = datetime.fromisoformat(data["issued"])
    if (clock.now() - issued).total_seconds() > settings.CONSOLE_SESSION_MAX_SECONDS:
        end(request)
        return None, None
    principal = principal_of(data)
    if principal is None:
        end(request)
        return None, None
    return principal, data


def principal_of(data):
    """The principal a session or pending sign-in names, or None if it no longer exists."""
    if data["type"] == "Root":
        account = Account.objects.filter(account_id=data["account_id"]).first()
        return root_principal(account) if account else None
    user = User.objects.select_related("account").filter(pk=data["user_pk"]).first()
    return user_principal(user) if user else None


def current_account(request):
    """The signed-in principal's Account, read once per request."""
    if not hasattr(request, "_iamlab_account"):
        request._iamlab_account = Account.objects.get(account_id=request.principal.account_id)
    return request._iamlab_account


def signin_url(request):
    """The account's console sign-in URL for IAM users (AWS's
    https://<alias>.signin.aws.amazon.com/console), with the alias when there is one."""
    account = current_account(request)
    return request.build_absolute_uri(reverse("signin") + f"?account={account.alias or account.account_id}")


def client_ip(request):
    return request.META.get("REMOTE_ADDR", "")


def request_context(request):
    """The RequestContext of a console request by the signed-in principal."""
    data = request.console_session
    return RequestContext(
        principal=request.principal,
        source_ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        via_console=True,
        secure_transport=request.is_secure(),
        mfa_authenticated=bool(data.get("mfa")),
        session_issued=datetime.fromisoformat(data["issued"]),
        mfa_time=datetime.fromisoformat(data["mfa_time"]) if data.get("mfa_time") else None,
        password_change_required=bool(data.get("password_change")),
    )
