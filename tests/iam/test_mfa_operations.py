"""Virtual MFA devices through the dispatcher: create (seed once, encrypted, never in the
trail), enable with two consecutive codes, deactivate, delete, list, get, resync, tags;
the denied path, bad input and AWS's self-service "manage your own MFA" policy."""

import base64
import json
from datetime import timedelta

import pyotp
import pytest

from console import clock
from iam.models import MFADevice
from tests.conftest import ALICE_ACCOUNT, make_user
from tests.iam.helpers import arn, call, denied_message, document, fails, ok

pytestmark = pytest.mark.django_db

SERIAL = f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/bob-phone"
INVALID_CODE = "Authentication code for device is not valid."


def code_at(seed, steps=0):
    return pyotp.TOTP(seed).at(clock.now() + timedelta(seconds=30 * steps))


def create(ctx, name="bob-phone", **params):
    device = ok(ctx, "CreateVirtualMFADevice", {"VirtualMFADeviceName": name, **params}).result["VirtualMFADevice"]
    return device["SerialNumber"], device["Base32StringSeed"].decode("ascii")


def enable(ctx, serial, seed, user_name="bob", step=0):
    params = {
        "SerialNumber": serial,
        "AuthenticationCode1": code_at(seed, step - 1),
        "AuthenticationCode2": code_at(seed, step),
    }
    if user_name is not None:
        params["UserName"] = user_name
    return ok(ctx, "EnableMFADevice", params)


@pytest.fixture
def enabled(alice, bob, frozen_clock):
    serial, seed = create(alice)
    enable(alice, serial, seed)
    return serial, seed


# --- CreateVirtualMFADevice ------------------------------------------------------------


def test_create_returns_the_seed_and_a_qr_code_once(alice, frozen_clock):
    outcome = ok(alice, "CreateVirtualMFADevice", {"VirtualMFADeviceName": "bob-phone"})
    device = outcome.result["VirtualMFADevice"]
    assert device["SerialNumber"] == SERIAL
    seed = device["Base32StringSeed"].decode("ascii")
    assert len(seed) == 64 and base64.b32decode(seed)
    assert device["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    stored = MFADevice.objects.get()
    assert (stored.user, stored.enable_date, stored.path) == (None, None, "/")
    assert seed not in stored.seed_encrypted and stored.seed() == seed
    listed = ok(alice, "ListVirtualMFADevices").result["VirtualMFADevices"]
    assert listed == [{"SerialNumber": SERIAL}]


def test_the_seed_and_qr_code_never_reach_the_trail(alice, frozen_clock):
    outcome = ok(alice, "CreateVirtualMFADevice", {"VirtualMFADeviceName": "bob-phone"})
    seed = outcome.result["VirtualMFADevice"]["Base32StringSeed"].decode()
    record = json.dumps(outcome.event.as_record())
    assert seed not in record
    assert "qRCodePNG" not in record and "base32StringSeed" not in record
    assert outcome.event.response_elements["virtualMFADevice"]["serialNumber"] == SERIAL


def test_create_with_a_path_and_tags(alice):
    outcome = ok(alice, "CreateVirtualMFADevice", {
        "VirtualMFADeviceName": "phone", "Path": "/class/", "Tags": [{"Key": "team", "Value": "blue"}],
    })
    serial = outcome.result["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/class/phone"
    assert outcome.result["VirtualMFADevice"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert ok(alice, "ListMFADeviceTags", {"SerialNumber": serial}).result["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_a_second_device_with_the_same_name_already_exists(alice):
    create(alice)
    fails(alice, "CreateVirtualMFADevice", {"VirtualMFADeviceName": "bob-phone"}, "EntityAlreadyExists",
          "MFADevice entity at the same path and name already exists.")


@pytest.mark.parametrize("params", [
    {"VirtualMFADeviceName": "bad name"},
    {"VirtualMFADeviceName": "x" * 227},
    {"VirtualMFADeviceName": "phone", "Path": "no-slashes"},
    {},
])
def test_bad_names_and_paths_are_validation_errors(alice, params):
    fails(alice, "CreateVirtualMFADevice", params, "ValidationError")
    assert not MFADevice.objects.exists()


# --- EnableMFADevice -------------------------------------------------------------------


def test_enable_with_two_consecutive_codes_assigns_the_device(alice, bob, frozen_clock):
    serial, seed = create(alice)
    outcome = enable(alice, serial, seed)
    device = MFADevice.objects.get()
    assert (device.user, device.enable_date) == (bob, clock.now())
    assert outcome.event.request_parameters == {"userName": "bob", "serialNumber": serial}
    listed = ok(alice, "ListMFADevices", {"UserName": "bob"}).result["MFADevices"]
    assert listed == [{"UserName": "bob", "SerialNumber": serial, "EnableDate": clock.now()}]


def test_enable_codes_never_reach_the_trail(alice, bob, frozen_clock):
    serial, seed = create(alice)
    outcome = enable(alice, serial, seed)
    record = json.dumps(outcome.event.as_record())
    assert code_at(seed) not in record and code_at(seed, -1) not in record


def test_the_enabling_codes_cannot_be_replayed(alice, bob, bob_ctx, frozen_clock):
    from iam import mfa

    serial, seed = create(alice)
    enable(alice, serial, seed)
    assert not mfa.verify_code(MFADevice.objects.get(), code_at(seed))


def _enable_fails(ctx, serial, code1, code2, code, message=None, user_name="bob"):
    params = {"UserName": user_name, "SerialNumber": serial, "AuthenticationCode1": code1, "AuthenticationCode2": code2}
    fails(ctx, "EnableMFADevice", params, code, message)
    assert not MFADevice.objects.filter(serial_number=serial, enable_date__isnull=False).exists()


def test_equal_codes_are_invalid(alice, bob, frozen_clock):
    serial, seed = create(alice)
    _enable_fails(alice, serial, code_at(seed), code_at(seed), "InvalidAuthenticationCode", INVALID_CODE)


def test_codes_that_are_not_consecutive_are_invalid(alice, bob, frozen_clock):
    serial, seed = create(alice)
    _enable_fails(alice, serial, code_at(seed, -2), code_at(seed), "InvalidAuthenticationCode", INVALID_CODE)


def test_codes_in_the_wrong_order_are_invalid(alice, bob, frozen_clock):
    serial, seed = create(alice)
    _enable_fails(alice, serial, code_at(seed), code_at(seed, -1), "InvalidAuthenticationCode", INVALID_CODE)


def test_expired_codes_are_invalid(alice, bob, frozen_clock):
    serial, seed = create(alice)
    first, second = code_at(seed, -1), code_at(seed)
    frozen_clock.advance(minutes=5)
    _enable_fails(alice, serial, first, second, "InvalidAuthenticationCode", INVALID_CODE)


def test_codes_from_the_far_future_are_invalid(alice, bob, frozen_clock):
    serial, seed = create(alice)
    day = 2 * 60 * 24
    _enable_fails(alice, serial, code_at(seed, day - 1), code_at(seed, day), "InvalidAuthenticationCode", INVALID_CODE)


def test_the_invalid_code_error_has_awss_status(alice, bob, frozen_clock):
    serial, seed = create(alice)
    outcome = call(alice, "EnableMFADevice", {
        "UserName": "bob", "SerialNumber": serial, "AuthenticationCode1": "000000", "AuthenticationCode2": "000001",
    })
    assert (outcome.error.code, outcome.error.status) == ("InvalidAuthenticationCode", 403)


@pytest.mark.parametrize("bad", ["12345", "1234567", "12a456", "abcdef"])
def test_codes_that_are_not_six_digits_are_validation_errors(alice, bob, frozen_clock, bad):
    serial, seed = create(alice)
    _enable_fails(alice, serial, bad, code_at(seed), "ValidationError")
    _enable_fails(alice, serial, code_at(seed, -1), bad, "ValidationError")


def test_a_device_already_enabled_already_exists(alice, bob, enabled, frozen_clock):
    serial, seed = enabled
    make_user(bob.account, "carol")
    frozen_clock.advance(minutes=1)
    fails(alice, "EnableMFADevice", {
        "UserName": "carol", "SerialNumber": serial,
        "AuthenticationCode1": code_at(seed, -1), "AuthenticationCode2": code_at(seed),
    }, "EntityAlreadyExists", "MFA Device is already in use.")
    assert MFADevice.objects.get().user == bob


def test_an_unknown_serial_is_no_such_entity(alice, bob, frozen_clock):
    serial = f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/nope"
    _enable_fails(alice, serial, "123456", "234567", "NoSuchEntity",
                  f"VirtualMFADevice with serial number {serial} does not exist.")


def test_another_accounts_device_is_no_such_entity(alice, charlie, bob, frozen_clock):
    serial, seed = create(charlie, "charlie-phone")
    _enable_fails(alice, serial, code_at(seed, -1), code_at(seed), "NoSuchEntity")


def test_an_unknown_user_is_no_such_entity(alice, frozen_clock):
    serial, seed = create(alice)
    _enable_fails(alice, serial, code_at(seed, -1), code_at(seed), "NoSuchEntity",
                  "The user with name nobody cannot be found.", user_name="nobody")


def test_a_ninth_device_exceeds_the_quota(alice, bob, frozen_clock):
    for index in range(8):
        serial, seed = create(alice, f"phone-{index}")
        enable(alice, serial, seed)
        frozen_clock.advance(seconds=60)
    serial, seed = create(alice, "phone-8")
    _enable_fails(alice, serial, code_at(seed, -1), code_at(seed), "LimitExceeded",
                  "Cannot exceed quota for MFADevicesPerUser: 8")
    assert len(ok(alice, "ListMFADevices", {"UserName": "bob"}).result["MFADevices"]) == 8


def test_root_enables_its_own_device_without_a_user_name(alice, frozen_clock):
    serial, seed = create(alice, "root-phone")
    enable(alice, serial, seed, user_name=None)
    device = MFADevice.objects.get()
    assert device.user is None and device.enable_date == clock.now()
    listed = ok(alice, "ListMFADevices").result["MFADevices"]
    assert listed == [{"UserName": ALICE_ACCOUNT, "SerialNumber": serial, "EnableDate": clock.now()}]
    virtual = ok(alice, "ListVirtualMFADevices").result["VirtualMFADevices"][0]
    assert virtual["User"]["Arn"] == f"arn:aws:iam::{ALICE_ACCOUNT}:root"


# --- Deactivate, Delete ------------------------------------------------------------------


def test_deactivate_frees_the_device_and_delete_removes_it(alice, bob, enabled):
    serial, _ = enabled
    fails(alice, "DeleteVirtualMFADevice", {"SerialNumber": serial}, "DeleteConflict",
          "MFA VirtualDevice in use. Must deactivate first.")
    ok(alice, "DeactivateMFADevice", {"UserName": "bob", "SerialNumber": serial})
    device = MFADevice.objects.get()
    assert (device.user, device.enable_date) == (None, None)
    assert ok(alice, "ListMFADevices", {"UserName": "bob"}).result["MFADevices"] == []
    ok(alice, "DeleteVirtualMFADevice", {"SerialNumber": serial})
    assert not MFADevice.objects.exists()


def test_deactivating_another_users_device_is_no_such_entity(alice, bob, enabled):
    serial, _ = enabled
    make_user(bob.account, "carol")
    fails(alice, "DeactivateMFADevice", {"UserName": "carol", "SerialNumber": serial}, "NoSuchEntity",
          "MFA Device invalid for user.")
    assert MFADevice.objects.get().user == bob


def test_delete_unknown_device_is_no_such_entity(alice):
    serial = f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/nope"
    fails(alice, "DeleteVirtualMFADevice", {"SerialNumber": serial}, "NoSuchEntity",
          f"VirtualMFADevice with serial number {serial} does not exist.")


def test_a_used_code_stays_used_after_reassignment(alice, bob, enabled, frozen_clock):
    serial, seed = enabled
    ok(alice, "DeactivateMFADevice", {"UserName": "bob", "SerialNumber": serial})
    # The same two codes again, within their window: the second was already accepted.
    _enable_fails(alice, serial, code_at(seed, -1), code_at(seed), "InvalidAuthenticationCode", INVALID_CODE)


def test_delete_user_with_an_mfa_device_is_a_conflict(alice, bob, enabled):
    from iam.models import LoginProfile

    LoginProfile.objects.filter(user=bob).delete()
    fails(alice, "DeleteUser", {"UserName": "bob"}, "DeleteConflict", "Cannot delete entity, must delete MFA device first.")
    ok(alice, "DeactivateMFADevice", {"UserName": "bob", "SerialNumber": enabled[0]})
    ok(alice, "DeleteUser", {"UserName": "bob"})


# --- List, Get ----------------------------------------------------------------------------


def test_list_virtual_devices_by_assignment_status(alice, bob, enabled):
    serial, _ = enabled
    free, _ = create(alice, "spare")
    everything = ok(alice, "ListVirtualMFADevices").result["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in everything] == sorted([serial, free])
    assigned = ok(alice, "ListVirtualMFADevices", {"AssignmentStatus": "Assigned"}).result["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in assigned] == [serial]
    assert assigned[0]["User"]["UserName"] == "bob"
    assert assigned[0]["User"]["Arn"] == arn("user", "bob")
    assert assigned[0]["EnableDate"] == clock.now()
    unassigned = ok(alice, "ListVirtualMFADevices", {"AssignmentStatus": "Unassigned"}).result["VirtualMFADevices"]
    assert unassigned == [{"SerialNumber": free}]
    assert "Base32StringSeed" not in everything[0] and "QRCodePNG" not in everything[0]


def test_list_virtual_devices_bad_status_is_a_validation_error(alice):
    fails(alice, "ListVirtualMFADevices", {"AssignmentStatus": "Maybe"}, "ValidationError",
          "1 validation error detected: Value 'Maybe' at 'assignmentStatus' failed to satisfy constraint: "
          "Member must satisfy enum value set: [Assigned, Unassigned, Any]")


def test_list_virtual_devices_pages(alice):
    for index in range(3):
        create(alice, f"phone-{index}")
    page = ok(alice, "ListVirtualMFADevices", {"MaxItems": 2}).result
    assert page["IsTruncated"] and len(page["VirtualMFADevices"]) == 2
    rest = ok(alice, "ListVirtualMFADevices", {"Marker": page["Marker"]}).result
    assert [d["SerialNumber"] for d in rest["VirtualMFADevices"]] == [f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/phone-2"]


def test_another_accounts_devices_are_not_listed(alice, charlie):
    create(charlie, "charlie-phone")
    assert ok(alice, "ListVirtualMFADevices").result["VirtualMFADevices"] == []


def test_list_mfa_devices_defaults_to_the_caller(alice, bob_ctx, enabled):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "List", "PolicyDocument": document(
        {"Effect": "Allow", "Action": "iam:ListMFADevices", "Resource": arn("user", "bob")})})
    listed = ok(bob_ctx, "ListMFADevices").result["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [enabled[0]]


def test_get_mfa_device(alice, bob, enabled):
    serial, _ = enabled
    result = ok(alice, "GetMFADevice", {"UserName": "bob", "SerialNumber": serial}).result
    assert result == {"UserName": "bob", "SerialNumber": serial, "EnableDate": clock.now()}
    make_user(bob.account, "carol")
    fails(alice, "GetMFADevice", {"UserName": "carol", "SerialNumber": serial}, "NoSuchEntity")


# --- ResyncMFADevice ------------------------------------------------------------------------


def test_resync_with_consecutive_codes_from_a_drifted_device(alice, bob, enabled, frozen_clock):
    serial, seed = enabled
    frozen_clock.advance(minutes=1)
    ok(alice, "ResyncMFADevice", {
        "UserName": "bob", "SerialNumber": serial,
        "AuthenticationCode1": code_at(seed, 4), "AuthenticationCode2": code_at(seed, 5),
    })
    assert MFADevice.objects.get().drift == 5


@pytest.mark.parametrize("steps", [(0, 0), (0, 2), (1, 0)])
def test_resync_refuses_equal_or_non_consecutive_codes(alice, bob, enabled, frozen_clock, steps):
    serial, seed = enabled
    frozen_clock.advance(minutes=1)
    fails(alice, "ResyncMFADevice", {
        "UserName": "bob", "SerialNumber": serial,
        "AuthenticationCode1": code_at(seed, steps[0]), "AuthenticationCode2": code_at(seed, steps[1]),
    }, "InvalidAuthenticationCode", INVALID_CODE)


def test_resync_another_users_device_is_no_such_entity(alice, bob, enabled, frozen_clock):
    serial, seed = enabled
    make_user(bob.account, "carol")
    fails(alice, "ResyncMFADevice", {
        "UserName": "carol", "SerialNumber": serial,
        "AuthenticationCode1": code_at(seed, 1), "AuthenticationCode2": code_at(seed, 2),
    }, "NoSuchEntity")


# --- tags ----------------------------------------------------------------------------------


def test_tag_list_and_untag(alice):
    serial, _ = create(alice)
    ok(alice, "TagMFADevice", {"SerialNumber": serial, "Tags": [{"Key": "owner", "Value": "bob"}, {"Key": "a", "Value": ""}]})
    assert ok(alice, "ListMFADeviceTags", {"SerialNumber": serial}).result["Tags"] == [
        {"Key": "a", "Value": ""}, {"Key": "owner", "Value": "bob"},
    ]
    ok(alice, "TagMFADevice", {"SerialNumber": serial, "Tags": [{"Key": "OWNER", "Value": "carol"}]})
    ok(alice, "UntagMFADevice", {"SerialNumber": serial, "TagKeys": ["a"]})
    assert ok(alice, "ListMFADeviceTags", {"SerialNumber": serial}).result["Tags"] == [{"Key": "OWNER", "Value": "carol"}]


def test_tagging_an_unknown_device_is_no_such_entity(alice):
    fails(alice, "TagMFADevice", {"SerialNumber": f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/nope",
                                  "Tags": [{"Key": "k", "Value": "v"}]}, "NoSuchEntity")


def test_too_many_tags_exceed_the_limit(alice):
    serial, _ = create(alice)
    ok(alice, "TagMFADevice", {"SerialNumber": serial, "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(50)]})
    fails(alice, "TagMFADevice", {"SerialNumber": serial, "Tags": [{"Key": "one-more", "Value": "v"}]}, "LimitExceeded")


# --- denied -----------------------------------------------------------------------------------

CAROL = arn("user", "carol")
DEVICE = f"arn:aws:iam::{ALICE_ACCOUNT}:mfa/carol-phone"
CODES = {"AuthenticationCode1": "123456", "AuthenticationCode2": "234567"}
DENIED_CASES = {
    "CreateVirtualMFADevice": ({"VirtualMFADeviceName": "carol-phone"}, DEVICE),
    "DeactivateMFADevice": ({"UserName": "carol", "SerialNumber": DEVICE}, CAROL),
    "DeleteVirtualMFADevice": ({"SerialNumber": DEVICE}, DEVICE),
    "EnableMFADevice": ({"UserName": "carol", "SerialNumber": DEVICE, **CODES}, CAROL),
    "GetMFADevice": ({"UserName": "carol", "SerialNumber": DEVICE}, CAROL),
    "ListMFADeviceTags": ({"SerialNumber": DEVICE}, DEVICE),
    "ListMFADevices": ({"UserName": "carol"}, CAROL),
    "ListVirtualMFADevices": ({}, "*"),
    "ResyncMFADevice": ({"UserName": "carol", "SerialNumber": DEVICE, **CODES}, CAROL),
    "TagMFADevice": ({"SerialNumber": DEVICE, "Tags": [{"Key": "k", "Value": "v"}]}, DEVICE),
    "UntagMFADevice": ({"SerialNumber": DEVICE, "TagKeys": ["k"]}, DEVICE),
}


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_permission_is_denied(bob_ctx, alice_account, action):
    make_user(alice_account, "carol")
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


# --- AWS's self-service policy ---------------------------------------------------------------

# "AWS: Allows MFA-authenticated IAM users to manage their own MFA device on the
# Security credentials page" (IAM User Guide, example policies).
MANAGE_OWN_MFA = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
         "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
        {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
         "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:GetMFADevice",
                    "iam:ListMFADevices", "iam:ResyncMFADevice"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                       "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
         "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ],
})


def test_users_manage_their_own_mfa_with_the_aws_self_service_policy(alice, bob, bob_ctx, frozen_clock):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "ManageOwnMFA", "PolicyDocument": MANAGE_OWN_MFA})
    serial, seed = create(bob_ctx)
    enable(bob_ctx, serial, seed)
    assert [d["SerialNumber"] for d in ok(bob_ctx, "ListMFADevices").result["MFADevices"]] == [serial]
    make_user(bob.account, "carol")
    other, other_seed = create(alice, "carol-phone")
    fails(bob_ctx, "EnableMFADevice", {
        "UserName": "carol", "SerialNumber": other,
        "AuthenticationCode1": code_at(other_seed, -1), "AuthenticationCode2": code_at(other_seed),
    }, "AccessDenied")
    # Without MFA, deactivating is refused by the explicit deny ...
    outcome = fails(bob_ctx, "DeactivateMFADevice", {"SerialNumber": serial}, "AccessDenied")
    assert "with an explicit deny" in outcome.error.message
    # ... and allowed in a session signed in with MFA.
    from dataclasses import replace

    mfa_ctx = replace(bob_ctx, mfa_authenticated=True, session_issued=clock.now())
    ok(mfa_ctx, "DeactivateMFADevice", {"SerialNumber": serial})


def test_a_throttled_device_cannot_be_enabled_again(alice, bob, enabled, frozen_clock):
    from iam import mfa

    serial, seed = enabled
    device = MFADevice.objects.get()
    for _ in range(mfa.THROTTLE_FAILURES):
        mfa.verify_code(device, "abcdef")
    ok(alice, "DeactivateMFADevice", {"UserName": "bob", "SerialNumber": serial})
    frozen_clock.advance(minutes=1)
    _enable_fails(alice, serial, code_at(seed, -1), code_at(seed), "InvalidAuthenticationCode", INVALID_CODE)


def test_listed_virtual_devices_carry_their_tags(alice):
    create(alice, Tags=[{"Key": "team", "Value": "blue"}])
    listed = ok(alice, "ListVirtualMFADevices").result["VirtualMFADevices"]
    assert listed == [{"SerialNumber": SERIAL, "Tags": [{"Key": "team", "Value": "blue"}]}]
