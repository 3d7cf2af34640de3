"""The trail actions through the dispatcher: AWS's validation and errors, the bucket
policy check at CreateTrail, event selectors, status and public keys."""

import json

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from iam.principals import root_principal
from tests.trail.helpers import api_ctx, last_event
from trail.models import Trail

# Shared with test_delivery and the e2e trail tests: the bucket policy AWS documents
# for CloudTrail ("Amazon S3 bucket policy for CloudTrail"), verbatim but for the names.
ACCOUNT = "111122223333"
BUCKET = "alice-trail-logs"
REGION = "eu-west-1"


def cloudtrail_policy(bucket=BUCKET, account=ACCOUNT, region=REGION, trail="main", prefix=""):
    path = f"{prefix}/AWSLogs/{account}/*" if prefix else f"AWSLogs/{account}/*"
    source = f"arn:aws:cloudtrail:{region}:{account}:trail/{trail}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{bucket}",
                    "Condition": {"StringEquals": {"aws:SourceArn": source}},
                },
                {
                    "Sid": "AWSCloudTrailWrite20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{path}",
                    "Condition": {
                        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source}
                    },
                },
            ],
        },
        indent=4,
    )


def make_bucket(ctx, bucket=BUCKET, policy=True, **policy_args):
    dispatch(ctx, "s3:CreateBucket", {"Bucket": bucket})
    if policy:
        dispatch(ctx, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": cloudtrail_policy(bucket, **policy_args)})
    return bucket


def log_data_events(ctx, *values, bucket="trail-logs"):
    """A logging trail of the caller's account in its region that selects the S3 data
    events of ``values`` (every bucket's by default)."""
    make_bucket(ctx, bucket, account=ctx.principal.account_id, region=ctx.region)
    dispatch(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": bucket})
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "main"})
    dispatch(ctx, "cloudtrail:PutEventSelectors", {"TrailName": "main", "EventSelectors": [
        {"DataResources": [{"Type": "AWS::S3::Object", "Values": list(values or ["arn:aws:s3"])}]}]})


ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"


@pytest.fixture
def ctx(alice_account):
    return api_ctx(root_principal(alice_account), region=REGION)


@pytest.fixture
def bucket(ctx):
    return make_bucket(ctx)


def error_of(ctx, action, params):
    with pytest.raises(AWSError) as caught:
        dispatch(ctx, action, params)
    return caught.value


def create(ctx, name="main", **extra):
    return dispatch(ctx, "cloudtrail:CreateTrail", {"Name": name, "S3BucketName": BUCKET, **extra})


def test_create_trail_answers_as_aws_and_is_recorded(ctx, bucket):
    result = create(ctx, EnableLogFileValidation=True)
    assert result == {
        "Name": "main",
        "S3BucketName": BUCKET,
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": False,
        "TrailARN": ARN,
        "LogFileValidationEnabled": True,
        "IsOrganizationTrail": False,
    }
    event = last_event("CreateTrail")
    assert event.event_source == "cloudtrail.amazonaws.com" and not event.error_code


@pytest.mark.parametrize("name,message", [
    ("ab", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters."),
    ("a" * 129, "Trail name too long. Maximum allowed length: 128 characters. Specified name length: 129 characters."),
    ("-abc", "Trail name must starts with a letter or number."),
    ("abc-", "Trail name must ends with a letter or number."),
    ("ab c", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
             "hyphens (-), and underscores (_)."),
])
def test_invalid_trail_names_get_awss_messages(ctx, bucket, name, message):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": name, "S3BucketName": BUCKET})
    assert (error.code, error.message) == ("InvalidTrailNameException", message)


@pytest.mark.parametrize("name", ["my--trail", "my-_trail", "192.168.5.4"])
def test_adjacent_punctuation_and_ip_addresses_are_invalid_names(ctx, bucket, name):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": name, "S3BucketName": BUCKET})
    assert error.code == "InvalidTrailNameException"


def test_a_second_trail_with_the_name_already_exists(ctx, bucket):
    create(ctx)
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET})
    assert (error.code, error.message) == ("TrailAlreadyExistsException", f"Trail main already exists for customer: {ACCOUNT}")


def test_a_missing_bucket(ctx):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": "no-such-bucket-here"})
    assert (error.code, error.message) == ("S3BucketDoesNotExistException", "S3 bucket no-such-bucket-here does not exist!")


def test_a_bucket_without_a_policy_for_cloudtrail_is_refused(ctx):
    make_bucket(ctx, policy=False)
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET})
    assert error.code == "InsufficientS3BucketPolicyException"
    assert error.message == f"Incorrect S3 bucket policy is detected for bucket: {BUCKET}"
    assert not Trail.objects.exists()
    assert last_event("CreateTrail").error_code == "InsufficientS3BucketPolicyException"


def test_a_policy_for_another_trail_or_without_the_prefix_is_refused(ctx, bucket):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "other", "S3BucketName": BUCKET})
    assert error.code == "InsufficientS3BucketPolicyException"
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET, "S3KeyPrefix": "logs"})
    assert error.code == "InsufficientS3BucketPolicyException"


def test_a_prefix_allowed_by_the_policy(ctx):
    make_bucket(ctx, prefix="logs")
    assert create(ctx, S3KeyPrefix="logs")["S3KeyPrefix"] == "logs"


def test_a_prefix_over_200_characters(ctx, bucket):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET, "S3KeyPrefix": "p" * 201})
    assert error.code == "InvalidS3PrefixException"


def test_a_multi_region_trail_must_include_global_events(ctx, bucket):
    error = error_of(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET,
                                                     "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": False})
    assert error.code == "InvalidParameterCombinationException"


def test_unknown_trails(ctx, bucket):
    error = error_of(ctx, "cloudtrail:GetTrailStatus", {"Name": "nothere"})
    assert (error.code, error.message) == (
        "TrailNotFoundException", f"Unknown trail: arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/nothere for the user: {ACCOUNT}"
    )
    error = error_of(ctx, "cloudtrail:StartLogging", {"Name": "arn:aws:cloudtrail:eu-west-1:444455556666:trail/x"})
    assert error.code == "CloudTrailARNInvalidException"


def test_describe_get_and_delete(ctx, bucket):
    create(ctx)
    listed = dispatch(ctx, "cloudtrail:DescribeTrails", {})["trailList"]
    assert [t["TrailARN"] for t in listed] == [ARN]
    assert listed[0]["HomeRegion"] == REGION and listed[0]["HasCustomEventSelectors"] is False
    assert dispatch(ctx, "cloudtrail:GetTrail", {"Name": ARN})["Trail"]["Name"] == "main"
    other_region = api_ctx(ctx.principal, region="us-east-1")
    assert dispatch(other_region, "cloudtrail:DescribeTrails", {})["trailList"] == []
    dispatch(ctx, "cloudtrail:DeleteTrail", {"Name": "main"})
    assert dispatch(ctx, "cloudtrail:DescribeTrails", {})["trailList"] == []


def test_start_and_stop_logging_show_in_the_status(ctx, bucket, frozen_clock):
    create(ctx)
    assert dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})["IsLogging"] is False
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "main"})
    status = dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})
    assert status["IsLogging"] is True
    assert status["StartLoggingTime"] == frozen_clock.current
    assert status["TimeLoggingStarted"] == "2026-11-29T12:00:00Z"
    frozen_clock.advance(minutes=5)
    dispatch(ctx, "cloudtrail:StopLogging", {"Name": ARN})
    status = dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})
    assert status["IsLogging"] is False and status["StopLoggingTime"] == frozen_clock.current


def test_update_trail_checks_the_new_bucket(ctx, bucket):
    create(ctx)
    make_bucket(ctx, "another-bucket-x", policy=False)
    error = error_of(ctx, "cloudtrail:UpdateTrail", {"Name": "main", "S3BucketName": "another-bucket-x"})
    assert error.code == "InsufficientS3BucketPolicyException"
    result = dispatch(ctx, "cloudtrail:UpdateTrail", {"Name": "main", "EnableLogFileValidation": True})
    assert result["LogFileValidationEnabled"] is True and result["S3BucketName"] == BUCKET


def test_event_selectors(ctx, bucket):
    create(ctx)
    default = dispatch(ctx, "cloudtrail:GetEventSelectors", {"TrailName": "main"})
    assert default["EventSelectors"][0]["ReadWriteType"] == "All"
    selectors = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
                  "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::class-files/"]}]}]
    result = dispatch(ctx, "cloudtrail:PutEventSelectors", {"TrailName": "main", "EventSelectors": selectors})
    assert result["TrailARN"] == ARN
    assert dispatch(ctx, "cloudtrail:GetEventSelectors", {"TrailName": "main"})["EventSelectors"][0]["DataResources"] == [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::class-files/"]}
    ]
    assert dispatch(ctx, "cloudtrail:GetTrail", {"Name": "main"})["Trail"]["HasCustomEventSelectors"] is True
    bad = [{"ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Bucket", "Values": ["x"]}]}]
    error = error_of(ctx, "cloudtrail:PutEventSelectors", {"TrailName": "main", "EventSelectors": bad})
    assert error.code == "InvalidEventSelectorsException"


def test_list_public_keys_returns_the_regions_key(ctx):
    keys = dispatch(ctx, "cloudtrail:ListPublicKeys", {})["PublicKeyList"]
    assert len(keys) == 1
    import hashlib

    import rsa

    assert keys[0]["Fingerprint"] == hashlib.md5(keys[0]["Value"]).hexdigest()
    rsa.PublicKey.load_pkcs1(keys[0]["Value"], format="DER")  # PKCS #1 DER, as the CLI loads it
    assert dispatch(ctx, "cloudtrail:ListPublicKeys", {})["PublicKeyList"] == keys


def test_a_user_without_permission_is_denied(ctx, bucket, bob_ctx):
    error = error_of(bob_ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET})
    assert error.code in ("AccessDenied", "AccessDeniedException")


def test_cloudtrail_policy_text_is_accepted_by_s3():
    assert "cloudtrail.amazonaws.com" in cloudtrail_policy()
