"""An S3 request body as it comes off the wire, read as a stream of the object's bytes.

Three framings: a plain body (its SHA-256 compared with a hex ``x-amz-content-sha256``
when the client declared one), and ``aws-chunked`` (``Content-Encoding: aws-chunked``):
``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` ... a final zero-size chunk, then
trailing headers (``x-amz-checksum-crc32:...``, and ``x-amz-trailer-signature`` when the
trailer is signed) and an empty line. Chunk signatures chain from the request's own
signature (``StreamingSeed``); each is checked as soon as its chunk has been read.

Nothing here is trusted until the iteration ends without an error: the caller writes the
bytes to a temporary file and keeps it only then. Pure: no Django."""

import base64
import hashlib
import zlib

import crcmod

from s3.errors import S3Error

READ_SIZE = 256 * 1024
MAX_LINE = 4096  # a chunk header or trailer line; botocore's are under 200 bytes
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SIGNED_CHUNKS = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
TRAILER_PAYLOADS = ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")


def incomplete_body():
    return S3Error(
        "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400
    )


def _malformed_chunk():
    return S3Error("IncompleteBody", "The request body terminated unexpectedly", 400)


def _chunk_signature_mismatch():
    return S3Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        403,
    )


# --- checksums -------------------------------------------------------------------------


class _CRC:
    def __init__(self, update, width):
        self._update, self._width, self.value = update, width, 0

    def update(self, data):
        self.value = self._update(data, self.value)

    def digest(self):
        return self.value.to_bytes(self._width, "big")


# Reflected CRC-32C (Castagnoli) and CRC-64/NVME, each with an all-ones init and xorout.
_crc32c = crcmod.mkCrcFun(0x11EDC6F41, initCrc=0, rev=True, xorOut=0xFFFFFFFF)
_crc64nvme = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
CHECKSUM_ALGORITHMS = {
    "CRC32": lambda: _CRC(zlib.crc32, 4),
    "CRC32C": lambda: _CRC(_crc32c, 4),
    "CRC64NVME": lambda: _CRC(_crc64nvme, 8),
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
}


def checksum_header(algorithm):
    return f"x-amz-checksum-{algorithm.lower()}"


def new_checksum(algorithm):
    return CHECKSUM_ALGORITHMS[algorithm]()


def b64(digest):
    return base64.b64encode(digest).decode("ascii")


class Digests:
    """The MD5 (the ETag) and, when asked for, one additional checksum of the bytes seen."""

    def __init__(self, algorithm=None):
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.algorithm = algorithm
        self.checksum = new_checksum(algorithm) if algorithm else None
        self.size = 0

    def update(self, data):
        self.md5.update(data)
        if self.checksum is not None:
            self.checksum.update(data)
        self.size += len(data)

    def checksum_b64(self):
        return b64(self.checksum.digest()) if self.checksum is not None else ""


# --- the wire ----------------------------------------------------------------------------


class _Reader:
    """Exact reads from a stream that may end early (a client that lied in Content-Length)."""

    def __init__(self, stream, length):
        self.stream, self.remaining, self.buffer = stream, length, b""

    def _fill(self, wanted):
        while len(self.buffer) < wanted and self.remaining > 0:
            data = self.stream.read(min(READ_SIZE, self.remaining))
            if not data:
                raise incomplete_body()
            self.remaining -= len(data)
            self.buffer += data

    def read_some(self, limit):
        """Up to ``limit`` bytes (at least one), for streaming a chunk's data through."""
        if not self.buffer:
            self._fill(1)
        if not self.buffer:
            raise incomplete_body()
        data, self.buffer = self.buffer[:limit], self.buffer[limit:]
        return data

    def read_line(self):
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE or self.remaining <= 0:
                raise _malformed_chunk()
            self._fill(len(self.buffer) + 1)
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def exhausted(self):
        return not self.buffer and self.remaining <= 0


class Payload:
    """The body of a PutObject or UploadPart, iterated as the object's bytes.

    ``content_sha256`` is the request's ``x-amz-content-sha256`` (a hex digest, a literal,
    or None for a presigned URL); ``seed`` the request's ``StreamingSeed`` when chunks
    are signed. After the iteration, ``trailers`` holds the trailing headers."""

    def __init__(self, stream, *, content_length, content_sha256=None, chunked=False, decoded_length=None,
                 trailer_names=(), seed=None):
        self.stream = stream
        self.content_length = content_length
        self.content_sha256 = content_sha256 or UNSIGNED_PAYLOAD
        self.chunked = chunked
        self.decoded_length = decoded_length
        self.trailer_names = tuple(name.strip().lower() for name in trailer_names if name.strip())
        self.seed = seed
        self.trailers = {}

    @property
    def size(self):
        """The object's size, as far as the request tells before it is read."""
        return self.decoded_length if self.chunked else self.content_length

    def __iter__(self):
        if self.chunked:
            yield from self._chunks()
        else:
            yield from self._plain()

    def _plain(self):
        reader = _Reader(self.stream, self.content_length)
        sha256 = hashlib.sha256() if len(self.content_sha256) == 64 else None
        while not reader.exhausted():
            data = reader.read_some(READ_SIZE)
            if sha256 is not None:
                sha256.update(data)
            yield data
        if sha256 is not None and sha256.hexdigest() != self.content_sha256:
            raise S3Error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
            )

    def _chunks(self):
        reader = _Reader(self.stream, self.content_length)
        signed = self.content_sha256 in SIGNED_CHUNKS
        previous = self.seed.seed_signature if signed else ""
        total = 0
        while True:
            size, signature = _chunk_header(reader.read_line(), signed)
            sha256 = hashlib.sha256() if signed else None
            left = size
            while left:
                data = reader.read_some(min(left, READ_SIZE))
                left -= len(data)
                total += len(data)
                if sha256 is not None:
                    sha256.update(data)
                yield data
            if signed:
                if not self.seed.verify_chunk_hash(previous, sha256.hexdigest(), signature):
                    raise _chunk_signature_mismatch()
                previous = signature
            if size == 0:
                break
            if reader.read_line() != b"":
                raise _malformed_chunk()
        self._read_trailers(reader, previous)
        if self.decoded_length is not None and total != self.decoded_length:
            raise incomplete_body()

    def _read_trailers(self, reader, previous):
        lines = []
        while not reader.exhausted():
            line = reader.read_line()
            if line == b"":
                break
            lines.append(line)
        signature = None
        for line in lines:
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise _malformed_chunk()
            name = name.strip().lower()
            if name == "x-amz-trailer-signature":
                signature = value.strip()
            else:
                self.trailers[name] = value.strip()
        if self.content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":
            canonical = "".join(f"{name}:{value}\n" for name, value in self.trailers.items()).encode("latin-1")
            if signature is None or not self.seed.verify_trailer(previous, canonical, signature):
                raise _chunk_signature_mismatch()
        for name in self.trailer_names:
            if name not in self.trailers:
                raise S3Error("MalformedTrailerError", "The request contained trailing data that was not well-formed "
                              "or did not conform to our published schema.", 400)


def _chunk_header(line, signed):
    size_text, _, extension = line.partition(b";")
    try:
        size = int(size_text, 16)
    except ValueError:
        raise _malformed_chunk() from None
    if size < 0 or size_text.strip() != size_text or not size_text:
        raise _malformed_chunk()
    signature = ""
    if signed:
        name, _, value = extension.partition(b"=")
        if name != b"chunk-signature" or len(value) != 64:
            raise _chunk_signature_mismatch()
        signature = value.decode("ascii", "replace")
    return size, signature
