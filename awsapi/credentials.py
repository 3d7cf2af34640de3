"""Who signed an API request: the access key ID of a SigV4 credential resolved to its
principal — a long-term key (AKIA) of an IAM user or the root user, or temporary
credentials (ASIA) of a session, which must come with their session token."""

import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.utils.dateparse import parse_datetime

from awsapi.context import Principal
from awsapi.errors import AWSError
from console import clock
from iam import arns, crypto, rows
from iam.models import AccessKey
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
    access_key: "KeyRow | None" = None
    session: Session | None = None


# Every signed request starts here, so the lookup is one indexed join written as plain
# SQL: compiling the equivalent ORM query cost more than the rest of a request.
KEY_LOOKUP = (
    "SELECT k.id, k.secret_encrypted, k.status, k.last_used_date, k.last_used_service,"
    " a.id, a.account_id, u.id, u.user_name, u.user_id, u.path"
    " FROM iam_accesskey k JOIN iam_account a ON a.id = k.account_id"
    " LEFT JOIN iam_user u ON u.id = k.user_id WHERE k.access_key_id = %s"
)


@lru_cache(maxsize=4096)
def _decrypted(key_id, secret_encrypted):
    # Keyed by the ciphertext too: a replaced secret is a different entry.
    return crypto.decrypt(secret_encrypted, key_id)


@dataclass
class KeyRow:
    pk: int
    access_key_id: str
    last_used_date: object
    last_used_service: str


def _datetime(value):
    # SQLite hands raw SQL a string, PostgreSQL a datetime.
    return rows.aware(parse_datetime(value) if isinstance(value, str) else value)


def _user_or_root(account_pk, account_id, user_pk, user_name, user_id, path, session_pk=None):
    """The principal of a long-term key or of GetSessionToken's session: the IAM user, or
    the root user when there is none."""
    if user_pk is None:
        return Principal(type="Root", account_id=account_id, arn=arns.root_arn(account_id),
                         principal_id=account_id, session_pk=session_pk, account_pk=account_pk)
    return Principal(type="IAMUser", account_id=account_id, arn=arns.user_arn(account_id, path, user_name),
                     principal_id=user_id, user_name=user_name, user_pk=user_pk, session_pk=session_pk,
                     account_pk=account_pk)


def resolve(credential):
    """The principal and secret behind ``credential``; raises InvalidClientTokenId for an
    unknown or inactive key or a wrong session token, ExpiredToken for an expired one."""
    key_id = credential.access_key_id
    if key_id.startswith("ASIA"):
        return _session(credential)
    row = rows.fetchone(KEY_LOOKUP, [key_id])
    if row is None or row[2] != AccessKey.ACTIVE:
        raise InvalidClientTokenId()
    pk, secret_encrypted, _, last_used, last_service, account_pk, account_id, user_pk, user_name, user_id, path = row
    principal = _user_or_root(account_pk, account_id, user_pk, user_name, user_id, path)
    key = KeyRow(pk, key_id, _datetime(last_used), last_service or "")
    return Signer(principal, _decrypted(key_id, secret_encrypted), access_key=key)


# A session's own columns, then what its principal needs of its account, user or role.
SESSION_FIELDS = (
    "id", "account_id", "access_key_id", "secret_encrypted", "session_token_sha256", "create_date", "expiration",
    "user_id", "role_id", "role_session_name", "session_policy", "session_policy_arns", "tags", "mfa_authenticated",
)
SESSION_LOOKUP = (
    f"SELECT {', '.join('s.' + name for name in SESSION_FIELDS)}, a.account_id, u.user_name, u.user_id, u.path,"
    " r.role_name, r.role_id, r.path"
    " FROM sts_session s JOIN iam_account a ON a.id = s.account_id"
    " LEFT JOIN iam_user u ON u.id = s.user_id LEFT JOIN iam_role r ON r.id = s.role_id"
    " WHERE s.access_key_id = %s"
)


def _session(credential):
    row = rows.fetchone(SESSION_LOOKUP, [credential.access_key_id])
    token = credential.security_token or ""
    if row is None or not hmac.compare_digest(token_digest(token), row[SESSION_FIELDS.index("session_token_sha256")]):
        raise InvalidClientTokenId()
    session = rows.instance(Session, SESSION_FIELDS, row[: len(SESSION_FIELDS)])
    if session.expiration <= clock.now():
        raise ExpiredToken()
    account_id, user_name, user_id, user_path, role_name, role_id, role_path = row[len(SESSION_FIELDS):]
    if session.role_id:
        role_arn = arns.role_arn(account_id, role_path, role_name)
        principal = Principal(
            type="AssumedRole",
            account_id=account_id,
            arn=f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session.role_session_name}",
            principal_id=f"{role_id}:{session.role_session_name}",
            role_pk=session.role_id,
            session_name=session.role_session_name,
            session_pk=session.pk,
            issuer_arn=role_arn,
            issuer_principal_id=role_id,
            issuer_name=role_name,
            account_pk=session.account_id,
        )
    else:
        principal = _user_or_root(session.account_id, account_id, session.user_id, user_name, user_id, user_path,
                                  session.pk)
    return Signer(principal, _decrypted(session.access_key_id, session.secret_encrypted), session=session)


def check_service(signer, service):
    """GetSessionToken credentials without MFA "cannot call any IAM API operations"
    (STS API reference, GetSessionToken); AWS refuses them as an invalid token."""
    session = signer.session
    if session is not None and session.role_id is None and not session.mfa_authenticated and service == "iam":
        raise InvalidClientTokenId()


def record_use(signer, service, region):
    """AccessKeyLastUsed: when, with which service and in which region."""
    key = signer.access_key
    if key is None:
        return
    now = clock.now()
    if key.last_used_date and now - key.last_used_date < LAST_USED_RESOLUTION and key.last_used_service == service:
        return
    AccessKey.objects.filter(pk=key.pk).update(last_used_date=now, last_used_service=service, last_used_region=region)
