"""S3's query-string authentication with Signature Version 2 (``AWSAccessKeyId``,
``Signature``, ``Expires``): what ``aws s3 presign`` produces unless the profile says
``s3.signature_version = s3v4``. Pure: no Django, stdlib only.

The string to sign is AWS's "RESTAuthentication": the method, Content-MD5, Content-Type,
Expires, the ``x-amz-*`` values, and the resource — the path as addressed plus the
sub-resources and response overrides among the query parameters, sorted, their values
decoded. The signature is HMAC-SHA1 of it under the secret key, base64."""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import unquote, unquote_plus

from awsapi.sigv4.errors import _S3_MISMATCH, SigV4Error

# The query parameters that are part of the resource (botocore's HmacV1Auth list).
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy",
        "requestPayment", "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
        "storageClass", "notification", "replication", "analytics", "metrics", "inventory", "select",
        "select-type", "object-lock",
    }
)


@dataclass(frozen=True)
class PresignedV2:
    access_key_id: str
    signature: str
    expires: int  # seconds since the epoch
    security_token: str | None
    # What the rest of the door reads off a SigV4 credential.
    region: str = "us-east-1"
    service: str = "s3"
    presigned: bool = True


def _pairs(raw_query):
    for part in raw_query.split("&"):
        if part:
            name, sep, value = part.partition("=")
            yield unquote_plus(name), (unquote_plus(value) if sep else None)


def _error(code, message, status, details=()):
    return SigV4Error(code, message, status, details)


def parse_presigned(raw_query):
    """The SigV2 presigned credential of a query string, or None when it has none."""
    params = {}
    for name, value in _pairs(raw_query):
        params.setdefault(name, value)
    if "AWSAccessKeyId" not in params and "Signature" not in params:
        return None
    missing = [name for name in ("AWSAccessKeyId", "Signature", "Expires") if not params.get(name)]
    if missing:
        raise _error(
            "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            403,
        )
    try:
        expires = int(params["Expires"])
    except ValueError:
        raise _error("AccessDenied", "Invalid date (should be seconds since epoch): " + params["Expires"], 403) from None
    return PresignedV2(params["AWSAccessKeyId"], params["Signature"], expires, params.get("x-amz-security-token"))


def string_to_sign(method, raw_path, raw_query, headers, expires):
    """AWS's SigV2 string to sign for a query-authenticated request."""
    query = {}
    for name, value in _pairs(raw_query):
        query.setdefault(name, value)
    lowered = {name.lower(): value for name, value in headers.items()}

    def standard(name):
        return (query.get(name) or lowered.get(name) or "").strip()

    amz = {}
    for name, value in list(query.items()) + list(lowered.items()):
        name = name.lower()
        if name.startswith("x-amz-") and value is not None and name not in amz:
            amz[name] = value.strip()
    lines = [method.upper(), standard("content-md5"), standard("content-type"), str(expires)]
    lines += [f"{name}:{amz[name]}" for name in sorted(amz)]
    resource = raw_path
    sub = sorted((name, value) for name, value in _raw_pairs(raw_query) if name in SUBRESOURCES)
    if sub:
        resource += "?" + "&".join(name if value is None else f"{name}={value}" for name, value in sub)
    return "\n".join(lines + [resource])


def _raw_pairs(raw_query):
    # The resource keeps names as sent and decodes values, as botocore builds it.
    for part in raw_query.split("&"):
        if part:
            name, sep, value = part.partition("=")
            yield name, (unquote(value) if sep else None)


def sign(secret_access_key, to_sign):
    digest = hmac.new(secret_access_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(credential, secret_access_key, method, raw_path, raw_query, headers, *, now=None):
    """Refuse an expired URL (S3's AccessDenied "Request has expired") or a signature the
    secret does not make (SignatureDoesNotMatch), comparing in constant time."""
    now = now or datetime.now(timezone.utc)
    if now.timestamp() > credential.expires:
        expires = datetime.fromtimestamp(credential.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise _error(
            "AccessDenied",
            "Request has expired",
            403,
            (("Expires", expires), ("ServerTime", now.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        )
    to_sign = string_to_sign(method, raw_path, raw_query, headers, credential.expires)
    expected = sign(secret_access_key, to_sign)
    if not hmac.compare_digest(expected.encode("ascii"), credential.signature.encode("utf-8")):
        raise _error(
            "SignatureDoesNotMatch",
            _S3_MISMATCH,
            403,
            (
                ("AWSAccessKeyId", credential.access_key_id),
                ("StringToSign", to_sign),
                ("SignatureProvided", credential.signature),
            ),
        )
