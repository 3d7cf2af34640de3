"""Chunk signatures of an S3 ``aws-chunked`` upload (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``
and its ``-TRAILER`` form), chained from the seed request's signature. Parsing the chunked
body is the S3 step's; this is the arithmetic AWS documents in "Signature Calculations for
the Authorization Header: Transferring Payload in Multiple Chunks (Chunked Upload)"."""

import hashlib
import hmac
from dataclasses import dataclass

from .canonical import EMPTY_SHA256, _hmac_hex, signing_key


@dataclass(frozen=True)
class StreamingSeed:
    """What an S3 ``aws-chunked`` upload's chunk signatures chain from (AWS "Signature
    Calculations for the Authorization Header: Transferring Payload in Multiple Chunks")."""

    seed_signature: str
    signing_key: bytes
    timestamp: str  # YYYYMMDDTHHMMSSZ
    scope: str  # YYYYMMDD/region/service/aws4_request

    def chunk_signature(self, previous_signature, chunk):
        """The signature of one chunk (``b""`` for the final one), chained from the previous
        chunk's signature, the seed signature for the first."""
        return self.chunk_hash_signature(previous_signature, hashlib.sha256(chunk).hexdigest())

    def chunk_hash_signature(self, previous_signature, chunk_sha256):
        """:meth:`chunk_signature` from the chunk's hex SHA-256, so a reader can hash a
        large chunk as it streams through instead of holding it."""
        string_to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-PAYLOAD",
                self.timestamp,
                self.scope,
                previous_signature,
                EMPTY_SHA256,
                chunk_sha256,
            )
        )
        return _hmac_hex(self.signing_key, string_to_sign)

    def trailer_signature(self, previous_signature, trailer):
        """The ``x-amz-trailer-signature`` (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER``)
        over the trailing headers, each ``name:value\\n`` (``\\n``, not the wire's
        ``\\r\\n``), chained from the final, empty chunk's signature."""
        string_to_sign = "\n".join(
            (
                "AWS4-HMAC-SHA256-TRAILER",
                self.timestamp,
                self.scope,
                previous_signature,
                hashlib.sha256(trailer).hexdigest(),
            )
        )
        return _hmac_hex(self.signing_key, string_to_sign)

    def verify_chunk(self, previous_signature, chunk, signature):
        """Whether ``signature`` is this chunk's, compared in constant time."""
        return self.verify_chunk_hash(previous_signature, hashlib.sha256(chunk).hexdigest(), signature)

    def verify_chunk_hash(self, previous_signature, chunk_sha256, signature):
        """:meth:`verify_chunk` from the chunk's hex SHA-256."""
        return hmac.compare_digest(self.chunk_hash_signature(previous_signature, chunk_sha256), signature)

    def verify_trailer(self, previous_signature, trailer, signature):
        """Whether ``signature`` is the trailer's, compared in constant time."""
        return hmac.compare_digest(self.trailer_signature(previous_signature, trailer), signature)


def streaming_seed(credential, secret_access_key):
    """The seed of an ``aws-chunked`` S3 upload, once :func:`verify` has accepted its
    headers: chunk ``n``'s signature chains from chunk ``n-1``'s, the first from the seed
    (the request's own signature), all under the request's signing key."""
    return StreamingSeed(
        seed_signature=credential.signature,
        signing_key=signing_key(
            secret_access_key, credential.date, credential.region, credential.service
        ),
        timestamp=credential.timestamp,
        scope=credential.scope,
    )
