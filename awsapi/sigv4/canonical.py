"""The canonical request AWS signs, rebuilt from the request as it came off the wire, and
the HMAC chain that signs it."""

import functools
import hashlib
import hmac
import re
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_TOKEN = re.compile(rb"%[0-9A-Fa-f]{2}|.", re.DOTALL)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# A path of unreserved characters and slashes only: its encoding is itself.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")


def _hmac(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _hmac_hex(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=1024)
def signing_key(secret, date, region, service):
    """The SigV4 signing key: HMAC chain over date, region, service and ``aws4_request``.
    Cached, as AWS's own clients cache it: one key serves a whole day of requests."""
    key = _hmac(f"AWS4{secret}".encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, TERMINATOR)


def payload_sha256(body):
    """Hex SHA-256 of a request body, as signed in the canonical request."""
    return hashlib.sha256(body).hexdigest()


def _uri_encode(raw, safe=b""):
    """RFC 3986 normalization with AWS's UriEncode: an escape of an unreserved character
    is decoded, any other escape kept (upper-cased: ``%2f`` is ``%2F``, never ``/``), and a
    bare character outside the unreserved set and ``safe`` is encoded."""
    if safe == b"/" and _PLAIN_PATH.fullmatch(raw):
        return raw  # most paths (every new S3 key an upload names: no cache helps)
    return "".join(_encode_token(match.group(), safe) for match in _TOKEN.finditer(raw.encode("utf-8")))


def _encode_token(token, safe):
    if len(token) == 3:
        byte = int(token[1:], 16)
        return chr(byte) if byte in _UNRESERVED else f"%{byte:02X}"
    byte = token[0]
    return chr(byte) if byte in _UNRESERVED or byte in safe else f"%{byte:02X}"


def _remove_dot_segments(path):
    """RFC 3986 dot-segment removal, also collapsing empty segments (botocore's
    ``remove_dot_segments``): what every service but S3 signs."""
    segments = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if path.endswith("/") and segments else ""
    return "/" + "/".join(segments) + trailing


@functools.lru_cache(maxsize=4096)
def canonical_uri(raw_path, *, s3=False):
    """The canonical URI of a path as sent (still percent-encoded). Cached: most calls
    are to a few paths (``/`` for every query and JSON service)."""
    once = _uri_encode(raw_path or "/", safe=b"/")
    if s3:
        return once
    return quote(_remove_dot_segments(once), safe="/")


def _query_pairs(raw_query):
    """The query's (name, value) pairs, each percent-decoded and re-encoded canonically."""
    pairs = []
    for part in (raw_query or "").split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((_uri_encode(name), _uri_encode(value)))
    return pairs


def canonical_query_string(raw_query, *, presigned=False):
    """The canonical query string: pairs sorted by name then value, without
    ``X-Amz-Signature`` for a presigned request."""
    pairs = sorted(
        (name, value)
        for name, value in _query_pairs(raw_query)
        if not (presigned and name == "X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def _query_params(raw_query):
    """First decoded value of each query parameter (AWS reads the first one)."""
    params = {}
    for name, value in _query_pairs(raw_query):
        params.setdefault(
            unquote_to_bytes(name).decode("utf-8", "replace"),
            unquote_to_bytes(value).decode("utf-8", "replace"),
        )
    return params


def _trimall(value):
    return " ".join(value.split())


def _header_value(value):
    if isinstance(value, (list, tuple)):
        return ",".join(_trimall(v) for v in value)
    return _trimall(value)


def _lower_headers(headers):
    return {name.lower(): value for name, value in headers.items()}


def canonical_request(method, raw_path, raw_query, headers, signed_headers, payload, *, s3, presigned):
    """The canonical request AWS signs (``headers`` with lowercase names)."""
    lines = "".join(f"{name}:{_header_value(headers.get(name, ''))}\n" for name in signed_headers)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(raw_path, s3=s3),
            canonical_query_string(raw_query, presigned=presigned),
            lines,
            ";".join(signed_headers),
            payload,
        )
    )


def string_to_sign(timestamp, scope, canonical):
    """``AWS4-HMAC-SHA256``, the request time, the scope and the canonical request's hash."""
    return "\n".join((ALGORITHM, timestamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
