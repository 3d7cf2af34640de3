"""S3 authorization through the dispatcher: identity policies and bucket policies in the
same account, cross-account access that both accounts must allow, anonymous callers,
ACLs as policy statements, Block Public Access, condition keys, object ownership."""

import json

import pytest

from awsapi.context import ANONYMOUS
from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from iam.principals import root_principal, user_principal
from s3.access import can_list_bucket
from s3.models import Bucket
from s3.operations import canonical_user_id
from tests.conftest import ALICE_ACCOUNT, CHARLIE_ACCOUNT, context_for, make_user
from trail.models import Event

pytestmark = pytest.mark.django_db
BUCKET = "access-bucket"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
BOB = f"arn:aws:iam::{ALICE_ACCOUNT}:user/bob"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
def error_of(ctx, action, params):
    with pytest.raises(AWSError) as caught:
        dispatch(ctx, action, params)
    return caught.value


def denied(ctx, action, params):
    error = error_of(ctx, action, params)
    assert (error.code, error.status) == ("AccessDenied", 403), error.message
    return error.message


def bucket_policy(ctx, *statements):
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    dispatch(ctx, "s3:PutBucketPolicy", {"Bucket": BUCKET, "Policy": document})


def statement(effect, principal, action, resource=BUCKET_ARN, **extra):
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


def attach(alice, user_name, arn, account_ctx=None):
    dispatch(account_ctx or alice, "iam:AttachUserPolicy", {"UserName": user_name, "PolicyArn": arn})


@pytest.fixture
def bucket(alice):
    dispatch(alice, "s3:CreateBucket", {"Bucket": BUCKET})
    return Bucket.objects.get(name=BUCKET)


@pytest.fixture
def carol_ctx(alice_account):
    return context_for(user_principal(make_user(alice_account, "carol")))


@pytest.fixture
def dave_ctx(charlie_account):
    """An IAM user in charlie's account."""
    return context_for(user_principal(make_user(charlie_account, "dave")))


@pytest.fixture
def anonymous(db):
    return context_for(ANONYMOUS)


def open_to_public(alice):
    dispatch(alice, "s3:DeletePublicAccessBlock", {"Bucket": BUCKET})


def enable_acls(alice):
    dispatch(alice, "s3:PutBucketOwnershipControls", {"Bucket": BUCKET, "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}})


# --- same account ---------------------------------------------------------------------


def test_a_bucket_policy_deny_refuses_one_user_while_others_still_work(alice, bob, bob_ctx, carol_ctx, bucket):
    attach(alice, "bob", FULL_ACCESS)
    attach(alice, "carol", FULL_ACCESS)
    bucket_policy(alice, statement("Deny", {"AWS": BOB}, "s3:*", [BUCKET_ARN, f"{BUCKET_ARN}/*"]))
    assert denied(bob_ctx, "s3:HeadBucket", {"Bucket": BUCKET}) == (
        f"User: {BOB} is not authorized to perform: s3:ListBucket on resource: {BUCKET_ARN} "
        "with an explicit deny in a resource-based policy"
    )
    assert dispatch(carol_ctx, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"
    assert dispatch(alice, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"
    event = Event.objects.filter(event_name="HeadBucket", error_code="AccessDenied").get()
    assert event.user_identity["arn"] == BOB


def test_a_bucket_policy_naming_the_user_allows_without_an_identity_policy(alice, bob, bob_ctx, bucket):
    denied(bob_ctx, "s3:HeadBucket", {"Bucket": BUCKET})
    bucket_policy(alice, statement("Allow", {"AWS": BOB}, "s3:ListBucket"))
    assert dispatch(bob_ctx, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"


def test_a_bucket_policy_naming_the_account_delegates_to_identity_policies(alice, bob, bob_ctx, bucket):
    bucket_policy(alice, statement("Allow", {"AWS": ALICE_ACCOUNT}, "s3:ListBucket"))
    assert "because no identity-based policy allows the s3:ListBucket action" in denied(
        bob_ctx, "s3:HeadBucket", {"Bucket": BUCKET}
    )


def test_an_identity_deny_wins_over_a_bucket_policy_allow(alice, bob, bob_ctx, bucket):
    bucket_policy(alice, statement("Allow", {"AWS": BOB}, "s3:ListBucket"))
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "NoS3", "PolicyDocument": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})})
    assert "with an explicit deny in an identity-based policy" in denied(bob_ctx, "s3:HeadBucket", {"Bucket": BUCKET})


def test_the_read_only_policy_lists_but_cannot_change_configuration(alice, bob, bob_ctx, bucket):
    attach(alice, "bob", READ_ONLY)
    assert dispatch(bob_ctx, "s3:GetBucketAcl", {"Bucket": BUCKET})["Grants"]
    assert "s3:PutBucketTagging" in denied(bob_ctx, "s3:PutBucketTagging", {"Bucket": BUCKET, "Tagging": {"TagSet": []}})


# --- across accounts -----------------------------------------------------------------------


def test_another_account_needs_the_bucket_policy_and_its_own_identity_policy(alice, charlie, dave_ctx, bucket):
    assert denied(charlie, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"
    bucket_policy(alice, statement("Allow", {"AWS": CHARLIE_ACCOUNT}, "s3:ListBucket"))
    # Charlie's root is allowed by its own account; his IAM user needs his own policy too.
    assert dispatch(charlie, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"
    assert denied(dave_ctx, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"
    attach(alice, "dave", READ_ONLY, account_ctx=charlie)
    assert dispatch(dave_ctx, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"
    # Only what the bucket policy grants: its ListBucket, not its GetBucketAcl.
    assert denied(dave_ctx, "s3:GetBucketAcl", {"Bucket": BUCKET}) == "Access Denied"


def test_an_identity_policy_alone_does_not_reach_another_accounts_bucket(alice, charlie, dave_ctx, bucket):
    attach(alice, "dave", FULL_ACCESS, account_ctx=charlie)
    assert denied(dave_ctx, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"


def test_a_policy_naming_another_accounts_user_still_needs_that_users_identity_policy(alice, charlie, dave_ctx, bucket):
    bucket_policy(alice, statement("Allow", {"AWS": f"arn:aws:iam::{CHARLIE_ACCOUNT}:user/dave"}, "s3:ListBucket"))
    assert denied(dave_ctx, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"
    attach(alice, "dave", READ_ONLY, account_ctx=charlie)
    dispatch(dave_ctx, "s3:HeadBucket", {"Bucket": BUCKET})


def test_restrict_public_buckets_keeps_a_public_policy_from_other_accounts(alice, charlie, bucket):
    open_to_public(alice)
    bucket_policy(alice, statement("Allow", "*", "s3:ListBucket"))
    dispatch(charlie, "s3:HeadBucket", {"Bucket": BUCKET})
    dispatch(alice, "s3:PutPublicAccessBlock", {"Bucket": BUCKET, "PublicAccessBlockConfiguration": {"RestrictPublicBuckets": True}})
    assert denied(charlie, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"


# --- anonymous -------------------------------------------------------------------------------


def test_anonymous_callers_need_a_public_policy_that_block_public_access_allows(alice, anonymous, bucket):
    assert denied(anonymous, "s3:HeadBucket", {"Bucket": BUCKET}) == "Access Denied"
    open_to_public(alice)
    bucket_policy(alice, statement("Allow", "*", "s3:ListBucket"))
    assert dispatch(anonymous, "s3:HeadBucket", {"Bucket": BUCKET})["BucketRegion"] == "us-east-1"
    assert denied(anonymous, "s3:GetBucketAcl", {"Bucket": BUCKET}) == "Access Denied"
    dispatch(alice, "s3:PutPublicAccessBlock", {"Bucket": BUCKET, "PublicAccessBlockConfiguration": {"RestrictPublicBuckets": True}})
    denied(anonymous, "s3:HeadBucket", {"Bucket": BUCKET})


def test_anonymous_listing_buckets_or_creating_one_is_denied(anonymous):
    assert denied(anonymous, "s3:ListBuckets", {}) == "Access Denied"
    denied(anonymous, "s3:CreateBucket", {"Bucket": "anonymous-bucket"})


def test_a_missing_bucket_is_no_such_bucket_for_anyone(alice, anonymous):
    assert error_of(anonymous, "s3:HeadBucket", {"Bucket": "nobody-has-this"}).code == "NoSuchBucket"
    assert error_of(alice, "s3:GetBucketPolicy", {"Bucket": "nobody-has-this"}).code == "NoSuchBucket"


# --- ACLs ----------------------------------------------------------------------------------


def test_a_bucket_acl_grant_lets_another_account_list(alice, charlie, bucket):
    enable_acls(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": BUCKET, "GrantRead": f'id="{canonical_user_id(CHARLIE_ACCOUNT)}"'})
    dispatch(charlie, "s3:HeadBucket", {"Bucket": BUCKET})
    # READ maps to the listing actions only.
    denied(charlie, "s3:GetBucketAcl", {"Bucket": BUCKET})


def test_acls_stop_counting_when_ownership_is_enforced(alice, charlie, bucket):
    enable_acls(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": BUCKET, "GrantRead": f'id="{canonical_user_id(CHARLIE_ACCOUNT)}"'})
    Bucket.objects.filter(name=BUCKET).update(object_ownership="BucketOwnerEnforced")
    denied(charlie, "s3:HeadBucket", {"Bucket": BUCKET})


def test_authenticated_read_is_for_signed_callers_only(alice, charlie, anonymous, bucket):
    enable_acls(alice)
    open_to_public(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": BUCKET, "ACL": "authenticated-read"})
    dispatch(charlie, "s3:HeadBucket", {"Bucket": BUCKET})
    denied(anonymous, "s3:HeadBucket", {"Bucket": BUCKET})


def test_ignore_public_acls_drops_public_grants(alice, anonymous, bucket):
    enable_acls(alice)
    open_to_public(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": BUCKET, "ACL": "public-read"})
    dispatch(anonymous, "s3:HeadBucket", {"Bucket": BUCKET})
    dispatch(alice, "s3:PutPublicAccessBlock", {"Bucket": BUCKET, "PublicAccessBlockConfiguration": {"IgnorePublicAcls": True}})
    denied(anonymous, "s3:HeadBucket", {"Bucket": BUCKET})


# --- condition keys ----------------------------------------------------------------------------


def test_source_ip_and_secure_transport_conditions(alice, bob, bucket):
    attach(alice, "bob", READ_ONLY)
    bucket_policy(
        alice,
        statement("Deny", "*", "s3:ListBucket", Condition={"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
        statement("Deny", "*", "s3:GetBucketAcl", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    inside = context_for(user_principal(bob), source_ip="198.51.100.7", secure_transport=True)
    outside = context_for(user_principal(bob), source_ip="203.0.113.9", secure_transport=False)
    dispatch(inside, "s3:HeadBucket", {"Bucket": BUCKET})
    dispatch(inside, "s3:GetBucketAcl", {"Bucket": BUCKET})
    denied(outside, "s3:HeadBucket", {"Bucket": BUCKET})
    assert "explicit deny in a resource-based policy" in denied(outside, "s3:GetBucketAcl", {"Bucket": BUCKET})
    # The root user is denied by the bucket policy too (only the policy actions are spared).
    denied(context_for(root_principal(bob.account), source_ip="203.0.113.9"), "s3:HeadBucket", {"Bucket": BUCKET})


def test_a_canned_acl_condition_sees_x_amz_acl(alice, bob, bob_ctx, bucket):
    enable_acls(alice)
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "PrivateOnly", "PolicyDocument": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutBucketAcl", "Resource": BUCKET_ARN,
                       "Condition": {"StringEquals": {"s3:x-amz-acl": "private"}}}],
    })})
    dispatch(bob_ctx, "s3:PutBucketAcl", {"Bucket": BUCKET, "ACL": "private"})
    denied(bob_ctx, "s3:PutBucketAcl", {"Bucket": BUCKET, "ACL": "authenticated-read"})


def test_can_list_bucket(alice, bob, bob_ctx, charlie, bucket):
    assert can_list_bucket(alice, bucket)
    assert not can_list_bucket(bob_ctx, bucket)
    assert not can_list_bucket(charlie, bucket)
    attach(alice, "bob", READ_ONLY)
    assert can_list_bucket(bob_ctx, bucket)


# --- objects (need the object operations) ---------------------------------------------------


def put(ctx, key, body=b"hello", **extra):
    return dispatch(ctx, "s3:PutObject", {"Bucket": BUCKET, "Key": key, "Body": body, **extra})


def read(ctx, key):
    result = dispatch(ctx, "s3:GetObject", {"Bucket": BUCKET, "Key": key})
    body = result["Body"]
    return b"".join(body) if not isinstance(body, bytes) else body


def test_a_public_read_object_is_reachable_anonymously_only_when_block_public_access_is_off(alice, anonymous, bucket):
    put(alice, "public.txt")
    put(alice, "private.txt")
    enable_acls(alice)
    denied(alice, "s3:PutObjectAcl", {"Bucket": BUCKET, "Key": "public.txt", "ACL": "public-read"})
    open_to_public(alice)
    dispatch(alice, "s3:PutObjectAcl", {"Bucket": BUCKET, "Key": "public.txt", "ACL": "public-read"})
    assert read(anonymous, "public.txt") == b"hello"
    assert denied(anonymous, "s3:GetObject", {"Bucket": BUCKET, "Key": "private.txt"}) == "Access Denied"
    acl = dispatch(alice, "s3:GetObjectAcl", {"Bucket": BUCKET, "Key": "public.txt"})
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in acl["Grants"]
    dispatch(alice, "s3:PutPublicAccessBlock", {"Bucket": BUCKET, "PublicAccessBlockConfiguration": {"IgnorePublicAcls": True}})
    denied(anonymous, "s3:GetObject", {"Bucket": BUCKET, "Key": "public.txt"})


def test_a_public_bucket_policy_serves_objects_anonymously(alice, anonymous, bucket):
    put(alice, "site/index.html", b"<h1>hi</h1>")
    open_to_public(alice)
    bucket_policy(alice, statement("Allow", "*", "s3:GetObject", f"{BUCKET_ARN}/site/*"))
    assert read(anonymous, "site/index.html") == b"<h1>hi</h1>"
    # Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey.
    denied(anonymous, "s3:GetObject", {"Bucket": BUCKET, "Key": "site/missing.html"})
    assert error_of(alice, "s3:GetObject", {"Bucket": BUCKET, "Key": "site/missing.html"}).code == "NoSuchKey"


def test_an_object_another_account_owns_is_readable_only_as_its_acl_allows(alice, charlie, bucket):
    enable_acls(alice)
    bucket_policy(alice, statement("Allow", {"AWS": CHARLIE_ACCOUNT}, ["s3:PutObject", "s3:GetObject"], f"{BUCKET_ARN}/*"))
    put(charlie, "from-charlie.txt")
    # Under ObjectWriter the object is charlie's: its ACL says so, and alice may not read it.
    owner = dispatch(charlie, "s3:GetObjectAcl", {"Bucket": BUCKET, "Key": "from-charlie.txt"})["Owner"]
    assert owner == {"ID": canonical_user_id(CHARLIE_ACCOUNT)}
    denied(alice, "s3:GetObject", {"Bucket": BUCKET, "Key": "from-charlie.txt"})
    dispatch(charlie, "s3:PutObjectAcl", {"Bucket": BUCKET, "Key": "from-charlie.txt", "ACL": "bucket-owner-full-control"})
    assert read(alice, "from-charlie.txt") == b"hello"
    assert read(charlie, "from-charlie.txt") == b"hello"
    # The bucket owner may always delete what is in its bucket.
    dispatch(alice, "s3:DeleteObject", {"Bucket": BUCKET, "Key": "from-charlie.txt"})


def test_object_acl_requests_on_a_missing_key_are_no_such_key(alice, bucket):
    error = error_of(alice, "s3:GetObjectAcl", {"Bucket": BUCKET, "Key": "nothing-here"})
    assert (error.code, error.status) == ("NoSuchKey", 404)


def test_prefix_condition_limits_listing(alice, bob, bob_ctx, bucket):
    put(alice, "home/bob/notes.txt")
    put(alice, "home/carol/notes.txt")
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "Home", "PolicyDocument": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET_ARN,
                       "Condition": {"StringLike": {"s3:prefix": "home/bob/*"}}}],
    })})
    listed = dispatch(bob_ctx, "s3:ListObjectsV2", {"Bucket": BUCKET, "Prefix": "home/bob/"})
    assert [item["Key"] for item in listed["Contents"]] == ["home/bob/notes.txt"]
    denied(bob_ctx, "s3:ListObjectsV2", {"Bucket": BUCKET, "Prefix": "home/carol/"})
    denied(bob_ctx, "s3:ListObjectsV2", {"Bucket": BUCKET})
