"""The course's MFA demo with the real aws CLI against a live server: create a virtual MFA
device, enable it with two consecutive codes, get an MFA session token, and see a policy
that requires MFA refuse the long-term key and allow the session.

The live server runs in this process, so the test holds the server's clock still (near
real time, which SigV4's 15-minute skew check needs) and computes codes with pyotp."""

import json
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from awsapi.dispatch import dispatch
from console import clock
from tests.conftest import Clock
from trail.models import Event

ACCOUNT = "111122223333"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/bob-phone"

# Bob may set up his own MFA device and get a session token; everything else needs MFA
# (IAM User Guide: "...IfExists" condition operators, aws:MultiFactorAuthPresent).
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "arn:aws:iam::*:mfa/*"},
        {"Effect": "Allow", "Action": ["iam:EnableMFADevice", "iam:ListMFADevices"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
        {"Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices",
                       "sts:GetSessionToken"],
         "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ],
})


@pytest.fixture
def server_clock(monkeypatch):
    """The server's clock, held still at the middle of a 30-second step near real time."""
    real = datetime.now(timezone.utc).replace(microsecond=0)
    start = real - timedelta(seconds=real.timestamp() % 30) + timedelta(seconds=15)
    fake = Clock(start)
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def bob_profile(cli, bob, alice):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "RequireMFA", "PolicyDocument": POLICY})
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    cli.configure("bob", key["AccessKeyId"], key["SecretAccessKey"])
    return key["AccessKeyId"]


def code(seed, steps=0):
    return pyotp.TOTP(seed).at(clock.now() + timedelta(seconds=30 * steps))


def test_mfa_device_session_token_and_an_mfa_policy(cli, bob_profile, server_clock, tmp_path):
    # 1. Create the device; the CLI writes the seed to the outfile.
    outfile = tmp_path / "seed.txt"
    created = cli.ok(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "bob-phone",
        "--outfile", str(outfile), "--bootstrap-method", "Base32StringSeed", profile="bob",
    )
    assert created["VirtualMFADevice"]["SerialNumber"] == SERIAL
    seed = outfile.read_text()
    assert len(seed) == 64 and pyotp.TOTP(seed).now()

    # 2. Enable it with two consecutive codes.
    cli.ok(
        "iam", "enable-mfa-device", "--user-name", "bob", "--serial-number", SERIAL,
        "--authentication-code1", code(seed, -1), "--authentication-code2", code(seed), profile="bob",
    )
    devices = cli.ok("iam", "list-mfa-devices", profile="bob")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("bob", SERIAL)]

    # 3. The long-term key is refused by the MFA policy.
    stderr = cli.fails("iam", "list-users", profile="bob")
    assert stderr == (
        "An error occurred (AccessDenied) when calling the ListUsers operation: "
        f"User: {BOB} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ "
        "with an explicit deny in an identity-based policy"
    )

    # 4. A session token with MFA ...
    server_clock.advance(seconds=30)
    credentials = cli.ok(
        "sts", "get-session-token", "--serial-number", SERIAL, "--token-code", code(seed), profile="bob",
    )["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")

    # 5. ... is allowed.
    session_env = {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
    users = cli.ok("iam", "list-users", env=session_env)["Users"]
    assert [u["UserName"] for u in users] == ["bob"]
    event = Event.objects.filter(event_name="ListUsers", error_code="").get()
    assert event.user_identity["accessKeyId"] == credentials["AccessKeyId"]


def test_a_wrong_or_replayed_token_code_is_refused(cli, bob_profile, server_clock, tmp_path, alice):
    outfile = tmp_path / "seed.txt"
    cli.ok(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "bob-phone",
        "--outfile", str(outfile), "--bootstrap-method", "Base32StringSeed", profile="bob",
    )
    seed = outfile.read_text()
    first, second = code(seed, -1), code(seed)
    stderr = cli.fails(
        "iam", "enable-mfa-device", "--user-name", "bob", "--serial-number", SERIAL,
        "--authentication-code1", second, "--authentication-code2", second, profile="bob",
    )
    assert stderr == (
        "An error occurred (InvalidAuthenticationCode) when calling the EnableMFADevice operation: "
        "Authentication code for device is not valid."
    )
    cli.ok(
        "iam", "enable-mfa-device", "--user-name", "bob", "--serial-number", SERIAL,
        "--authentication-code1", first, "--authentication-code2", second, profile="bob",
    )
    # The code that enabled the device cannot open a session.
    stderr = cli.fails("sts", "get-session-token", "--serial-number", SERIAL, "--token-code", second, profile="bob")
    assert stderr == (
        "An error occurred (AccessDenied) when calling the GetSessionToken operation: "
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )


def test_the_qr_code_outfile_is_a_png(cli, bob_profile, server_clock, tmp_path):
    outfile = tmp_path / "qr.png"
    cli.ok(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "bob-phone",
        "--outfile", str(outfile), "--bootstrap-method", "QRCodePNG", profile="bob",
    )
    assert outfile.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
