"""Requests signed by botocore's own signers, as they come off the wire: helpers for the
SigV4 tests (no tests here; named to sit with them)."""

from dataclasses import dataclass
from datetime import datetime, timezone
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi.sigv4 import parse_request_auth, payload_sha256, verify

UTC = timezone.utc
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDKSessionToken+/=="
CREDS = Credentials(ACCESS_KEY, SECRET)
TEMP_CREDS = Credentials("ASIAIOSFODNN7EXAMPLE", SECRET, TOKEN)
NOW = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
ENDPOINT = "http://127.0.0.1:8000"


@dataclass
class Wire:
    """A request as the server receives it: raw path and query, lowercase headers, body."""

    method: str
    path: str
    query: str
    headers: dict
    body: bytes

    def parse(self, **kwargs):
        return parse_request_auth(self.method, self.path, self.query, self.headers, **kwargs)

    def verify(self, secret=SECRET, *, now=NOW, body_sha256=None, **kwargs):
        credential = self.parse()
        verify(
            credential,
            secret,
            self.method,
            self.path,
            self.query,
            self.headers,
            body_sha256 or payload_sha256(self.body),
            now=now,
            **kwargs,
        )
        return credential

    def with_headers(self, **changes):
        headers = dict(self.headers)
        for name, value in changes.items():
            name = name.replace("_", "-").lower()
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return Wire(self.method, self.path, self.query, headers, self.body)


def from_prepared(prepared):
    """A botocore ``AWSPreparedRequest`` as it would arrive (urllib3 adds Host)."""
    parts = urlsplit(prepared.url)
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else value
        for name, value in prepared.headers.items()
    }
    headers.setdefault("host", parts.netloc)
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return Wire(prepared.method, parts.path, parts.query, headers, body)


def signed(
    method,
    url,
    service,
    *,
    auth=SigV4Auth,
    data=b"",
    headers=None,
    creds=CREDS,
    region="us-east-1",
    at=NOW,
    context=None,
    **auth_kwargs,
):
    """Sign with botocore's signer ``auth`` at time ``at``; return the request as received."""
    request = AWSRequest(method=method, url=url, data=data, headers=dict(headers or {}))
    request.context.update(context or {})
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        auth(creds, service, region, **auth_kwargs).add_auth(request)
    return from_prepared(request.prepare())
