"""Real boto3 clients — with every handler botocore registers (S3 checksums and
Expect headers, IAM policy-document decoding, pagination) — talk to the protocol layer
through a ``before-send`` hook instead of a socket."""

import io
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from awsapi.errors import NoSuchEntity
from awsapi.protocol import parse_request, serialize_error, serialize_response

WHEN = datetime(2026, 11, 29, 13, 0, 0, tzinfo=timezone.utc)


class _Raw(io.BytesIO):
    """What urllib3 hands botocore: readable, and streamable in one chunk."""

    def stream(self, **kwargs):
        yield self.getvalue()


class FakeServer:
    """Records what each call parsed to and answers with a canned result or error."""

    def __init__(self, service):
        self.service = service
        self.calls = []
        self.answers = {}

    def __call__(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {key.lower(): value.decode() if isinstance(value, bytes) else value for key, value in request.headers.items()}
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            operation, params = parse_request(self.service, request.method, unquote(url.path), query, headers, body)
            self.calls.append((operation, params))
            answer = self.answers.get(operation, {})
            if isinstance(answer, Exception):
                raise answer
            status, out_headers, out_body = serialize_response(self.service, operation, answer, "req-42")
        except NoSuchEntity as error:
            status, out_headers, out_body = serialize_error(self.service, error, "req-42")
        return AWSResponse(request.url, status, out_headers, _Raw(out_body))


@pytest.fixture
def client():
    def make(service):
        api = boto3.session.Session(
            aws_access_key_id="AKIAEXAMPLEEXAMPLE01", aws_secret_access_key="s" * 40, region_name="eu-west-3"
        ).client(service, endpoint_url="http://127.0.0.1:8000", config=boto3.session.Config(s3={"addressing_style": "path"}))
        server = FakeServer(service)
        api.meta.events.register("before-send", server)
        return api, server

    return make


def test_iam_create_user_and_policy_document_decoding(client):
    iam, server = client("iam")
    server.answers["CreateUser"] = {"User": {"Path": "/", "UserName": "bob", "UserId": "AIDA1", "Arn": "arn", "CreateDate": WHEN}}
    response = iam.create_user(UserName="bob", Tags=[{"Key": "k", "Value": "v"}])
    assert response["User"]["CreateDate"] == WHEN
    assert server.calls[-1] == ("CreateUser", {"UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}]})

    server.answers["GetUserPolicy"] = {
        "UserName": "bob",
        "PolicyName": "p",
        "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
    }
    # boto3 decodes IAM's URL-encoded documents into dicts.
    assert iam.get_user_policy(UserName="bob", PolicyName="p")["PolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [],
    }


def test_iam_error_becomes_client_error(client):
    iam, server = client("iam")
    server.answers["GetUser"] = NoSuchEntity("The user with name nobody cannot be found.")
    with pytest.raises(ClientError) as raised:
        iam.get_user(UserName="nobody")
    error = raised.value.response
    assert error["Error"]["Code"] == "NoSuchEntity"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert raised.value.__class__.__name__ == "NoSuchEntityException"


def test_iam_paginator(client):
    iam, server = client("iam")
    server.answers["ListUsers"] = {"Users": [], "IsTruncated": False}
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 5}))
    assert pages[0]["Users"] == []
    assert server.calls[-1] == ("ListUsers", {"MaxItems": 5})


def test_sts_assume_role(client):
    sts, server = client("sts")
    server.answers["AssumeRole"] = {
        "Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "x", "SessionToken": "t", "Expiration": WHEN}
    }
    response = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/r", RoleSessionName="s1", DurationSeconds=900)
    assert response["Credentials"]["Expiration"] == WHEN
    assert server.calls[-1][1]["DurationSeconds"] == 900


def test_ec2_describe_key_pairs(client):
    ec2, server = client("ec2")
    server.answers["DescribeKeyPairs"] = {"KeyPairs": [{"KeyName": "lab", "KeyPairId": "key-1", "CreateTime": WHEN}]}
    response = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["lab"]}])
    assert response["KeyPairs"][0]["KeyName"] == "lab"
    assert server.calls[-1] == ("DescribeKeyPairs", {"Filters": [{"Name": "key-name", "Values": ["lab"]}]})


def test_cloudtrail_lookup_events(client):
    trail, server = client("cloudtrail")
    server.answers["LookupEvents"] = {"Events": [{"EventId": "e", "EventName": "CreateUser", "EventTime": WHEN}]}
    response = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert response["Events"][0]["EventTime"] == WHEN


def test_s3_bucket_and_object_calls(client):
    s3, server = client("s3")
    s3.create_bucket(Bucket="lab-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    assert server.calls[-1] == (
        "CreateBucket",
        {"Bucket": "lab-bucket", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-3"}},
    )
    s3.put_bucket_policy(Bucket="lab-bucket", Policy='{"Version":"2012-10-17","Statement":[]}')
    operation, params = server.calls[-1]
    assert (operation, params["Policy"]) == ("PutBucketPolicy", '{"Version":"2012-10-17","Statement":[]}')

    s3.put_object(Bucket="lab-bucket", Key="a/b c.txt", Body=b"hello")
    operation, params = server.calls[-1]
    assert (operation, params["Key"], params["Body"]) == ("PutObject", "a/b c.txt", b"hello")

    server.answers["ListObjectsV2"] = {
        "Contents": [{"Key": "a/b c.txt", "Size": 5, "LastModified": WHEN}],
        "KeyCount": 1,
        "IsTruncated": False,
    }
    listed = s3.list_objects_v2(Bucket="lab-bucket", Prefix="a/", Delimiter="/")
    assert listed["Contents"][0]["LastModified"] == WHEN
    operation, params = server.calls[-1]
    assert (operation, params["Prefix"], params["Delimiter"]) == ("ListObjectsV2", "a/", "/")

    server.answers["GetObject"] = {"Body": b"hello", "ContentLength": 5, "ContentType": "text/plain"}
    assert s3.get_object(Bucket="lab-bucket", Key="a/b c.txt")["Body"].read() == b"hello"
