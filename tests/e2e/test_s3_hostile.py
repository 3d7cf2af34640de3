"""Broken and hostile S3 uploads against the live server, sent byte by byte: a body shorter
than its Content-Length, signed chunks with one signature corrupted, an anonymous write.
Each gets S3's error and nothing is stored."""

import hashlib
import hmac
import socket
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi.dispatch import dispatch
from s3.models import Object
from tests.trail.test_trails import log_data_events

STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"


@pytest.fixture
def key(alice):
    dispatch(alice, "s3:CreateBucket", {"Bucket": "class-files"})
    return dispatch(alice, "iam:CreateAccessKey")["AccessKey"]


class _Signer(S3SigV4Auth):
    def __init__(self, credentials, payload):
        super().__init__(credentials, "s3", "us-east-1")
        self._payload = payload

    def payload(self, request):
        return self._payload


def signed_headers(url, key, headers, payload):
    request = AWSRequest(method="PUT", url=url, headers={**headers, "X-Amz-Content-SHA256": payload})
    _Signer(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), payload).add_auth(request)
    return dict(request.headers.items())


def send(url, headers, body, *, half_close=False):
    """Write the request as raw bytes; return (status, response text)."""
    parts = urlsplit(url)
    head = f"PUT {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1])
    return status, received.decode("utf-8", "replace")


def signing_key(secret, date):
    """The SigV4 signing key, derived as AWS documents it."""
    key = ("AWS4" + secret).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def chunked_body(seed, secret, amz_date, pieces, corrupt_at=None):
    key = signing_key(secret, amz_date[:8])
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    out, previous = b"", seed
    for index, data in enumerate(pieces + [b""]):
        to_sign = "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous,
            hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest(),
        ])
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = "f" * 64 if index == corrupt_at else signature
        out += f"{len(data):x};chunk-signature={sent}\r\n".encode() + data + b"\r\n"
        previous = signature
    return out


@pytest.mark.parametrize("corrupt_at, expected", [(None, 200), (1, 403)])
def test_signed_chunks_through_the_door(live_server, key, corrupt_at, expected):
    url = f"{live_server.url}/class-files/chunked.bin"
    pieces = [b"a" * 65536, b"b" * 1000]
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(sum(map(len, pieces))),
    }
    # The Content-Length is part of what is sent, not signed; the body is built from
    # the seed signature, so it is computed after signing with a placeholder length.
    signed = signed_headers(url, key, headers, STREAMING)
    seed = signed["Authorization"].rsplit("Signature=", 1)[1]
    body = chunked_body(seed, key["SecretAccessKey"], signed["X-Amz-Date"], pieces, corrupt_at)
    status, text = send(url, {**signed, "Content-Length": str(len(body))}, body)
    assert status == expected, text
    if expected == 200:
        got = Object.objects.get(key="chunked.bin")
        assert got.size == 66536 and got.etag == hashlib.md5(b"".join(pieces)).hexdigest()
    else:
        assert "<Code>SignatureDoesNotMatch</Code>" in text
        assert not Object.objects.exists()


def test_a_body_shorter_than_its_content_length(live_server, key):
    url = f"{live_server.url}/class-files/short.bin"
    signed = signed_headers(url, key, {}, "UNSIGNED-PAYLOAD")
    status, text = send(url, {**signed, "Content-Length": "100"}, b"only ten b", half_close=True)
    assert status == 400 and "<Code>IncompleteBody</Code>" in text
    assert not Object.objects.exists()


def test_a_wrong_declared_sha256(live_server, key):
    url = f"{live_server.url}/class-files/sha.bin"
    signed = signed_headers(url, key, {}, hashlib.sha256(b"expected").hexdigest())
    status, text = send(url, {**signed, "Content-Length": "8"}, b"received")
    assert status == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in text
    assert not Object.objects.exists()


def test_anonymous_write_is_refused(live_server, key):
    url = f"{live_server.url}/class-files/anon.txt"
    status, text = send(url, {"Content-Length": "5"}, b"hello")
    assert status == 403 and "<Code>AccessDenied</Code>" in text
    assert not Object.objects.exists()


def test_anonymous_request_for_a_missing_bucket(live_server, key):
    parts = urlsplit(live_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET /no-such-bucket-here/x HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert b" 404 " in received.split(b"\r\n", 1)[0] and b"<Code>NoSuchBucket</Code>" in received


def test_the_clock_is_checked(live_server, key, frozen_clock):
    frozen_clock.current = datetime(2020, 1, 1, tzinfo=timezone.utc)
    url = f"{live_server.url}/class-files/late.bin"
    signed = signed_headers(url, key, {}, "UNSIGNED-PAYLOAD")
    status, text = send(url, {**signed, "Content-Length": "1"}, b"x")
    assert status == 403 and "<Code>RequestTimeTooSkewed</Code>" in text


def test_an_anonymous_attempt_is_recorded_for_the_bucket_owner(live_server, alice, key):
    from trail.models import Event

    log_data_events(alice, "arn:aws:s3:::class-files/")
    url = f"{live_server.url}/class-files/anon.txt"
    send(url, {"Content-Length": "5"}, b"hello")
    event = Event.objects.get(event_name="PutObject")
    assert event.recipient_account_id == "111122223333" and event.error_code == "AccessDenied"
    assert event.user_identity["type"] == "AWSAccount" and event.user_identity["accountId"] == "anonymous"


def test_a_forged_upload_to_a_logged_bucket_is_recorded_for_its_trail(live_server, alice, key):
    # Refused at the signature, before dispatch: its bucket and key still decide that
    # the trail selecting the bucket's data events records it.
    from trail.models import Event

    log_data_events(alice, "arn:aws:s3:::class-files/")
    url = f"{live_server.url}/class-files/forged.txt"
    forged = {**key, "SecretAccessKey": "not-the-secret"}
    status, text = send(url, {**signed_headers(url, forged, {}, "UNSIGNED-PAYLOAD"), "Content-Length": "1"}, b"x")
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
    event = Event.objects.get(event_name="PutObject")
    assert (event.error_code, event.access_key_id) == ("SignatureDoesNotMatch", key["AccessKeyId"])
    assert event.request_parameters == {"bucket": "class-files", "key": "forged.txt"}
    other = f"{live_server.url}/other-files/forged.txt"
    dispatch(alice, "s3:CreateBucket", {"Bucket": "other-files"})
    send(other, {**signed_headers(other, forged, {}, "UNSIGNED-PAYLOAD"), "Content-Length": "1"}, b"x")
    assert Event.objects.filter(event_name="PutObject").count() == 1  # not selected: not recorded
    assert not Object.objects.filter(key="forged.txt").exists()


def test_an_html_object_cannot_script_the_console_origin(live_server, alice, key):
    """Objects come from the console's origin: every S3 answer is a sandboxed document."""
    import urllib.request

    import boto3

    s3 = boto3.client("s3", endpoint_url=live_server.url, region_name="us-east-1",
                      aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    s3.put_object(Bucket="class-files", Key="evil.html", Body=b"<script>fetch('/iam/')</script>",
                  ContentType="text/html")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "class-files", "Key": "evil.html"})
    with urllib.request.urlopen(url) as response:
        assert response.headers["Content-Type"] == "text/html"
        assert response.headers["Content-Security-Policy"].startswith("sandbox;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unsigned_requests_for_missing_buckets_are_not_recorded(live_server, key):
    from trail.models import Event

    before = Event.objects.count()
    for n in range(3):
        parts = urlsplit(live_server.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(f"GET /nobody-{n}/x HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
            while sock.recv(65536):
                pass
    assert Event.objects.count() == before
