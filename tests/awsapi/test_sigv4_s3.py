"""S3's SigV4: signed payload hashes and their literals, keys signed as addressed, presigned
URLs, chunk signatures, and S3's own refusals."""

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth

from awsapi.sigv4 import (
    EMPTY_SHA256,
    SigV4Error,
    StreamingSeed,
    canonical_uri,
    parse_request_auth,
    payload_sha256,
    signing_key,
    streaming_seed,
    verify,
)

from .test_sigv4_support import ACCESS_KEY, ENDPOINT, NOW, SECRET, TEMP_CREDS, TOKEN, UTC, Wire, signed

S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
KEYS = (
    "plain.txt",
    "dir/with space.txt",
    "unicode/ü-✓-日本.txt",
    "plus+sign",
    "tilde~and-_.",
    "percent%20literal%",
    "a/../b",
    "a//b/./c",
    "quote'bang!star*(paren)",
    "semi;colon:comma,at@eq=amp&dollar$",
    "question?hash#",
)


def s3(method, key="", *, bucket="photos", **kwargs):
    path = f"/{bucket}/{quote(key, safe='/~')}" if bucket else "/"
    return signed(method, ENDPOINT + path, "s3", auth=kwargs.pop("auth", S3SigV4Auth), **kwargs)


def refusal(call, *args, **kwargs):
    with pytest.raises(SigV4Error) as caught:
        call(*args, **kwargs)
    return caught.value


# --- header auth ------------------------------------------------------------------------


def test_put_with_a_real_payload_hash():
    body = b"hello, world\n"
    wire = s3("PUT", "dir/hello.txt", data=body, headers={"Content-Type": "text/plain"})
    assert wire.headers["x-amz-content-sha256"] == payload_sha256(body)
    credential = wire.verify()
    assert credential.service == "s3"
    assert credential.content_sha256 == payload_sha256(body)
    assert "x-amz-content-sha256" in credential.signed_headers


@pytest.mark.parametrize("key", KEYS)
def test_keys_are_signed_as_addressed(key):
    wire = s3("GET", key)
    wire.verify()
    wire.verify(s3=True)


def test_s3_is_not_double_encoded_nor_normalized():
    for key in ("dir/with space.txt", "a/../b", "a//b/./c", "percent%20literal%"):
        wire = s3("GET", key)
        error = refusal(wire.verify, s3=False)
        assert error.code == "SignatureDoesNotMatch"
    assert canonical_uri("/photos/a/../b", s3=True) == "/photos/a/../b"
    assert canonical_uri("/photos/a/../b") == "/photos/b"


def test_key_spelled_differently_on_the_wire_is_the_same_key():
    wire = s3("GET", "dir/with space+plus.txt")
    assert wire.path == "/photos/dir/with%20space%2Bplus.txt"
    for spelling in ("/photos/dir/with%20space%2bplus.txt", "/photos/dir/with space%2Bplus.txt", "/photos/%64ir/with%20space%2Bplus.txt"):
        wire.path = spelling
        wire.verify()
    wire.path = "/photos/dir%2Fwith%20space%2Bplus.txt"
    assert refusal(wire.verify).code == "SignatureDoesNotMatch"


def test_list_buckets_and_query_with_prefix():
    s3("GET", bucket=None).verify()
    url = ENDPOINT + "/photos?list-type=2&prefix=dir%2Fwith%20space%2B&encoding-type=url"
    signed("GET", url, "s3", auth=S3SigV4Auth).verify()


def test_unsigned_payload_ignores_the_body():
    wire = s3("PUT", "k", data=b"abc", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, context={"payload_signing_enabled": False}, auth=SigV4Auth)
    assert wire.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    wire.verify(body_sha256="UNSIGNED-PAYLOAD")
    wire.verify(body_sha256=payload_sha256(b"anything at all"))


def test_streaming_unsigned_payload_trailer_seed_request():
    # What botocore 1.44 sends for PutObject over TLS: aws-chunked body, trailing checksum.
    trailer = {"request_algorithm": {"algorithm": "crc32", "in": "trailer", "name": "x-amz-checksum-crc32"}}
    wire = s3(
        "PUT",
        "big.bin",
        headers={
            "Content-Encoding": "aws-chunked",
            "Transfer-Encoding": "chunked",
            "X-Amz-Trailer": "x-amz-checksum-crc32",
            "X-Amz-Decoded-Content-Length": "11",
            "X-Amz-Sdk-Checksum-Algorithm": "CRC32",
        },
        context={"checksum": trailer},
    )
    assert wire.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    credential = wire.verify(body_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert credential.content_sha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert "x-amz-trailer" in credential.signed_headers


def test_session_token_on_s3():
    wire = s3("GET", "k", creds=TEMP_CREDS)
    assert wire.verify().security_token == TOKEN


def test_wrong_secret_names_what_was_signed():
    wire = s3("GET", "dir/with space.txt")
    error = refusal(wire.verify, "not-the-secret")
    assert (error.code, error.message, error.status) == ("SignatureDoesNotMatch", S3_MISMATCH, 403)
    details = dict(error.details)
    assert details["AWSAccessKeyId"] == ACCESS_KEY
    assert details["CanonicalRequest"].startswith("GET\n/photos/dir/with%20space.txt\n\n")
    assert details["StringToSign"].startswith("AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/s3/aws4_request\n")
    assert details["StringToSignBytes"].startswith("41 57 53 34")
    assert details["SignatureProvided"] == wire.parse().signature
    assert details["CanonicalRequestBytes"].startswith("47 45 54 0a")


def test_content_sha256_must_be_the_body_s():
    wire = s3("PUT", "k", data=b"abc")
    error = refusal(wire.verify, body_sha256=payload_sha256(b"abd"))
    assert (error.code, error.status) == ("XAmzContentSHA256Mismatch", 400)
    assert error.message == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert dict(error.details) == {
        "ClientComputedContentSHA256": payload_sha256(b"abc"),
        "S3ComputedContentSHA256": payload_sha256(b"abd"),
    }


def test_content_sha256_is_required():
    wire = signed("GET", ENDPOINT + "/photos/k", "s3", auth=SigV4Auth)
    error = refusal(wire.verify)
    assert (error.code, error.status) == ("InvalidRequest", 400)
    assert error.message == "Missing required header for this request: x-amz-content-sha256"


def test_content_sha256_must_be_a_hash_or_a_literal():
    wire = s3("GET", "k", headers={"X-Amz-Content-SHA256": "x"}, auth=SigV4Auth)
    error = refusal(wire.verify)
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message.startswith("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert error.message.endswith("or a valid sha256 value.")
    assert dict(error.details) == {"ArgumentName": "x-amz-content-sha256", "ArgumentValue": "x"}


def test_request_time_too_skewed():
    wire = s3("GET", "k")
    wire.verify(now=NOW + timedelta(minutes=15))
    error = refusal(wire.verify, now=NOW + timedelta(minutes=16))
    assert (error.code, error.status) == ("RequestTimeTooSkewed", 403)
    assert error.message == "The difference between the request time and the current time is too large."
    assert error.details == (
        ("RequestTime", "20260101T000000Z"),
        ("ServerTime", "2026-01-01T00:16:00Z"),
        ("MaxAllowedSkewMilliseconds", "900000"),
    )
    assert refusal(wire.verify, now=NOW - timedelta(minutes=16)).code == "RequestTimeTooSkewed"


def test_headers_sent_but_not_signed():
    wire = s3("PUT", "k", data=b"abc")
    wire.headers["x-amz-meta-added-later"] = "1"
    error = refusal(wire.parse)
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error.message == "There were headers present in the request which were not signed"
    assert error.details == (("HeadersNotSigned", "x-amz-meta-added-later"),)


def test_host_and_date_must_be_signed():
    wire = s3("GET", "k", headers={"Date": "Thu, 01 Jan 2026 00:00:00 GMT"})
    wire.verify()
    signature = wire.parse().signature
    wire.headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/s3/aws4_request, "
        f"SignedHeaders=x-amz-content-sha256, Signature={signature}"
    )
    error = refusal(wire.parse)
    assert error.details == (("HeadersNotSigned", "host, date"),)


# --- malformed S3 credentials -----------------------------------------------------------


def s3_header(authorization, **headers):
    headers = {"host": "h", "x-amz-date": "20260101T000000Z", "x-amz-content-sha256": EMPTY_SHA256} | {
        name.replace("_", "-"): value for name, value in headers.items()
    }
    headers["authorization"] = authorization
    return refusal(parse_request_auth, "GET", "/photos/k", "", {k: v for k, v in headers.items() if v is not None})


CREDENTIAL = f"Credential={ACCESS_KEY}/20260101/us-east-1/s3/aws4_request"
SIGNED = "SignedHeaders=host;x-amz-content-sha256;x-amz-date"
SIGNATURE = "Signature=" + "0" * 64
MALFORMED = "The authorization header is malformed; "


def test_s3_no_date():
    error = s3_header(f"AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNED}, {SIGNATURE}", x_amz_date=None)
    assert (error.code, error.message, error.status) == (
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
        403,
    )
    assert s3_header(f"AWS4-HMAC-SHA256 {CREDENTIAL}", x_amz_date="yesterday").code == "AccessDenied"


def test_s3_three_components():
    for header in (f"AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNED}", f"AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNED}, Signature"):
        error = s3_header(header)
        assert (error.code, error.status) == ("AuthorizationHeaderMalformed", 400)
        assert error.message == MALFORMED + (
            "the authorization header requires three components: Credential, SignedHeaders, and Signature."
        )


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ("AKID/20260101/us-east-1/s3", 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'),
        ("AKID/20260101//s3/aws4_request", "a non-empty region must be provided in the credential."),
        ("AKID/20260101/us-east-1/s3/aws5_request", 'incorrect terminal "aws5_request". This endpoint uses "aws4_request".'),
        ("AKID/20251231/us-east-1/s3/aws4_request", "Invalid credential date. Date is not the same as X-Amz-Date."),
    ],
)
def test_s3_credential_faults(credential, message):
    error = s3_header(f"AWS4-HMAC-SHA256 Credential={credential}, {SIGNED}, {SIGNATURE}")
    assert (error.code, error.message, error.status) == ("AuthorizationHeaderMalformed", MALFORMED + message, 400)


def test_s3_incorrect_service():
    header = f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, {SIGNED}, {SIGNATURE}"
    error = refusal(
        parse_request_auth,
        "GET",
        "/photos/k",
        "",
        {"authorization": header, "host": "h", "x-amz-date": "20260101T000000Z", "x-amz-content-sha256": EMPTY_SHA256},
        service="s3",
    )
    assert error.message == MALFORMED + 'incorrect service "iam". This endpoint belongs to "s3".'


def test_s3_unsupported_authorization_type():
    header = f"AWS4-HMAC-SHA512 {CREDENTIAL}, {SIGNED}, {SIGNATURE}"
    error = s3_header(header)
    assert (error.code, error.message, error.status) == ("InvalidArgument", "Unsupported Authorization Type", 400)
    assert error.details == (("ArgumentName", "Authorization"), ("ArgumentValue", header))


# --- presigned URLs ---------------------------------------------------------------------


def presign(key="dir/with space.txt", expires=3600, **kwargs):
    return s3("GET", key, auth=S3SigV4QueryAuth, expires=expires, **kwargs)


def test_presigned_get():
    wire = presign()
    assert "X-Amz-Signature=" in wire.query and "authorization" not in wire.headers
    credential = wire.verify(now=NOW + timedelta(minutes=59))
    assert credential.presigned and credential.expires == 3600
    assert credential.signed_headers == ("host",)
    assert credential.content_sha256 is None


@pytest.mark.parametrize("key", KEYS)
def test_presigned_keys(key):
    presign(key).verify()


def test_presigned_with_session_token():
    wire = presign(creds=TEMP_CREDS)
    assert wire.verify().security_token == TOKEN


def test_presigned_with_declared_payload_header():
    wire = presign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert wire.verify().content_sha256 == "UNSIGNED-PAYLOAD"


def test_presigned_expired():
    wire = presign(expires=60)
    wire.verify(now=NOW + timedelta(seconds=60))
    error = refusal(wire.verify, now=NOW + timedelta(seconds=61))
    assert (error.code, error.message, error.status) == ("AccessDenied", "Request has expired", 403)
    assert error.details == (
        ("X-Amz-Expires", "60"),
        ("Expires", "2026-01-01T00:01:00Z"),
        ("ServerTime", "2026-01-01T00:01:01Z"),
    )


def test_presigned_a_week_is_fine_but_not_more():
    presign(expires=604800).verify(now=NOW + timedelta(days=7))
    wire = presign(expires=604801)
    error = refusal(wire.parse)
    assert (error.code, error.status) == ("AuthorizationQueryParametersError", 400)
    assert error.message == (
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must "
        "be less than 604800 seconds"
    )


def test_presigned_not_yet_valid():
    wire = presign()
    wire.verify(now=NOW - timedelta(minutes=15))
    error = refusal(wire.verify, now=NOW - timedelta(minutes=16))
    assert (error.code, error.message) == ("AccessDenied", "Request is not yet valid")
    assert dict(error.details)["X-Amz-Date"] == str(int(NOW.timestamp() * 1000))


def test_presigned_tampered():
    wire = presign()
    wire.path = wire.path.replace("with", "without")
    assert refusal(wire.verify).code == "SignatureDoesNotMatch"


def test_presigned_unsigned_x_amz_header():
    wire = presign()
    wire.headers["x-amz-server-side-encryption"] = "AES256"
    assert refusal(wire.parse).details == (("HeadersNotSigned", "x-amz-server-side-encryption"),)


def s3_query(**changes):
    params = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{ACCESS_KEY}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request",
        "X-Amz-Date": "20260101T000000Z",
        "X-Amz-Expires": "60",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "0" * 64,
    }
    params.update(changes)
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return refusal(parse_request_auth, "GET", "/photos/k", query, {"host": "h"}, service="s3")


def test_presigned_s3_refusals():
    assert s3_query(**{"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}).message == (
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"'
    )
    assert s3_query(**{"X-Amz-Expires": None}).message == (
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    )
    assert s3_query(**{"X-Amz-Algorithm": None}).code == "AuthorizationQueryParametersError"
    assert s3_query(**{"X-Amz-Date": "2026-01-01"}).message == (
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
    )
    assert s3_query(**{"X-Amz-Expires": "1e3"}).message == "X-Amz-Expires should be a number"
    assert s3_query(**{"X-Amz-Expires": "-5"}).message == "X-Amz-Expires must be non-negative"
    assert s3_query(**{"X-Amz-Credential": "AKID%2F20260101"}).message == (
        'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting '
        '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
    )
    error = s3_query(**{"X-Amz-Credential": "AKID%2F20251231%2Fus-east-1%2Fs3%2Faws4_request"})
    assert (error.code, error.status) == ("AuthorizationQueryParametersError", 400)
    assert error.message == 'Invalid credential date "20251231". This date is not the same as X-Amz-Date: "20260101".'


def test_only_one_auth_mechanism():
    wire = presign()
    wire.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=x"
    error = refusal(wire.parse)
    assert (error.code, error.status) == ("InvalidArgument", 400)
    assert error.message == (
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
        "string parameter or the Authorization header should be specified"
    )


# --- chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) ------------------------------

# AWS's worked example, "Signature Calculations for the Authorization Header: Transferring
# Payload in Multiple Chunks (Chunked Upload)": a 66560-byte object of "a", sent as a 64 KiB
# chunk, a 1 KiB chunk and the final empty chunk.
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNKS = (
    (b"a" * 65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
    (b"a" * 1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
    (b"", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
)


def doc_request():
    return Wire(
        "PUT",
        "/examplebucket/chunkObject.txt",
        "",
        {
            "host": "s3.amazonaws.com",
            "x-amz-date": "20130524T000000Z",
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "authorization": (
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                f"x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}"
            ),
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "content-length": "66824",
        },
        b"",
    )


def test_aws_documented_chunked_upload():
    wire = doc_request()
    when = datetime(2013, 5, 24, tzinfo=UTC)
    credential = wire.verify(DOC_SECRET, now=when, body_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    seed = streaming_seed(credential, DOC_SECRET)
    assert seed == StreamingSeed(
        seed_signature=DOC_SEED,
        signing_key=signing_key(DOC_SECRET, "20130524", "us-east-1", "s3"),
        timestamp="20130524T000000Z",
        scope="20130524/us-east-1/s3/aws4_request",
    )
    previous = seed.seed_signature
    for chunk, expected in DOC_CHUNKS:
        assert seed.chunk_signature(previous, chunk) == expected
        assert seed.verify_chunk(previous, chunk, expected)
        previous = expected
    assert not seed.verify_chunk(DOC_SEED, b"b" * 65536, DOC_CHUNKS[0][1])


def test_documented_seed_with_wrong_secret():
    error = refusal(doc_request().verify, SECRET + "x", now=datetime(2013, 5, 24, tzinfo=UTC))
    assert error.code == "SignatureDoesNotMatch"


# The same example with a trailing checksum ("Signature Calculations for the Authorization
# Header: Including Trailing Headers"): STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.
DOC_TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_CHUNKS = (
    (b"a" * 65536, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"),
    (b"a" * 1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"),
    (b"", "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"),
)
DOC_TRAILER = b"x-amz-checksum-crc32c:sOO8/Q==\n"
DOC_TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"


def test_aws_documented_chunked_upload_with_trailer():
    wire = Wire(
        "PUT",
        "/examplebucket/chunkObject.txt",
        "",
        {
            "host": "s3.amazonaws.com",
            "x-amz-date": "20130524T000000Z",
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "x-amz-trailer": "x-amz-checksum-crc32c",
            "authorization": (
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
                f"x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature={DOC_TRAILER_SEED}"
            ),
        },
        b"",
    )
    when = datetime(2013, 5, 24, tzinfo=UTC)
    credential = wire.verify(DOC_SECRET, now=when, body_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    seed = streaming_seed(credential, DOC_SECRET)
    previous = seed.seed_signature
    for chunk, expected in DOC_TRAILER_CHUNKS:
        assert seed.verify_chunk(previous, chunk, expected)
        previous = expected
    assert seed.trailer_signature(previous, DOC_TRAILER) == DOC_TRAILER_SIGNATURE
    assert seed.verify_trailer(previous, DOC_TRAILER, DOC_TRAILER_SIGNATURE)
    assert not seed.verify_trailer(previous, b"x-amz-checksum-crc32c:AAAAAA==\n", DOC_TRAILER_SIGNATURE)


def test_verify_without_s3_flag_uses_the_scope():
    wire = s3("GET", "a/../b")
    credential = wire.parse()
    verify(credential, SECRET, "GET", wire.path, wire.query, wire.headers, EMPTY_SHA256, now=NOW)
    with pytest.raises(SigV4Error):
        verify(credential, SECRET, "GET", wire.path, wire.query, wire.headers, EMPTY_SHA256, now=NOW, s3=False)
    assert ACCESS_KEY == credential.access_key_id


def test_without_a_readable_scope_the_payload_header_marks_s3():
    error = s3_header(f"AWS4-HMAC-SHA256 {SIGNED}, {SIGNATURE}")
    assert error.code == "AuthorizationHeaderMalformed"


def test_presigned_payload_header_need_not_be_signed():
    wire = presign()
    wire.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    wire.verify()
