"""Event shapes: each recorded call and sign-in has CloudTrail's record fields as AWS's
documented examples show them (AWS CloudTrail User Guide, "CloudTrail record contents",
"AWS Management Console sign-in events", "CloudTrail userIdentity element")."""

import json

import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from iam.principals import root_principal, user_principal
from tests.console.helpers import iam_sign_in, root_sign_in
from tests.iam.helpers import document
from tests.sts.test_operations import role_ctx
from tests.trail.helpers import api_ctx, console_ctx, last_event, row_text
from trail.models import EVENT_VERSION, Event

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
COMMON = {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
          "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID",
          "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory"}


def test_console_login_record(client, alice_account, frozen_clock):
    assert root_sign_in(client, meta={"HTTP_USER_AGENT": "Mozilla/5.0 Firefox/130.0"}).status_code == 302
    record = last_event("ConsoleLogin").as_record()
    assert COMMON <= set(record)
    assert record["eventVersion"] == EVENT_VERSION
    assert record["eventTime"] == "2026-11-29T12:00:00Z"
    assert (record["eventSource"], record["eventType"], record["awsRegion"]) == (
        "signin.amazonaws.com", "AwsConsoleSignIn", "us-east-1")
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert record["userAgent"] == "Mozilla/5.0 Firefox/130.0"
    assert record["requestParameters"] is None
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    assert record["additionalEventData"]["MFAUsed"] == "No"
    assert (record["readOnly"], record["managementEvent"], record["eventCategory"]) == (False, True, "Management")
    assert record["recipientAccountId"] == ACCOUNT
    assert "errorCode" not in record and "sessionCredentialFromConsole" not in record


def test_failed_console_login_has_an_error_message(bob):
    client = Client()
    iam_sign_in(client, password="wrong-Passw0rd!")
    record = last_event("ConsoleLogin").as_record()
    assert record["responseElements"] == {"ConsoleLogin": "Failure"}
    assert record["errorMessage"] == "Failed authentication"
    assert record["userIdentity"]["type"] == "IAMUser"


def test_create_user_from_the_console(alice_account, frozen_clock):
    ctx = console_ctx(root_principal(alice_account))
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol", "Path": "/lab/"})
    event = last_event("CreateUser")
    record = event.as_record()
    assert COMMON | {"requestID", "sessionCredentialFromConsole", "resources"} <= set(record)
    assert record["userAgent"] == "AWS Internal"
    assert record["sessionCredentialFromConsole"] == "true"
    assert record["userIdentity"]["sessionContext"] == {
        "sessionIssuer": {},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2026-11-29T11:30:00Z", "mfaAuthenticated": "false"},
    }
    assert record["requestID"] == ctx.request_id
    assert record["requestParameters"] == {"userName": "carol", "path": "/lab/"}
    assert record["responseElements"]["user"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/lab/carol"
    assert record["responseElements"]["user"]["createDate"] == "Nov 29, 2026 12:00:00 PM"
    assert record["resources"] == [
        {"accountId": ACCOUNT, "type": "AWS::IAM::User", "ARN": f"arn:aws:iam::{ACCOUNT}:user/lab/carol"}
    ]
    assert event.lookup_resources == [{"ResourceType": "AWS::IAM::User", "ResourceName": "carol"}]
    assert (record["readOnly"], record["eventType"], record["eventCategory"]) == (False, "AwsApiCall", "Management")
    assert event.username == "root"


def test_create_user_from_the_api_carries_the_key_and_client(alice_account):
    ctx = api_ctx(root_principal(alice_account))
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    event = last_event("CreateUser")
    record = event.as_record()
    assert record["userAgent"] == "aws-cli/1.36.0 Python/3.11"
    assert record["userIdentity"]["accessKeyId"] == "AKIAEXAMPLEEXAMPLE22"
    assert "sessionContext" not in record["userIdentity"]
    assert "sessionCredentialFromConsole" not in record
    assert record["awsRegion"] == "eu-west-1"
    assert event.access_key_id == "AKIAEXAMPLEEXAMPLE22"


def test_create_access_key_records_no_secret(alice_account, bob):
    result = dispatch(console_ctx(root_principal(alice_account)), "iam:CreateAccessKey", {"UserName": "bob"})
    secret = result["AccessKey"]["SecretAccessKey"]
    event = last_event("CreateAccessKey")
    record = event.as_record()
    key = record["responseElements"]["accessKey"]
    assert key["accessKeyId"] == result["AccessKey"]["AccessKeyId"]
    assert "secretAccessKey" not in key
    assert secret not in row_text(event)
    assert secret not in json.dumps(record)
    assert {"ResourceType": "AWS::IAM::AccessKey", "ResourceName": key["accessKeyId"]} in event.lookup_resources
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": "bob"} in event.lookup_resources


def test_assume_role_and_the_role_sessions_calls(alice, bob, bob_ctx, frozen_clock):
    dispatch(alice, "iam:CreateRole", {"RoleName": "admin", "AssumeRolePolicyDocument": document(
        {"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole"})})
    dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "admin", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/admin"
    result = dispatch(api_ctx(user_principal(bob)), "sts:AssumeRole", {"RoleArn": role_arn, "RoleSessionName": "lab"})
    assume = last_event("AssumeRole")
    record = assume.as_record()
    assert record["eventSource"] == "sts.amazonaws.com"
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["resources"][0] == {"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": role_arn}
    credentials = record["responseElements"]["credentials"]
    assert credentials["accessKeyId"] == result["Credentials"]["AccessKeyId"]
    assert "secretAccessKey" not in credentials and "sessionToken" not in credentials
    assert result["Credentials"]["SecretAccessKey"] not in row_text(assume)
    assert result["Credentials"]["SessionToken"] not in row_text(assume)

    dispatch(role_ctx(result), "iam:ListUsers")
    event = last_event("ListUsers")
    identity = event.as_record()["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/lab"
    assert identity["accessKeyId"] == result["Credentials"]["AccessKeyId"]
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role_arn
    assert identity["sessionContext"]["sessionIssuer"]["type"] == "Role"
    assert identity["sessionContext"]["attributes"] == {
        "creationDate": "2026-11-29T12:00:00Z", "mfaAuthenticated": "false"}
    assert event.username == "lab"
    assert event.read_only is True and event.as_record()["responseElements"] is None


def test_denied_call_records_the_error(bob, bob_ctx):
    with pytest.raises(AccessDenied) as denied:
        dispatch(console_ctx(user_principal(bob)), "iam:CreateUser", {"UserName": "eve"})
    event = last_event("CreateUser")
    record = event.as_record()
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == denied.value.message
    assert record["responseElements"] is None
    assert record["userIdentity"]["userName"] == "bob"
    assert event.username == "bob"
    assert event.lookup_resources == [{"ResourceType": "AWS::IAM::User", "ResourceName": "eve"}]


def test_exactly_one_event_per_call(alice):
    before = Event.objects.count()
    dispatch(alice, "iam:CreateUser", {"UserName": "u1"})
    dispatch(alice, "iam:GetUser", {"UserName": "u1"})
    assert Event.objects.count() == before + 2
