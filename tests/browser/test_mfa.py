"""A virtual MFA device in a real browser: the root user assigns one, reading the secret
with "Show secret key", signs out, and signs in again with a code from it.

The live server runs in this process, so the ``frozen_clock`` fixture (which replaces
``console.clock.now``) fixes its time too, and pyotp computes the codes the server
expects for consecutive 30-second steps."""

import os
from pathlib import Path

import pyotp
import pytest

from tests.browser.test_signin import FAILED, expect, path_is, sign_in_as_root

# Where to keep the Set up device screenshot for a look (default: the test's tmp_path).
SCREENSHOT_DIR = os.environ.get("IAMLAB_SCREENSHOTS", "")


def code_at(totp, clock, steps=0):
    return totp.at(int(clock.current.timestamp()) + 30 * steps)


@pytest.mark.browser
def test_root_assigns_a_virtual_mfa_device_then_signs_in_with_it(page, alice_account, frozen_clock, tmp_path):
    page.goto("/iam/security-credentials")
    sign_in_as_root(page)
    expect(page).to_have_url(path_is("/iam/security-credentials"))
    expect(page.get_by_role("heading", name="Multi-factor authentication (MFA) (0)")).to_be_visible()
    page.get_by_role("link", name="Assign MFA device").click()

    # Step 1: Select MFA device
    expect(page.get_by_role("heading", name="Select MFA device")).to_be_visible()
    page.get_by_label("Device name", exact=True).fill("root-phone")
    expect(page.get_by_role("radio", name="Authenticator app")).to_be_checked()
    expect(page.get_by_role("radio", name="Passkey or security key")).to_be_enabled()
    expect(page.get_by_role("radio", name="Hardware TOTP token")).to_be_disabled()
    page.get_by_role("button", name="Next").click()

    # Step 2: Set up device — the QR code and the secret key stay hidden until asked for.
    expect(page.get_by_role("heading", name="Set up device")).to_be_visible()
    qr_code, secret_key = page.get_by_test_id("qr-code"), page.get_by_test_id("secret-key")
    expect(qr_code).to_be_hidden()
    expect(secret_key).to_be_hidden()
    page.get_by_role("button", name="Show QR code").click()
    expect(qr_code.locator("svg")).to_be_visible()
    expect(page.get_by_role("button", name="Hide QR code")).to_be_visible()
    page.get_by_role("button", name="Show secret key").click()
    expect(secret_key).to_be_visible()
    secret = secret_key.inner_text().strip()
    assert len(secret) == 64
    screenshot = Path(SCREENSHOT_DIR or tmp_path) / "set-up-device.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0

    totp = pyotp.TOTP(secret)
    page.get_by_label("MFA code 1", exact=True).fill(code_at(totp, frozen_clock, -1))
    page.get_by_label("MFA code 2", exact=True).fill(code_at(totp, frozen_clock))
    page.get_by_role("button", name="Add MFA").click()

    expect(page).to_have_url(path_is("/iam/security-credentials"))
    expect(page.get_by_role("status")).to_have_text("MFA device assigned")
    expect(page.get_by_test_id("mfa-devices")).to_contain_text("arn:aws:iam::111122223333:mfa/root-phone")

    # Sign out; sign in again: the password is followed by the MFA step.
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is("/signin"))
    frozen_clock.advance(seconds=30)
    page.goto("/signin")
    sign_in_as_root(page)
    expect(page).to_have_url(path_is("/signin/mfa"))
    expect(page.get_by_role("heading", name="Multi-factor authentication")).to_be_visible()

    # A wrong code: the error, still on the MFA page; then the right one.
    wrong = "000000" if code_at(totp, frozen_clock) != "000000" else "111111"
    page.get_by_label("MFA code", exact=True).fill(wrong)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_have_text(FAILED)
    expect(page.get_by_role("heading", name="Multi-factor authentication")).to_be_visible()

    page.get_by_label("MFA code", exact=True).fill(code_at(totp, frozen_clock))
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(path_is("/console/home"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Root user")


@pytest.mark.browser
def test_the_qr_code_on_screen_enrols_the_device(page, alice_account, frozen_clock, tmp_path):
    """Scan the QR code as a phone would: screenshot it, decode it with zbarimg, and use
    the secret from the otpauth URI to compute the two codes."""
    import shutil
    import subprocess
    from urllib.parse import parse_qs, urlsplit

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None and os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("zbarimg is missing: install Debian's zbar-tools")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) is not installed")
    page.goto("/iam/security-credentials")
    sign_in_as_root(page)
    page.get_by_role("link", name="Assign MFA device").click()
    page.get_by_label("Device name", exact=True).fill("scanned-phone")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Show QR code").click()
    qr = page.get_by_test_id("qr-code").locator("svg")
    expect(qr).to_be_visible()
    image = tmp_path / "qr.png"
    qr.screenshot(path=str(image))
    scanned = subprocess.run([zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, timeout=30)
    uri = scanned.stdout.strip()
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:")
    assert parse_qs(urlsplit(uri).query)["issuer"] == ["Amazon Web Services"]
    totp = pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])
    page.get_by_label("MFA code 1", exact=True).fill(code_at(totp, frozen_clock, -1))
    page.get_by_label("MFA code 2", exact=True).fill(code_at(totp, frozen_clock))
    page.get_by_role("button", name="Add MFA").click()
    expect(page.get_by_test_id("mfa-devices")).to_contain_text("arn:aws:iam::111122223333:mfa/scanned-phone")
