"""The console session: who is signed in, since when, and what they must do first.

Stored in the database-backed Django session under one key, so app servers keep no
state. A session lasts at most CONSOLE_SESSION_MAX_SECONDS from sign-in (AWS's 12 hours)
however active it is."""

from datetime import datetime

from django.conf import settings

from awsapi.context import RequestContext
from console import clock
from iam.models import Account, User
from iam.principals import root_principal, user_principal

KEY = "iamlab.principal"


def start(request, principal, password_change=""):
    """Begin a console session for ``principal`` with a fresh session key (no fixation)."""
    request.session.flush()
    request.session[KEY] = {
        "type": principal.type,
        "account_id": principal.account_id,
        "user_pk": principal.user_pk,
        "issued": clock.now().isoformat(),
        "mfa": False,
        "password_change": password_change,
    }


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
    if data["type"] == "Root":
        account = Account.objects.filter(account_id=data["account_id"]).first()
        principal = root_principal(account) if account else None
    else:
        user = User.objects.select_related("account").filter(pk=data["user_pk"]).first()
        principal = user_principal(user) if user else None
    if principal is None:
        end(request)
        return None, None
    return principal, data


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
        password_change_required=bool(data.get("password_change")),
    )
