"""Requests made by real boto3 clients (what the aws CLI sends), caught just before they
leave and verified: every service iamlab serves, S3 uploads over HTTP and TLS, presigned URLs."""

import functools
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from awsapi.sigv4 import SigV4Error, payload_sha256

from .test_sigv4_support import ACCESS_KEY, ENDPOINT, NOW, SECRET, TOKEN, Wire, from_prepared


class Caught(Exception):
    def __init__(self, request):
        super().__init__("caught")
        self.request = request


def catch(request, **kwargs):
    raise Caught(request)


@pytest.fixture(autouse=True, scope="module")
def no_aws_config(tmp_path_factory):
    """No profile, config file or endpoint from the machine running the tests."""
    home = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REQUEST_CHECKSUM_CALCULATION"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(home / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
        yield
    client.cache_clear()


@functools.lru_cache(maxsize=None)
def client(service, *, endpoint=ENDPOINT, region="us-east-1", token=None, signature_version=None):
    """A boto3 client whose requests stop just before they leave (one per setup: models load once)."""
    made = _session().client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY if token is None else "ASIAIOSFODNN7EXAMPLE",
        aws_secret_access_key=SECRET,
        aws_session_token=token,
        config=Config(
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
            signature_version=signature_version,
        ),
    )
    made.meta.events.register("before-send", catch)
    return made


@functools.lru_cache(maxsize=None)
def _session():
    return boto3.session.Session()


def sent(call, **params):
    """The request ``call`` would send, signed at NOW, as the server would receive it."""
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        with pytest.raises(Caught) as caught:
            call(**params)
    return from_prepared(caught.value.request)


def test_iam_list_users():
    wire = sent(client("iam").list_users, PathPrefix="/division_abc/")
    assert wire.body.startswith(b"Action=ListUsers")
    credential = wire.verify()
    assert (credential.service, credential.region) == ("iam", "us-east-1")


def test_iam_from_any_region_with_unicode_and_symbols():
    wire = sent(client("iam", region="eu-west-3").create_user, UserName="ann+b=c,d.e@f-g_h", Path="/ü/")
    assert wire.verify().region == "eu-west-3"


def test_sts_get_caller_identity_with_session_token():
    wire = sent(client("sts", token=TOKEN).get_caller_identity)
    credential = wire.verify()
    assert credential.security_token == TOKEN
    with pytest.raises(SigV4Error) as caught:
        wire.verify(now=NOW + timedelta(minutes=16))
    assert caught.value.message == (
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z "
        "(20260101T001600Z - 15 min.)"
    )


def test_ec2_describe_instances():
    wire = sent(client("ec2", region="us-west-2").describe_instances, InstanceIds=["i-0123456789abcdef0"])
    wire.verify()
    with pytest.raises(SigV4Error) as caught:
        wire.verify("wrong")
    assert caught.value.code == "AuthFailure"


def test_cloudtrail_lookup_events():
    wire = sent(client("cloudtrail").lookup_events, MaxResults=5)
    assert wire.headers["x-amz-target"].endswith(".LookupEvents")
    credential = wire.verify()
    assert "x-amz-target" in credential.signed_headers


KEY = "dir/my file+ü~%é (1).txt"


def test_s3_put_object_over_http_signs_the_payload():
    body = b"hello\n" * 100
    wire = sent(client("s3").put_object, Bucket="photos", Key=KEY, Body=body, Metadata={"note": "x  y"})
    assert wire.headers["x-amz-content-sha256"] == payload_sha256(body)
    assert wire.path == "/photos/dir/my%20file%2B%C3%BC~%25%C3%A9%20%281%29.txt"
    credential = wire.verify()
    assert "x-amz-meta-note" in credential.signed_headers
    with pytest.raises(SigV4Error) as caught:
        wire.verify(body_sha256=payload_sha256(b"tampered"))
    assert caught.value.code == "XAmzContentSHA256Mismatch"


def test_s3_put_object_over_tls_streams_with_an_unsigned_trailer():
    wire = sent(client("s3", endpoint="https://127.0.0.1:8443").put_object, Bucket="photos", Key=KEY, Body=b"x" * 1000)
    assert wire.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert wire.headers["content-encoding"] == "aws-chunked"
    assert wire.headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    credential = wire.verify(body_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert credential.content_sha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert {"x-amz-trailer", "x-amz-decoded-content-length", "content-encoding"} <= set(credential.signed_headers)


def test_s3_get_object_and_list_with_odd_prefix():
    sent(client("s3").get_object, Bucket="photos", Key=KEY).verify()
    wire = sent(client("s3").list_objects_v2, Bucket="photos", Prefix="dir/my file+ü/", Delimiter="/")
    assert "prefix=dir%2Fmy%20file%2B%C3%BC%2F" in wire.query
    wire.verify()
    sent(client("s3").list_buckets).verify()


def test_s3_delete_objects_with_content_md5():
    wire = sent(
        client("s3").delete_objects,
        Bucket="photos",
        Delete={"Objects": [{"Key": "a b"}, {"Key": "c+d"}]},
    )
    assert wire.query == "delete"
    wire.verify()


def presigned_url(service, method, params, expires, *, v4=True, http_method=None, **kwargs):
    if service == "s3" and v4:
        kwargs["signature_version"] = "s3v4"
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        return client(service, **kwargs).generate_presigned_url(
            method, Params=params, ExpiresIn=expires, HttpMethod=http_method
        )


def wire_of(url):
    parts = urlsplit(url)
    return Wire("GET", parts.path, parts.query, {"host": parts.netloc}, b"")


def test_s3_presigned_by_default_is_signature_version_2():
    # botocore presigns S3 with SigV2 unless the profile says `s3 = signature_version = s3v4`
    # (the aws CLI's own `s3 presign --help` says so): no SigV4 here, for the S3 step to read.
    url = presigned_url("s3", "get_object", {"Bucket": "photos", "Key": KEY}, 300, v4=False)
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    assert wire_of(url).parse() is None


def test_s3_presigned_get_object():
    url = presigned_url("s3", "get_object", {"Bucket": "photos", "Key": KEY}, 300)
    wire = wire_of(url)
    credential = wire.verify(now=NOW + timedelta(seconds=300))
    assert credential.presigned and credential.expires == 300
    with pytest.raises(SigV4Error) as caught:
        wire.verify(now=NOW + timedelta(seconds=301))
    assert (caught.value.code, caught.value.message) == ("AccessDenied", "Request has expired")


def test_s3_presigned_with_session_token_and_response_override():
    url = presigned_url(
        "s3",
        "get_object",
        {"Bucket": "photos", "Key": KEY, "ResponseContentDisposition": 'attachment; filename="a b.txt"'},
        604800,
        token=TOKEN,
    )
    credential = wire_of(url).verify(now=NOW + timedelta(days=6))
    assert credential.security_token == TOKEN


def test_sts_presigned_get_caller_identity():
    # botocore signs an STS presign for the operation's own method, POST; used with GET it
    # fails on AWS too (boto/boto3#756). Presigned for GET, as EKS tokens are, it verifies.
    url = presigned_url("sts", "get_caller_identity", {}, 60)
    with pytest.raises(SigV4Error) as caught:
        wire_of(url).verify()
    assert caught.value.code == "SignatureDoesNotMatch"
    posted = wire_of(url)
    posted.method = "POST"
    posted.verify()
    url = presigned_url("sts", "get_caller_identity", {}, 60, http_method="GET", token=TOKEN)
    credential = wire_of(url).verify()
    assert credential.service == "sts" and credential.presigned and credential.security_token == TOKEN
