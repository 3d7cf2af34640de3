"""Bad input to parse_request is answered with AWS's error codes, messages and
statuses — an AWSError every time, never another exception (a 500)."""

import json

import pytest

from awsapi.errors import AWSError, ValidationError
from awsapi.protocol import ProtocolError, parse_request

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON = {"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + "LookupEvents"}


def iam(body, headers=FORM, method="POST", query=None):
    return parse_request("iam", method, "/", query or {}, headers, body)


def error_of(call, *args, **kwargs):
    with pytest.raises(AWSError) as raised:
        call(*args, **kwargs)
    return raised.value


def iam_error(body, **kwargs):
    return error_of(iam, body, **kwargs)


def trail_error(body, headers=JSON):
    return error_of(parse_request, "cloudtrail", "POST", "/", {}, headers, body)


def s3_error(method, path, query=None, headers=None, body=b""):
    return error_of(parse_request, "s3", method, path, query or {}, headers or {}, body)


# --- query: operations ---------------------------------------------------------------


def test_unknown_action():
    error = iam_error(b"Action=CreateUsr&Version=2010-05-08")
    assert (error.code, error.status) == ("InvalidAction", 400)
    assert error.message == "Could not find operation CreateUsr for version 2010-05-08"


def test_unknown_version():
    error = iam_error(b"Action=CreateUser&Version=2099-01-01&UserName=bob")
    assert error.message == "Could not find operation CreateUser for version 2099-01-01"


def test_missing_action():
    error = iam_error(b"Version=2010-05-08&UserName=bob")
    assert (error.code, error.message) == ("MissingAction", "Missing Action")


def test_ec2_unknown_action():
    error = error_of(parse_request, "ec2", "POST", "/", {}, FORM, b"Action=LaunchRocket&Version=2016-11-15")
    assert (error.code, error.message) == ("InvalidAction", "The action LaunchRocket is not valid for this web service.")


def test_ec2_missing_parameter():
    error = error_of(parse_request, "ec2", "POST", "/", {}, FORM, b"Action=CreateKeyPair&Version=2016-11-15")
    assert (error.code, error.message) == ("MissingParameter", "The request must contain the parameter KeyName")


# --- query: model constraints --------------------------------------------------------


def test_missing_required_member():
    error = iam_error(b"Action=CreateUser&Version=2010-05-08")
    assert isinstance(error, ValidationError)
    assert error.message == (
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    )


def test_too_long_value():
    error = iam_error(b"Action=CreateUser&UserName=" + b"a" * 65)
    assert error.message == (
        f"1 validation error detected: Value '{'a' * 65}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_numeric_range():
    error = iam_error(b"Action=UpdateAccountPasswordPolicy&MinimumPasswordLength=5")
    assert error.message == (
        "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6"
    )


def test_all_failures_are_reported_together():
    error = iam_error(b"Action=ListUsers&MaxItems=0&Marker=")
    assert error.message.startswith("2 validation errors detected: ")
    assert "at 'marker'" in error.message and "at 'maxItems'" in error.message


def test_nested_member_paths():
    error = iam_error(b"Action=TagUser&UserName=bob&Tags.member.1.Key=team")
    assert error.message == (
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_enum_value():
    error = iam_error(b"Action=ListPolicies&Scope=Everything")
    assert "Member must satisfy enum value set: [All, AWS, Local]" in error.message


def test_sensitive_values_are_not_echoed():
    error = iam_error(b"Action=ChangePassword&OldPassword=&NewPassword=" + b"p" * 129)
    assert "ppp" not in error.message and "Value '***' at 'newPassword'" in error.message


# --- query: malformed values ---------------------------------------------------------


@pytest.mark.parametrize("value", [b"abc", b"1.5", b"", b"99999999999", b"%20"])
def test_non_integer_for_an_integer_member(value):
    error = iam_error(b"Action=ListUsers&MaxItems=" + value)
    assert (error.code, error.status) == ("MalformedInput", 400)


def test_boolean_must_be_lowercase_true_or_false():
    error = iam_error(b"Action=UpdateAccountPasswordPolicy&RequireSymbols=TRUE")
    assert (error.code, error.message) == ("MalformedInput", "boolean must follow xsd1.1 definition")
    error = iam_error(b"Action=UpdateAccountPasswordPolicy&RequireSymbols=")
    assert error.message == "missing value for boolean type"


def test_malformed_timestamp():
    error = error_of(
        parse_request, "ec2", "POST", "/", {}, FORM, b"Action=DescribeSpotPriceHistory&StartTime=yesterday-ish"
    )
    assert error.code == "MalformedInput"


def test_repeated_parameter():
    error = iam_error(b"Action=GetUser&UserName=a&UserName=b")
    assert error.code == "MalformedInput"


def test_parameter_in_both_query_string_and_body():
    error = iam_error(b"Action=GetUser&UserName=a", query={"UserName": ["b"]})
    assert error.code == "MalformedInput"


@pytest.mark.parametrize("index", [b"0", b"01", b"x", b"-1", b"1" * 20])
def test_bad_list_index(index):
    error = iam_error(b"Action=TagUser&UserName=bob&Tags.member." + index + b".Key=k&Tags.member." + index + b".Value=v")
    assert error.code == "MalformedInput"


def test_sparse_list_index_is_compacted():
    body = b"Action=TagUser&UserName=bob&Tags.member.99999.Key=k&Tags.member.99999.Value=v"
    assert iam(body) == ("TagUser", {"UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}]})


def test_wrong_shape_of_parameter_is_a_missing_member():
    error = iam_error(b"Action=GetUserPolicy&UserName.member.1=bob&PolicyName=p")
    assert "Value null at 'userName'" in error.message


# --- query: malformed bodies ---------------------------------------------------------


def test_garbage_body():
    error = iam_error(b"\x00\x01\x02garbage&&&===")
    assert error.code == "MissingAction"


def test_invalid_utf8_body():
    assert iam_error(b"Action=GetUser&UserName=\xff\xfe").code == "MalformedInput"


def test_invalid_utf8_percent_escape():
    assert iam_error(b"Action=GetUser&UserName=%ff%fe").code == "MalformedInput"


def test_wrong_content_type_body_is_not_read():
    error = iam_error(b"Action=GetUser&UserName=bob", headers={"content-type": "application/json"})
    assert error.code == "MissingAction"


def test_one_megabyte_body():
    error = iam_error(b"Action=CreateUser&UserName=" + b"a" * (1024 * 1024))
    assert (error.code, error.status) == ("RequestEntityTooLarge", 413)


def test_too_many_parameters():
    body = b"Action=GetUser&" + b"&".join(b"p%d=1" % i for i in range(6000))
    assert iam_error(body).code == "MalformedInput"


def test_absurdly_nested_key():
    body = b"Action=GetUser&UserName=bob&" + b"a." * 100000 + b"b=1"
    assert iam(body) == ("GetUser", {"UserName": "bob"})


def test_unknown_parameters_are_ignored():
    assert iam(b"Action=GetUser&UserName=bob&Extra=1&X-Amz-Date=now") == ("GetUser", {"UserName": "bob"})


def test_unknown_service():
    assert error_of(parse_request, "nope", "POST", "/", {}, FORM, b"Action=x").code == "UnknownService"


# --- json ----------------------------------------------------------------------------


def test_unknown_target():
    error = trail_error(b"{}", headers={**JSON, "x-amz-target": TARGET + "DropTables"})
    assert (error.code, error.status) == ("UnknownOperationException", 400)


def test_missing_target():
    assert trail_error(b"{}", headers={"content-type": "application/x-amz-json-1.1"}).code == "UnknownOperationException"


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe", b"[]", b'"x"', b"null", b"[" * 100000, b'{"a":' * 100000, b"1" * 10000],
    ids=["truncated", "not-utf8", "array", "string", "null", "deep-arrays", "deep-objects", "huge-number"],
)
def test_malformed_json(body):
    assert trail_error(body).code == "SerializationException"


@pytest.mark.parametrize(
    "document",
    [
        {"MaxResults": "5"},
        {"MaxResults": 1.5},
        {"MaxResults": True},
        {"MaxResults": 2**40},
        {"LookupAttributes": {"AttributeKey": "x"}},
        {"LookupAttributes": ["x"]},
        {"StartTime": "yesterday"},
        {"StartTime": [1]},
        {"StartTime": 1e300},
        {"NextToken": 5},
    ],
)
def test_wrong_json_types(document):
    assert trail_error(json.dumps(document).encode()).code == "SerializationException"


def test_json_constraints():
    error = trail_error(b'{"MaxResults": 500, "LookupAttributes": [{"AttributeKey": "Username"}]}')
    assert error.code == "ValidationException"
    assert error.message == (
        "2 validation errors detected: Value null at 'lookupAttributes.1.member.attributeValue' failed to satisfy "
        "constraint: Member must not be null; Value '500' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 50"
    )


def test_json_wrong_content_type():
    assert trail_error(b"{}", headers={**JSON, "content-type": "text/plain"}).code == "SerializationException"


def test_json_one_megabyte_body():
    body = b'{"NextToken": "' + b"a" * (1024 * 1024) + b'"}'
    assert trail_error(body).status == 413


def test_json_nulls_are_absent():
    assert parse_request("cloudtrail", "POST", "/", {}, JSON, b'{"NextToken": null}') == ("LookupEvents", {})


def test_json_empty_body_is_an_empty_object():
    assert parse_request("cloudtrail", "POST", "/", {}, JSON, b"") == ("LookupEvents", {})


# --- rest-xml ------------------------------------------------------------------------


def test_unroutable_method():
    error = s3_error("PATCH", "/bucket")
    assert (error.code, error.status) == ("MethodNotAllowed", 405)


def test_missing_policy_body():
    assert s3_error("PUT", "/bucket", {"policy": [""]}).code == "MissingRequestBodyError"


@pytest.mark.parametrize(
    "body",
    [
        b"<AccessControlPolicy><Owner>",
        b"\xff\xfe<x/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><AccessControlPolicy>&b;</AccessControlPolicy>',
        b"not xml at all",
    ],
)
def test_malformed_xml(body):
    assert s3_error("PUT", "/bucket", {"acl": [""]}, body=body).code == "MalformedXML"


def test_wrong_scalar_in_xml():
    body = b"<VersioningConfiguration><MFADelete>x</MFADelete><Status>Enabled</Status></VersioningConfiguration>"
    assert parse_request("s3", "PUT", "/b", {"versioning": [""]}, {}, body)[0] == "PutBucketVersioning"
    body = b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>"
    assert s3_error("PUT", "/b", {"publicAccessBlock": [""]}, body=body).code == "MalformedXML"


def test_deeply_nested_xml():
    body = b"<a>" * 50000 + b"</a>" * 50000
    operation, params = parse_request("s3", "PUT", "/b", {"acl": [""]}, {}, body)
    assert operation == "PutBucketAcl" and params["AccessControlPolicy"] == {}


def test_non_integer_max_keys():
    error = s3_error("GET", "/bucket", {"list-type": ["2"], "max-keys": ["ten"]})
    assert (error.code, error.status) == ("InvalidArgument", 400)


def test_repeated_query_parameter():
    assert s3_error("GET", "/bucket", {"list-type": ["2"], "prefix": ["a", "b"]}).code == "InvalidArgument"


def test_bad_boolean_header():
    headers = {"x-amz-bucket-object-lock-enabled": "yes"}
    assert s3_error("PUT", "/bucket", headers=headers).code == "InvalidArgument"


def test_protocol_error_is_an_aws_error():
    error = ProtocolError("X", "y", 418)
    assert isinstance(error, AWSError)
    assert (error.code, error.message, error.status, error.sender_fault) == ("X", "y", 418, True)
