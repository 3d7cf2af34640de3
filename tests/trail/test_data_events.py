"""S3 data events are recorded only when a logging trail selects them at the time of
the call, as CloudTrail evaluates every trail's event selectors when an event occurs:
by bucket and prefix, read or write, region, and whether the trail is logging."""

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from iam.principals import root_principal, user_principal
from tests.trail.helpers import api_ctx
from tests.trail.test_trails import REGION, make_bucket
from trail.models import Event
from trail.selectors import selects

pytestmark = pytest.mark.django_db
FILES = "class-files"


@pytest.fixture
def ctx(alice_account):
    return api_ctx(root_principal(alice_account), region=REGION)


@pytest.fixture
def trail(ctx):
    """A logging trail with AWS's default selectors: management events only."""
    make_bucket(ctx)
    dispatch(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": "alice-trail-logs"})
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "main"})
    dispatch(ctx, "s3:CreateBucket", {"Bucket": FILES})
    dispatch(ctx, "s3:CreateBucket", {"Bucket": "other-files"})
    return "main"


def select(ctx, *values, read_write="All"):
    dispatch(ctx, "cloudtrail:PutEventSelectors", {"TrailName": "main", "EventSelectors": [
        {"ReadWriteType": read_write, "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": list(values)}]},
    ]})


def put(ctx, key, bucket=FILES):
    dispatch(ctx, "s3:PutObject", {"Bucket": bucket, "Key": key, "Body": b"x"})


def get(ctx, key, bucket=FILES):
    dispatch(ctx, "s3:GetObject", {"Bucket": bucket, "Key": key})["Body"].close()


def data_events():
    return [(e.event_name, e.request_parameters["key"])
            for e in Event.objects.filter(management_event=False).order_by("id")]


def test_no_trail_records_no_data_event(ctx):
    dispatch(ctx, "s3:CreateBucket", {"Bucket": FILES})
    put(ctx, "a.txt")
    get(ctx, "a.txt")
    dispatch(ctx, "s3:DeleteObject", {"Bucket": FILES, "Key": "a.txt"})
    assert data_events() == []
    assert list(Event.objects.values_list("event_name", flat=True)) == ["CreateBucket"]


def test_a_trail_logs_no_data_events_by_default(ctx, trail):
    put(ctx, "a.txt")
    assert data_events() == []


def test_a_bucket_selector_records_that_bucket_s_object_calls_from_then_on(ctx, trail):
    put(ctx, "before.txt")
    select(ctx, f"arn:aws:s3:::{FILES}/")
    put(ctx, "a.txt")
    get(ctx, "a.txt")
    put(ctx, "b.txt", bucket="other-files")
    assert data_events() == [("PutObject", "a.txt"), ("GetObject", "a.txt")]
    event = Event.objects.get(event_name="PutObject")
    assert event.recipient_account_id == "111122223333" and event.aws_region == REGION
    assert event.request_parameters["bucket"] == FILES


def test_a_prefix_selector_and_every_bucket(ctx, trail):
    select(ctx, f"arn:aws:s3:::{FILES}/reports/")
    put(ctx, "reports/q1.csv")
    put(ctx, "notes.txt")
    assert data_events() == [("PutObject", "reports/q1.csv")]
    select(ctx, "arn:aws:s3")
    put(ctx, "c.txt", bucket="other-files")
    assert data_events()[-1] == ("PutObject", "c.txt")


def test_write_only_leaves_out_reads(ctx, trail):
    select(ctx, f"arn:aws:s3:::{FILES}/", read_write="WriteOnly")
    put(ctx, "a.txt")
    get(ctx, "a.txt")
    assert data_events() == [("PutObject", "a.txt")]
    select(ctx, f"arn:aws:s3:::{FILES}/", read_write="ReadOnly")
    put(ctx, "b.txt")
    get(ctx, "b.txt")
    assert data_events() == [("PutObject", "a.txt"), ("GetObject", "b.txt")]


def test_a_stopped_trail_selects_nothing(ctx, trail):
    select(ctx, "arn:aws:s3")
    dispatch(ctx, "cloudtrail:StopLogging", {"Name": "main"})
    put(ctx, "a.txt")
    assert data_events() == []
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "main"})
    put(ctx, "b.txt")
    assert data_events() == [("PutObject", "b.txt")]


def test_a_single_region_trail_logs_its_own_region_s_object_calls(ctx, trail, alice_account):
    select(ctx, "arn:aws:s3")
    elsewhere = api_ctx(root_principal(alice_account), region="us-east-1")
    put(elsewhere, "from-virginia.txt")
    assert data_events() == []
    dispatch(ctx, "cloudtrail:UpdateTrail", {"Name": "main", "IsMultiRegionTrail": True})
    put(elsewhere, "from-virginia-too.txt")
    assert data_events() == [("PutObject", "from-virginia-too.txt")]


def test_a_denied_object_call_is_recorded_with_its_error(ctx, trail, bob):
    select(ctx, f"arn:aws:s3:::{FILES}/")
    with pytest.raises(AccessDenied):
        put(api_ctx(user_principal(bob), region=REGION), "intruder.txt")
    event = Event.objects.get(event_name="PutObject")
    assert (event.username, event.error_code) == ("bob", "AccessDenied")


def test_selectors_by_resource_type_and_management_settings():
    no_management = [{"IncludeManagementEvents": False,
                      "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]
    assert not selects(no_management, management_event=True, read_only=False, event_source="iam.amazonaws.com")
    assert selects(no_management, management_event=False, read_only=False, event_source="s3.amazonaws.com",
                   arn="arn:aws:s3:::b/k")
    excluding = [{"ExcludeManagementEventSources": ["kms.amazonaws.com"]}]
    assert not selects(excluding, management_event=True, read_only=True, event_source="kms.amazonaws.com")
    assert selects(excluding, management_event=True, read_only=True, event_source="iam.amazonaws.com")
    functions = [{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}]
    assert not selects(functions, management_event=False, read_only=False, event_source="s3.amazonaws.com",
                       arn="arn:aws:s3:::b/k")
