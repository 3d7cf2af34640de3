"""iam.mfa: seeds, the otpauth URI and its QR codes, TOTP verification (drift, replay,
throttling) and the two-code enrolment rule. Codes come from pyotp, an independent
TOTP implementation, at the frozen clock's time."""

import base64
import os
import struct
import zlib
from datetime import timedelta

import pyotp
import pytest

from console import clock
from iam import crypto, mfa
from iam.models import MFADevice, MFAFailure

pytestmark = pytest.mark.django_db

SERIAL = "arn:aws:iam::111122223333:mfa/bob-phone"


def code_at(seed, steps=0):
    """The code pyotp computes ``steps`` 30-second steps from now."""
    return pyotp.TOTP(seed).at(clock.now() + timedelta(seconds=30 * steps))


@pytest.fixture
def seed():
    return mfa.new_seed()


@pytest.fixture
def device(bob, seed, frozen_clock):
    return MFADevice.objects.create(
        account=bob.account,
        user=bob,
        serial_number=SERIAL,
        virtual_mfa_device_name="bob-phone",
        seed_encrypted=crypto.encrypt(seed, SERIAL),
        enable_date=clock.now(),
        create_date=clock.now(),
    )


# --- seeds, URI, QR codes -------------------------------------------------------------


def test_new_seed_is_64_base32_characters_like_aws():
    seed = mfa.new_seed()
    assert len(seed) == 64
    assert len(base64.b32decode(seed)) == 40
    assert mfa.new_seed() != seed


def test_otpauth_uri_has_aws_form():
    uri = mfa.otpauth_uri("JBSWY3DPEHPK3PXP", "bob", "111122223333")
    assert uri == (
        "otpauth://totp/Amazon%20Web%20Services:bob@111122223333"
        "?secret=JBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services"
    )


def test_otpauth_uri_escapes_the_label():
    uri = mfa.otpauth_uri("JBSWY3DPEHPK3PXP", "bob+admin=1", "alice-lab")
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:bob%2Badmin%3D1@alice-lab?")


def test_otpauth_uri_is_understood_by_pyotp(seed):
    parsed = pyotp.parse_uri(mfa.otpauth_uri(seed, "bob", "111122223333"))
    assert parsed.secret == seed
    assert parsed.issuer == "Amazon Web Services"
    assert parsed.name == "bob@111122223333"


def test_qr_svg_is_an_inline_svg_element():
    svg = mfa.qr_svg(mfa.otpauth_uri("JBSWY3DPEHPK3PXP", "bob", "111122223333"))
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert svg.rstrip().endswith("</svg>")


def _png_chunks(data):
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        yield kind, data[position + 8 : position + 8 + length]
        position += 12 + length


def test_qr_png_is_a_well_formed_square_png():
    png = mfa.qr_png(mfa.otpauth_uri(mfa.new_seed(), "bob", "111122223333"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = dict(_png_chunks(png))
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert width == height and width >= 21 * 10  # a QR code of at least version 1
    zlib.decompress(chunks[b"IDAT"])  # the pixel data inflates
    assert b"IEND" in chunks


def test_qr_png_decodes_to_the_uri(tmp_path):
    # Debian's zbarimg (zbar-tools, installed by .ci/run) reads the QR code as a phone would.
    import shutil
    import subprocess

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None and os.environ.get("CI"):
        pytest.fail("zbarimg is missing: install Debian's zbar-tools")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) is not installed")
    uri = mfa.otpauth_uri(mfa.new_seed(), "bob", "111122223333")
    image = tmp_path / "qr.png"
    image.write_bytes(mfa.qr_png(uri))
    result = subprocess.run([zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == uri


# --- verify_code ------------------------------------------------------------------------


def test_current_code_is_accepted_and_recorded(device, seed):
    assert mfa.verify_code(device, code_at(seed))
    device.refresh_from_db()
    assert device.last_used_step == mfa.current_step()


@pytest.mark.parametrize("steps", [-1, 1])
def test_one_step_of_drift_either_way_is_accepted(device, seed, steps):
    assert mfa.verify_code(device, code_at(seed, steps))


@pytest.mark.parametrize("steps", [-2, 2])
def test_two_steps_off_is_refused(device, seed, steps):
    assert not mfa.verify_code(device, code_at(seed, steps))


def test_an_expired_code_is_refused(device, seed, frozen_clock):
    code = code_at(seed)
    frozen_clock.advance(seconds=90)
    assert not mfa.verify_code(device, code)


def test_a_code_from_the_far_future_is_refused(device, seed):
    assert not mfa.verify_code(device, code_at(seed, 2 * 60 * 24 * 365))


@pytest.mark.parametrize("shape", ["12345", "1234567", "12345a", "abcdef", " 12345", "", "１２３４５６"])
def test_anything_but_six_ascii_digits_is_refused(device, shape):
    assert not mfa.verify_code(device, shape)


def test_six_digits_with_a_trailing_newline_are_refused(device, seed):
    assert not mfa.verify_code(device, code_at(seed) + "\n")


def test_none_is_refused(device):
    assert not mfa.verify_code(device, None)


def test_a_code_cannot_be_used_twice(device, seed):
    code = code_at(seed)
    assert mfa.verify_code(device, code)
    assert not mfa.verify_code(device, code)


def test_an_older_code_after_a_newer_one_is_refused(device, seed):
    assert mfa.verify_code(device, code_at(seed, 1))
    assert not mfa.verify_code(device, code_at(seed))


def test_the_next_steps_code_is_accepted_after_the_last(device, seed, frozen_clock):
    assert mfa.verify_code(device, code_at(seed))
    frozen_clock.advance(seconds=30)
    assert mfa.verify_code(device, code_at(seed))


def test_five_failures_throttle_even_the_right_code(device, seed):
    for _ in range(mfa.THROTTLE_FAILURES):
        assert not mfa.verify_code(device, "000000" if code_at(seed) != "000000" else "111111")
    assert mfa.throttled(device)
    assert not mfa.verify_code(device, code_at(seed))


def test_throttle_ends_when_the_window_has_passed(device, seed, frozen_clock):
    for _ in range(mfa.THROTTLE_FAILURES):
        mfa.verify_code(device, "abcdef")
    frozen_clock.advance(minutes=15, seconds=1)
    assert not mfa.throttled(device)
    assert mfa.verify_code(device, code_at(seed))


def test_four_failures_do_not_throttle_and_success_clears_them(device, seed):
    for _ in range(mfa.THROTTLE_FAILURES - 1):
        mfa.verify_code(device, "abcdef")
    assert mfa.verify_code(device, code_at(seed))
    assert not MFAFailure.objects.filter(device=device).exists()


def test_a_replayed_code_counts_as_a_failure(device, seed):
    code = code_at(seed)
    mfa.verify_code(device, code)
    mfa.verify_code(device, code)
    assert MFAFailure.objects.filter(device=device).count() == 1


def test_throttling_is_per_device(device, seed, bob):
    other_seed = mfa.new_seed()
    serial = "arn:aws:iam::111122223333:mfa/bob-tablet"
    other = MFADevice.objects.create(
        account=bob.account, user=bob, serial_number=serial, virtual_mfa_device_name="bob-tablet",
        seed_encrypted=crypto.encrypt(other_seed, serial), enable_date=clock.now(), create_date=clock.now(),
    )
    for _ in range(mfa.THROTTLE_FAILURES):
        mfa.verify_code(device, "abcdef")
    assert mfa.verify_code(other, code_at(other_seed))


# --- resync: two consecutive codes ------------------------------------------------------


def test_consecutive_codes_resync_a_drifted_device(device, seed):
    # The device's clock runs five steps (2.5 minutes) ahead: single codes fail ...
    assert not mfa.verify_code(device, code_at(seed, 5))
    assert mfa.verify_code(device, code_at(seed, 6), consecutive_with=code_at(seed, 5))
    device.refresh_from_db()
    assert device.drift == 6
    # ... and after the resync its next code passes.
    assert mfa.verify_code(device, code_at(seed, 7))


def test_resync_refuses_codes_that_are_not_consecutive(device, seed):
    assert not mfa.verify_code(device, code_at(seed, 2), consecutive_with=code_at(seed))


def test_resync_refuses_codes_in_the_wrong_order(device, seed):
    assert not mfa.verify_code(device, code_at(seed), consecutive_with=code_at(seed, 1))


# --- enable_pair ------------------------------------------------------------------------


def test_two_consecutive_codes_enable(seed):
    assert mfa.enable_pair(seed, code_at(seed, -1), code_at(seed)) == mfa.current_step()


@pytest.mark.parametrize("second", [-1, 0, 1])
def test_enable_allows_one_step_of_drift(seed, second):
    assert mfa.enable_pair(seed, code_at(seed, second - 1), code_at(seed, second)) == mfa.current_step() + second


def test_enable_refuses_equal_codes(seed):
    assert mfa.enable_pair(seed, code_at(seed), code_at(seed)) is None


def test_enable_refuses_codes_in_the_wrong_order(seed):
    assert mfa.enable_pair(seed, code_at(seed), code_at(seed, -1)) is None


def test_enable_refuses_codes_that_are_not_consecutive(seed):
    assert mfa.enable_pair(seed, code_at(seed, -2), code_at(seed)) is None


def test_enable_refuses_old_codes(seed, frozen_clock):
    first, second = code_at(seed, -1), code_at(seed)
    frozen_clock.advance(minutes=2)
    assert mfa.enable_pair(seed, first, second) is None


@pytest.mark.parametrize("bad", ["12345", "1234567", "12a456", ""])
def test_enable_refuses_malformed_codes(seed, bad):
    assert mfa.enable_pair(seed, bad, code_at(seed)) is None
    assert mfa.enable_pair(seed, code_at(seed, -1), bad) is None


def test_enable_refuses_another_seeds_codes(seed):
    other = mfa.new_seed()
    assert mfa.enable_pair(seed, code_at(other, -1), code_at(other)) is None


# --- devices_of ---------------------------------------------------------------------------


def test_devices_of_lists_enabled_devices_in_enable_order(bob, frozen_clock):
    made = []
    for name in ("b-second", "a-first", "c-free"):
        serial = f"arn:aws:iam::111122223333:mfa/{name}"
        made.append(MFADevice.objects.create(
            account=bob.account, user=None if name == "c-free" else bob, serial_number=serial,
            virtual_mfa_device_name=name, seed_encrypted=crypto.encrypt(mfa.new_seed(), serial),
            enable_date=None if name == "c-free" else clock.now(), create_date=clock.now(),
        ))
        frozen_clock.advance(seconds=5)
    assert list(mfa.devices_of(bob.account, bob)) == made[:2]
    assert list(mfa.devices_of(bob.account, None)) == []


def test_root_devices_are_the_enabled_ones_without_a_user(alice_account, frozen_clock):
    serial = "arn:aws:iam::111122223333:mfa/root-phone"
    root_device = MFADevice.objects.create(
        account=alice_account, serial_number=serial, virtual_mfa_device_name="root-phone",
        seed_encrypted=crypto.encrypt(mfa.new_seed(), serial), enable_date=clock.now(), create_date=clock.now(),
    )
    assert list(mfa.devices_of(alice_account, None)) == [root_device]


def test_the_seed_is_encrypted_and_bound_to_the_serial_number(device, seed):
    assert seed not in device.seed_encrypted
    assert device.seed() == seed
    device.serial_number = "arn:aws:iam::111122223333:mfa/other"
    with pytest.raises(Exception):
        device.seed()


def test_enable_pair_with_a_seed_that_is_not_base32_is_none():
    assert mfa.enable_pair("not base32!", "123456", "234567") is None


def test_enable_pair_refuses_codes_at_or_before_after_step(seed):
    step = mfa.current_step()
    assert mfa.enable_pair(seed, code_at(seed, -1), code_at(seed), after_step=step - 1) is None
    assert mfa.enable_pair(seed, code_at(seed, -1), code_at(seed), after_step=step - 2) == step


def test_a_code_accepted_meanwhile_by_another_request_is_refused(device, seed):
    # Another worker accepted this step's code after ``device`` was read.
    MFADevice.objects.filter(pk=device.pk).update(last_used_step=mfa.current_step())
    assert not mfa.verify_code(device, code_at(seed))
