"""MFA devices in the console: Assign MFA device (Select MFA device, Set up device),
Remove and Resync, on a user's Security credentials tab and on My security credentials."""

import html
import json
import re

import pyotp
import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from console import clock
from iam.models import MFADevice
from iam.views_mfa import NOT_AVAILABLE
from tests.conftest import make_user
from tests.console.helpers import iam_sign_in, root_sign_in
from tests.console.test_mfa_signin import code_now, enable_device, submit_code
from trail.models import Event

pytestmark = pytest.mark.django_db
BOB_TAB = "/iam/users/details/bob?tab=security_credentials"
BOB_MFA = "/iam/users/details/bob/mfa"
OWN_MFA = "/iam/security-credentials/mfa"
INVALID_CODE = "Authentication code for device is not valid."


def select_device(client, base, name="bob-phone", device_type="authenticator"):
    return client.post(f"{base}/assign", {"step": "select", "device_name": name, "device_type": device_type})


def set_up_page(response):
    """The serial number (hidden field) and the secret key of a Set up device page."""
    page = response.content.decode()
    serial = re.search(r'name="serial_number" value="([^"]+)"', page).group(1)
    secret = re.search(r'data-testid="secret-key" data-reveal="secret" hidden>([A-Z2-7]+)<', page).group(1)
    return html.unescape(serial), secret


def codes(totp, steps=(-1, 0)):
    now = int(clock.now().timestamp())
    return [totp.at(now + 30 * step) for step in steps]


def add_mfa(client, base, serial, code1, code2):
    return client.post(f"{base}/assign", {"step": "set-up", "serial_number": serial, "code1": code1, "code2": code2})


def assign(client, base, name="bob-phone"):
    serial, secret = set_up_page(select_device(client, base, name))
    totp = pyotp.TOTP(secret)
    response = add_mfa(client, base, serial, *codes(totp))
    assert response.status_code == 302, response.content.decode()
    return serial, totp


# --- Select MFA device --------------------------------------------------------------


def test_security_credentials_tab_has_the_mfa_section(root_client, bob):
    page = root_client.get(BOB_TAB).content.decode()
    assert "Multi-factor authentication (MFA) (0)" in page
    assert f'href="{BOB_MFA}/assign"' in page and "Assign MFA device" in page


def test_select_mfa_device_offers_the_app_and_the_security_key_and_shows_the_token_unavailable(root_client, bob):
    page = root_client.get(f"{BOB_MFA}/assign").content.decode()
    assert "Select MFA device" in page and "Device name" in page
    assert re.search(r'value="authenticator"\s+checked', page)
    assert "Passkey or security key" in page and not re.search(r'value="passkey"\s+disabled', page)
    assert "Hardware TOTP token" in page and re.search(r'value="hardware"\s+disabled', page)
    assert "Not available in iamlab yet." in page


@pytest.mark.parametrize("device_type", ["hardware", "sms"])
def test_an_unavailable_device_type_is_refused(root_client, bob, device_type):
    response = select_device(root_client, BOB_MFA, device_type=device_type)
    assert response.status_code == 400
    assert not MFADevice.objects.exists()
    if device_type != "sms":
        assert NOT_AVAILABLE in response.content.decode()


@pytest.mark.parametrize(
    "name,message",
    [
        ("", "This field is required."),
        ("bob phone", "Member must satisfy regular expression pattern"),
    ],
)
def test_bad_device_names_get_an_error(root_client, bob, name, message):
    response = select_device(root_client, BOB_MFA, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MFADevice.objects.exists()


def test_a_device_name_in_use_gets_aws_error(root_client, bob):
    select_device(root_client, BOB_MFA, name="phone")
    response = select_device(root_client, BOB_MFA, name="phone")
    assert response.status_code == 400
    assert "MFADevice entity at the same path and name already exists." in response.content.decode()


# --- Set up device ------------------------------------------------------------------


def test_set_up_device_shows_qr_code_and_secret_key_hidden_until_asked(root_client, bob):
    response = select_device(root_client, BOB_MFA)
    page = response.content.decode()
    assert "Set up device" in page and "MFA code 1" in page and "MFA code 2" in page and "Add MFA" in page
    assert "Show QR code" in page and "Show secret key" in page
    assert re.search(r'data-testid="qr-code" data-reveal="qr" hidden><svg ', page)
    serial, secret = set_up_page(response)
    assert serial == "arn:aws:iam::111122223333:mfa/bob-phone"
    device = MFADevice.objects.get()
    assert device.seed() == secret and device.enable_date is None
    assert "<script>" not in page.split("</main>")[0]  # the reveal script is a static file (CSP)


def test_the_seed_is_not_kept_in_the_session(root_client, bob):
    _, secret = set_up_page(select_device(root_client, BOB_MFA))
    stored = json.dumps(dict(root_client.session.items()), default=str)
    assert secret not in stored


def test_assign_with_two_consecutive_codes(root_client, bob, frozen_clock):
    serial, secret = set_up_page(select_device(root_client, BOB_MFA))
    response = add_mfa(root_client, BOB_MFA, serial, *codes(pyotp.TOTP(secret)))
    assert response.status_code == 302 and response.url == BOB_TAB
    page = root_client.get(BOB_TAB).content.decode()
    assert "MFA device assigned" in page
    assert "Multi-factor authentication (MFA) (1)" in page
    assert serial in page
    assert secret not in page
    device = MFADevice.objects.get()
    assert device.user == bob and device.enable_date == frozen_clock.current
    event = Event.objects.get(event_name="EnableMFADevice")
    assert event.error_code == "" and event.request_parameters["userName"] == "bob"


@pytest.mark.parametrize(
    "make_codes,message",
    [
        (lambda totp: ["abcdef", "ghijkl"], "Member must satisfy regular expression pattern"),
        (lambda totp: [c[:5] for c in codes(totp)], "Member must have length greater than or equal to 6"),
        (lambda totp: [c + "1" for c in codes(totp)], "Member must have length less than or equal to 6"),
        (lambda totp: codes(totp, (0, 0)), INVALID_CODE),  # equal
        (lambda totp: codes(totp, (-2, 0)), INVALID_CODE),  # not consecutive
        (lambda totp: codes(totp, (0, -1)), INVALID_CODE),  # the wrong way round
        (lambda totp: codes(totp, (-20, -19)), INVALID_CODE),  # expired
        (lambda totp: codes(totp, (100, 101)), INVALID_CODE),  # from the far future
    ],
    ids=["letters", "5-digits", "7-digits", "equal", "non-consecutive", "reversed", "expired", "future"],
)
def test_bad_codes_show_aws_error_and_assign_nothing(root_client, bob, frozen_clock, make_codes, message):
    serial, secret = set_up_page(select_device(root_client, BOB_MFA))
    response = add_mfa(root_client, BOB_MFA, serial, *make_codes(pyotp.TOTP(secret)))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Set up device" in page and f'value="{serial}"' in page
    assert secret not in page  # shown once only
    assert MFADevice.objects.get().enable_date is None
    # The device stays, unassigned, and can still be set up with good codes.
    assert add_mfa(root_client, BOB_MFA, serial, *codes(pyotp.TOTP(secret))).status_code == 302


def test_cancel_deletes_the_unassigned_device(root_client, bob):
    serial, _ = set_up_page(select_device(root_client, BOB_MFA))
    response = root_client.post(f"{BOB_MFA}/assign", {"step": "cancel", "serial_number": serial})
    assert response.url == BOB_TAB
    assert not MFADevice.objects.exists()


def test_root_assigns_its_own_device_on_my_security_credentials(root_client, frozen_clock):
    assert "Multi-factor authentication (MFA) (0)" in root_client.get("/iam/security-credentials").content.decode()
    serial, _ = assign(root_client, OWN_MFA, name="root-phone")
    page = root_client.get("/iam/security-credentials").content.decode()
    assert "MFA device assigned" in page and serial in page
    device = MFADevice.objects.get()
    assert device.user is None and device.enabled


# --- Remove and Resync --------------------------------------------------------------


def test_remove_asks_for_confirmation_then_deactivates_and_deletes(root_client, bob, frozen_clock):
    serial, _ = assign(root_client, BOB_MFA)
    page = root_client.get(f"{BOB_MFA}/remove", {"serial": serial}).content.decode()
    assert "Remove MFA device?" in page and serial in page
    assert MFADevice.objects.get().enabled
    response = root_client.post(f"{BOB_MFA}/remove", {"serial_number": serial}, follow=True)
    assert f"MFA device {serial} removed." in response.content.decode()
    assert not MFADevice.objects.exists()
    for name in ("DeactivateMFADevice", "DeleteVirtualMFADevice"):
        assert Event.objects.filter(event_name=name, error_code="").count() == 1


def test_resync_with_two_consecutive_codes(root_client, bob, frozen_clock):
    serial, totp = assign(root_client, BOB_MFA)
    frozen_clock.advance(minutes=2)
    page = root_client.get(f"{BOB_MFA}/resync", {"serial": serial}).content.decode()
    assert "Resync MFA device" in page and serial in page
    bad = root_client.post(f"{BOB_MFA}/resync", {"serial_number": serial, "code1": "123456", "code2": "123456"})
    assert bad.status_code == 400 and INVALID_CODE in bad.content.decode()
    code1, code2 = codes(totp)
    response = root_client.post(f"{BOB_MFA}/resync", {"serial_number": serial, "code1": code1, "code2": code2})
    assert response.status_code == 302 and response.url == BOB_TAB
    assert "MFA device resynced." in root_client.get(BOB_TAB).content.decode()


def test_another_users_device_is_not_reachable_from_a_users_tab(root_client, alice, alice_account, bob, frozen_clock):
    make_user(alice_account, "carol")
    carol_serial, totp = enable_device(alice, "carol-phone", "carol")
    response = root_client.post(f"{BOB_MFA}/remove", {"serial_number": carol_serial}, follow=True)
    assert "MFA Device invalid for user." in response.content.decode()
    frozen_clock.advance(minutes=1)
    code1, code2 = codes(totp)
    response = root_client.post(f"{BOB_MFA}/resync", {"serial_number": carol_serial, "code1": code1, "code2": code2})
    assert "MFA Device invalid for user." in response.content.decode()
    # Nor can bob be given carol's device.
    response = add_mfa(root_client, BOB_MFA, carol_serial, code1, code2)
    assert "MFA Device is already in use." in response.content.decode()
    device = MFADevice.objects.get()
    assert device.user.user_name == "carol" and device.enabled
    assert carol_serial not in root_client.get(BOB_TAB).content.decode()


def test_another_accounts_device_is_not_reachable(root_client, bob, charlie, frozen_clock):
    charlie_serial, _ = enable_device(charlie, "charlie-phone")
    response = root_client.post(f"{OWN_MFA}/remove", {"serial_number": charlie_serial}, follow=True)
    assert f"VirtualMFADevice with serial number {charlie_serial} does not exist." in response.content.decode()
    root_client.post(f"{BOB_MFA}/assign", {"step": "cancel", "serial_number": charlie_serial})
    assert MFADevice.objects.get().enabled


# --- Permissions --------------------------------------------------------------------


def denied(action, resource):
    return (
        f"User: arn:aws:iam::111122223333:user/bob is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_bob_without_permissions_sees_aws_access_denied(bob_client):
    page = bob_client.get("/iam/security-credentials").content.decode()
    assert denied("iam:ListMFADevices", "arn:aws:iam::111122223333:user/bob") in page
    response = select_device(bob_client, OWN_MFA)
    assert response.status_code == 400
    assert denied("iam:CreateVirtualMFADevice", "arn:aws:iam::111122223333:mfa/bob-phone") in response.content.decode()
    assert not MFADevice.objects.exists()


# AWS's "IAM: Allows IAM users to self-manage an MFA device" (IAM User Guide, policy
# examples): MFA actions on their own user only; everything else denied without MFA.
SELF_MANAGE_MFA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowListActions",
                "Effect": "Allow",
                "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"],
                "Resource": "*",
            },
            {
                "Sid": "AllowUserToCreateVirtualMFADevice",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice"],
                "Resource": "arn:aws:iam::*:mfa/*",
            },
            {
                "Sid": "AllowUserToManageTheirOwnMFA",
                "Effect": "Allow",
                "Action": ["iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            },
            {
                "Sid": "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA",
                "Effect": "Allow",
                "Action": ["iam:DeactivateMFADevice"],
                "Resource": ["arn:aws:iam::*:user/${aws:username}"],
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            {
                "Sid": "BlockMostAccessUnlessSignedInWithMFA",
                "Effect": "Deny",
                "NotAction": [
                    "iam:CreateVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ListMFADevices",
                    "iam:ListUsers",
                    "iam:ListVirtualMFADevices",
                    "iam:ResyncMFADevice",
                ],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    }
)


def test_self_service_mfa_policy_lets_bob_manage_his_own_device(alice, alice_account, bob, frozen_clock):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "mfa", "PolicyDocument": SELF_MANAGE_MFA})
    make_user(alice_account, "carol")
    client = Client()
    assert iam_sign_in(client).url == "/console/home"

    page = client.get("/iam/security-credentials").content.decode()
    assert "Multi-factor authentication (MFA) (0)" in page
    assert "not authorized to perform: iam:ListMFADevices" not in page
    # Without MFA, the policy's deny covers everything else (here: his access keys).
    assert "with an explicit deny in an identity-based policy" in page

    serial, totp = assign(client, OWN_MFA, name="bob-phone")
    device = MFADevice.objects.get()
    assert device.user == bob and device.enabled
    assert serial in client.get("/iam/security-credentials").content.decode()

    # He cannot give carol a device, nor remove his own before signing in with MFA.
    other, other_secret = set_up_page(select_device(client, "/iam/users/details/carol/mfa", name="for-carol"))
    response = add_mfa(client, "/iam/users/details/carol/mfa", other, *codes(pyotp.TOTP(other_secret)))
    assert "not authorized to perform: iam:EnableMFADevice on resource: arn:aws:iam::111122223333:user/carol" in (
        response.content.decode()
    )
    response = client.post(f"{OWN_MFA}/remove", {"serial_number": serial}, follow=True)
    assert "not authorized to perform: iam:DeactivateMFADevice" in response.content.decode()
    assert MFADevice.objects.get(serial_number=serial).enabled

    # Signed in with MFA, he can remove it (deleting it is not in the policy: it stays,
    # unassigned, as AWS's warning about iam:DeleteVirtualMFADevice describes).
    client.post("/signout")
    frozen_clock.advance(seconds=30)
    assert iam_sign_in(client).url == "/signin/mfa"
    assert submit_code(client, code_now(totp)).url == "/console/home"
    response = client.post(f"{OWN_MFA}/remove", {"serial_number": serial}, follow=True)
    page = response.content.decode()
    assert f"MFA device {serial} removed." in page
    assert "not authorized to perform: iam:DeleteVirtualMFADevice" in page
    assert not MFADevice.objects.get(serial_number=serial).enabled


def test_root_signs_in_with_the_device_it_assigned(client, alice_account, frozen_clock):
    root_sign_in(client)
    serial, totp = assign(client, OWN_MFA, name="root-phone")
    client.post("/signout")
    frozen_clock.advance(seconds=30)
    assert root_sign_in(client).url == "/signin/mfa"
    assert submit_code(client, code_now(totp)).url == "/console/home"
    assert serial in client.get("/iam/security-credentials").content.decode()


@pytest.mark.parametrize("path", ["resync", "remove"])
def test_resync_and_remove_without_a_device_go_back(root_client, bob, path):
    response = root_client.get(f"{BOB_MFA}/{path}", follow=True)
    assert response.redirect_chain[-1][0] == BOB_TAB
    assert "Choose an MFA device." in response.content.decode()
