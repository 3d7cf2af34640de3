"""The WSGI handler `python -m console.serve` runs (awsapi/wsgi.py): a real boto3 client
talks to it through a before-send hook instead of a socket, and console requests still
take Django's whole middleware chain."""

import io
import sys
import time
from urllib.parse import unquote_to_bytes, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection

import awsapi.wsgi

from awsapi.dispatch import dispatch
from console.wsgi import application

FINISHED = awsapi.wsgi.finished


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    """As Django's test client does: closing the test's connection after each request
    would end the test's transaction."""
    monkeypatch.setattr(awsapi.wsgi, "finished", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def environ(method, path, query="", headers=None, body=b""):
    env = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    return env


def call(env):
    """(status, headers, body) of the WSGI application's answer."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    result = application(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):  # as a WSGI server does
            result.close()
    return answer["status"], dict(answer["headers"]), body


class _Raw(io.BytesIO):
    def stream(self, **kwargs):
        yield self.getvalue()


def through_handler(request, **kwargs):
    url = urlsplit(request.url)
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    # As granian passes it: percent-decoded, bytes as latin-1, no raw path beside it.
    path = unquote_to_bytes(url.path).decode("latin-1")
    status, out_headers, out_body = call(environ(request.method, path, url.query, headers, body))
    return AWSResponse(request.url, status, out_headers, _Raw(out_body))


@pytest.fixture
def root_key(alice):
    return dispatch(alice, "iam:CreateAccessKey")["AccessKey"]


@pytest.fixture
def client(root_key):
    def make(service):
        api = boto3.session.Session(
            aws_access_key_id=root_key["AccessKeyId"], aws_secret_access_key=root_key["SecretAccessKey"],
            region_name="us-east-1",
        ).client(service, endpoint_url="http://127.0.0.1:8000",
                 config=boto3.session.Config(s3={"addressing_style": "path"}))
        api.meta.events.register("before-send", through_handler)
        return api

    return make


def test_boto3_calls_are_answered_by_the_api_door(client, alice_account):
    assert client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{alice_account.account_id}:root"
    client("iam").create_user(UserName="dana")
    assert [u["UserName"] for u in client("iam").list_users()["Users"]] == ["dana"]
    s3 = client("s3")
    s3.create_bucket(Bucket="wsgi-door")
    s3.put_object(Bucket="wsgi-door", Key="a/b c.txt", Body=b"hello")
    assert s3.get_object(Bucket="wsgi-door", Key="a/b c.txt")["Body"].read() == b"hello"
    with pytest.raises(ClientError) as raised:
        client("iam").get_user(UserName="nobody")
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
    names = [e["EventName"] for e in client("cloudtrail").lookup_events()["Events"]]
    assert {"GetCallerIdentity", "CreateUser", "ListUsers", "CreateBucket", "GetUser"} <= set(names)


def test_api_answers_carry_aws_headers_and_no_console_ones(client):
    status, headers, body = call(environ("POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                         body=b"Action=GetCallerIdentity&Version=2011-06-15"))
    # Unsigned: the STS door answers with AWS's error, not the console.
    assert status == 403 and b"<Code>MissingAuthenticationToken</Code>" in body
    assert headers["Content-Length"] == str(len(body))
    assert headers["x-amzn-RequestId"]
    assert headers["Content-Security-Policy"].startswith("sandbox")
    assert "Set-Cookie" not in headers


def test_a_buffered_api_answer_is_one_piece_and_the_call_is_finished_before_it_is_sent(monkeypatch):
    events = []
    monkeypatch.setattr(awsapi.wsgi, "finished", lambda: events.append("finished"))
    result = application(environ("POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 body=b"Action=GetCallerIdentity&Version=2011-06-15"),
                         lambda *args: events.append("started"))
    assert events == ["started", "finished"]
    assert isinstance(result, list) and len(result) == 1 and b"MissingAuthenticationToken" in result[0]


@pytest.mark.django_db(transaction=True)
def test_the_end_of_an_api_call_returns_an_expired_database_connection(monkeypatch):
    monkeypatch.setattr(awsapi.wsgi, "finished", FINISHED)
    finished = []
    request_finished.connect(lambda **kwargs: finished.append(True), weak=False, dispatch_uid="count-finished")
    try:
        connection.ensure_connection()
        connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed
        status, _, _ = call(environ("POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=b"Action=GetCallerIdentity&Version=2011-06-15"))
        assert status == 403 and connection.connection is None
        assert finished == []  # nor Django's per-request signals, which an API call skips
    finally:
        request_finished.disconnect(dispatch_uid="count-finished")


def test_console_requests_take_django_middleware(db):
    status, headers, body = call(environ("GET", "/signin"))
    assert status == 200 and b"<form" in body
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_a_console_form_post_to_root_is_the_console_s(db):
    # Its body is read to tell it from an unsigned STS call, then the same request goes
    # through Django's chain: not signed in, so the console sends it to sign in.
    status, headers, body = call(environ("POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                         body=b"account=alice-lab&next=/"))
    assert status == 302 and "/signin" in headers["Location"]
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("content_type", [
    "", "application/x-www-form-urlencoded; charset=utf-8", "text/plain; charset=latin-1",
    "text/plain; charset=no-such-codec", 'multipart/form-data; boundary="a;b"', "application/json",
])
def test_requests_read_their_content_type_as_django_does(content_type):
    from django.core.handlers.wsgi import WSGIRequest

    from awsapi.wsgi import Request

    env = environ("POST", "/", headers={"Content-Type": content_type} if content_type else None)
    ours, django = Request(dict(env)), WSGIRequest(dict(env))
    assert (ours.content_type, ours.content_params, ours.encoding) == (
        django.content_type, django.content_params, django.encoding)
    ours.content_params["x"] = "changed"  # each request has its own
    assert "x" not in Request(dict(env)).content_params
