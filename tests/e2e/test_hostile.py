"""Hostile and malformed requests to the API door: always an AWS error, never a 500."""

import http.client
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi.dispatch import dispatch
from trail.models import Event


def send(live_server, method, path, body=b"", headers=None):
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders())


def signed(live_server, key, body, content_type="application/x-www-form-urlencoded; charset=utf-8"):
    request = AWSRequest(method="POST", url=live_server.url + "/", data=body, headers={"Content-Type": content_type})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "iam", "us-east-1").add_auth(request)
    return dict(request.headers.items())


@pytest.fixture
def key(alice):
    return dispatch(alice, "iam:CreateAccessKey")["AccessKey"]


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAAA/20261129/us-east-1/iam/aws4_request",
        "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 " + "A" * 20000,
    ],
)
def test_garbage_authorization_headers_get_aws_errors(live_server, alice_account, authorization):
    status, body, headers = send(live_server, "POST", "/", b"Action=ListUsers&Version=2010-05-08", {
        "Authorization": authorization, "Content-Type": "application/x-www-form-urlencoded",
    })
    assert 400 <= status < 500
    assert "<ErrorResponse" in body and "<Code>" in body and "x-amzn-RequestId" in headers


def test_unsigned_call_needs_an_authentication_token(live_server, alice_account):
    status, body, _ = send(live_server, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", {
        "Content-Type": "application/x-www-form-urlencoded",
    })
    assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in body


def test_an_oversize_body_is_refused(live_server, key):
    body = b"Action=ListUsers&Version=2010-05-08&Marker=" + b"x" * (3 * 1024 * 1024)
    status, text, _ = send(live_server, "POST", "/", body, signed(live_server, key, body))
    assert status in (400, 413) and "<Code>" in text


def test_wrong_content_type_is_an_aws_error(live_server, key):
    body = b'{"Action": "ListUsers"}'
    status, text, _ = send(live_server, "POST", "/", body, signed(live_server, key, body, "application/json"))
    assert 400 <= status < 500 and "<Code>" in text


def test_repeated_parameters_are_an_aws_error(live_server, key):
    body = b"Action=ListUsers&Version=2010-05-08&MaxItems=1&MaxItems=2"
    status, text, _ = send(live_server, "POST", "/", body, signed(live_server, key, body))
    assert status == 400 and "<Code>" in text


def test_unknown_action_is_invalid_action(live_server, key):
    body = b"Action=MakeMeAdmin&Version=2010-05-08"
    status, text, _ = send(live_server, "POST", "/", body, signed(live_server, key, body))
    assert status == 400 and "InvalidAction" in text


def test_a_tampered_body_fails_the_signature_and_is_audited(live_server, key):
    body = b"Action=CreateUser&Version=2010-05-08&UserName=eve"
    headers = signed(live_server, key, body)
    status, text, _ = send(live_server, "POST", "/", b"Action=CreateUser&Version=2010-05-08&UserName=evil", headers)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
    event = Event.objects.get(event_name="CreateUser")
    assert event.error_code == "SignatureDoesNotMatch" and event.user_identity["accessKeyId"] == key["AccessKeyId"]
    from iam.models import User

    assert not User.objects.filter(user_name__in=["eve", "evil"]).exists()


def test_console_pages_still_serve_html(live_server, alice_account):
    status, body, _ = send(live_server, "GET", "/signin")
    assert status == 200 and "Root user" in body
