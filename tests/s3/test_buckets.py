"""S3 buckets through the dispatcher: naming rules, ownership, authorization by IAM action."""

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, AWSError
from s3.models import Bucket
from tests.iam.helpers import document
from trail.models import Event

pytestmark = pytest.mark.django_db
BOB = "arn:aws:iam::111122223333:user/bob"


def create(ctx, name, **extra):
    return dispatch(ctx, "s3:CreateBucket", {"Bucket": name, **extra})


def error_of(ctx, action, params):
    with pytest.raises(AWSError) as caught:
        dispatch(ctx, action, params)
    return caught.value


def test_create_list_and_delete_a_bucket(alice):
    assert create(alice, "class-bucket") == {"Location": "/class-bucket", "BucketArn": "arn:aws:s3:::class-bucket"}
    listed = dispatch(alice, "s3:ListBuckets")
    assert [b["Name"] for b in listed["Buckets"]] == ["class-bucket"]
    assert len(listed["Owner"]["ID"]) == 64
    dispatch(alice, "s3:DeleteBucket", {"Bucket": "class-bucket"})
    assert not Bucket.objects.exists()
    assert [e.event_name for e in Event.objects.order_by("id")] == ["CreateBucket", "ListBuckets", "DeleteBucket"]
    assert Event.objects.first().event_source == "s3.amazonaws.com"


def test_location_constraint_sets_the_region(alice):
    create(alice, "eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert dispatch(alice, "s3:GetBucketLocation", {"Bucket": "eu-bucket"}) == {"LocationConstraint": "eu-west-1"}
    create(alice, "us-bucket")
    assert dispatch(alice, "s3:GetBucketLocation", {"Bucket": "us-bucket"}) == {"LocationConstraint": ""}


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Bad_Name", "-bucket", "bucket-", "two..dots", "192.168.1.1", "xn--bucket", "b.mrap", "bücket"],
)
def test_invalid_bucket_names(alice, name):
    error = error_of(alice, "s3:CreateBucket", {"Bucket": name})
    assert (error.code, error.message, error.status) == ("InvalidBucketName", "The specified bucket is not valid.", 400)
    assert not Bucket.objects.exists()


def test_names_are_global_across_accounts(alice, charlie):
    create(alice, "shared-name")
    assert error_of(charlie, "s3:CreateBucket", {"Bucket": "shared-name"}).code == "BucketAlreadyExists"
    assert error_of(alice, "s3:CreateBucket", {"Bucket": "shared-name"}).code == "BucketAlreadyOwnedByYou"


@pytest.mark.parametrize("name", ["iam", "signin", "console", "static", "cloudtrail"])
def test_console_paths_are_taken_names(alice, name):
    assert error_of(alice, "s3:CreateBucket", {"Bucket": name}).code == "BucketAlreadyExists"


def test_another_accounts_bucket_is_access_denied_and_unknown_is_no_such_bucket(alice, charlie):
    create(alice, "alice-bucket")
    assert error_of(charlie, "s3:HeadBucket", {"Bucket": "alice-bucket"}).code == "AccessDenied"
    assert error_of(charlie, "s3:DeleteBucket", {"Bucket": "alice-bucket"}).code == "AccessDenied"
    assert [b["Name"] for b in dispatch(charlie, "s3:ListBuckets")["Buckets"]] == []
    error = error_of(alice, "s3:HeadBucket", {"Bucket": "nope-bucket"})
    assert (error.code, error.status) == ("NoSuchBucket", 404)
    assert Bucket.objects.count() == 1


def test_s3_actions_are_authorized_by_their_iam_action_names(alice, bob, bob_ctx):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    create(alice, "class-bucket")
    assert [b["Name"] for b in dispatch(bob_ctx, "s3:ListBuckets")["Buckets"]] == ["class-bucket"]
    assert dispatch(bob_ctx, "s3:HeadBucket", {"Bucket": "class-bucket"})["BucketRegion"] == "us-east-1"
    with pytest.raises(AccessDenied) as denied:
        create(bob_ctx, "bobs-bucket")
    assert denied.value.message == (
        f"User: {BOB} is not authorized to perform: s3:CreateBucket on resource: arn:aws:s3:::bobs-bucket "
        "because no identity-based policy allows the s3:CreateBucket action"
    )


def test_an_explicit_deny_on_list_all_my_buckets_refuses_list_buckets(alice, bob, bob_ctx):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "NoList", "PolicyDocument": document(
        {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"})})
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "s3:ListBuckets")
    assert "s3:ListAllMyBuckets" in denied.value.message and "explicit deny" in denied.value.message


def test_list_buckets_pages_and_prefix(alice, charlie):
    for name in ("lab-a", "lab-b", "lab-c", "other"):
        create(alice, name)
    create(charlie, "lab-charlie")
    page = dispatch(alice, "s3:ListBuckets", {"MaxBuckets": 2})
    assert [b["Name"] for b in page["Buckets"]] == ["lab-a", "lab-b"] and page["ContinuationToken"]
    rest = dispatch(alice, "s3:ListBuckets", {"MaxBuckets": 2, "ContinuationToken": page["ContinuationToken"]})
    assert [b["Name"] for b in rest["Buckets"]] == ["lab-c", "other"] and "ContinuationToken" not in rest
    labs = dispatch(alice, "s3:ListBuckets", {"Prefix": "lab-"})
    assert [b["Name"] for b in labs["Buckets"]] == ["lab-a", "lab-b", "lab-c"] and labs["Prefix"] == "lab-"
    assert error_of(alice, "s3:ListBuckets", {"MaxBuckets": 0}).code == "InvalidArgument"
    assert error_of(alice, "s3:ListBuckets", {"ContinuationToken": "%%"}).code == "InvalidArgument"
