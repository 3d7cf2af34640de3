"""The course's S3 demo with the real aws CLI: with AmazonS3ReadOnlyAccess, `aws s3 ls`
works and `aws s3 mb` is refused with AccessDenied."""

import pytest

from awsapi.dispatch import dispatch


@pytest.fixture
def student(cli, alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    cli.configure("student", key["AccessKeyId"], key["SecretAccessKey"])
    root = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    cli.configure("root", root["AccessKeyId"], root["SecretAccessKey"])


def test_s3_ls_works_and_s3_mb_is_denied(cli, student):
    made = cli.run("s3", "mb", "s3://class-demo-bucket", profile="root")
    assert made.returncode == 0 and "make_bucket: class-demo-bucket" in made.stdout
    listed = cli.run("s3", "ls", profile="student")
    assert listed.returncode == 0 and "class-demo-bucket" in listed.stdout
    denied = cli.run("s3", "mb", "s3://student-bucket", profile="student")
    assert denied.returncode != 0
    assert (
        "make_bucket failed: s3://student-bucket An error occurred (AccessDenied) when calling the CreateBucket "
        "operation: User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:CreateBucket"
    ) in denied.stderr
    removed = cli.run("s3", "rb", "s3://class-demo-bucket", profile="root")
    assert removed.returncode == 0 and "remove_bucket: class-demo-bucket" in removed.stdout
    assert "class-demo-bucket" not in cli.run("s3", "ls", profile="root").stdout
