"""The S3 upload body reader: plain bodies, aws-chunked with signed chunks and trailers,
and every way a body can be broken — each refused with S3's error."""

import base64
import hashlib
import hmac
import io
import zlib

import pytest

from awsapi.sigv4 import StreamingSeed
from s3.errors import S3Error
from s3.payload import Payload

EMPTY = hashlib.sha256(b"").hexdigest()
KEY = b"k" * 32  # the request's signing key; derived elsewhere, any bytes do here
SEED = "a" * 64
TIMESTAMP, SCOPE = "20261129T120000Z", "20261129/us-east-1/s3/aws4_request"


def chunk_sig(previous, data):
    """AWS's chunk signature, written out from the documentation (not the server's code)."""
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256-PAYLOAD", TIMESTAMP, SCOPE, previous, EMPTY, hashlib.sha256(data).hexdigest()]
    )
    return hmac.new(KEY, to_sign.encode(), hashlib.sha256).hexdigest()


def trailer_sig(previous, trailer):
    to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", TIMESTAMP, SCOPE, previous, hashlib.sha256(trailer).hexdigest()])
    return hmac.new(KEY, to_sign.encode(), hashlib.sha256).hexdigest()


def crc32(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def signed_body(pieces, trailer=None, corrupt_at=None):
    out, previous = b"", SEED
    for index, data in enumerate(list(pieces) + [b""]):
        signature = chunk_sig(previous, data)
        sent = "0" * 64 if index == corrupt_at else signature
        out += f"{len(data):x};chunk-signature={sent}\r\n".encode() + data + b"\r\n"
        previous = signature
    if trailer is not None:
        out = out[:-2]  # the final chunk's CRLF is followed by the trailer instead
        line = f"x-amz-checksum-crc32:{trailer}".encode()
        signature = trailer_sig(previous, line + b"\n")
        out += line + b"\r\n" + f"x-amz-trailer-signature:{signature}".encode() + b"\r\n\r\n"
    return out


def payload(body, **options):
    seed = StreamingSeed(seed_signature=SEED, signing_key=KEY, timestamp=TIMESTAMP, scope=SCOPE)
    options.setdefault("content_length", len(body))
    return Payload(io.BytesIO(body), seed=seed, **options)


def read(p):
    return b"".join(p)


def refused(p):
    with pytest.raises(S3Error) as caught:
        read(p)
    return caught.value.code


def test_plain_body_with_its_sha256():
    data = b"hello" * 1000
    assert read(payload(data, content_sha256=hashlib.sha256(data).hexdigest())) == data
    assert refused(payload(data, content_sha256=hashlib.sha256(b"other").hexdigest())) == "XAmzContentSHA256Mismatch"
    assert read(payload(data, content_sha256="UNSIGNED-PAYLOAD")) == data


def test_body_shorter_than_content_length():
    assert refused(payload(b"short", content_length=10)) == "IncompleteBody"


def test_signed_chunks():
    pieces = [b"a" * 70000, b"b" * 100]
    body = signed_body(pieces)
    p = payload(body, content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunked=True, decoded_length=70100)
    assert read(p) == b"".join(pieces)


@pytest.mark.parametrize("corrupt_at", [0, 1, 2])
def test_a_corrupted_chunk_signature_is_refused(corrupt_at):
    body = signed_body([b"a" * 10, b"b" * 10], corrupt_at=corrupt_at)
    p = payload(body, content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunked=True, decoded_length=20)
    assert refused(p) == "SignatureDoesNotMatch"


def test_altered_chunk_data_is_refused():
    body = signed_body([b"a" * 10]).replace(b"aaaa", b"aaab", 1)
    p = payload(body, content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunked=True, decoded_length=10)
    assert refused(p) == "SignatureDoesNotMatch"


def test_signed_trailer():
    data = b"trailing checksum"
    body = signed_body([data], trailer=crc32(data))
    p = payload(
        body,
        content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        chunked=True,
        decoded_length=len(data),
        trailer_names=["x-amz-checksum-crc32"],
    )
    assert read(p) == data and p.trailers == {"x-amz-checksum-crc32": crc32(data)}
    forged = body.replace(crc32(data).encode(), crc32(b"other").encode())
    p = payload(forged, content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", chunked=True,
                decoded_length=len(data), trailer_names=["x-amz-checksum-crc32"])
    assert refused(p) == "SignatureDoesNotMatch"


def unsigned(data, trailer_line=b"x-amz-checksum-crc32:AAAAAA=="):
    return f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + trailer_line + b"\r\n\r\n"


def test_unsigned_payload_with_trailer():
    data = b"botocore's default"
    body = unsigned(data, f"x-amz-checksum-crc32:{crc32(data)}".encode())
    p = payload(body, content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunked=True, decoded_length=len(data),
                trailer_names=["x-amz-checksum-crc32"])
    assert read(p) == data and p.trailers["x-amz-checksum-crc32"] == crc32(data)


@pytest.mark.parametrize(
    "body, decoded, code",
    [
        (b"zz\r\nabc\r\n0\r\n\r\n", 3, "IncompleteBody"),  # not a hex size
        (b"3\r\nabcX\r\n0\r\n\r\n", 3, "IncompleteBody"),  # data longer than its size
        (b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", 4, "IncompleteBody"),  # decoded length
        (b"3\r\nabc\r\n0\r\nno-colon\r\n\r\n", 3, "IncompleteBody"),
        (b"3\r\nabc\r\n0\r\n\r\n", 3, "MalformedTrailerError"),  # the announced trailer is missing
        (b"5\r\nab", 5, "IncompleteBody"),  # the stream ends inside a chunk
        (b"3" * 5000, 3, "IncompleteBody"),  # a header line that never ends
    ],
)
def test_broken_chunked_bodies(body, decoded, code):
    p = payload(body, content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER", chunked=True, decoded_length=decoded,
                trailer_names=["x-amz-checksum-crc32"])
    assert refused(p) == code


def test_signed_chunk_header_without_a_signature():
    p = payload(b"3\r\nabc\r\n0\r\n\r\n", content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", chunked=True,
                decoded_length=3)
    assert refused(p) == "SignatureDoesNotMatch"
