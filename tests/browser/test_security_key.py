"""A security key in a real browser: Chromium's DevTools virtual authenticator (CTAP2,
USB) plays the key. The root user assigns it ("Passkey or security key"), signs out, and
signs in again with "Use your passkey or security key". The live server's URL uses
``localhost``: WebAuthn refuses IP addresses as relying party IDs."""

import pytest

from tests.browser.test_signin import expect, path_is, sign_in_as_root


def virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


@pytest.mark.browser
def test_root_assigns_a_security_key_then_signs_in_with_it(page, alice_account, live_server):
    assert "://localhost:" in live_server.url
    cdp, authenticator_id = virtual_authenticator(page)
    page.goto("/iam/security-credentials")
    sign_in_as_root(page)
    expect(page).to_have_url(path_is("/iam/security-credentials"))
    page.get_by_role("link", name="Assign MFA device").click()

    # Step 1: Select MFA device
    page.get_by_label("Device name", exact=True).fill("root-key")
    page.get_by_role("radio", name="Passkey or security key").check()
    page.get_by_role("button", name="Next").click()

    # Step 2: Set up device — the browser creates the credential on the virtual key.
    expect(page.get_by_role("heading", name="Set up device")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(path_is("/iam/security-credentials"))
    expect(page.get_by_role("status")).to_have_text("MFA device assigned")
    devices = page.get_by_test_id("mfa-devices")
    expect(devices).to_contain_text("arn:aws:iam::111122223333:u2f/root/root-key-")
    expect(devices).to_contain_text("Passkey or security key")
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credential["rpId"] == "localhost"

    # Sign out; sign in again: the password, then the security key.
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is("/signin"))
    sign_in_as_root(page)
    expect(page).to_have_url(path_is("/signin/mfa"))
    page.get_by_role("button", name="Use your passkey or security key").click()
    expect(page).to_have_url(path_is("/console/home"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Root user")
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credential["signCount"] >= 2
