"""Signing in with MFA: after a correct password, AWS's "Multi-factor authentication"
step; nothing of the session exists until a code from the principal's device passes."""

import json
import pyotp
import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from console import clock, session
from iam.models import MFADevice
from tests.conftest import make_user
from tests.console.helpers import FAILED, iam_sign_in, root_sign_in
from trail.models import Event

pytestmark = pytest.mark.django_db


def enable_device(ctx, name, user_name=None):
    """Create and enable a virtual MFA device as the API does; (serial, pyotp.TOTP).

    The two codes are those of the step before now and of now, so the device's last
    used step is now's: a sign-in code must come from a later step."""
    created = dispatch(ctx, "iam:CreateVirtualMFADevice", {"VirtualMFADeviceName": name})["VirtualMFADevice"]
    totp = pyotp.TOTP(created["Base32StringSeed"].decode("ascii"))
    now = int(clock.now().timestamp())
    params = {
        "SerialNumber": created["SerialNumber"],
        "AuthenticationCode1": totp.at(now - 30),
        "AuthenticationCode2": totp.at(now),
    }
    if user_name:
        params["UserName"] = user_name
    dispatch(ctx, "iam:EnableMFADevice", params)
    return created["SerialNumber"], totp


def code_now(totp):
    return totp.at(int(clock.now().timestamp()))


def submit_code(client, code, device=None, **meta):
    data = {"code": code}
    if device:
        data["device"] = device
    return client.post("/signin/mfa", data, **meta)


def login_events():
    return list(Event.objects.filter(event_name="ConsoleLogin").order_by("id"))


def signed_in(client):
    return client.get("/console/home").status_code == 200


@pytest.fixture
def root_mfa(alice, frozen_clock):
    """alice's root user with one virtual MFA device; the clock moved to the next step."""
    serial, totp = enable_device(alice, "root-phone")
    frozen_clock.advance(seconds=30)
    return serial, totp


@pytest.fixture
def bob_mfa(alice, bob, frozen_clock):
    serial, totp = enable_device(alice, "bob-phone", "bob")
    frozen_clock.advance(seconds=30)
    return serial, totp


# --- The MFA step -------------------------------------------------------------------


def test_password_of_a_principal_with_mfa_leads_to_the_mfa_page_without_a_session(client, root_mfa):
    response = root_sign_in(client)
    assert response.status_code == 302 and response.url == "/signin/mfa"
    page = client.get("/signin/mfa").content.decode()
    assert "Multi-factor authentication" in page
    assert "MFA code" in page and "Submit" in page
    assert "alice@example.com" in page
    assert "Choose the MFA device" not in page  # only one device
    assert session.KEY not in client.session
    assert not signed_in(client)
    assert login_events() == []  # written once, after the second factor


def test_valid_code_completes_the_sign_in_with_an_mfa_session(client, root_mfa, frozen_clock):
    _, totp = root_mfa
    root_sign_in(client)
    response = submit_code(client, code_now(totp))
    assert response.status_code == 302 and response.url == "/console/home"
    data = client.session[session.KEY]
    assert data["mfa"] is True
    assert data["mfa_time"] == frozen_clock.current.isoformat()
    assert session.PENDING_KEY not in client.session
    assert signed_in(client)


def test_console_login_event_says_mfa_used_yes_once(client, root_mfa):
    _, totp = root_mfa
    root_sign_in(client, meta={"REMOTE_ADDR": "203.0.113.9", "HTTP_USER_AGENT": "Mozilla/5.0 test"})
    submit_code(client, code_now(totp), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Mozilla/5.0 test")
    (event,) = login_events()
    record = event.as_record()
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    assert record["additionalEventData"]["MFAUsed"] == "Yes"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::111122223333:root"
    assert record["sourceIPAddress"] == "203.0.113.9"
    assert "errorMessage" not in record


def test_iam_user_with_mfa_signs_in_with_a_code(client, bob_mfa):
    _, totp = bob_mfa
    assert iam_sign_in(client).url == "/signin/mfa"
    page = client.get("/signin/mfa").content.decode()
    assert "bob" in page and "alice-lab" in page
    assert submit_code(client, code_now(totp)).url == "/console/home"
    assert "bob" in client.get("/console/home").content.decode()
    (event,) = login_events()
    assert event.user_identity["userName"] == "bob"
    assert event.additional_event_data["MFAUsed"] == "Yes"


def test_invalid_code_gets_the_error_and_no_session(client, root_mfa):
    _, totp = root_mfa
    root_sign_in(client)
    wrong = "000000" if code_now(totp) != "000000" else "111111"
    response = submit_code(client, wrong)
    assert response.status_code == 401
    assert FAILED in response.content.decode()
    assert not signed_in(client)
    (event,) = login_events()
    assert event.response_elements == {"ConsoleLogin": "Failure"}
    assert event.error_message == "Failed authentication"
    assert event.additional_event_data["MFAUsed"] == "Yes"
    # The user can try again with another code (AWS: "Using MFA devices with your IAM
    # sign-in page").
    assert submit_code(client, code_now(totp)).url == "/console/home"


@pytest.mark.parametrize("code", ["", "abcdef", "12345", "1234567", "x" * 10_000, "<script>alert(1)</script>"])
def test_malformed_codes_are_refused(client, root_mfa, code):
    root_sign_in(client)
    response = submit_code(client, code)
    assert response.status_code in (400, 401)
    assert not signed_in(client)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_code_cannot_be_used_twice(client, root_mfa):
    _, totp = root_mfa
    code = code_now(totp)
    root_sign_in(client)
    assert submit_code(client, code).url == "/console/home"
    client.post("/signout")
    root_sign_in(client)
    response = submit_code(client, code)
    assert response.status_code == 401 and FAILED in response.content.decode()
    assert not signed_in(client)


def test_repeated_failures_are_throttled(client, root_mfa):
    _, totp = root_mfa
    root_sign_in(client)
    good = code_now(totp)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        submit_code(client, wrong)
    response = submit_code(client, good)
    assert response.status_code == 401
    assert not signed_in(client)


def test_the_pending_sign_in_expires_after_five_minutes(client, root_mfa, frozen_clock):
    _, totp = root_mfa
    root_sign_in(client)
    frozen_clock.advance(minutes=5, seconds=1)
    assert client.get("/signin/mfa").url == "/signin"
    root_sign_in(client)
    frozen_clock.advance(minutes=5, seconds=1)
    response = submit_code(client, code_now(totp))
    assert response.status_code == 302 and response.url == "/signin"
    assert not signed_in(client)
    assert login_events() == []


def test_the_mfa_page_without_a_password_step_sends_to_sign_in(client, root_mfa):
    assert client.get("/signin/mfa").url == "/signin"
    assert submit_code(client, "123456").url == "/signin"


def test_a_tampered_pending_marker_is_refused(client, root_mfa):
    root_sign_in(client)
    s = client.session
    s[session.PENDING_KEY] = s[session.PENDING_KEY].replace('"Root"', '"IAMUser"') + "x"
    s.save()
    assert client.get("/signin/mfa").url == "/signin"


def test_cancel_ends_the_pending_sign_in(client, root_mfa):
    root_sign_in(client)
    assert client.post("/signin/mfa", {"cancel": "1"}).url == "/signin"
    assert session.PENDING_KEY not in client.session
    assert client.get("/signin/mfa").url == "/signin"


def test_session_keys_change_at_each_step(client, root_mfa):
    _, totp = root_mfa
    client.get("/signin")
    client.session.save()
    before = client.session.session_key
    root_sign_in(client)
    pending = client.session.session_key
    submit_code(client, code_now(totp))
    assert len({before, pending, client.session.session_key}) == 3


def test_choose_the_mfa_device_when_there_are_several(client, alice, root_mfa, frozen_clock):
    serial1, _ = root_mfa
    serial2, totp2 = enable_device(alice, "root-key-2")
    frozen_clock.advance(seconds=30)
    root_sign_in(client)
    page = client.get("/signin/mfa").content.decode()
    assert "Choose the MFA device" in page and serial1 in page and serial2 in page
    # A code of device 2 does not pass for device 1, and does for device 2.
    assert submit_code(client, code_now(totp2), device=serial1).status_code == 401
    assert submit_code(client, code_now(totp2), device=serial2).url == "/console/home"


def test_another_principals_device_cannot_be_named(client, alice, root_mfa, bob_mfa):
    bob_serial, bob_totp = bob_mfa
    root_sign_in(client)
    response = submit_code(client, code_now(bob_totp), device=bob_serial)
    assert response.status_code in (400, 401)
    assert not signed_in(client)


def test_the_page_asked_for_is_opened_after_the_mfa_step(client, root_mfa):
    _, totp = root_mfa
    root_sign_in(client, redirect_uri="/iam/account-settings")
    assert submit_code(client, code_now(totp)).url == "/iam/account-settings"


def test_password_change_comes_after_mfa(client, alice, alice_account, frozen_clock):
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    _, totp = enable_device(alice, "carol-phone", "carol")
    frozen_clock.advance(seconds=30)
    assert iam_sign_in(client, username="carol", password="Initial-Passw0rd!").url == "/signin/mfa"
    assert submit_code(client, code_now(totp)).url == "/signin/change-password"
    assert client.get("/iam/home").url == "/signin/change-password"
    new = "Carol-New-Passw0rd!"
    response = client.post(
        "/signin/change-password",
        {"old_password": "Initial-Passw0rd!", "new_password": new, "confirm_password": new},
    )
    assert response.url == "/console/home"
    assert client.session[session.KEY]["mfa"] is True


def test_password_last_used_is_set_when_the_mfa_step_passes(client, bob, bob_mfa):
    _, totp = bob_mfa
    iam_sign_in(client)
    bob.refresh_from_db()
    assert bob.password_last_used is None
    submit_code(client, code_now(totp))
    bob.refresh_from_db()
    assert bob.password_last_used == clock.now()


def test_a_principal_without_mfa_signs_in_without_the_step(client, bob):
    assert iam_sign_in(client).url == "/console/home"
    assert client.session[session.KEY]["mfa"] is False
    (event,) = login_events()
    assert event.additional_event_data["MFAUsed"] == "No"


def test_removed_device_between_the_steps_sends_back_to_sign_in(client, alice, root_mfa):
    serial, _ = root_mfa
    root_sign_in(client)
    dispatch(alice, "iam:DeactivateMFADevice", {"SerialNumber": serial})
    assert client.get("/signin/mfa").url == "/signin"
    assert MFADevice.objects.filter(serial_number=serial, enable_date__isnull=True).exists()


# --- The MFA session in policies ----------------------------------------------------

MFA_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
)
RECENT_MFA_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
            }
        ],
    }
)
LIST_USERS_DENIED = "is not authorized to perform: iam:ListUsers"


def test_policy_requiring_mfa_allows_the_mfa_session_and_denies_the_other(alice, bob, frozen_clock):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "mfa-only", "PolicyDocument": MFA_ONLY})
    without = Client()
    assert iam_sign_in(without).url == "/console/home"  # no device yet: no MFA step
    assert LIST_USERS_DENIED in without.get("/iam/users").content.decode()

    _, totp = enable_device(alice, "bob-phone", "bob")
    frozen_clock.advance(seconds=30)
    with_mfa = Client()
    assert iam_sign_in(with_mfa).url == "/signin/mfa"
    assert submit_code(with_mfa, code_now(totp)).url == "/console/home"
    page = with_mfa.get("/iam/users").content.decode()
    assert LIST_USERS_DENIED not in page and ">bob<" in page
    # The session signed in without MFA stays without it.
    assert LIST_USERS_DENIED in without.get("/iam/users").content.decode()


def test_mfa_age_counts_from_the_mfa_step(alice, bob, bob_mfa, frozen_clock):
    _, totp = bob_mfa
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "recent", "PolicyDocument": RECENT_MFA_ONLY})
    client = Client()
    iam_sign_in(client)
    frozen_clock.advance(minutes=2)  # the MFA step, not the password step, starts the age
    submit_code(client, code_now(totp))
    assert client.session[session.KEY]["mfa_time"] == frozen_clock.current.isoformat()
    frozen_clock.advance(minutes=59)
    assert LIST_USERS_DENIED not in client.get("/iam/users").content.decode()
    frozen_clock.advance(minutes=1)
    assert LIST_USERS_DENIED in client.get("/iam/users").content.decode()


def test_request_context_carries_the_mfa_time(client, root_mfa, frozen_clock):
    from django.test import RequestFactory

    _, totp = root_mfa
    root_sign_in(client)
    submit_code(client, code_now(totp))
    request = RequestFactory().get("/")
    request.principal, request.console_session = object(), client.session[session.KEY]
    ctx = session.request_context(request)
    assert ctx.mfa_authenticated is True
    assert ctx.mfa_time == frozen_clock.current
    assert ctx.session_issued == frozen_clock.current
