"""Passkeys and security keys in the console: "Passkey or security key" on Assign MFA
device (Set up device runs navigator.credentials.create), Remove, and the MFA sign-in
step's "Use your passkey or security key". The browser's part is played by the software
authenticator of tests.iam.test_webauthn; the test client's origin is http://testserver."""

import json
import re

import pytest
from django.test import Client

from console import session
from iam.models import MFADevice, SecurityKey
from tests.console.helpers import FAILED, iam_sign_in, root_sign_in
from tests.console.test_mfa_signin import code_now, enable_device, login_events, signed_in, submit_code
from tests.iam.test_webauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"
BOB_TAB = "/iam/users/details/bob?tab=security_credentials"
BOB_MFA = "/iam/users/details/bob/mfa"
OWN_MFA = "/iam/security-credentials/mfa"


def options_in(response):
    """The WebAuthn options a page carries in its JSON data block."""
    page = response.content.decode()
    return json.loads(re.search(r'<script id="webauthn-options" type="application/json">(.*?)</script>', page).group(1))


def select_security_key(client, base, name="bob-key"):
    return client.post(f"{base}/assign", {"step": "select", "device_name": name, "device_type": "passkey"})


def post_attestation(client, base, credential, name="bob-key"):
    return client.post(f"{base}/assign", {"step": "security-key", "device_name": name, "credential": credential})


def assign_key(client, base, authenticator=None, name="bob-key"):
    authenticator = authenticator or SoftAuthenticator(rp_id="testserver", origin=ORIGIN)
    options = options_in(select_security_key(client, base, name))
    response = post_attestation(client, base, authenticator.create(options), name)
    assert response.status_code == 302, response.content.decode()[:2000]
    return authenticator


# --- Assign MFA device --------------------------------------------------------------


def test_select_mfa_device_offers_passkey_or_security_key(root_client, bob):
    page = root_client.get(f"{BOB_MFA}/assign").content.decode()
    assert "Passkey or security key" in page
    assert not re.search(r'value="passkey"\s+disabled', page)


def test_choosing_a_security_key_shows_set_up_device_with_options_for_this_site(root_client, bob):
    response = select_security_key(root_client, BOB_MFA)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Set up device" in page and "Passkey or security key" in page
    assert "console/webauthn.js" in page
    options = options_in(response)
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["name"] == "bob@alice-lab"
    # The challenge stays in the server's session; the page has only its copy.
    assert root_client.session["iamlab.webauthn"]["register"]["challenge"] == options["challenge"]
    assert not MFADevice.objects.exists()


def test_a_bad_device_name_is_refused_before_the_browser_is_asked(root_client, bob):
    response = select_security_key(root_client, BOB_MFA, name="bob key")
    assert response.status_code == 400
    assert "Member must satisfy regular expression pattern" in response.content.decode()


def test_a_verified_key_is_assigned_with_aws_flash(root_client, bob):
    options = options_in(select_security_key(root_client, BOB_MFA))
    authenticator = SoftAuthenticator(rp_id="testserver", origin=ORIGIN)
    response = post_attestation(root_client, BOB_MFA, authenticator.create(options))
    assert response.status_code == 302 and response.url == BOB_TAB
    page = root_client.get(BOB_TAB).content.decode()
    assert "MFA device assigned" in page
    assert "Multi-factor authentication (MFA) (1)" in page
    device = MFADevice.objects.get()
    assert device.user.user_name == "bob" and device.enabled
    assert device.serial_number.startswith("arn:aws:iam::111122223333:u2f/user/bob/bob-key-")
    assert "Passkey or security key" in page and device.serial_number in page
    assert SecurityKey.objects.get().device == device


def test_an_attestation_from_another_origin_assigns_nothing(root_client, bob):
    options = options_in(select_security_key(root_client, BOB_MFA))
    authenticator = SoftAuthenticator(rp_id="testserver", origin="https://evil.example")
    response = post_attestation(root_client, BOB_MFA, authenticator.create(options))
    assert response.status_code == 400
    assert "could not be registered" in response.content.decode()
    assert not MFADevice.objects.exists()


def test_an_attestation_without_a_challenge_in_the_session_assigns_nothing(root_client, bob):
    options = options_in(select_security_key(root_client, BOB_MFA))
    credential = SoftAuthenticator(rp_id="testserver", origin=ORIGIN).create(options)
    assert post_attestation(root_client, BOB_MFA, credential).status_code == 302
    # The same attestation again: its challenge was used.
    other = Client()
    root_sign_in(other)
    assert post_attestation(other, BOB_MFA, credential, name="again").status_code == 400
    assert MFADevice.objects.count() == 1


def test_an_iam_user_assigns_their_own_key_with_permission(bob_client, bob, alice):
    from awsapi.dispatch import dispatch

    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/IAMFullAccess"})
    assign_key(bob_client, OWN_MFA, name="mine")
    assert MFADevice.objects.get().user == bob


def test_an_iam_user_without_permission_gets_aws_error_and_nothing(bob_client, bob):
    options = options_in(select_security_key(bob_client, OWN_MFA, name="mine"))
    credential = SoftAuthenticator(rp_id="testserver", origin=ORIGIN).create(options)
    response = post_attestation(bob_client, OWN_MFA, credential, name="mine")
    assert response.status_code == 400
    assert "is not authorized to perform: iam:EnableMFADevice" in response.content.decode()
    assert not MFADevice.objects.exists()


def test_remove_deletes_a_security_key(root_client, bob):
    assign_key(root_client, BOB_MFA)
    serial = MFADevice.objects.get().serial_number
    response = root_client.post(f"{BOB_MFA}/remove", {"serial_number": serial})
    assert response.status_code == 302
    assert not MFADevice.objects.exists() and not SecurityKey.objects.exists()


# --- Signing in ---------------------------------------------------------------------


@pytest.fixture
def root_key(alice_account):
    client = Client()
    root_sign_in(client)
    return assign_key(client, "/iam/security-credentials/mfa", name="root-key")


def assertion_for(client, authenticator, **kwargs):
    return authenticator.get(options_in(client.get("/signin/mfa")), **kwargs)


def test_the_mfa_step_offers_the_security_key(client, root_key):
    assert root_sign_in(client).url == "/signin/mfa"
    response = client.get("/signin/mfa")
    page = response.content.decode()
    assert "Use your passkey or security key" in page
    assert 'name="code"' not in page  # no authenticator app to type a code from
    options = options_in(response)
    assert options["rpId"] == "testserver"
    assert [c["id"] for c in options["allowCredentials"]] == [SecurityKey.objects.get().credential_id]


def test_a_valid_assertion_signs_in_with_mfa(client, root_key):
    root_sign_in(client)
    response = client.post("/signin/mfa", {"credential": assertion_for(client, root_key)})
    assert response.status_code == 302 and response.url == "/console/home"
    assert client.session[session.KEY]["mfa"] is True
    assert signed_in(client)
    _, event = login_events()  # the first: the fixture's sign-in before the key existed
    record = event.as_record()
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    assert record["additionalEventData"]["MFAUsed"] == "Yes"


def test_a_bad_assertion_gives_the_generic_error_and_no_session(client, root_key):
    root_sign_in(client)
    credential = assertion_for(client, root_key, origin="https://evil.example")
    response = client.post("/signin/mfa", {"credential": credential})
    assert response.status_code == 401
    assert FAILED in response.content.decode()
    assert session.KEY not in client.session and not signed_in(client)
    _, event = login_events()
    assert event.as_record()["responseElements"] == {"ConsoleLogin": "Failure"}
    assert event.as_record()["additionalEventData"]["MFAUsed"] == "Yes"


def test_a_replayed_assertion_is_refused(client, root_key):
    root_sign_in(client)
    credential = assertion_for(client, root_key)
    assert client.post("/signin/mfa", {"credential": credential}).status_code == 302
    other = Client()
    root_sign_in(other)
    other.get("/signin/mfa")  # a challenge of its own
    response = other.post("/signin/mfa", {"credential": credential})
    assert response.status_code == 401 and not signed_in(other)


def test_an_assertion_needs_the_page_challenge_of_this_session(client, root_key):
    root_sign_in(client)
    options = options_in(client.get("/signin/mfa"))
    other = Client()
    root_sign_in(other)
    response = other.post("/signin/mfa", {"credential": root_key.get(options)})
    assert response.status_code == 401 and not signed_in(other)


def test_another_users_key_does_not_sign_in(client, root_key, alice, bob):
    bob_key = SoftAuthenticator(rp_id="testserver", origin=ORIGIN)
    admin = Client()
    root_sign_in(admin)
    admin.post("/signin/mfa", {"credential": assertion_for(admin, root_key)})
    assign_key(admin, BOB_MFA, bob_key)
    # bob's key answering the root user's sign-in
    root_sign_in(client)
    options = options_in(client.get("/signin/mfa"))
    response = client.post("/signin/mfa", {"credential": bob_key.get(options)})
    assert response.status_code == 401 and not signed_in(client)


def test_a_user_with_an_app_and_a_key_may_use_either(client, alice, bob, frozen_clock):
    _, totp = enable_device(alice, "bob-phone", "bob")
    admin = Client()
    root_sign_in(admin)
    bob_key = assign_key(admin, BOB_MFA)
    frozen_clock.advance(seconds=30)
    iam_sign_in(client)
    page = client.get("/signin/mfa").content.decode()
    assert "Use your passkey or security key" in page and 'name="code"' in page
    # A code typed for the key's serial is never a valid code.
    key_serial = SecurityKey.objects.get().device.serial_number
    assert submit_code(client, code_now(totp), device=key_serial).status_code in (400, 401)
    assert not signed_in(client)
    iam_sign_in(client)
    response = client.post("/signin/mfa", {"credential": assertion_for(client, bob_key)})
    assert response.url == "/console/home" and client.session[session.KEY]["mfa"] is True
