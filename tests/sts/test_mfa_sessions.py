"""MFA-authenticated sessions: GetSessionToken and AssumeRole with SerialNumber and
TokenCode, the condition keys their requests carry, and AWS's "deny unless signed in
with MFA" policy against long-term keys and sessions."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pyotp
import pytest

from awsapi.context import RequestContext
from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, ValidationError
from console import clock
from iam import mfa
from iam.authorization import condition_context
from iam.models import Account
from iam.principals import user_principal
from sts.models import Session
from sts.operations import MFA_INVALID_CODE, MFA_UNKNOWN_DEVICE
from tests.conftest import make_user
from tests.iam.helpers import document
from trail.models import Event

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/admin"

# IAM User Guide, "Condition operators" (...IfExists): deny every request that was not
# authenticated with MFA; BoolIfExists also matches long-term keys, which lack the key.
DENY_UNLESS_MFA = document(
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
)


def code_at(seed, steps=0):
    return pyotp.TOTP(seed).at(clock.now() + timedelta(seconds=30 * steps))


def assign_device(alice, user_name="bob", name="bob-phone"):
    device = dispatch(alice, "iam:CreateVirtualMFADevice", {"VirtualMFADeviceName": name})["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    params = {"SerialNumber": device["SerialNumber"], "AuthenticationCode1": code_at(seed, -1),
              "AuthenticationCode2": code_at(seed)}
    if user_name:
        params["UserName"] = user_name
    dispatch(alice, "iam:EnableMFADevice", params)
    return device["SerialNumber"], seed


@pytest.fixture
def bob_device(alice, bob, frozen_clock):
    serial, seed = assign_device(alice)
    # The enrolment used this step's code: the tests sign in with the next one.
    frozen_clock.advance(seconds=30)
    return serial, seed


def session_ctx(credentials):
    """The request context the API door builds for requests signed with these
    temporary credentials (awsapi.views, awsapi.credentials.resolve)."""
    from awsapi.credentials import resolve

    signer = resolve(SimpleNamespace(access_key_id=credentials["AccessKeyId"], security_token=credentials["SessionToken"]))
    return RequestContext(
        principal=signer.principal, source_ip="198.51.100.7", user_agent="aws-cli", via_console=False,
        mfa_authenticated=signer.session.mfa_authenticated, session_issued=signer.session.create_date,
        access_key_id=credentials["AccessKeyId"],
    )


def long_term_ctx(bob):
    from tests.conftest import context_for

    return context_for(user_principal(bob), via_console=False)


# --- GetSessionToken -----------------------------------------------------------------


def test_session_token_with_mfa_carries_mfa_present_and_age(bob, bob_ctx, bob_device, frozen_clock):
    serial, seed = bob_device
    credentials = dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code_at(seed)})[
        "Credentials"
    ]
    assert Session.objects.get(access_key_id=credentials["AccessKeyId"]).mfa_authenticated
    ctx = session_ctx(credentials)
    frozen_clock.advance(seconds=100)
    context = condition_context(ctx, bob)
    assert context["aws:MultiFactorAuthPresent"] == "true"
    assert context["aws:MultiFactorAuthAge"] == "100"


def test_session_token_without_mfa_says_mfa_absent(bob, bob_ctx, frozen_clock):
    credentials = dispatch(bob_ctx, "sts:GetSessionToken")["Credentials"]
    context = condition_context(session_ctx(credentials), bob)
    assert context["aws:MultiFactorAuthPresent"] == "false"
    assert "aws:MultiFactorAuthAge" not in context


def test_long_term_keys_never_carry_mfa_present(bob, bob_device):
    context = condition_context(long_term_ctx(bob), bob)
    assert "aws:MultiFactorAuthPresent" not in context
    assert "aws:MultiFactorAuthAge" not in context


def test_the_token_code_never_reaches_the_trail(bob_ctx, bob_device):
    serial, seed = bob_device
    code = code_at(seed)
    dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code})
    event = Event.objects.get(event_name="GetSessionToken")
    assert event.request_parameters == {"serialNumber": serial}
    assert code not in json.dumps(event.as_record())


def test_an_invalid_code_is_refused(bob_ctx, bob_device):
    serial, seed = bob_device
    wrong = "000000" if code_at(seed) != "000000" else "111111"
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": wrong})
    assert denied.value.message == MFA_INVALID_CODE
    assert not Session.objects.exists()


def test_a_replayed_code_is_refused(bob_ctx, bob_device):
    serial, seed = bob_device
    params = {"SerialNumber": serial, "TokenCode": code_at(seed)}
    dispatch(bob_ctx, "sts:GetSessionToken", params)
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:GetSessionToken", params)
    assert denied.value.message == MFA_INVALID_CODE


def test_an_expired_code_is_refused(bob_ctx, bob_device, frozen_clock):
    serial, seed = bob_device
    code = code_at(seed)
    frozen_clock.advance(minutes=2)
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code})


def test_another_users_serial_is_refused(alice, bob_ctx, bob_device, frozen_clock):
    make_user(Account.objects.get(account_id=ACCOUNT), "carol")
    carol_serial, carol_seed = assign_device(alice, "carol", "carol-phone")
    frozen_clock.advance(seconds=30)
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": carol_serial, "TokenCode": code_at(carol_seed)})
    assert denied.value.message == MFA_UNKNOWN_DEVICE


def test_an_unassigned_or_unknown_serial_is_refused(alice, bob_ctx, frozen_clock):
    free = dispatch(alice, "iam:CreateVirtualMFADevice", {"VirtualMFADeviceName": "free"})["VirtualMFADevice"]
    for serial in (free["SerialNumber"], f"arn:aws:iam::{ACCOUNT}:mfa/nope"):
        with pytest.raises(AccessDenied) as denied:
            dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": "123456"})
        assert denied.value.message == MFA_UNKNOWN_DEVICE


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "abcdef"])
def test_malformed_codes_are_validation_errors(bob_ctx, bob_device, code):
    with pytest.raises(ValidationError):
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": bob_device[0], "TokenCode": code})


def test_a_code_without_a_serial_number_is_refused(bob_ctx, bob_device):
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:GetSessionToken", {"TokenCode": code_at(bob_device[1])})


def test_repeated_failures_throttle_the_device(bob_ctx, bob_device):
    serial, seed = bob_device
    wrong = "999999" if code_at(seed) != "999999" else "888888"
    for _ in range(mfa.THROTTLE_FAILURES):
        with pytest.raises(AccessDenied):
            dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": wrong})
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code_at(seed)})
    assert denied.value.message == MFA_INVALID_CODE


def test_root_gets_an_mfa_session_with_its_own_device(alice, alice_account, frozen_clock):
    serial, seed = assign_device(alice, user_name=None, name="root-phone")
    frozen_clock.advance(seconds=30)
    credentials = dispatch(alice, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code_at(seed)})[
        "Credentials"
    ]
    session = Session.objects.get(access_key_id=credentials["AccessKeyId"])
    assert session.user is None and session.mfa_authenticated


# --- the MFA-required policy ----------------------------------------------------------


def test_deny_unless_mfa_refuses_long_term_keys_and_allows_the_mfa_session(alice, bob, bob_ctx, bob_device):
    serial, seed = bob_device
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "RequireMFA", "PolicyDocument": DENY_UNLESS_MFA})
    with pytest.raises(AccessDenied) as denied:
        dispatch(long_term_ctx(bob), "iam:ListUsers")
    assert "with an explicit deny in an identity-based policy" in denied.value.message
    plain = session_ctx(dispatch(bob_ctx, "sts:GetSessionToken")["Credentials"])
    with pytest.raises(AccessDenied):
        dispatch(plain, "iam:ListUsers")
    with_mfa = session_ctx(
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code_at(seed)})["Credentials"]
    )
    assert [u["UserName"] for u in dispatch(with_mfa, "iam:ListUsers")["Users"]] == ["bob"]


def test_mfa_age_condition_limits_how_old_the_sign_in_may_be(alice, bob, bob_ctx, bob_device, frozen_clock):
    serial, seed = bob_device
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "FreshMFA", "PolicyDocument": document(
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
         "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}})})
    ctx = session_ctx(
        dispatch(bob_ctx, "sts:GetSessionToken", {"SerialNumber": serial, "TokenCode": code_at(seed)})["Credentials"]
    )
    assert dispatch(ctx, "iam:ListUsers")
    frozen_clock.advance(hours=2)
    with pytest.raises(AccessDenied):
        dispatch(ctx, "iam:ListUsers")


# --- AssumeRole ---------------------------------------------------------------------------


@pytest.fixture
def mfa_role(alice):
    trust = document({"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole",
                      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    dispatch(alice, "iam:CreateRole", {"RoleName": "admin", "AssumeRolePolicyDocument": trust})
    dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "admin", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "Assume", "PolicyDocument": document(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE})})


def test_assume_role_with_mfa_satisfies_an_mfa_trust_policy(bob_ctx, bob_device, mfa_role):
    serial, seed = bob_device
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})
    result = dispatch(bob_ctx, "sts:AssumeRole", {
        "RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": serial, "TokenCode": code_at(seed),
    })
    session = Session.objects.get(access_key_id=result["Credentials"]["AccessKeyId"])
    assert session.mfa_authenticated
    context = condition_context(session_ctx(result["Credentials"]), session.role)
    assert context["aws:MultiFactorAuthPresent"] == "true"


def test_assume_role_with_an_invalid_code_is_refused(bob_ctx, bob_device, mfa_role):
    serial, seed = bob_device
    wrong = "000000" if code_at(seed) != "000000" else "111111"
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": serial,
                                             "TokenCode": wrong})
    assert denied.value.message == MFA_INVALID_CODE
    assert not Session.objects.exists()


def test_assume_role_with_another_users_serial_is_refused(alice, bob_ctx, bob_device, mfa_role, frozen_clock):
    make_user(Account.objects.get(account_id=ACCOUNT), "carol")
    serial, seed = assign_device(alice, "carol", "carol-phone")
    frozen_clock.advance(seconds=30)
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": serial,
                                             "TokenCode": code_at(seed)})
    assert denied.value.message == MFA_UNKNOWN_DEVICE


def test_root_assuming_a_role_with_mfa_is_still_refused(alice, bob, mfa_role, frozen_clock):
    serial, seed = assign_device(alice, user_name=None, name="root-phone")
    frozen_clock.advance(seconds=30)
    with pytest.raises(AccessDenied) as denied:
        dispatch(alice, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": serial,
                                           "TokenCode": code_at(seed)})
    assert denied.value.message == "Roles may not be assumed by root accounts."


def test_a_role_session_has_no_mfa_device(alice, bob_ctx, bob_device, mfa_role):
    serial, seed = bob_device
    result = dispatch(bob_ctx, "sts:AssumeRole", {
        "RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": serial, "TokenCode": code_at(seed),
    })
    role_session = session_ctx(result["Credentials"])
    with pytest.raises(AccessDenied) as denied:
        dispatch(role_session, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s2", "SerialNumber": serial,
                                                  "TokenCode": "123456"})
    assert denied.value.message == MFA_UNKNOWN_DEVICE


@pytest.mark.parametrize("code", ["12345", "abcdef"])
def test_assume_role_with_a_malformed_code_is_a_validation_error(bob_ctx, bob_device, mfa_role, code):
    with pytest.raises(ValidationError):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "SerialNumber": bob_device[0],
                                             "TokenCode": code})


def test_wrong_codes_through_assume_role_throttle_the_device(bob_ctx, bob_device, mfa_role):
    # AssumeRole is a write action: its transaction rolls back when the code is wrong,
    # yet each failure must still count, or codes could be guessed without limit.
    serial, seed = bob_device
    right = code_at(seed)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(AccessDenied):
            dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1",
                                                 "SerialNumber": serial, "TokenCode": wrong})
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1",
                                             "SerialNumber": serial, "TokenCode": right})
    assert not Session.objects.exists()
