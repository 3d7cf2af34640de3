"""SigV2 query-string authentication (what ``aws s3 presign`` makes), checked against URLs
botocore's own HmacV1QueryAuth signs."""

from datetime import datetime, timezone
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi import sigv2
from awsapi.sigv4 import SigV4Error

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def presigned(url, method="GET", token=None, headers=None, expires=60):
    request = AWSRequest(method=method, url=url, headers=headers or {})
    with mock.patch("time.time", return_value=NOW.timestamp()):
        HmacV1QueryAuth(Credentials("AKIAIOSFODNN7EXAMPLE", SECRET, token), expires=expires).add_auth(request)
    parts = urlsplit(request.url)
    return parts.path, parts.query


def check(path, query, method="GET", headers=None, now=NOW, secret=SECRET):
    credential = sigv2.parse_presigned(query)
    sigv2.verify(credential, secret, method, path, query, headers or {}, now=now)
    return credential


def refusal(*args, **kwargs):
    with pytest.raises(SigV4Error) as caught:
        check(*args, **kwargs)
    return caught.value


def test_a_botocore_presigned_url_verifies():
    path, query = presigned("http://127.0.0.1:8000/class-files/notes%20v2.txt")
    credential = check(path, query)
    assert (credential.access_key_id, credential.service, credential.region) == ("AKIAIOSFODNN7EXAMPLE", "s3", "us-east-1")
    assert credential.expires == int(NOW.timestamp()) + 60 and credential.security_token is None


def test_subresources_tokens_and_content_type_are_signed():
    path, query = presigned(
        "http://h/b/k?response-content-type=text%2Fplain&versionId=null&unrelated=1",
        token="session-token",
        headers={"Content-Type": "text/csv", "x-amz-meta-course": "iam"},
    )
    assert check(path, query).security_token == "session-token"
    assert refusal(path, query.replace("text%2Fplain", "text%2Fhtml")).code == "SignatureDoesNotMatch"


def test_an_upload_url_with_its_header():
    path, query = presigned("http://h/b/upload", method="PUT")
    check(path, query, method="PUT", headers={"Content-Type": ""})
    assert refusal(path, query, method="GET").code == "SignatureDoesNotMatch"
    assert refusal(path, query, method="PUT", headers={"content-type": "image/png"}).code == "SignatureDoesNotMatch"


def test_wrong_secret_and_tampered_path():
    path, query = presigned("http://h/b/k")
    error = refusal(path, query, secret="other")
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert dict(error.details)["StringToSign"] == f"GET\n\n\n{int(NOW.timestamp()) + 60}\n/b/k"
    assert refusal("/b/k2", query).code == "SignatureDoesNotMatch"


def test_expired():
    path, query = presigned("http://h/b/k", expires=60)
    check(path, query, now=NOW.replace(minute=1))  # exactly at Expires: still valid
    error = refusal(path, query, now=NOW.replace(minute=1, second=1))
    assert (error.code, error.message) == ("AccessDenied", "Request has expired")
    assert dict(error.details)["Expires"] == "2026-11-29T12:01:00Z"


def test_not_presigned_and_malformed_queries():
    assert sigv2.parse_presigned("") is None
    assert sigv2.parse_presigned("list-type=2&prefix=a") is None
    with pytest.raises(SigV4Error) as caught:
        sigv2.parse_presigned("AWSAccessKeyId=AKIA&Signature=abc")
    assert caught.value.code == "AccessDenied" and "requires the Signature, Expires and AWSAccessKeyId" in caught.value.message
    with pytest.raises(SigV4Error) as caught:
        sigv2.parse_presigned("AWSAccessKeyId=AKIA&Signature=abc&Expires=tomorrow")
    assert caught.value.message == "Invalid date (should be seconds since epoch): tomorrow"


def test_verify_defaults_to_the_current_time():
    path, query = presigned("http://h/b/k", expires=60)  # signed at NOW, in the past by the real clock
    with pytest.raises(SigV4Error) as caught:
        sigv2.verify(sigv2.parse_presigned(query), SECRET, "GET", path, query, {})
    assert caught.value.message == "Request has expired"


def test_amz_values_in_the_query_win_over_headers_and_valueless_names_are_skipped():
    expires = int(NOW.timestamp()) + 60
    query = f"x-amz-security-token=t1&x-amz-flag&&Expires={expires}"
    to_sign = sigv2.string_to_sign("GET", "/b/k", query, {"X-Amz-Security-Token": "t2"}, expires)
    assert to_sign == f"GET\n\n\n{expires}\nx-amz-security-token:t1\n/b/k"
