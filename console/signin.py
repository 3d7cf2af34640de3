"""Console sign-in for the root user and IAM users, as AWS's sign-in pages behave.

Security properties, each tested:
- One answer for every failure (unknown email, account or user, wrong password, no
  console password, throttled), and one Argon2 verification on every path, so neither
  the message nor the time tells whether a name exists.
- Throttling: 5 failures for one principal in 15 minutes lock further attempts until
  the oldest of them is 15 minutes old. Attempts refused by the lock are not counted,
  so the lock cannot be stretched, and a browser that has signed in as that principal
  before (it holds a signed device cookie for it, OWASP's "device cookie" scheme) is
  throttled in its own bucket: an attacker cannot lock the real user out.
- Every attempt writes one ConsoleLogin event. The password never reaches it; a name
  that matches no principal is recorded as AWS does, HIDDEN_DUE_TO_SECURITY_REASONS,
  because people type passwords into the name field.
- A principal with MFA devices is not signed in by its password: the password step
  returns ``mfa_devices`` and records nothing; ``sign_in_mfa`` checks the code (TOTP
  with replay protection and throttling, in ``iam.mfa``) and writes the one ConsoleLogin
  event of the attempt, with MFAUsed "Yes", as CloudTrail's sign-in examples show.
  ``sign_in_security_key`` does the same with a passkey or security key's assertion.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction

from console import clock
from console.models import SignInFailure
from console.session import principal_of
from iam import ids, mfa, webauthn
from iam.accounts import normalize_email
from iam.models import Account, PasswordPolicy, User
from iam.operations import password_expired
from iam.principals import root_principal, user_principal
from trail import record

FAILED = "Your authentication information is incorrect. Please try again."
HARD_EXPIRED = "Your password has expired. Contact your administrator to reset it."
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
DEVICE_COOKIE = "iamlab-device"
DEVICE_SALT = "iamlab.signin.device"
DEVICE_MAX_KEYS = 20
MAX_FIELD_LENGTH = 256  # longer than any email, alias, user name or password AWS allows


@dataclass
class SignInResult:
    principal: object = None
    error: str = ""
    # "reset" (the administrator asked for a new password) or "expired" (MaxPasswordAge
    # passed): the console then shows only the Change password page.
    password_change: str = ""
    device_key: str = ""
    # The principal's enabled MFA devices (serial numbers): the password was right and
    # the sign-in now waits for a code from one of them. Nothing was recorded yet.
    mfa_devices: list = field(default_factory=list)
    # When the MFA code was checked, for a sign-in completed by ``sign_in_mfa``.
    mfa_time: datetime | None = None


@lru_cache(maxsize=1)
def _dummy_hash():
    # A real Argon2 hash with the configured parameters, verified when there is no
    # principal so that path costs what a real verification costs.
    return make_password("iamlab-dummy-password")


def _verify(password, encoded):
    if encoded is None:
        check_password(password, _dummy_hash())
        return False
    return check_password(password, encoded)


def principal_key(kind, *parts):
    """An HMAC of the normalized name an attempt targets; stored instead of the name."""
    message = "\x00".join((kind,) + tuple(p.lower() for p in parts))
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()[:40]


def trusted_keys(device_cookie):
    if not device_cookie:
        return []
    try:
        keys = signing.loads(device_cookie, salt=DEVICE_SALT, max_age=365 * 24 * 3600)
    except signing.BadSignature:
        return []
    return keys if isinstance(keys, list) else []


def device_cookie_value(device_cookie, key):
    keys = [k for k in trusted_keys(device_cookie) if k != key]
    keys.append(key)
    return signing.dumps(keys[-DEVICE_MAX_KEYS:], salt=DEVICE_SALT)


def _bucket(key, device_cookie):
    trusted = key in trusted_keys(device_cookie)
    return f"{key}:{'device' if trusted else 'any'}"


def _locked(bucket):
    since = clock.now() - timedelta(seconds=settings.SIGNIN_FAILURE_WINDOW_SECONDS)
    recent = SignInFailure.objects.filter(bucket=bucket, create_date__gt=since).count()
    return recent >= settings.SIGNIN_FAILURE_LIMIT


def _fail(bucket):
    now = clock.now()
    SignInFailure.objects.filter(
        bucket=bucket, create_date__lte=now - timedelta(seconds=settings.SIGNIN_FAILURE_WINDOW_SECONDS)
    ).delete()
    SignInFailure.objects.create(bucket=bucket, create_date=now)


def _identity(principal, fallback_type, account_id="", user_name=None):
    if principal is not None:
        identity = {
            "type": principal.type,
            "principalId": principal.principal_id,
            "arn": principal.arn,
            "accountId": principal.account_id,
            "accessKeyId": "",
        }
        if principal.user_name:
            identity["userName"] = principal.user_name
        return identity
    identity = {"type": fallback_type, "accessKeyId": ""}
    if account_id:
        identity["accountId"] = account_id
    identity["userName"] = user_name or HIDDEN
    return identity


def _too_long(*values):
    return any(len(v) > MAX_FIELD_LENGTH for v in values)


def sign_in_root(email, password, *, source_ip, user_agent, device_cookie, login_to):
    """Check a root user's email address and password."""
    email = normalize_email(email)
    password = password or ""
    key = principal_key("root", email)
    bucket = _bucket(key, device_cookie)
    account = None
    if not _too_long(email, password):
        account = Account.objects.filter(root_email=email).first()
    locked = _locked(bucket)
    ok = _verify(password, account.root_password if account else None) and not locked
    principal = root_principal(account) if account else None
    devices = _serials(account, None) if ok else []
    with transaction.atomic():
        if not ok and not locked:
            _fail(bucket)
        if ok:
            SignInFailure.objects.filter(bucket=bucket).delete()
        if not devices:
            if ok:
                _password_used(principal)
            record.console_login(
                identity=_identity(principal, "Root"),
                recipient_account_id=account.account_id if account else None,
                username="root" if account else HIDDEN,
                success=ok,
                source_ip=source_ip,
                user_agent=user_agent,
                login_to=login_to,
            )
    if not ok:
        return SignInResult(error=FAILED)
    return SignInResult(principal=principal, device_key=key, mfa_devices=devices)


def find_account(reference):
    """The account an "Account ID (12 digits) or account alias" field names."""
    reference = (reference or "").strip()
    if ids.is_account_id(reference):
        return Account.objects.filter(account_id=reference).first()
    return Account.objects.filter(alias=reference.lower()).first()


def sign_in_iam_user(account_ref, user_name, password, *, source_ip, user_agent, device_cookie, login_to):
    """Check an IAM user's account, user name and console password."""
    account_ref = (account_ref or "").strip()
    user_name = (user_name or "").strip()
    password = password or ""
    account = user = profile = None
    if not _too_long(account_ref, user_name, password):
        account = find_account(account_ref)
    if account is not None and user_name:
        user = (
            User.objects.select_related("account", "login_profile")
            .filter(account=account, user_name_key=user_name.lower())
            .first()
        )
        profile = getattr(user, "login_profile", None) if user else None
    key = principal_key("iam", account.account_id if account else account_ref, user_name)
    bucket = _bucket(key, device_cookie)
    locked = _locked(bucket)
    ok = _verify(password, profile.password if profile else None) and not locked
    principal = user_principal(user) if user else None
    result = SignInResult(error=FAILED)
    error_message = "Failed authentication"
    if ok:
        policy = PasswordPolicy.objects.filter(account=account).first()
        expired = password_expired(profile, policy)
        if expired and policy.hard_expiry:
            ok = False
            result = SignInResult(error=HARD_EXPIRED)
            error_message = "Password expired"
        else:
            # A password that must be changed is changed after the MFA step, in the
            # session that step starts.
            change = "reset" if profile.password_reset_required else ("expired" if expired else "")
            result = SignInResult(
                principal=principal, password_change=change, device_key=key, mfa_devices=_serials(account, user)
            )
    with transaction.atomic():
        if not ok and not locked and error_message == "Failed authentication":
            _fail(bucket)
        if ok:
            SignInFailure.objects.filter(bucket=bucket).delete()
        if not result.mfa_devices:
            if ok:
                _password_used(principal)
            record.console_login(
                identity=_identity(
                    principal,
                    "IAMUser",
                    account_id=account.account_id if account else "",
                ),
                recipient_account_id=account.account_id if account else None,
                username=user.user_name if user else HIDDEN,
                success=ok,
                source_ip=source_ip,
                user_agent=user_agent,
                login_to=login_to,
                error_message=error_message,
            )
    return result


def _serials(account, user):
    return [device.serial_number for device in mfa.devices_of(account, user)]


def _password_used(principal):
    """PasswordLastUsed: set when a sign-in with the password completes."""
    if principal.is_root:
        Account.objects.filter(account_id=principal.account_id).update(root_password_last_used=clock.now())
    else:
        User.objects.filter(pk=principal.user_pk).update(password_last_used=clock.now())


def mfa_devices_for(pending):
    """The enabled MFA devices of the principal a pending sign-in names."""
    principal = principal_of(pending)
    if principal is None:
        return []
    account = Account.objects.get(account_id=principal.account_id)
    user = User.objects.get(pk=principal.user_pk) if principal.user_pk else None
    return list(mfa.devices_of(account, user))


def sign_in_mfa(pending, serial_number, code, *, source_ip, user_agent, login_to):
    """Check an MFA code for a sign-in whose password step passed (``pending``, from
    console.session.pending_mfa), and record the attempt's ConsoleLogin event."""
    principal = principal_of(pending)
    if principal is None:
        return SignInResult(error=FAILED)
    devices = mfa_devices_for(pending)
    # A security key's device has no code (its seed is random and never shown).
    device = next(
        (d for d in devices if d.serial_number == serial_number and not webauthn.is_security_key(d.serial_number)),
        None,
    )
    # verify_code refuses anything but six digits, a replayed code, and every code
    # while the device is throttled after repeated failures.
    ok = device is not None and mfa.verify_code(device, (code or "").strip())
    return _mfa_checked(pending, principal, ok, source_ip=source_ip, user_agent=user_agent, login_to=login_to)


def security_key_options(pending, store, *, rp_id):
    """navigator.credentials.get's options (JSON) for the pending principal's security
    keys, or "" when it has none; the challenge is kept in ``store`` (the session)."""
    keys = webauthn.keys_of(mfa_devices_for(pending))
    if not keys:
        return ""
    return webauthn.authentication_options(store, rp_id=rp_id, keys=keys)


def sign_in_security_key(pending, store, credential, *, rp_id, origin, source_ip, user_agent, login_to):
    """Check a passkey or security key's assertion (JSON from navigator.credentials.get)
    for a pending sign-in, as ``sign_in_mfa`` checks a code: the challenge issued to this
    session, this site's origin and RP ID, one of the principal's own keys, a valid
    signature and a growing counter (iam.webauthn)."""
    principal = principal_of(pending)
    if principal is None:
        return SignInResult(error=FAILED)
    keys = webauthn.keys_of(mfa_devices_for(pending))
    ok = bool(keys) and webauthn.verify_assertion(store, credential, keys=keys, rp_id=rp_id, origin=origin) is not None
    return _mfa_checked(pending, principal, ok, source_ip=source_ip, user_agent=user_agent, login_to=login_to)


def _mfa_checked(pending, principal, ok, *, source_ip, user_agent, login_to):
    """The one ConsoleLogin event of an MFA step (MFAUsed "Yes"), and its result."""
    now = clock.now()
    with transaction.atomic():
        if ok:
            _password_used(principal)
        record.console_login(
            identity=_identity(principal, principal.type),
            recipient_account_id=principal.account_id,
            username="root" if principal.is_root else principal.user_name,
            success=ok,
            source_ip=source_ip,
            user_agent=user_agent,
            login_to=login_to,
            mfa_used=True,
        )
    if not ok:
        return SignInResult(error=FAILED)
    return SignInResult(
        principal=principal,
        password_change=pending.get("password_change", ""),
        device_key=pending.get("device_key", ""),
        mfa_time=now,
    )
