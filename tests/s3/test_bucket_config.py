"""Bucket configuration through the dispatcher: bucket policies (validation, Block Public
Access, policy status), bucket ACLs, Block Public Access, Object Ownership and tags."""

import json

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from s3.models import Bucket
from s3.operations import canonical_user_id
from tests.conftest import ALICE_ACCOUNT, CHARLIE_ACCOUNT, CHARLIE_EMAIL
from trail.models import Event

pytestmark = pytest.mark.django_db
BUCKET = "config-bucket"
ALICE_ROOT = f"arn:aws:iam::{ALICE_ACCOUNT}:root"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def error_of(ctx, action, params):
    with pytest.raises(AWSError) as caught:
        dispatch(ctx, action, params)
    return caught.value


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, action="s3:GetObject", resource=f"arn:aws:s3:::{BUCKET}/*", **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


@pytest.fixture
def bucket(alice):
    dispatch(alice, "s3:CreateBucket", {"Bucket": BUCKET})
    return BUCKET


def open_to_public(ctx):
    dispatch(ctx, "s3:DeletePublicAccessBlock", {"Bucket": BUCKET})


def enable_acls(ctx):
    dispatch(ctx, "s3:PutBucketOwnershipControls", {"Bucket": BUCKET, "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}})


# --- bucket policy ---------------------------------------------------------------------


def test_a_bucket_without_a_policy_has_no_such_bucket_policy(alice, bucket):
    error = error_of(alice, "s3:GetBucketPolicy", {"Bucket": bucket})
    assert (error.code, error.message, error.status) == ("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
    assert error_of(alice, "s3:GetBucketPolicyStatus", {"Bucket": bucket}).code == "NoSuchBucketPolicy"


def test_put_get_and_delete_a_bucket_policy(alice, bucket):
    text = policy(allow({"AWS": CHARLIE_ACCOUNT}))
    assert dispatch(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": text}) == {}
    assert dispatch(alice, "s3:GetBucketPolicy", {"Bucket": bucket}) == {"Policy": text}
    assert dispatch(alice, "s3:GetBucketPolicyStatus", {"Bucket": bucket}) == {"PolicyStatus": {"IsPublic": False}}
    dispatch(alice, "s3:DeleteBucketPolicy", {"Bucket": bucket})
    assert error_of(alice, "s3:GetBucketPolicy", {"Bucket": bucket}).code == "NoSuchBucketPolicy"
    dispatch(alice, "s3:DeleteBucketPolicy", {"Bucket": bucket})  # nothing to delete is fine
    names = list(Event.objects.order_by("id").values_list("event_name", "error_code"))
    assert names[-6:] == [
        ("PutBucketPolicy", ""),
        ("GetBucketPolicy", ""),
        ("GetBucketPolicyStatus", ""),
        ("DeleteBucketPolicy", ""),
        ("GetBucketPolicy", "NoSuchBucketPolicy"),
        ("DeleteBucketPolicy", ""),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "Policies must be valid JSON and the first byte must be '{'"),
        ("{not json", "This policy contains invalid Json"),
        (json.dumps({"Statement": []}), "Could not parse the policy: Statement is empty!"),
        (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
        (json.dumps({"Version": "2020-01-01", "Statement": [allow("*")]}), "The policy must contain a valid version string"),
        (policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}), "Missing required field Principal"),
        (policy(allow({"AWS": "arn:aws:iam::111122223333:user/nobody"})), "Invalid principal in policy"),
        (policy(allow({"AWS": "bob"})), "Invalid principal in policy"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, resource="arn:aws:s3:::another-bucket/*")), "Policy has invalid resource"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, resource="*")), "Policy has invalid resource"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, action="iam:CreateUser")), "Policy has invalid action"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, resource=f"arn:aws:s3:::{BUCKET}")), "Action does not apply to any resource(s) in statement"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, action="s3:ListBucket")), "Action does not apply to any resource(s) in statement"),
        (policy(allow({"AWS": CHARLIE_ACCOUNT}, Condition={"StringEquals": {"ec2:Vpc": "x"}})), "Policy has an invalid condition key"),
        (policy({**allow({"AWS": CHARLIE_ACCOUNT}), "Effect": "Maybe"}), "Invalid effect: Maybe"),
    ],
)
def test_invalid_bucket_policies_are_malformed_policy_and_nothing_is_stored(alice, bucket, text, message):
    error = error_of(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": text})
    assert (error.code, error.message, error.status) == ("MalformedPolicy", message, 400)
    assert Bucket.objects.get(name=bucket).policy == ""


def test_a_policy_over_20_kb_is_policy_too_large(alice, bucket):
    statements = [allow({"AWS": CHARLIE_ACCOUNT}, Sid=f"S{i}") for i in range(200)]
    error = error_of(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": policy(*statements)})
    assert (error.code, error.message) == ("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")


def test_block_public_policy_refuses_a_public_policy_until_the_block_is_lifted(alice, bucket):
    public = policy(allow("*"))
    error = error_of(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": public})
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error.message == (
        f'User: {ALICE_ROOT} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::{BUCKET}" '
        "because public policies are blocked by the BlockPublicPolicy block public access setting."
    )
    assert Bucket.objects.get(name=bucket).policy == ""
    open_to_public(alice)
    dispatch(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": public})
    assert dispatch(alice, "s3:GetBucketPolicyStatus", {"Bucket": bucket}) == {"PolicyStatus": {"IsPublic": True}}


@pytest.mark.parametrize(
    "condition, public",
    [
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
        ({"StringEquals": {"aws:PrincipalAccount": CHARLIE_ACCOUNT}}, False),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}, True),
        ({"StringEqualsIfExists": {"aws:SourceAccount": CHARLIE_ACCOUNT}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
    ],
)
def test_policy_status_follows_awss_meaning_of_public(alice, bucket, condition, public):
    open_to_public(alice)
    dispatch(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": policy(allow("*", Condition=condition))})
    assert dispatch(alice, "s3:GetBucketPolicyStatus", {"Bucket": bucket})["PolicyStatus"]["IsPublic"] is public


def test_the_owners_root_can_always_manage_the_policy_even_when_it_denies_root(alice, bucket):
    deny_all = policy(
        {"Effect": "Deny", "Principal": {"AWS": ALICE_ROOT}, "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}
    )
    dispatch(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": deny_all})
    error = error_of(alice, "s3:HeadBucket", {"Bucket": bucket})
    assert error.code == "AccessDenied"
    assert error.message == (
        f"User: {ALICE_ROOT} is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::{bucket} "
        "with an explicit deny in a resource-based policy"
    )
    assert dispatch(alice, "s3:GetBucketPolicy", {"Bucket": bucket}) == {"Policy": deny_all}
    dispatch(alice, "s3:DeleteBucketPolicy", {"Bucket": bucket})
    assert dispatch(alice, "s3:HeadBucket", {"Bucket": bucket})["BucketRegion"] == "us-east-1"


def test_another_account_gets_method_not_allowed_on_the_policy_even_when_granted(alice, charlie, bucket):
    assert error_of(charlie, "s3:GetBucketPolicy", {"Bucket": bucket}).message == "Access Denied"
    grant = policy(allow({"AWS": CHARLIE_ACCOUNT}, action=["s3:GetBucketPolicy", "s3:PutBucketPolicy"], resource=f"arn:aws:s3:::{bucket}"))
    dispatch(alice, "s3:PutBucketPolicy", {"Bucket": bucket, "Policy": grant})
    error = error_of(charlie, "s3:GetBucketPolicy", {"Bucket": bucket})
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.message == "The specified method is not allowed against this resource."


def test_expected_bucket_owner_must_match(alice, bucket):
    error = error_of(alice, "s3:GetBucketTagging", {"Bucket": bucket, "ExpectedBucketOwner": CHARLIE_ACCOUNT})
    assert (error.code, error.message) == ("AccessDenied", "Access Denied")


# --- ACLs --------------------------------------------------------------------------------


def owner_grant(account=ALICE_ACCOUNT, permission="FULL_CONTROL"):
    return {"Grantee": {"ID": canonical_user_id(account), "Type": "CanonicalUser"}, "Permission": permission}


def test_a_new_bucket_has_the_owners_full_control(alice, bucket):
    assert dispatch(alice, "s3:GetBucketAcl", {"Bucket": bucket}) == {
        "Owner": {"ID": canonical_user_id(ALICE_ACCOUNT)},
        "Grants": [owner_grant()],
    }


def test_a_bucket_with_acls_disabled_accepts_only_the_owners_full_control(alice, bucket):
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "private"})
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "bucket-owner-full-control"})
    open_to_public(alice)
    error = error_of(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "public-read"})
    assert (error.code, error.message, error.status) == ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    assert Bucket.objects.get(name=bucket).acl is None


def test_block_public_acls_refuses_a_public_acl(alice, bucket):
    enable_acls(alice)
    error = error_of(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "public-read"})
    assert error.message == (
        f'User: {ALICE_ROOT} is not authorized to perform: s3:PutBucketAcl on resource: "arn:aws:s3:::{bucket}" '
        "because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."
    )
    assert error_of(alice, "s3:PutBucketAcl", {"Bucket": bucket, "GrantRead": f'uri="{ALL_USERS}"'}).code == "AccessDenied"


def test_canned_acl_round_trip(alice, bucket):
    enable_acls(alice)
    open_to_public(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "public-read"})
    assert dispatch(alice, "s3:GetBucketAcl", {"Bucket": bucket})["Grants"] == [
        owner_grant(),
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
    ]
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "private"})
    assert dispatch(alice, "s3:GetBucketAcl", {"Bucket": bucket})["Grants"] == [owner_grant()]


def test_grant_headers_name_accounts_by_canonical_id_or_email(alice, charlie, bucket):
    enable_acls(alice)
    dispatch(alice, "s3:PutBucketAcl", {
        "Bucket": bucket,
        "GrantFullControl": f'id="{canonical_user_id(ALICE_ACCOUNT)}"',
        "GrantRead": f'id="{canonical_user_id(CHARLIE_ACCOUNT)}"',
        "GrantReadACP": f'emailAddress="{CHARLIE_EMAIL}"',
    })
    assert dispatch(alice, "s3:GetBucketAcl", {"Bucket": bucket})["Grants"] == [
        owner_grant(), owner_grant(CHARLIE_ACCOUNT, "READ"), owner_grant(CHARLIE_ACCOUNT, "READ_ACP"),
    ]


def test_access_control_policy_body_round_trip(alice, charlie, bucket):
    enable_acls(alice)
    body = {"Owner": {"ID": canonical_user_id(ALICE_ACCOUNT)}, "Grants": [owner_grant(), owner_grant(CHARLIE_ACCOUNT, "WRITE")]}
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "AccessControlPolicy": body})
    assert dispatch(alice, "s3:GetBucketAcl", {"Bucket": bucket})["Grants"] == body["Grants"]


@pytest.mark.parametrize(
    "params, code, message",
    [
        ({}, "MissingSecurityHeader", "Your request was missing a required header"),
        ({"ACL": "private", "GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'}, "InvalidRequest",
         "Specifying both Canned ACLs and Header Grants is not allowed"),
        ({"ACL": "private", "AccessControlPolicy": {"Owner": {"ID": "x"}, "Grants": []}}, "UnexpectedContent",
         "This request does not support content"),
        ({"ACL": "world-readable"}, "InvalidArgument", ""),
        ({"GrantRead": 'id="0123"'}, "InvalidArgument", "Invalid id"),
        ({"GrantRead": 'uri="http://example.com/everyone"'}, "InvalidArgument", "Invalid group uri"),
        ({"GrantRead": 'name="bob"'}, "InvalidArgument", "Argument format not recognized"),
        ({"GrantRead": 'emailAddress="nobody@example.org"'}, "UnresolvableGrantByEmailAddress",
         "The e-mail address you provided does not match any account on record."),
        ({"AccessControlPolicy": {"Grants": [owner_grant()]}}, "MalformedACLError",
         "The XML you provided was not well-formed or did not validate against our published schema"),
        ({"AccessControlPolicy": {"Owner": {"ID": "x"}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": canonical_user_id(ALICE_ACCOUNT)}, "Permission": "ALL"}]}},
         "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema"),
    ],
)
def test_bad_acl_requests_are_refused_and_nothing_changes(alice, bucket, params, code, message):
    enable_acls(alice)
    error = error_of(alice, "s3:PutBucketAcl", {"Bucket": bucket, **params})
    assert (error.code, error.message, error.status) == (code, message, 400)
    assert Bucket.objects.get(name=bucket).acl is None


# --- Block Public Access ---------------------------------------------------------------------


def test_new_buckets_block_all_public_access(alice, bucket):
    assert dispatch(alice, "s3:GetPublicAccessBlock", {"Bucket": bucket}) == {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    }}


def test_put_and_delete_public_access_block(alice, bucket):
    dispatch(alice, "s3:PutPublicAccessBlock", {"Bucket": bucket, "PublicAccessBlockConfiguration": {"BlockPublicPolicy": True}})
    assert dispatch(alice, "s3:GetPublicAccessBlock", {"Bucket": bucket})["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False,
    }
    dispatch(alice, "s3:DeletePublicAccessBlock", {"Bucket": bucket})
    error = error_of(alice, "s3:GetPublicAccessBlock", {"Bucket": bucket})
    assert (error.code, error.message, error.status) == (
        "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404,
    )


# --- Object Ownership ---------------------------------------------------------------------------


def test_ownership_controls_default_change_and_delete(alice, bucket):
    assert dispatch(alice, "s3:GetBucketOwnershipControls", {"Bucket": bucket}) == {
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    }
    enable_acls(alice)
    assert dispatch(alice, "s3:GetBucketOwnershipControls", {"Bucket": bucket})["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}
    ]
    dispatch(alice, "s3:DeleteBucketOwnershipControls", {"Bucket": bucket})
    error = error_of(alice, "s3:GetBucketOwnershipControls", {"Bucket": bucket})
    assert (error.code, error.message, error.status) == (
        "OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404,
    )


def test_invalid_ownership_is_malformed_xml(alice, bucket):
    error = error_of(alice, "s3:PutBucketOwnershipControls", {"Bucket": bucket, "OwnershipControls": {"Rules": [{"ObjectOwnership": "Mine"}]}})
    assert error.code == "MalformedXML"
    assert Bucket.objects.get(name=bucket).object_ownership == "BucketOwnerEnforced"


def test_acls_cannot_be_disabled_while_the_bucket_acl_grants_others(alice, charlie, bucket):
    enable_acls(alice)
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "GrantRead": f'id="{canonical_user_id(CHARLIE_ACCOUNT)}"'})
    error = error_of(alice, "s3:PutBucketOwnershipControls", {"Bucket": bucket, "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}})
    assert (error.code, error.message) == (
        "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
    dispatch(alice, "s3:PutBucketAcl", {"Bucket": bucket, "ACL": "private"})
    dispatch(alice, "s3:PutBucketOwnershipControls", {"Bucket": bucket, "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}})


# --- tagging -----------------------------------------------------------------------------------------


def test_tagging_round_trip(alice, bucket):
    error = error_of(alice, "s3:GetBucketTagging", {"Bucket": bucket})
    assert (error.code, error.message, error.status) == ("NoSuchTagSet", "The TagSet does not exist", 404)
    tags = [{"Key": "course", "Value": "iam-101"}, {"Key": "owner", "Value": "alice@example.com"}]
    dispatch(alice, "s3:PutBucketTagging", {"Bucket": bucket, "Tagging": {"TagSet": tags}})
    assert dispatch(alice, "s3:GetBucketTagging", {"Bucket": bucket}) == {"TagSet": tags}
    dispatch(alice, "s3:DeleteBucketTagging", {"Bucket": bucket})
    assert error_of(alice, "s3:GetBucketTagging", {"Bucket": bucket}).code == "NoSuchTagSet"


@pytest.mark.parametrize(
    "tag_set, message",
    [
        ([{"Key": "aws:course", "Value": "x"}], "Your TagKey cannot be prefixed with aws:"),
        ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "Cannot provide multiple Tags with the same key"),
        ([{"Key": "k" * 129, "Value": "x"}], "The TagKey you have provided is too long, max 128"),
        ([{"Key": "k", "Value": "v" * 257}], "The TagValue you have provided is too long, max 256"),
        ([{"Key": "bad#key", "Value": "x"}], "The TagKey you have provided is invalid"),
        ([{"Key": f"k{i}", "Value": "x"} for i in range(51)], "Bucket tag count cannot be greater than 50"),
    ],
)
def test_invalid_tags_are_refused_and_nothing_changes(alice, bucket, tag_set, message):
    error = error_of(alice, "s3:PutBucketTagging", {"Bucket": bucket, "Tagging": {"TagSet": tag_set}})
    assert (error.code, error.message, error.status) == ("InvalidTag", message, 400)
    assert Bucket.objects.get(name=bucket).tags is None


def test_delete_bucket_tagging_is_authorized_as_put_bucket_tagging(alice, bob, bob_ctx, bucket):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "Tags", "PolicyDocument": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutBucketTagging", "Resource": f"arn:aws:s3:::{bucket}"}],
    })})
    dispatch(bob_ctx, "s3:DeleteBucketTagging", {"Bucket": bucket})
    error = error_of(bob_ctx, "s3:GetBucketTagging", {"Bucket": bucket})
    assert "s3:GetBucketTagging" in error.message and "no identity-based policy" in error.message


# --- the helpers PutObject uses ---------------------------------------------------------------


def test_an_uploads_acl_is_checked_ownership_first_then_block_public_access(alice, bucket):
    from s3.operations import check_acl_allowed

    found = Bucket.objects.get(name=bucket)
    check_acl_allowed(found, {"ACL": "bucket-owner-full-control"}, alice)
    check_acl_allowed(found, {}, alice)
    with pytest.raises(AWSError) as caught:
        check_acl_allowed(found, {"ACL": "public-read"}, alice)
    assert caught.value.code == "AccessControlListNotSupported"
    enable_acls(alice)
    found.refresh_from_db()
    with pytest.raises(AWSError) as caught:
        check_acl_allowed(found, {"ACL": "public-read", "Key": "a.txt"}, alice)
    assert caught.value.message == (
        f'User: {ALICE_ROOT} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{bucket}/a.txt" '
        "because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."
    )
    with pytest.raises(AWSError) as caught:
        check_acl_allowed(found, {"ACL": "public-read"})
    assert caught.value.message == "Access Denied"


def test_object_acl_and_owner_from_an_upload(alice, charlie, bucket):
    from s3.operations import object_acl_from_request, object_owner_for

    found = Bucket.objects.get(name=bucket)
    assert object_acl_from_request(found, CHARLIE_ACCOUNT, {"ACL": "bucket-owner-full-control"}) is None
    assert object_owner_for(found, CHARLIE_ACCOUNT) == ALICE_ACCOUNT
    enable_acls(alice)
    found.refresh_from_db()
    assert object_acl_from_request(found, ALICE_ACCOUNT, {}) is None
    assert object_acl_from_request(found, CHARLIE_ACCOUNT, {"ACL": "bucket-owner-full-control"}) == [
        {"account": CHARLIE_ACCOUNT, "permission": "FULL_CONTROL"},
        {"account": ALICE_ACCOUNT, "permission": "FULL_CONTROL"},
    ]
    assert object_owner_for(found, CHARLIE_ACCOUNT, {"ACL": "bucket-owner-full-control"}) == CHARLIE_ACCOUNT
    dispatch(alice, "s3:PutBucketOwnershipControls", {"Bucket": bucket, "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}})
    found.refresh_from_db()
    assert object_owner_for(found, CHARLIE_ACCOUNT, {"ACL": "bucket-owner-full-control"}) == ALICE_ACCOUNT
    assert object_owner_for(found, CHARLIE_ACCOUNT, {}) == CHARLIE_ACCOUNT
