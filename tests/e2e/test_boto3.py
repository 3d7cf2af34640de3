"""boto3 against a live server: the IAM and STS APIs through the same operations."""

import json

import pytest
from botocore.exceptions import ClientError

from awsapi.dispatch import dispatch

ACCOUNT = "111122223333"


@pytest.fixture
def root_keys(alice):
    key = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_paginators_walk_every_page(boto3_client, alice, root_keys):
    for i in range(7):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}", "Path": "/class/"})
    iam = boto3_client("iam", *root_keys)
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix="/class/", PaginationConfig={"PageSize": 3}))
    assert [len(p["Users"]) for p in pages] == [3, 3, 1]
    assert pages[0]["IsTruncated"] is True and pages[-1]["IsTruncated"] is False


def test_password_policy_round_trip(boto3_client, root_keys):
    iam = boto3_client("iam", *root_keys)
    with pytest.raises(ClientError) as error:
        iam.get_account_password_policy()
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, MaxPasswordAge=90)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["RequireSymbols"], policy["ExpirePasswords"]) == (12, True, True)


def test_model_validation_errors_read_as_aws(live_server, root_keys):
    import boto3
    from botocore.config import Config

    # boto3 would refuse the value itself; with its check off the server's check answers.
    iam = boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=root_keys[0],
        aws_secret_access_key=root_keys[1], config=Config(parameter_validation=False),
    )
    with pytest.raises(ClientError) as error:
        iam.update_account_password_policy(MinimumPasswordLength=5)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert "Member must have value greater than or equal to 6" in error.value.response["Error"]["Message"]


def test_policies_and_simulation(boto3_client, alice, root_keys):
    iam = boto3_client("iam", *root_keys)
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:CreateBucket", "Resource": "*"},
    ]})
    arn = iam.create_policy(PolicyName="S3List", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_user(UserName="dave")
    iam.attach_user_policy(UserName="dave", PolicyArn=arn)
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/dave", ActionNames=["s3:ListAllMyBuckets", "s3:CreateBucket", "s3:PutObject"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "explicitDeny", "implicitDeny"]
    with pytest.raises(ClientError) as error:
        iam.create_policy(PolicyName="Bad", PolicyDocument="{not json")
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_session_token_credentials_work(boto3_client, root_keys, bob, alice):
    dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    sts = boto3_client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    temporary = boto3_client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert temporary.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    with pytest.raises(ClientError) as error:
        temporary.get_session_token()
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_expired_temporary_credentials_are_refused(boto3_client, root_keys, bob, alice, monkeypatch):
    from datetime import timedelta

    from sts.models import Session

    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    credentials = boto3_client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token(
        DurationSeconds=900)["Credentials"]
    session = Session.objects.get(access_key_id=credentials["AccessKeyId"])
    session.expiration -= timedelta(hours=1)
    session.save()
    temporary = boto3_client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    with pytest.raises(ClientError) as error:
        temporary.get_caller_identity()
    assert error.value.response["Error"]["Code"] == "ExpiredToken"


def test_session_token_without_mfa_cannot_call_iam(boto3_client, bob, alice):
    key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    credentials = boto3_client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token()["Credentials"]
    iam = boto3_client("iam", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    with pytest.raises(ClientError) as error:
        iam.list_users()
    assert error.value.response["Error"]["Code"] == "InvalidClientTokenId"
