"""Receiving an object's bytes (PutObject, UploadPart): streamed in (to memory while they
would fit in a row, else to a temporary blob) while its MD5 and checksum are computed,
then checked against every digest the client sent (Content-MD5, x-amz-checksum-*, in a
header or a trailer, x-amz-content-sha256) before anything is kept."""

import base64
import binascii
from dataclasses import dataclass

from s3 import storage
from s3.errors import S3Error, invalid_argument
from s3.payload import Digests, Payload, checksum_header

MAX_PUT_SIZE = 5 * 1024**3
# AWS computes CRC64NVME for every object uploaded without a checksum (since Dec. 2024).
DEFAULT_CHECKSUM = "CRC64NVME"
CHECKSUM_PARAMS = {algorithm: f"checksum_{name}" for algorithm, name in (
    ("CRC32", "crc32"), ("CRC32C", "crc32_c"), ("CRC64NVME", "crc64_nvme"), ("SHA1", "sha1"), ("SHA256", "sha256"),
)}
UNSUPPORTED_CHECKSUMS = ("checksum_sha512", "checksum_md5", "checksum_xxhash64", "checksum_xxhash3", "checksum_xxhash128")
# What never goes into a trail event: the bytes themselves and SSE-C keys.
BODY_SECRETS = ("Body", "SSECustomerKey", "CopySourceSSECustomerKey")


@dataclass
class Received:
    """A verified body, staged: :meth:`install` keeps it."""

    staged: storage.StagedBody
    size: int
    md5_hex: str
    checksum_algorithm: str
    checksum_value: str  # base64
    # The bucket it was staged for, as read before the transaction (PutObject).
    bucket: object = None

    def install(self):
        """The ``blob`` and ``inline`` fields of the row that keeps the bytes."""
        return self.staged.install()

    @property
    def etag(self):
        return self.md5_hex

    def checksum_result(self):
        return {f"Checksum{self.checksum_algorithm}": self.checksum_value}


def _pieces(body):
    if body is None:
        return [b""]
    if isinstance(body, (bytes, bytearray)):
        return [bytes(body)]
    return body


def _requested_algorithm(kwargs, body):
    """The checksum the client asked for: a value header, the SDK's algorithm header, or
    the trailer it announced (botocore's default CRC32 arrives that way)."""
    given = [algorithm for algorithm, name in CHECKSUM_PARAMS.items() if kwargs.get(name)]
    for name in UNSUPPORTED_CHECKSUMS:
        if kwargs.get(name):
            raise invalid_argument("Checksum algorithm provided is unsupported.", "x-amz-checksum-algorithm")
    trailers = [
        algorithm for algorithm in CHECKSUM_PARAMS
        if isinstance(body, Payload) and checksum_header(algorithm) in body.trailer_names
    ]
    declared = kwargs.get("checksum_algorithm")
    if declared and declared.upper() not in CHECKSUM_PARAMS:
        raise invalid_argument("Checksum algorithm provided is unsupported.", "x-amz-sdk-checksum-algorithm", declared)
    found = set(given) | set(trailers)
    if len(found) > 1:
        raise invalid_argument("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    if found:
        algorithm = found.pop()
        if declared and declared.upper() != algorithm:
            raise S3Error("BadDigest", f"The {declared.upper()} you specified did not match the calculated checksum.", 400)
        return algorithm, bool(trailers)
    return (declared.upper() if declared else None), False


def _content_md5(value):
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
    return digest


def receive(kwargs, *, default_checksum=DEFAULT_CHECKSUM):
    """Stream ``kwargs["body"]`` in and check it: a :class:`Received`, or an S3 error with
    nothing left behind."""
    body = kwargs.get("body")
    if isinstance(body, Payload) and body.size is not None and body.size > MAX_PUT_SIZE:
        raise S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
    algorithm, in_trailer = _requested_algorithm(kwargs, body)
    expected_md5 = _content_md5(kwargs["content_md5"]) if kwargs.get("content_md5") else None
    digests = Digests(algorithm or default_checksum)
    staged = storage.StagedBody()
    try:
        for piece in _pieces(body):
            staged.write(piece)
            digests.update(piece)
        if digests.size > MAX_PUT_SIZE:
            raise S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400)
        if expected_md5 is not None and expected_md5 != digests.md5.digest():
            error = S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
            error.details = {
                "ExpectedDigest": kwargs["content_md5"],
                "CalculatedDigest": base64.b64encode(digests.md5.digest()).decode("ascii"),
            }
            raise error
        value = digests.checksum_b64()
        if algorithm:
            sent = body.trailers.get(checksum_header(algorithm)) if in_trailer else kwargs.get(CHECKSUM_PARAMS[algorithm])
            if sent != value:
                raise S3Error("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)
    except BaseException:
        staged.discard()
        raise
    return Received(staged, digests.size, digests.md5.hexdigest(), algorithm or default_checksum, value)


def stage(ctx, kwargs):
    """``prepare`` of PutObject and UploadPart: the body received and checked before the
    transaction; the cleanup drops a temporary blob unless the operation kept it."""
    received = receive(kwargs)
    return {**kwargs, "body": received}, received.staged.discard

