"""LookupEvents through the dispatcher: each lookup attribute, the time range, the
90 days of history, pagination with signed tokens, and AWS's validation errors."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, AWSError
from iam.principals import root_principal, user_principal
from tests.trail.helpers import CLOUDTRAIL_READ_ONLY, api_ctx, by, console_ctx, lookup
from tests.trail.test_trails import log_data_events
from trail.models import Event

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"


@pytest.fixture
def activity(alice, alice_account, bob, frozen_clock):
    """A few calls by root (console and API) and bob (API key), a minute apart."""
    root_console = console_ctx(root_principal(alice_account))
    dispatch(root_console, "iam:CreateUser", {"UserName": "carol"})
    frozen_clock.advance(minutes=1)
    key = dispatch(root_console, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]["AccessKeyId"]
    frozen_clock.advance(minutes=1)
    bob_api = api_ctx(user_principal(bob), key_id=key)
    with pytest.raises(AccessDenied):
        dispatch(bob_api, "iam:CreateUser", {"UserName": "eve"})
    frozen_clock.advance(minutes=1)
    dispatch(api_ctx(root_principal(alice_account)), "sts:GetCallerIdentity")
    frozen_clock.advance(minutes=1)
    return key


def names(result):
    return [e["EventName"] for e in result["Events"]]


def test_newest_first_with_the_event_shape(alice, activity, frozen_clock):
    result = lookup(alice)
    assert names(result) == ["GetCallerIdentity", "CreateUser", "CreateAccessKey", "CreateUser"]
    assert "NextToken" not in result
    newest = result["Events"][0]
    assert set(newest) == {"EventId", "EventName", "ReadOnly", "AccessKeyId", "EventTime", "EventSource",
                           "Username", "Resources", "CloudTrailEvent"}
    assert newest["ReadOnly"] == "true" and newest["Username"] == "root"
    assert newest["EventTime"] == frozen_clock.current - timedelta(minutes=1)
    record = json.loads(newest["CloudTrailEvent"])
    assert record["eventID"] == newest["EventId"] and record["eventName"] == "GetCallerIdentity"


@pytest.mark.parametrize("key,value,expected", [
    ("EventName", "CreateUser", ["CreateUser", "CreateUser"]),
    ("Username", "bob", ["CreateUser"]),
    ("Username", "root", ["GetCallerIdentity", "CreateAccessKey", "CreateUser"]),
    ("ReadOnly", "true", ["GetCallerIdentity"]),
    ("ReadOnly", "false", ["CreateUser", "CreateAccessKey", "CreateUser"]),
    ("EventSource", "sts.amazonaws.com", ["GetCallerIdentity"]),
    ("EventSource", "iam.amazonaws.com", ["CreateUser", "CreateAccessKey", "CreateUser"]),
    ("ResourceType", "AWS::IAM::User", ["CreateUser", "CreateAccessKey", "CreateUser"]),
    ("ResourceType", "AWS::IAM::AccessKey", ["CreateAccessKey"]),
    ("ResourceName", "carol", ["CreateUser"]),
    ("ResourceName", "eve", ["CreateUser"]),
    ("EventName", "DeleteUser", []),
])
def test_each_lookup_attribute(alice, activity, key, value, expected):
    assert names(lookup(alice, **by(key, value))) == expected


def test_access_key_and_event_id_attributes(alice, activity):
    assert names(lookup(alice, **by("AccessKeyId", activity))) == ["CreateUser"]
    assert names(lookup(alice, **by("ResourceName", activity))) == ["CreateAccessKey"]
    event_id = str(Event.objects.get(event_name="CreateAccessKey").event_id)
    assert names(lookup(alice, **by("EventId", event_id))) == ["CreateAccessKey"]
    assert names(lookup(alice, **by("EventId", "not-a-uuid"))) == []


def test_time_range_is_inclusive(alice, activity, frozen_clock):
    start = frozen_clock.current - timedelta(minutes=3)
    assert names(lookup(alice, StartTime=start, EndTime=start + timedelta(minutes=1))) == ["CreateUser", "CreateAccessKey"]


def test_only_the_callers_account(charlie, activity):
    assert lookup(charlie)["Events"] == []
    assert names(lookup(charlie)) == ["LookupEvents"]  # its own first lookup, not alice's calls
    assert names(lookup(charlie, **by("EventName", "CreateUser"))) == []


def test_only_the_last_90_days(alice, activity, frozen_clock):
    frozen_clock.advance(days=90, minutes=-3, seconds=30)
    assert [e["Username"] for e in lookup(alice, **by("EventName", "CreateUser"))["Events"]] == ["bob"]
    old = frozen_clock.current - timedelta(days=200)
    assert [e["Username"] for e in lookup(alice, StartTime=old, **by("EventName", "CreateUser"))["Events"]] == ["bob"]


@pytest.mark.parametrize("key", ["EventName", "ResourceType"])
def test_pages_through_every_event_once(alice, frozen_clock, key):
    for i in range(7):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
        if i % 2:
            frozen_clock.advance(seconds=1)  # some events share a time: the token must keep ties apart
    value = "CreateUser" if key == "EventName" else "AWS::IAM::User"
    seen, token, pages = [], None, 0
    while True:
        params = {**by(key, value), "MaxResults": 3}
        if token:
            params["NextToken"] = token
        result = lookup(alice, **params)
        pages += 1
        seen.extend(e["EventId"] for e in result["Events"])
        token = result.get("NextToken")
        if not token:
            break
    assert pages == 3 and len(seen) == 7 == len(set(seen))
    times = [e.event_time for e in sorted(
        Event.objects.filter(event_id__in=seen), key=lambda e: seen.index(str(e.event_id)))]
    assert times == sorted(times, reverse=True)


def fails(ctx, code, **params):
    with pytest.raises(AWSError) as caught:
        lookup(ctx, **params)
    assert caught.value.code == code
    assert caught.value.status == 400
    return caught.value.message


def test_a_tampered_or_moved_token_is_refused(alice, charlie, frozen_clock):
    for i in range(3):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    token = lookup(alice, MaxResults=1, **by("EventName", "CreateUser"))["NextToken"]
    fails(alice, "InvalidNextTokenException", MaxResults=1, NextToken=token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
          **by("EventName", "CreateUser"))
    fails(alice, "InvalidNextTokenException", NextToken="garbage")
    # the token of one filter does not continue another, nor another account's lookup
    fails(alice, "InvalidNextTokenException", MaxResults=1, NextToken=token, **by("EventName", "GetUser"))
    fails(charlie, "InvalidNextTokenException", MaxResults=1, NextToken=token, **by("EventName", "CreateUser"))
    assert lookup(alice, MaxResults=1, NextToken=token, **by("EventName", "CreateUser"))["Events"]


def test_validation_errors(alice):
    two = [{"AttributeKey": "EventName", "AttributeValue": "A"}, {"AttributeKey": "Username", "AttributeValue": "b"}]
    assert fails(alice, "InvalidLookupAttributesException", LookupAttributes=two) == (
        "Occurs when a lookup attribute is specified that is not valid.")
    fails(alice, "InvalidLookupAttributesException", **by("ReadOnly", "yes"))
    fails(alice, "InvalidLookupAttributesException", **by("Colour", "red"))
    fails(alice, "InvalidLookupAttributesException", **by("EventName", ""))
    fails(alice, "InvalidMaxResultsException", MaxResults=51)
    fails(alice, "InvalidMaxResultsException", MaxResults=0)
    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    fails(alice, "InvalidTimeRangeException", StartTime=t, EndTime=t - timedelta(seconds=1))
    fails(alice, "InvalidEventCategoryException", EventCategory="management")
    # each refused call is itself recorded, as CloudTrail records failed LookupEvents
    assert Event.objects.filter(event_name="LookupEvents").exclude(error_code="").count() == 8


def test_needs_permission(alice, bob, bob_ctx):
    with pytest.raises(AccessDenied) as denied:
        lookup(bob_ctx)
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: cloudtrail:LookupEvents "
        "on resource: * because no identity-based policy allows the cloudtrail:LookupEvents action"
    )
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": CLOUDTRAIL_READ_ONLY})
    assert names(lookup(bob_ctx, **by("Username", "bob"))) == ["LookupEvents"]


@pytest.mark.parametrize("key,value", [(None, None), ("Username", "root"), ("ResourceType", "AWS::IAM::User")])
def test_query_count_does_not_grow_with_the_events(alice, key, value):
    params = by(key, value) if key else {}

    def queries():
        with CaptureQueriesContext(connection) as captured:
            lookup(alice, **params)
        return len(captured)

    dispatch(alice, "iam:CreateUser", {"UserName": "u0"})
    few = queries()
    for i in range(1, 30):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    assert queries() == few <= 4


def test_data_events_stay_out_of_the_event_history(alice, frozen_clock):
    """S3 object calls are data events: trails that select them get them, LookupEvents
    (and the Event history page) shows management events only, as on AWS."""
    log_data_events(alice)
    dispatch(alice, "s3:CreateBucket", {"Bucket": "class-files"})
    dispatch(alice, "s3:PutObject", {"Bucket": "class-files", "Key": "notes.txt", "Body": b"x"})
    dispatch(alice, "s3:GetObject", {"Bucket": "class-files", "Key": "notes.txt"})["Body"].close()
    assert Event.objects.filter(event_name__in=["PutObject", "GetObject"], management_event=False).count() == 2
    assert names(lookup(alice)) == [  # the trail's own calls, then the bucket: no data events
        "CreateBucket", "PutEventSelectors", "StartLogging", "CreateTrail", "PutBucketPolicy", "CreateBucket"]
    assert names(lookup(alice, **by("ResourceName", "class-files"))) == ["CreateBucket"]
    assert names(lookup(alice, **by("EventSource", "s3.amazonaws.com"))) == [
        "CreateBucket", "PutBucketPolicy", "CreateBucket"]
