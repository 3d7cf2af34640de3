"""S3's authorization lessons with the real aws CLI: bucket policies (deny one user, grant
another account), their validation, Block Public Access, policy status, ACLs, Object
Ownership and tags — and a public object fetched with no credentials at all."""

import json
import urllib.error
import urllib.request

import pytest

from awsapi.dispatch import dispatch
from s3.operations import canonical_user_id

ALICE = "111122223333"
CHARLIE = "444455556666"
BUCKET = "policy-lesson-bucket"
ARN = f"arn:aws:s3:::{BUCKET}"


@pytest.fixture
def charlie_account(transactional_db, charlie_account):
    return charlie_account  # committed, so the live server's thread sees it


def key_for(cli, profile, ctx, user_name=None):
    params = {"UserName": user_name} if user_name else {}
    key = dispatch(ctx, "iam:CreateAccessKey", params)["AccessKey"]
    cli.configure(profile, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture
def profiles(cli, alice, bob, charlie):
    """alice (root), bob (AmazonS3FullAccess in alice's account), charlie (root of the
    other account) and dave (an IAM user of charlie's, no policies yet)."""
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"})
    dispatch(charlie, "iam:CreateUser", {"UserName": "dave"})
    key_for(cli, "alice", alice)
    key_for(cli, "bob", alice, "bob")
    key_for(cli, "charlie", charlie)
    key_for(cli, "dave", charlie, "dave")
    cli.ok("s3api", "create-bucket", "--bucket", BUCKET, "--create-bucket-configuration",
           "LocationConstraint=eu-west-1", profile="alice")
    return cli


def put_policy(cli, tmp_path, *statements, profile="alice"):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2))
    return cli.run("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", f"file://{path}", profile=profile)


def test_a_bucket_policy_denies_one_user_while_the_others_still_work(profiles, tmp_path):
    cli = profiles
    assert cli.run("s3", "ls", f"s3://{BUCKET}", profile="bob").returncode == 0
    deny = {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ALICE}:user/bob"}, "Action": "s3:*",
            "Resource": [ARN, f"{ARN}/*"]}
    assert put_policy(cli, tmp_path, deny).returncode == 0
    refused = cli.run("s3", "ls", f"s3://{BUCKET}", profile="bob")
    assert refused.returncode != 0
    assert (
        "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: User: "
        f"arn:aws:iam::{ALICE}:user/bob is not authorized to perform: s3:ListBucket on resource: {ARN} "
        "with an explicit deny in a resource-based policy"
    ) in refused.stderr
    assert cli.run("s3", "ls", f"s3://{BUCKET}", profile="alice").returncode == 0
    assert json.loads(cli.ok("s3api", "get-bucket-policy", "--bucket", BUCKET, profile="alice")["Policy"]) == {
        "Version": "2012-10-17", "Statement": [deny]
    }


def test_another_account_reads_only_after_the_bucket_policy_and_its_own_policy_allow(profiles, tmp_path, charlie):
    cli = profiles
    assert "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied" in cli.fails(
        "s3", "ls", f"s3://{BUCKET}", profile="charlie"
    )
    grant = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CHARLIE}:root"}, "Action": ["s3:ListBucket", "s3:GetBucketPolicy"], "Resource": ARN}
    assert put_policy(cli, tmp_path, grant).returncode == 0
    assert cli.run("s3", "ls", f"s3://{BUCKET}", profile="charlie").returncode == 0
    assert "Access Denied" in cli.fails("s3", "ls", f"s3://{BUCKET}", profile="dave")
    dispatch(charlie, "iam:AttachUserPolicy", {"UserName": "dave", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    assert cli.run("s3", "ls", f"s3://{BUCKET}", profile="dave").returncode == 0
    # The policy is the owner's to manage: another account is told the method is not allowed.
    assert (
        "An error occurred (MethodNotAllowed) when calling the GetBucketPolicy operation: "
        "The specified method is not allowed against this resource."
    ) in cli.fails("s3api", "get-bucket-policy", "--bucket", BUCKET, profile="charlie")


@pytest.mark.parametrize(
    "statement, message",
    [
        ({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-elses/*"},
         "Policy has invalid resource"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}, "Missing required field Principal"),
        ({"Effect": "Allow", "Principal": {"AWS": CHARLIE}, "Action": "s3:GetObject", "Resource": ARN},
         "Action does not apply to any resource(s) in statement"),
    ],
)
def test_invalid_policies_print_awss_malformed_policy(profiles, tmp_path, statement, message):
    result = put_policy(profiles, tmp_path, statement)
    assert result.returncode != 0
    assert f"An error occurred (MalformedPolicy) when calling the PutBucketPolicy operation: {message}" in result.stderr
    assert "(NoSuchBucketPolicy)" in profiles.fails("s3api", "get-bucket-policy", "--bucket", BUCKET, profile="alice")


def test_block_public_access_refuses_a_public_policy_until_it_is_lifted(profiles, tmp_path):
    cli = profiles
    assert cli.ok("s3api", "get-public-access-block", "--bucket", BUCKET, profile="alice") == {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        }
    }
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
    refused = put_policy(cli, tmp_path, public)
    assert (
        "An error occurred (AccessDenied) when calling the PutBucketPolicy operation: User: "
        f'arn:aws:iam::{ALICE}:root is not authorized to perform: s3:PutBucketPolicy on resource: "{ARN}" '
        "because public policies are blocked by the BlockPublicPolicy block public access setting."
    ) in refused.stderr
    cli.ok("s3api", "delete-public-access-block", "--bucket", BUCKET, profile="alice")
    assert "(NoSuchPublicAccessBlockConfiguration)" in cli.fails("s3api", "get-public-access-block", "--bucket", BUCKET, profile="alice")
    assert put_policy(cli, tmp_path, public).returncode == 0
    assert cli.ok("s3api", "get-bucket-policy-status", "--bucket", BUCKET, profile="alice") == {"PolicyStatus": {"IsPublic": True}}
    cli.ok("s3api", "put-public-access-block", "--bucket", BUCKET, "--public-access-block-configuration",
           "BlockPublicPolicy=true", profile="alice")
    assert cli.ok("s3api", "get-public-access-block", "--bucket", BUCKET, profile="alice")[
        "PublicAccessBlockConfiguration"
    ]["BlockPublicPolicy"] is True


def test_a_public_object_is_fetched_without_credentials_only_when_allowed(profiles, tmp_path, live_server):
    cli = profiles
    page = tmp_path / "index.html"
    page.write_text("<h1>public</h1>")
    assert cli.run("s3", "cp", str(page), f"s3://{BUCKET}/index.html", profile="alice").returncode == 0
    url = f"{live_server.url}/{BUCKET}/index.html"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 403 and b"<Code>AccessDenied</Code>" in refused.value.read()
    cli.ok("s3api", "delete-public-access-block", "--bucket", BUCKET, profile="alice")
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
    assert put_policy(cli, tmp_path, public).returncode == 0
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"<h1>public</h1>"


def test_acls_need_ownership_controls_first(profiles, charlie):
    cli = profiles
    assert cli.ok("s3api", "get-bucket-ownership-controls", "--bucket", BUCKET, profile="alice") == {
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    }
    grant = f"id={canonical_user_id(CHARLIE)}"
    assert "(AccessControlListNotSupported) when calling the PutBucketAcl operation: The bucket does not allow ACLs" in cli.fails(
        "s3api", "put-bucket-acl", "--bucket", BUCKET, "--grant-read", grant, profile="alice"
    )
    cli.ok("s3api", "put-bucket-ownership-controls", "--bucket", BUCKET, "--ownership-controls",
           "Rules=[{ObjectOwnership=ObjectWriter}]", profile="alice")
    cli.ok("s3api", "put-bucket-acl", "--bucket", BUCKET, "--grant-read", grant,
           "--grant-full-control", f"id={canonical_user_id(ALICE)}", profile="alice")
    acl = cli.ok("s3api", "get-bucket-acl", "--bucket", BUCKET, profile="alice")
    assert acl["Owner"] == {"ID": canonical_user_id(ALICE)}
    assert acl["Grants"] == [
        {"Grantee": {"ID": canonical_user_id(ALICE), "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"ID": canonical_user_id(CHARLIE), "Type": "CanonicalUser"}, "Permission": "READ"},
    ]
    # READ on the bucket lets charlie's account list it.
    assert cli.run("s3", "ls", f"s3://{BUCKET}", profile="charlie").returncode == 0
    assert "(AccessDenied)" in cli.fails("s3api", "put-bucket-acl", "--bucket", BUCKET, "--acl", "public-read", profile="alice")


def test_bucket_tagging(profiles):
    cli = profiles
    assert "(NoSuchTagSet) when calling the GetBucketTagging operation: The TagSet does not exist" in cli.fails(
        "s3api", "get-bucket-tagging", "--bucket", BUCKET, profile="alice"
    )
    cli.ok("s3api", "put-bucket-tagging", "--bucket", BUCKET, "--tagging",
           "TagSet=[{Key=course,Value=iam-101},{Key=team,Value=blue}]", profile="alice")
    assert cli.ok("s3api", "get-bucket-tagging", "--bucket", BUCKET, profile="alice") == {
        "TagSet": [{"Key": "course", "Value": "iam-101"}, {"Key": "team", "Value": "blue"}]
    }
    assert "(InvalidTag) when calling the PutBucketTagging operation: Your TagKey cannot be prefixed with aws:" in cli.fails(
        "s3api", "put-bucket-tagging", "--bucket", BUCKET, "--tagging", "TagSet=[{Key=aws:x,Value=y}]", profile="alice"
    )
    cli.ok("s3api", "delete-bucket-tagging", "--bucket", BUCKET, profile="alice")
    assert "(NoSuchTagSet)" in cli.fails("s3api", "get-bucket-tagging", "--bucket", BUCKET, profile="alice")


def test_a_public_read_object_acl_is_fetched_without_credentials(profiles, tmp_path, live_server):
    cli = profiles
    page = tmp_path / "notes.txt"
    page.write_text("shared notes")
    assert cli.run("s3", "cp", str(page), f"s3://{BUCKET}/notes.txt", profile="alice").returncode == 0
    cli.ok("s3api", "put-bucket-ownership-controls", "--bucket", BUCKET, "--ownership-controls",
           "Rules=[{ObjectOwnership=ObjectWriter}]", profile="alice")
    assert "blocked by the BlockPublicAcls block public access setting" in cli.fails(
        "s3api", "put-object-acl", "--bucket", BUCKET, "--key", "notes.txt", "--acl", "public-read", profile="alice"
    )
    cli.ok("s3api", "delete-public-access-block", "--bucket", BUCKET, profile="alice")
    cli.ok("s3api", "put-object-acl", "--bucket", BUCKET, "--key", "notes.txt", "--acl", "public-read", profile="alice")
    grants = cli.ok("s3api", "get-object-acl", "--bucket", BUCKET, "--key", "notes.txt", profile="alice")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants
    with urllib.request.urlopen(f"{live_server.url}/{BUCKET}/notes.txt", timeout=30) as response:
        assert response.read() == b"shared notes"
