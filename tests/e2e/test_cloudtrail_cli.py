"""CloudTrail with the real aws CLI and boto3 against a live server: lookup-events by
each attribute, pagination through several pages, AWS's errors, and the recording
under concurrent load (every call one event, none lost, none twice)."""

import json
import subprocess
import sys

import pytest

from awsapi.dispatch import dispatch
from tests.trail.helpers import CLOUDTRAIL_READ_ONLY
from trail.models import Event

ACCOUNT = "111122223333"


@pytest.fixture
def bob_key(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": CLOUDTRAIL_READ_ONLY})
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture
def bob_cli(cli, bob_key):
    cli.configure("bob", *bob_key)
    return cli


def test_lookup_events_by_user_name_with_the_cli(bob_cli, bob_key):
    bob_cli.ok("iam", "list-users", profile="bob")
    bob_cli.fails("iam", "create-user", "--user-name", "eve", profile="bob")
    result = bob_cli.ok("cloudtrail", "lookup-events", "--lookup-attributes",
                        "AttributeKey=Username,AttributeValue=bob", profile="bob")
    events = result["Events"]
    assert [e["EventName"] for e in events] == ["CreateUser", "ListUsers"]
    denied = json.loads(events[0]["CloudTrailEvent"])
    assert denied["errorCode"] == "AccessDenied"
    assert denied["userIdentity"]["accessKeyId"] == bob_key[0] == events[0]["AccessKeyId"]
    assert denied["userAgent"].startswith("aws-cli/")
    assert denied["awsRegion"] == "eu-west-1"
    assert events[0]["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": "eve"}]
    assert events[1]["ReadOnly"] == "true"


@pytest.mark.parametrize("key,value,expected", [
    ("EventName", "ListUsers", ["ListUsers"]),
    ("ReadOnly", "false", ["CreateAccessKey"]),
    ("EventSource", "iam.amazonaws.com", ["ListUsers", "CreateAccessKey"]),
    ("ResourceType", "AWS::IAM::AccessKey", ["CreateAccessKey"]),
    ("ResourceName", "bob", ["CreateAccessKey"]),
])
def test_every_attribute_with_the_cli(bob_cli, key, value, expected):
    bob_cli.ok("iam", "list-users", profile="bob")
    result = bob_cli.ok("cloudtrail", "lookup-events", "--lookup-attributes",
                        f"AttributeKey={key},AttributeValue={value}", profile="bob")
    names = [e["EventName"] for e in result["Events"] if e["EventName"] not in ("AttachUserPolicy", "LookupEvents")]
    assert names == expected


def test_access_key_and_event_id_with_the_cli(bob_cli, bob_key):
    bob_cli.ok("sts", "get-caller-identity", profile="bob")
    by_key = bob_cli.ok("cloudtrail", "lookup-events", "--lookup-attributes",
                        f"AttributeKey=AccessKeyId,AttributeValue={bob_key[0]}", profile="bob")["Events"]
    assert [e["EventName"] for e in by_key] == ["GetCallerIdentity"]
    event_id = by_key[0]["EventId"]
    by_id = bob_cli.ok("cloudtrail", "lookup-events", "--lookup-attributes",
                       f"AttributeKey=EventId,AttributeValue={event_id}", profile="bob")["Events"]
    assert [e["EventId"] for e in by_id] == [event_id]


def test_request_id_in_the_record_is_the_responses(boto3_client, bob_key):
    sts = boto3_client("sts", *bob_key)
    request_id = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
    assert Event.objects.get(event_name="GetCallerIdentity").request_id == request_id


def test_cli_errors_are_awss(bob_cli):
    stderr = bob_cli.fails("cloudtrail", "lookup-events", "--lookup-attributes",
                           "AttributeKey=EventName,AttributeValue=A", "AttributeKey=Username,AttributeValue=b",
                           profile="bob")
    assert "(InvalidLookupAttributesException)" in stderr
    stderr = bob_cli.fails("cloudtrail", "lookup-events", "--start-time", "2026-11-02", "--end-time", "2026-11-01",
                           profile="bob")
    assert "(InvalidTimeRangeException)" in stderr
    stderr = bob_cli.fails("cloudtrail", "lookup-events", "--no-paginate", "--next-token", "forged", profile="bob")
    assert "(InvalidNextTokenException)" in stderr


def test_boto3_paginates_through_several_pages(boto3_client, alice, bob_key):
    for i in range(23):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    cloudtrail = boto3_client("cloudtrail", *bob_key)
    paginator = cloudtrail.get_paginator("lookup_events")
    pages = list(paginator.paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}],
        PaginationConfig={"PageSize": 5},
    ))
    assert [len(p["Events"]) for p in pages] == [5, 5, 5, 5, 3]
    names = [json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] for p in pages for e in p["Events"]]
    assert names == [f"u{i}" for i in reversed(range(23))]
    token = pages[0]["NextToken"]
    with pytest.raises(cloudtrail.exceptions.InvalidNextTokenException):
        cloudtrail.lookup_events(NextToken=token[:-3] + "abc", MaxResults=5,
                                 LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])


def test_a_user_without_permission_gets_access_denied(cli, alice, bob):
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    cli.configure("bob", key["AccessKeyId"], key["SecretAccessKey"])
    stderr = cli.fails("cloudtrail", "lookup-events", profile="bob")
    assert "An error occurred (AccessDeniedException) when calling the LookupEvents operation" in stderr
    assert (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: cloudtrail:LookupEvents "
        "on resource: * because no identity-based policy allows the cloudtrail:LookupEvents action"
    ) in stderr


# One client process: its own boto3 clients (no retries, so a failed call is not
# repeated and counted twice), alternating an STS and an IAM call.
CLIENT = """
import sys, boto3
from botocore.config import Config
url, key_id, secret, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id,
          aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
sts, iam = boto3.client("sts", **kw), boto3.client("iam", **kw)
ok = 0
for i in range(calls):
    try:
        (sts.get_caller_identity if i % 2 else iam.list_users)()
        ok += 1
    except Exception as error:
        print(error, file=sys.stderr)
print(ok)
"""


def test_concurrent_clients_every_call_is_one_event(live_server, bob_key):
    processes, calls = 4, 100
    workers = [
        subprocess.Popen([sys.executable, "-c", CLIENT, live_server.url, *bob_key, str(calls)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [int(out) for out, _ in outputs] == [calls] * processes, [err for _, err in outputs]
    recorded = Event.objects.filter(access_key_id=bob_key[0])
    assert recorded.count() == processes * calls
    assert recorded.values("event_id").distinct().count() == processes * calls
