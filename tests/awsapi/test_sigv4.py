"""SigV4 verification against requests signed by botocore's own signers: query, JSON and
EC2 services, and the refusals in each service's words."""

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from botocore.auth import SigV4QueryAuth

from awsapi import sigv4
from awsapi.sigv4 import (
    Credential,
    SigV4Error,
    canonical_query_string,
    canonical_uri,
    parse_request_auth,
    payload_sha256,
    signing_key,
    verify,
)

from .test_sigv4_support import ACCESS_KEY, ENDPOINT, NOW, SECRET, TEMP_CREDS, TOKEN, UTC, signed

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
IAM_BODY = b"Action=ListUsers&Version=2010-05-08"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)


def iam(**kwargs):
    kwargs.setdefault("data", IAM_BODY)
    kwargs.setdefault("headers", FORM)
    return signed("POST", ENDPOINT + "/", "iam", **kwargs)


def refusal(call, *args, **kwargs):
    with pytest.raises(SigV4Error) as caught:
        call(*args, **kwargs)
    return caught.value


# --- accepted ---------------------------------------------------------------------------


def test_iam_query_post_verifies_and_reads_the_credential():
    credential = iam().verify()
    assert credential == Credential(
        access_key_id=ACCESS_KEY,
        date="20260101",
        region="us-east-1",
        service="iam",
        signed_headers=("content-type", "host", "x-amz-date"),
        signature=credential.signature,
        amz_date=NOW,
        presigned=False,
        expires=None,
        security_token=None,
        content_sha256=None,
    )
    assert len(credential.signature) == 64
    assert credential.scope == "20260101/us-east-1/iam/aws4_request"
    assert credential.timestamp == "20260101T000000Z"


def test_session_token_is_read_and_signed():
    wire = iam(creds=TEMP_CREDS)
    credential = wire.verify()
    assert credential.security_token == TOKEN
    assert "x-amz-security-token" in credential.signed_headers
    with pytest.raises(SigV4Error):
        wire.with_headers(x_amz_security_token="another-token").verify()


def test_sts_in_any_region():
    wire = signed(
        "POST",
        ENDPOINT + "/",
        "sts",
        region="ap-southeast-2",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers=FORM,
    )
    assert wire.verify().region == "ap-southeast-2"


def test_cloudtrail_json_with_target():
    wire = signed(
        "POST",
        ENDPOINT + "/",
        "cloudtrail",
        data=b'{"MaxResults": 5}',
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
        },
    )
    assert "x-amz-target" in wire.verify().signed_headers


def test_ec2_query_post():
    wire = signed(
        "POST", ENDPOINT + "/", "ec2", data=b"Action=DescribeInstances&Version=2016-11-15", headers=FORM
    )
    assert wire.verify().service == "ec2"


def test_date_header_instead_of_x_amz_date():
    wire = iam(headers={**FORM, "Date": "Thu, 01 Jan 2026 00:00:00 GMT"})
    assert "x-amz-date" not in wire.headers
    credential = wire.verify()
    assert "date" in credential.signed_headers
    assert credential.amz_date == NOW


def test_date_header_without_zone_is_utc():
    wire = iam(headers={**FORM, "Date": "Thu, 01 Jan 2026 00:00:00 GMT"})
    assert wire.with_headers(date="Thu, 01 Jan 2026 00:00:00 -0000").parse().amz_date == NOW


def test_header_values_are_trimmed_and_lists_joined():
    wire = iam(headers={**FORM, "X-Amz-Meta-Note": "  a   b  "})
    wire.verify()
    assert wire.with_headers(x_amz_meta_note="a b").verify()
    # A header sent twice: botocore joins the trimmed values with commas.
    twice = iam(headers={**FORM, "X-Amz-Meta-Note": "a,b"})
    assert twice.with_headers(x_amz_meta_note=[" a ", "b  "]).verify()


def test_header_names_in_any_case():
    wire = iam()
    upper = {name.title(): value for name, value in wire.headers.items()}
    credential = parse_request_auth("POST", "/", "", upper)
    verify(credential, SECRET, "POST", "/", "", upper, payload_sha256(IAM_BODY), now=NOW)


def test_body_is_signed():
    wire = iam()
    error = refusal(wire.verify, body_sha256=payload_sha256(b"Action=DeleteUser&UserName=bob"))
    assert (error.code, error.message, error.status) == ("SignatureDoesNotMatch", MISMATCH, 403)


def test_query_is_canonicalized_whatever_the_client_spelling():
    url = ENDPOINT + "/?b=2&a=1&a=0&c=~&d=a%2Fb&e=&f=%E2%9C%93&g"
    wire = signed("GET", url, "iam")
    wire.verify()
    for spelling in ("g&f=%e2%9c%93&e=&d=a%2fb&c=%7E&a=0&a=1&b=2", "b=2&a=1&a=0&c=~&d=a/b&e&f=%E2%9C%93&g="):
        wire.query = spelling
        wire.verify()
    assert canonical_query_string(url.split("?")[1]) == "a=0&a=1&b=2&c=~&d=a%2Fb&e=&f=%E2%9C%93&g="


def test_other_services_encode_the_path_twice_and_normalize_it():
    wire = signed("GET", ENDPOINT + "/a%20b/./c/../d%2Be//f/", "execute-api")
    wire.verify()
    assert canonical_uri("/a%20b/./c/../d%2Be//f/") == "/a%2520b/d%252Be/f/"
    assert canonical_uri("/a%20b/./c/../d%2Be//f/", s3=True) == "/a%20b/./c/../d%2Be//f/"
    assert canonical_uri("") == "/"
    assert canonical_uri("/..") == "/"
    assert canonical_uri("/a/b/..") == "/a"
    # The path is part of what is signed.
    wire.path = "/a%20b/d%2Be/g"
    assert refusal(wire.verify).code == "SignatureDoesNotMatch"


def test_presigned_sts_get_caller_identity():
    url = ENDPOINT + "/?Action=GetCallerIdentity&Version=2011-06-15"
    wire = signed("GET", url, "sts", auth=SigV4QueryAuth, creds=TEMP_CREDS, expires=60)
    credential = wire.verify()
    assert credential.presigned
    assert credential.expires == 60
    assert credential.security_token == TOKEN
    assert credential.signed_headers == ("host",)
    assert "Authorization" not in wire.headers


def test_presigned_for_other_services_keeps_the_15_minute_window():
    url = ENDPOINT + "/?Action=GetCallerIdentity&Version=2011-06-15"
    wire = signed("GET", url, "sts", auth=SigV4QueryAuth, expires=3600)
    wire.verify(now=NOW + timedelta(minutes=15))
    error = refusal(wire.verify, now=NOW + timedelta(minutes=20))
    assert error.message.startswith("Signature expired: 20260101T000000Z is now earlier than")


def test_presigned_signature_is_checked():
    url = ENDPOINT + "/?Action=GetCallerIdentity&Version=2011-06-15"
    wire = signed("GET", url, "sts", auth=SigV4QueryAuth)
    wire.query = wire.query.replace("GetCallerIdentity", "GetSessionToken")
    assert refusal(wire.verify).code == "SignatureDoesNotMatch"


def test_no_sigv4_is_none():
    assert parse_request_auth("GET", "/", "", {}) is None
    assert parse_request_auth("GET", "/", "Action=ListUsers", {"host": "h"}) is None
    assert parse_request_auth("GET", "/", "", {"authorization": "Bearer abc"}) is None
    assert parse_request_auth("GET", "/b/k", "", {"authorization": "AWS AKID:c2lnbmF0dXJl"}) is None


# --- the clock --------------------------------------------------------------------------


def test_fifteen_minutes_either_way_is_accepted():
    wire = iam()
    wire.verify(now=NOW + timedelta(minutes=15))
    wire.verify(now=NOW - timedelta(minutes=15))


def test_signature_expired_in_iam_words():
    error = refusal(iam().verify, now=NOW + timedelta(minutes=31))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Signature expired: 20260101T000000Z is now earlier than 20260101T001600Z "
        "(20260101T003100Z - 15 min.)"
    )


def test_signature_not_yet_current():
    error = refusal(iam().verify, now=NOW - timedelta(minutes=16))
    assert error.code == "SignatureDoesNotMatch"
    assert error.message == (
        "Signature not yet current: 20260101T000000Z is still later than 20251231T235900Z "
        "(20251231T234400Z + 15 min.)"
    )


def test_clock_defaults_to_now():
    wire = iam()
    credential = wire.parse()
    with mock.patch.object(sigv4, "_now", return_value=NOW + timedelta(minutes=1)):
        verify(credential, SECRET, "POST", "/", "", wire.headers, payload_sha256(IAM_BODY))
        sigv4.check_time(credential)
    with pytest.raises(SigV4Error):
        verify(credential, SECRET, "POST", "/", "", wire.headers, payload_sha256(IAM_BODY))


def test_ec2_request_expired():
    wire = signed("POST", ENDPOINT + "/", "ec2", data=b"Action=DescribeInstances", headers=FORM)
    error = refusal(wire.verify, now=NOW + timedelta(hours=1))
    assert (error.code, error.message, error.status) == ("RequestExpired", "Request has expired.", 400)
    assert refusal(wire.verify, now=NOW - timedelta(hours=1)).code == "RequestExpired"


def test_cloudtrail_signature_expired():
    wire = signed("POST", ENDPOINT + "/", "cloudtrail", data=b"{}")
    error = refusal(wire.verify, now=NOW + timedelta(hours=1))
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith("Signature expired: ")


# --- wrong secrets, in each dialect -----------------------------------------------------


def test_wrong_secret_iam():
    error = refusal(iam().verify, "not-the-secret")
    assert (error.code, error.message, error.status) == ("SignatureDoesNotMatch", MISMATCH, 403)


def test_wrong_secret_ec2():
    wire = signed("POST", ENDPOINT + "/", "ec2", data=b"Action=DescribeInstances", headers=FORM)
    error = refusal(wire.verify, "not-the-secret")
    assert (error.code, error.status) == ("AuthFailure", 401)
    assert error.message == "AWS was not able to validate the provided access credentials"


def test_wrong_secret_cloudtrail():
    wire = signed("POST", ENDPOINT + "/", "cloudtrail", data=b"{}")
    error = refusal(wire.verify, "not-the-secret")
    assert (error.code, error.message, error.status) == ("InvalidSignatureException", MISMATCH, 403)


def test_forged_signature_of_another_length():
    wire = iam()
    wire.headers["authorization"] = wire.headers["authorization"].rsplit("=", 1)[0] + "=abc"
    assert refusal(wire.verify).code == "SignatureDoesNotMatch"


def test_declared_content_sha256_must_be_the_body_s():
    wire = iam(headers={**FORM, "X-Amz-Content-SHA256": payload_sha256(IAM_BODY)})
    wire.verify()
    error = refusal(wire.verify, body_sha256=payload_sha256(b"other"))
    assert (error.code, error.message) == ("SignatureDoesNotMatch", MISMATCH)


def test_declared_unsigned_payload_outside_s3():
    wire = iam(headers={**FORM, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    wire.verify(body_sha256=payload_sha256(b"anything"))
    odd = iam(headers={**FORM, "X-Amz-Content-SHA256": "not-a-hash"})
    odd.verify()


# --- malformed Authorization headers ----------------------------------------------------


def parse_header(authorization, **headers):
    headers = {"host": "127.0.0.1:8000", "x-amz-date": "20260101T000000Z"} | {
        name.replace("_", "-"): value for name, value in headers.items()
    }
    headers["authorization"] = authorization
    return refusal(parse_request_auth, "POST", "/", "", {k: v for k, v in headers.items() if v is not None})


GOOD_CREDENTIAL = f"Credential={ACCESS_KEY}/20260101/us-east-1/iam/aws4_request"
GOOD_SIG = "Signature=" + "0" * 64


def test_missing_parameters_and_date_are_listed():
    error = parse_header("AWS4-HMAC-SHA256", x_amz_date=None)
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_one_missing_parameter():
    header = f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host;x-amz-date"
    error = parse_header(header)
    assert error.message == f"Authorization header requires 'Signature' parameter. Authorization={header}"


def test_parameter_without_equal_sign():
    header = f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders, {GOOD_SIG}"
    error = parse_header(header)
    assert error.code == "IncompleteSignature"
    assert error.message == (
        f"'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'"
    )


def test_unsupported_algorithm():
    error = parse_header(f"AWS4-HMAC-SHA512 {GOOD_CREDENTIAL}, SignedHeaders=host, {GOOD_SIG}")
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "


def test_credential_of_four_parts():
    error = parse_header(f"AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;x-amz-date, {GOOD_SIG}")
    assert error.code == "IncompleteSignature"
    assert error.message == (
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        "got 'a/b/c/d'"
    )


def test_scope_problems_are_listed_together():
    header = f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20251231//sts/aws5_request, SignedHeaders=host;x-amz-date, {GOOD_SIG}"
    error = refusal(
        parse_request_auth,
        "POST",
        "/",
        "",
        {"authorization": header, "host": "h", "x-amz-date": "20260101T000000Z"},
        service="iam",
    )
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == (
        "Credential should be scoped to a valid region, not ''. "
        "Credential should be scoped to correct service: 'iam'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20251231' != '20260101', from '20260101T000000Z'."
    )


def test_credential_date_must_be_the_request_s():
    wire = iam()
    wire.headers["x-amz-date"] = "20260102T000000Z"
    error = refusal(wire.parse)
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20260101' != '20260102', from '20260102T000000Z'."
    )


def test_host_must_be_signed():
    error = parse_header(f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=x-amz-date, {GOOD_SIG}")
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_the_date_header_must_be_signed():
    error = parse_header(f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host, {GOOD_SIG}")
    assert error.message == "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
    error = parse_header(
        f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host, {GOOD_SIG}",
        x_amz_date=None,
        date="Thu, 01 Jan 2026 00:00:00 GMT",
    )
    assert error.message == "'Date' must be a 'SignedHeader' in the AWS Authorization."


def test_malformed_dates():
    header = f"AWS4-HMAC-SHA256 {GOOD_CREDENTIAL}, SignedHeaders=host;x-amz-date, {GOOD_SIG}"
    for bad in ("2026-01-01T00:00:00Z", "20261301T000000Z", "201"):
        error = refusal(
            parse_request_auth, "POST", "/", "", {"authorization": header, "host": "h", "x-amz-date": bad}
        )
        assert (error.code, error.status) == ("IncompleteSignature", 400)
        assert error.message == (
            f"Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    error = refusal(parse_request_auth, "POST", "/", "", {"authorization": header, "host": "h", "date": "soon"})
    assert error.message.startswith("Date must be in ISO-8601 'basic format'. Got 'soon'.")


def test_json_services_say_exception():
    header = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudtrail/aws4_request"
    error = parse_header(header)
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)


def test_both_header_and_query():
    query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fiam%2Faws4_request"
    error = refusal(parse_request_auth, "GET", "/", query, {"authorization": "AWS4-HMAC-SHA256 x=y"})
    assert error.code == "SignatureDoesNotMatch"
    assert error.message == "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."


# --- malformed presigned queries (services other than S3) -------------------------------


def presigned_query(**changes):
    params = {
        "Action": "GetCallerIdentity",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{ACCESS_KEY}%2F20260101%2Fus-east-1%2Fsts%2Faws4_request",
        "X-Amz-Date": "20260101T000000Z",
        "X-Amz-Expires": "60",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "0" * 64,
    }
    params.update(changes)
    return "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


def parse_query(query, **kwargs):
    return refusal(parse_request_auth, "GET", "/", query, {"host": "h"}, **kwargs)


def test_presigned_missing_parameters():
    error = parse_query(presigned_query(**{"X-Amz-Algorithm": None, "X-Amz-Signature": None, "X-Amz-Date": None}))
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert error.message == (
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters."
    )


def test_presigned_wrong_algorithm():
    error = parse_query(presigned_query(**{"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}))
    assert (error.code, error.message, error.status) == (
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )


def test_presigned_bad_date():
    error = parse_query(presigned_query(**{"X-Amz-Date": "20260101"}))
    assert error.message.startswith("Date must be in ISO-8601 'basic format'. Got '20260101'.")


def test_presigned_expires_must_be_a_number_of_a_week_at_most():
    assert parse_query(presigned_query(**{"X-Amz-Expires": "soon"})).message == "X-Amz-Expires should be a number"
    assert parse_query(presigned_query(**{"X-Amz-Expires": "-1"})).message == "X-Amz-Expires must be non-negative"
    error = parse_query(presigned_query(**{"X-Amz-Expires": "604801"}))
    assert error.code == "IncompleteSignature"
    assert error.message == (
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must "
        "be less than 604800 seconds"
    )


def test_presigned_without_expires_is_read():
    query = presigned_query(**{"X-Amz-Expires": None})
    assert parse_request_auth("GET", "/", query, {"host": "h"}).expires is None


def test_presigned_host_must_be_signed():
    error = parse_query(presigned_query(**{"X-Amz-SignedHeaders": "x-amz-date"}))
    assert error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


# --- building blocks --------------------------------------------------------------------


def test_signing_key_is_aws_s_and_cached():
    # AWS's documented example key ("Examples of how to derive a signing key for Signature Version 4").
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    before = signing_key.cache_info().hits
    signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert signing_key.cache_info().hits == before + 1


def test_payload_sha256():
    assert payload_sha256(b"") == hashlib.sha256(b"").hexdigest() == sigv4.EMPTY_SHA256


def test_error_repr_and_details():
    error = SigV4Error("RequestTimeTooSkewed", "too large", details=[("MaxAllowedSkewMilliseconds", "900000")])
    assert repr(error) == "SigV4Error('RequestTimeTooSkewed', 'too large', 403)"
    assert error.details == (("MaxAllowedSkewMilliseconds", "900000"),)
    assert str(error) == "too large"


def test_aws_documented_get_vanilla_query():
    # AWS's SigV4 test suite "get-vanilla-query-order-key-case": the signature AWS publishes.
    headers = {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"}
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    )
    credential = parse_request_auth("GET", "/", "Param2=value2&Param1=value1", headers)
    verify(
        credential,
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "GET",
        "/",
        "Param2=value2&Param1=value1",
        headers,
        sigv4.EMPTY_SHA256,
        now=credential.amz_date,
    )


def test_botocore_signs_what_we_check_for_many_paths():
    for path in ("/", "/a", "/a/", "/%E2%9C%93", "/a%2Fb", "/~user/-_.", "/a//b/../c"):
        signed("GET", ENDPOINT + path, "iam").verify()


def test_aware_now_in_another_zone():
    from datetime import timezone as tz

    iam().verify(now=NOW.astimezone(tz(timedelta(hours=9))))
    assert NOW.tzinfo is UTC


@pytest.mark.parametrize("path", ["/", "/bench-objects/o-1a2b-17", "/b/A.Z_0~9/", "/b/x%2Dy", "/b/caf\u00e9", "/b/a b"])
def test_a_plain_path_is_its_own_encoding_and_any_other_is_encoded_character_by_character(path):
    from awsapi.sigv4.canonical import _TOKEN, _encode_token, canonical_uri

    by_character = "".join(_encode_token(m.group(), b"/") for m in _TOKEN.finditer(path.encode("utf-8")))
    assert canonical_uri(path, s3=True) == by_character
    assert (by_character == path) == all(c.isascii() and (c.isalnum() or c in "-._~/") for c in path)
