"""Passkeys and security keys (FIDO2/WebAuthn) as MFA devices, with py_webauthn.

AWS registers them only in the console (its API cannot), so there is no API door here:
the console's "Assign MFA device" and sign-in step call these functions.

- Challenges are random, kept server-side (in a dict-like store: the session) for
  ``CHALLENGE_SECONDS`` under a purpose ("register", "sign-in"), and used once: taking
  one removes it, whether the response then verifies or not.
- The relying party ID is the hostname the browser used and the origin must be that
  page's origin (scheme, host and port): a response made for another site never passes.
- Registration stores the credential ID, COSE public key, counter and transports
  (iam.models.SecurityKey) on an MFA device with a ``u2f`` serial number.
- An assertion must be for one of the principal's own credentials, sign the challenge
  with its key, and bring a sign counter larger than the stored one (checked by
  py_webauthn and again in a conditional UPDATE, so two racing requests with the same
  assertion cannot both pass).
"""

import json
import secrets
from datetime import datetime, timedelta

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from awsapi.errors import AWSError, EntityAlreadyExists, LimitExceeded
from awsapi.operation import operation
from console import clock
from iam.operations.common import account_of, user_resource

CHALLENGE_SECONDS = 5 * 60
STORE_KEY = "iamlab.webauthn"
RP_NAME = "Amazon Web Services"
TIMEOUT_MS = 60000


def relying_party(scheme, host):
    """The RP ID and origin for a page the browser loaded as ``scheme://host``: the RP
    ID is the hostname (no port), the origin carries the port. ``host`` must already be
    checked (Django's ``get_host`` checks it against ALLOWED_HOSTS)."""
    hostname = host if host.endswith("]") else host.rsplit(":", 1)[0]
    return hostname.strip("[]"), f"{scheme}://{host}"


# --- challenges ---------------------------------------------------------------------


def _new_challenge(store, purpose):
    challenge = secrets.token_bytes(32)
    pending = dict(store.get(STORE_KEY) or {})
    pending[purpose] = {
        "challenge": bytes_to_base64url(challenge),
        "expires": (clock.now() + timedelta(seconds=CHALLENGE_SECONDS)).isoformat(),
    }
    store[STORE_KEY] = pending
    return challenge


def take_challenge(store, purpose):
    """The challenge issued for ``purpose``, removed from ``store``; None if there is
    none or it is older than five minutes."""
    pending = dict(store.get(STORE_KEY) or {})
    entry = pending.pop(purpose, None)
    store[STORE_KEY] = pending
    if not entry or clock.now() >= datetime.fromisoformat(entry["expires"]):
        return None
    return base64url_to_bytes(entry["challenge"])


# --- registration -------------------------------------------------------------------


def _descriptors(keys):
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id)) for key in keys]


def registration_options(store, *, rp_id, user_handle, user_name):
    """navigator.credentials.create's options as JSON; the challenge goes in ``store``."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=user_handle.encode("utf-8"),
        user_name=user_name,
        challenge=_new_challenge(store, "register"),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options)


def verify_registration(store, credential_json, *, rp_id, origin):
    """The verified registration (py_webauthn's VerifiedRegistration) and the
    transports the browser reported, or None: a wrong, expired or reused challenge, a
    foreign origin or RP ID, or a malformed response."""
    challenge = take_challenge(store, "register")
    if challenge is None or not isinstance(credential_json, str):
        return None
    try:
        verified = verify_registration_response(
            credential=credential_json, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
        transports = json.loads(credential_json).get("response", {}).get("transports") or []
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError):
        return None
    transports = [t for t in transports if isinstance(t, str)][:8]
    return verified, transports


def serial_number_for(account_id, owner, name):
    """A security key's serial number, as ListMFADevices shows them:
    ``arn:aws:iam::<account>:u2f/user/<user>/<name>-<random>`` (``root`` for the root
    user); the random suffix keeps two keys with one name apart."""
    who = f"user/{owner.user_name}" if owner else "root"
    return f"arn:aws:iam::{account_id}:u2f/{who}/{name}-{secrets.token_hex(13).upper()}"


def is_security_key(serial_number):
    return ":u2f/" in (serial_number or "")


@operation("iam:EnableMFADevice", resource=user_resource)
def enable_security_key(ctx, *, user_name=None, name, verified, transports):
    """EnableMFADevice for a passkey or security key (the console's only way to add one)."""
    from iam import crypto, mfa
    from iam.models import MFADevice, SecurityKey
    from iam.operations.mfa import MFA_DEVICES_PER_USER, _owner

    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    if mfa.devices_of(account, owner).count() >= MFA_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}")
    credential_id = bytes_to_base64url(verified.credential_id)
    if SecurityKey.objects.filter(device__account=account, credential_id=credential_id).exists():
        raise EntityAlreadyExists("MFA Device is already in use.")
    serial = serial_number_for(account.account_id, owner, name)
    now = clock.now()
    device = MFADevice.objects.create(
        account=account,
        user=owner,
        serial_number=serial,
        virtual_mfa_device_name=name,
        # Never shown and never used: no TOTP code can match a seed nobody has.
        seed_encrypted=crypto.encrypt(mfa.new_seed(), serial),
        enable_date=now,
        create_date=now,
    )
    SecurityKey.objects.create(
        device=device,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
    )
    return serial


def enable(ctx, *, user_name, name, verified, transports):
    """Run ``enable_security_key`` as the dispatcher runs an action (authorize, one
    transaction, one EnableMFADevice trail event); its serial number, or AWSError.

    Not in awsapi.registry: the credential is a verified object, not a wire parameter,
    and AWS's API cannot register FIDO keys."""
    from django.db import transaction

    from awsapi.errors import AccessDenied
    from console import durable
    from iam.authorization import authorize
    from trail import record

    spec = enable_security_key.spec
    params = {"UserName": user_name} if user_name else {}
    try:
        with durable.deferred(), transaction.atomic():
            decision = authorize(ctx, spec.action, spec.resource(ctx, params), None, None)
            if not decision.allowed:
                raise AccessDenied(decision.message)
            serial = enable_security_key(
                ctx, user_name=user_name, name=name, verified=verified, transports=transports
            )
            record.api_call(ctx, spec, {**params, "SerialNumber": serial}, None)
        return serial
    except AWSError as error:
        record.api_call(ctx, spec, params, None, error=error)
        raise


# --- sign-in ------------------------------------------------------------------------


def keys_of(devices):
    """The security keys among ``devices`` (MFADevice rows)."""
    from iam.models import SecurityKey

    return list(SecurityKey.objects.select_related("device").filter(device__in=[d.pk for d in devices]))


def authentication_options(store, *, rp_id, keys):
    """navigator.credentials.get's options for ``keys`` as JSON; the challenge goes in
    ``store``."""
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge(store, "sign-in"),
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(keys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def verify_assertion(store, credential_json, *, keys, rp_id, origin):
    """The MFA device whose key signed ``credential_json`` (an assertion for the
    challenge in ``store``), or None. Only ``keys`` (the principal's own) are tried; the
    counter must grow, and is stored."""
    from iam.models import SecurityKey

    challenge = take_challenge(store, "sign-in")
    if challenge is None or not isinstance(credential_json, str):
        return None
    try:
        credential_id = json.loads(credential_json)["id"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(credential_id, str):
        return None
    key = next((k for k in keys if k.credential_id == credential_id), None)
    if key is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError):
        return None
    # py_webauthn refused a counter that did not grow (a replayed or cloned response);
    # the UPDATE is conditional so two requests racing with one assertion cannot both pass.
    if not SecurityKey.objects.filter(pk=key.pk, sign_count=key.sign_count).update(sign_count=verified.new_sign_count):
        return None
    key.sign_count = verified.new_sign_count
    return key.device
