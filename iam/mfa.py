"""Virtual MFA devices: seeds, the otpauth URI and its QR code, and TOTP verification
shared by the API (iam.operations.mfa, sts.operations) and the console (enrolment,
the MFA sign-in step).

TOTP as AWS's virtual devices use it (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits.
Codes are checked with django-otp's primitives (``django_otp.oath``); its device models
are not used — devices are ``iam.models.MFADevice`` rows with encrypted seeds.

- A code is accepted for the current step or one step either side (clock drift), plus
  the device's measured ``drift`` (ResyncMFADevice).
- A code whose step is at or before the device's last accepted step is refused
  (replay); an accepted code moves ``last_used_step`` forward.
- After ``THROTTLE_FAILURES`` failed codes within ``THROTTLE_WINDOW`` every further code
  is refused, right or wrong, until the window has passed (``MFAFailure`` rows).

Time comes from ``console.clock.now()`` so tests move it for everything at once.
"""

import base64
import binascii
import io
import re
import secrets
from datetime import timedelta
from urllib.parse import quote

from django_otp.oath import TOTP

from console import clock, durable

STEP = 30
DIGITS = 6
TOLERANCE = 1  # steps either side of now
# ResyncMFADevice looks further: the point is to find a device whose clock has drifted.
RESYNC_TOLERANCE = 10
SEED_BYTES = 40  # AWS's Base32StringSeed is 64 base32 characters (40 bytes)
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
ISSUER = "Amazon Web Services"

_CODE = re.compile(r"[0-9]{6}", re.ASCII)


def new_seed():
    """A new random seed as AWS gives it: 64 base32 characters, no padding."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def otpauth_uri(seed, user_name, account_id):
    """The key URI an authenticator app scans, in the form AWS's QR codes use:
    ``otpauth://totp/Amazon%20Web%20Services:<name>@<account>?secret=<seed>&issuer=Amazon%20Web%20Services``.

    ``user_name`` is the label's name part (the console passes the user's name, "root"
    style names for the root user; CreateVirtualMFADevice the device's name) and
    ``account_id`` the account part (its ID or alias)."""
    issuer = quote(ISSUER, safe="")
    label = quote(f"{user_name}@{account_id}", safe="@")
    return f"otpauth://totp/{issuer}:{label}?secret={seed}&issuer={issuer}"


def _qr(uri, factory):
    import qrcode

    return qrcode.make(uri, image_factory=factory, error_correction=qrcode.constants.ERROR_CORRECT_M)


def qr_svg(uri):
    """The QR code of ``uri`` as an inline ``<svg>`` element (no XML declaration)."""
    from qrcode.image.svg import SvgPathImage

    return _qr(uri, SvgPathImage).to_string(encoding="unicode")


def qr_png(uri):
    """The QR code of ``uri`` as PNG bytes (CreateVirtualMFADevice's QRCodePNG)."""
    from qrcode.image.pure import PyPNGImage

    out = io.BytesIO()
    _qr(uri, PyPNGImage).save(out)
    return out.getvalue()


# --- verification -------------------------------------------------------------------


def current_step():
    return int(clock.now().timestamp()) // STEP


def _key(seed):
    try:
        return base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    except (binascii.Error, ValueError):
        return None


def _code(text):
    """The code as an int, or None unless it is exactly six ASCII digits."""
    if not isinstance(text, str) or not _CODE.fullmatch(text):
        return None
    return int(text)


def _token_at(key, step):
    totp = TOTP(key, step=STEP, digits=DIGITS)
    totp.time = step * STEP
    return totp.token()


def _matching_step(key, code, centre, tolerance, min_step):
    """The step in [centre - tolerance, centre + tolerance] (not below ``min_step``)
    whose code is ``code``; the one nearest the centre if several."""
    for offset in sorted(range(-tolerance, tolerance + 1), key=abs):
        step = centre + offset
        if step >= min_step and _token_at(key, step) == code:
            return step
    return None


def _pair_step(key, first, second, centre, tolerance, min_step):
    """The step of ``second`` when ``first`` and ``second`` are the codes of two
    consecutive steps (first, then second) within the window; else None."""
    if first is None or second is None or first == second:
        return None
    for offset in sorted(range(-tolerance, tolerance + 1), key=abs):
        step = centre + offset
        if step - 1 >= min_step and _token_at(key, step) == second and _token_at(key, step - 1) == first:
            return step
    return None


def enable_pair(seed, code1, code2, *, after_step=0):
    """EnableMFADevice's rule: ``code1`` and ``code2`` must be the codes of two
    consecutive steps, ``code2`` within one step of now (and both later than
    ``after_step``, a device's ``last_used_step`` when it is enabled again). Returns
    code2's step (store it as the device's ``last_used_step``), or None. Equal codes
    never pass."""
    key = _key(seed)
    if key is None:
        return None
    return _pair_step(key, _code(code1), _code(code2), current_step(), TOLERANCE, min_step=after_step + 1)


def throttled(device):
    """Whether the device has had too many failed codes recently."""
    from iam.models import MFAFailure

    since = clock.now() - THROTTLE_WINDOW
    return MFAFailure.objects.filter(device=device, create_date__gt=since).count() >= THROTTLE_FAILURES


def _fail(device):
    from iam.models import MFAFailure

    now = clock.now()
    def record():
        MFAFailure.objects.filter(device=device, create_date__lte=now - THROTTLE_WINDOW).delete()
        MFAFailure.objects.create(device=device, create_date=now)

    # Kept even when the call that checked the code is rolled back (console/durable.py).
    durable.write(record)


def verify_code(device, code, *, consecutive_with=None):
    """Check ``code`` (six digits, as typed) against ``device``; True if accepted.

    Accepted codes are for a step within one of now (after the device's drift) and
    later than the last accepted one, which then becomes ``code``'s step. With
    ``consecutive_with`` (the code shown just before ``code``), both must be the codes
    of two consecutive steps, searched in a wider window, and the device's drift is
    re-measured from them (ResyncMFADevice). A failure is counted towards the
    throttle; while throttled every code is refused."""
    if throttled(device):
        return False
    key = _key(device.seed())
    centre = current_step() + device.drift
    if consecutive_with is None:
        step = _matching_step(key, _code(code), centre, TOLERANCE, device.last_used_step + 1)
    else:
        centre = current_step()
        first, second = _code(consecutive_with), _code(code)
        step = _pair_step(key, first, second, centre, RESYNC_TOLERANCE, device.last_used_step + 1)
    if step is None:
        _fail(device)
        return False
    from iam.models import MFADevice

    changes = {"last_used_step": step}
    if consecutive_with is not None:
        changes["drift"] = step - centre
    # A conditional UPDATE, so two requests racing with the same code cannot both pass.
    if not MFADevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(**changes):
        _fail(device)
        return False
    for field, value in changes.items():
        setattr(device, field, value)
    device.failures.all().delete()
    return True


def devices_of(account, user):
    """The enabled MFA devices of ``user`` (None: the account's root user), in the
    order they were enabled."""
    from iam.models import MFADevice

    return (
        MFADevice.objects.select_related("account", "user")
        .filter(account=account, user=user, enable_date__isnull=False)
        .order_by("enable_date", "pk")
    )
