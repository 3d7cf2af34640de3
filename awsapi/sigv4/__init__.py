"""AWS Signature Version 4, verified the way AWS verifies it. Pure: no Django, stdlib only.

Two steps, so the caller can look the access key up in between (``InvalidClientTokenId``
is the caller's answer, not ours):

1. ``parse_request_auth`` reads the ``Authorization`` header or the presigned query
   (``X-Amz-Algorithm``/``X-Amz-Credential``...) into a :class:`Credential`, refusing a
   malformed one with AWS's own code and wording. It needs no secret.
2. ``verify`` checks the time window and recomputes the signature over the request as it
   came off the wire, comparing in constant time.

``check_time`` is step 2's clock check on its own, for a caller that wants AWS's order
(a stale request is refused before its key is looked up), and ``streaming_seed`` hands an
``aws-chunked`` S3 upload's seed signature and signing key to whoever checks its chunks.

The canonical request is rebuilt from the raw path and query, normalized as RFC 3986 and
AWS's UriEncode say (an escaped unreserved character decoded, other escapes upper-cased, a
bare character outside the unreserved set encoded), so any client's spelling of a name lands
on the form the client signed. Other services then encode the path a second time after
removing ``.``/``..`` and empty segments (what botocore's ``SigV4Auth`` signs); S3 encodes it
once and keeps it exactly as addressed (``S3SigV4Auth``): a key ``a/../b`` or ``a//b`` is a
key, not a path.

Errors come in each service's dialect: query services (IAM, STS) say ``IncompleteSignature``
and ``SignatureDoesNotMatch``, JSON services (CloudTrail) ``IncompleteSignatureException``
and ``InvalidSignatureException``, EC2 ``AuthFailure`` and ``RequestExpired``, and S3 its
own (``AuthorizationHeaderMalformed``, ``RequestTimeTooSkewed``, ``AccessDenied`` "Request
has expired", ...) with the extra ``<Error>`` members it sends in ``SigV4Error.details``.

Layout: ``canonical`` (the canonical request and signing key), ``parse`` (the credential),
``errors`` (the dialects), ``streaming`` (chunk signatures); the checks against the clock
and the secret are here.
"""

import hmac
import re
from datetime import datetime, timedelta, timezone

from .canonical import (
    ALGORITHM,
    EMPTY_SHA256,
    TERMINATOR,
    _hmac_hex,
    _lower_headers,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    payload_sha256,
    signing_key,
    string_to_sign,
)
from .errors import _S3_MISMATCH, SigV4Error, _coral, _dialect, _hex_bytes, _s3
from .parse import _BASIC, MAX_PRESIGN_EXPIRES, Credential, parse_request_auth
from .streaming import StreamingSeed, streaming_seed

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "MAX_PRESIGN_EXPIRES",
    "MAX_SKEW",
    "STREAMING_PAYLOADS",
    "TERMINATOR",
    "UNSIGNED_PAYLOAD",
    "Credential",
    "SigV4Error",
    "StreamingSeed",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "check_time",
    "parse_request_auth",
    "payload_sha256",
    "signing_key",
    "streaming_seed",
    "string_to_sign",
    "verify",
]

MAX_SKEW = timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOADS = frozenset(
    {
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EXTENDED = "%Y-%m-%dT%H:%M:%SZ"


def _now():
    return datetime.now(timezone.utc)


def _is_s3(credential, s3):
    return credential.service == "s3" if s3 is None else s3


def check_time(credential, *, now=None, s3=None):
    """Refuse a request outside its time window: more than 15 minutes from ``now`` for a
    signed header (and for other services' presigned URLs: STS keeps 15 minutes whatever
    X-Amz-Expires says), past ``X-Amz-Expires`` for an S3 presigned URL."""
    now = (now or _now()).astimezone(timezone.utc)
    when = credential.amz_date
    if _is_s3(credential, s3):
        server_time = ("ServerTime", now.strftime(_EXTENDED))
        if credential.presigned:
            expires_at = (when + timedelta(seconds=credential.expires or 0)).strftime(_EXTENDED)
            if when - now > MAX_SKEW:
                raise _s3(
                    "AccessDenied",
                    "Request is not yet valid",
                    403,
                    (
                        ("X-Amz-Date", str(int(when.timestamp() * 1000))),
                        ("Expires", expires_at),
                        server_time,
                    ),
                )
            if (now - when).total_seconds() > (credential.expires or 0):
                raise _s3(
                    "AccessDenied",
                    "Request has expired",
                    403,
                    (("X-Amz-Expires", str(credential.expires)), ("Expires", expires_at), server_time),
                )
            return
        if abs(now - when) > MAX_SKEW:
            raise _s3(
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                403,
                (
                    ("RequestTime", credential.timestamp),
                    server_time,
                    ("MaxAllowedSkewMilliseconds", str(int(MAX_SKEW.total_seconds() * 1000))),
                ),
            )
        return
    dialect = _dialect(credential.service)
    if now - when > MAX_SKEW:
        message = dialect.expired_message or (
            f"Signature expired: {credential.timestamp} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_BASIC)} ({now.strftime(_BASIC)} - 15 min.)"
        )
        raise _coral("expired", dialect, message)
    if when - now > MAX_SKEW:
        message = dialect.expired_message or (
            f"Signature not yet current: {credential.timestamp} is still later than "
            f"{(now + MAX_SKEW).strftime(_BASIC)} ({now.strftime(_BASIC)} + 15 min.)"
        )
        raise _coral("expired", dialect, message)


def _payload(credential, headers, body_sha256, s3, dialect):
    """The payload hash the client signed: the ``x-amz-content-sha256`` it declared (which
    must then be the body's, or one of the literals) or else the body's own hash."""
    declared = headers.get("x-amz-content-sha256")
    if declared is None:
        if s3 and credential.presigned:
            return UNSIGNED_PAYLOAD
        if s3:
            raise _s3("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        return body_sha256
    if declared == UNSIGNED_PAYLOAD or declared in STREAMING_PAYLOADS:
        return declared
    if not _SHA256_HEX.fullmatch(declared):
        if s3:
            raise _s3(
                "InvalidArgument",
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
                "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                details=(("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", declared)),
            )
        return declared
    if not hmac.compare_digest(declared, body_sha256):
        if s3:
            raise _s3(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                details=(
                    ("ClientComputedContentSHA256", declared),
                    ("S3ComputedContentSHA256", body_sha256),
                ),
            )
        raise _coral("invalid", dialect, dialect.mismatch_message)
    return declared


def _expected_signature(credential, secret_access_key, method, raw_path, raw_query, headers, payload, s3):
    canonical = canonical_request(
        method,
        raw_path,
        raw_query,
        headers,
        credential.signed_headers,
        payload,
        s3=s3,
        presigned=credential.presigned,
    )
    to_sign = string_to_sign(credential.timestamp, credential.scope, canonical)
    key = signing_key(secret_access_key, credential.date, credential.region, credential.service)
    return _hmac_hex(key, to_sign), canonical, to_sign


def verify(
    credential,
    secret_access_key,
    method,
    raw_path,
    raw_query,
    headers,
    body_sha256,
    *,
    now=None,
    s3=None,
):
    """Check ``credential`` (from :func:`parse_request_auth`) against the request.

    Raises :class:`SigV4Error` when the request is outside its time window or its
    signature is not the one ``secret_access_key`` makes. ``body_sha256`` is the body's
    hex SHA-256 (or, for an S3 ``UNSIGNED-PAYLOAD``/``STREAMING-*`` request, that literal;
    the body is only compared when the request declares a hex ``x-amz-content-sha256``).
    ``s3`` selects S3's canonicalization and errors; ``None`` means "if the credential is
    scoped to s3". ``now`` defaults to the current UTC time."""
    s3 = _is_s3(credential, s3)
    check_time(credential, now=now, s3=s3)
    headers = _lower_headers(headers)
    dialect = _dialect(credential.service)
    payload = _payload(credential, headers, body_sha256, s3, dialect)
    expected, canonical, to_sign = _expected_signature(
        credential, secret_access_key, method, raw_path, raw_query, headers, payload, s3
    )
    if hmac.compare_digest(expected.encode("ascii"), credential.signature.encode("utf-8")):
        return
    if s3:
        raise _s3(
            "SignatureDoesNotMatch",
            _S3_MISMATCH,
            403,
            (
                ("AWSAccessKeyId", credential.access_key_id),
                ("StringToSign", to_sign),
                ("SignatureProvided", credential.signature),
                ("StringToSignBytes", _hex_bytes(to_sign)),
                ("CanonicalRequest", canonical),
                ("CanonicalRequestBytes", _hex_bytes(canonical)),
            ),
        )
    raise _coral("invalid", dialect, dialect.mismatch_message)
