"""Who signed an API request: the access key ID of a SigV4 credential resolved to its
principal — a long-term key (AKIA) of an IAM user or the root user, or temporary
credentials (ASIA) of a session, which must come with their session token."""

import hmac
from dataclasses import dataclass
from datetime import timedelta

from awsapi.errors import AWSError
from console import clock
from iam.models import AccessKey
from iam.principals import role_session_principal, root_principal, user_principal
from sts.models import Session
from sts.operations import token_digest

# Recording every use would write on every request; a minute's resolution is plenty
# for "Last used" and keeps the hot path read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidClientTokenId(AWSError):
    code = "InvalidClientTokenId"
    status = 403
    sender_fault = True

    def __init__(self):
        super().__init__("The security token included in the request is invalid.")


class ExpiredToken(AWSError):
    code = "ExpiredToken"
    status = 400
    sender_fault = True

    def __init__(self):
        super().__init__("The security token included in the request is expired")


@dataclass
class Signer:
    principal: object
    secret_access_key: str
    access_key: AccessKey | None = None
    session: Session | None = None


def resolve(credential):
    """The principal and secret behind ``credential``; raises InvalidClientTokenId for an
    unknown or inactive key or a wrong session token, ExpiredToken for an expired one."""
    key_id = credential.access_key_id
    if key_id.startswith("ASIA"):
        return _session(credential)
    key = AccessKey.objects.select_related("account", "user__account").filter(access_key_id=key_id).first()
    if key is None or key.status != AccessKey.ACTIVE:
        raise InvalidClientTokenId()
    principal = user_principal(key.user) if key.user else root_principal(key.account)
    return Signer(principal, key.secret_access_key(), access_key=key)


def _session(credential):
    session = (
        Session.objects.select_related("account", "user__account", "role__account")
        .filter(access_key_id=credential.access_key_id)
        .first()
    )
    token = credential.security_token or ""
    if session is None or not hmac.compare_digest(token_digest(token), session.session_token_sha256):
        raise InvalidClientTokenId()
    if session.expiration <= clock.now():
        raise ExpiredToken()
    if session.role_id:
        principal = role_session_principal(session)
    elif session.user_id:
        base = user_principal(session.user)
        principal = type(base)(**{**base.__dict__, "session_pk": session.pk})
    else:
        base = root_principal(session.account)
        principal = type(base)(**{**base.__dict__, "session_pk": session.pk})
    return Signer(principal, session.secret_access_key(), session=session)


def record_use(signer, service, region):
    """AccessKeyLastUsed: when, with which service and in which region."""
    key = signer.access_key
    if key is None:
        return
    now = clock.now()
    if key.last_used_date and now - key.last_used_date < LAST_USED_RESOLUTION and key.last_used_service == service:
        return
    AccessKey.objects.filter(pk=key.pk).update(last_used_date=now, last_used_service=service, last_used_region=region)
