"""Responses and errors written by serialize_response/serialize_error read back through
botocore's own parsers, as boto3 and the aws CLI read them."""

from datetime import datetime, timezone

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from awsapi.errors import AccessDenied, EntityAlreadyExists, InternalFailure, NoSuchEntity, ValidationError
from awsapi.protocol import ProtocolError, serialize_error, serialize_response, service_model

UTC = timezone.utc
WHEN = datetime(2026, 11, 29, 13, 14, 15, tzinfo=UTC)
LATER = datetime(2026, 11, 29, 14, 14, 15, 123000, tzinfo=UTC)
ENCODED_POLICY = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"


def receive(service, operation, result, request_id="req-1"):
    """Serialize like the server, then parse like a botocore client."""
    status, headers, body = serialize_response(service, operation, result, request_id)
    model = service_model(service)
    shape = model.operation_model(operation).output_shape
    response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    return status, create_parser(model.protocol).parse(response, shape)


def assert_round_trip(service, operation, result, request_id="req-1"):
    status, parsed = receive(service, operation, result, request_id)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == request_id
    assert parsed == result
    return status


# --- IAM and STS (query) -------------------------------------------------------------

USER = {
    "Path": "/",
    "UserName": "bob",
    "UserId": "AIDAEXAMPLEEXAMPLE01",
    "Arn": "arn:aws:iam::111122223333:user/bob",
    "CreateDate": WHEN,
}


def test_create_user_with_boundary_and_tags():
    user = {
        **USER,
        "PasswordLastUsed": LATER,
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary",
        },
        "Tags": [{"Key": "team", "Value": "<blue> & \"green\""}, {"Key": "empty", "Value": ""}],
    }
    assert assert_round_trip("iam", "CreateUser", {"User": user}) == 200


def test_list_users_paginated():
    second = {**USER, "UserName": "carol", "Arn": "arn:aws:iam::111122223333:user/carol"}
    assert_round_trip("iam", "ListUsers", {"Users": [USER, second], "IsTruncated": True, "Marker": "next"})


def test_empty_list_and_false_boolean():
    assert_round_trip("iam", "ListUsers", {"Users": [], "IsTruncated": False})


def test_operation_without_output_still_carries_the_request_id():
    status, parsed = receive("iam", "DeleteUser", {}, request_id="abc-123")
    assert status == 200
    assert parsed["ResponseMetadata"]["RequestId"] == "abc-123"


def test_url_encoded_policy_document_is_a_plain_string():
    result = {"UserName": "bob", "PolicyName": "p", "PolicyDocument": ENCODED_POLICY}
    assert_round_trip("iam", "GetUserPolicy", result)


def test_policy_document_with_newlines_survives():
    document = '{\r\n  "Version": "2012-10-17",\n\t"Statement": []\n}'
    result = {"UserName": "bob", "PolicyName": "p", "PolicyDocument": document}
    assert_round_trip("iam", "GetUserPolicy", result)


def test_password_policy_integers_and_booleans():
    policy = {
        "MinimumPasswordLength": 14,
        "RequireSymbols": True,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5,
        "HardExpiry": False,
    }
    assert_round_trip("iam", "GetAccountPasswordPolicy", {"PasswordPolicy": policy})


def test_simulation_results_with_nested_lists_and_maps():
    result = {
        "EvaluationResults": [
            {
                "EvalActionName": "s3:GetObject",
                "EvalResourceName": "arn:aws:s3:::bucket/key",
                "EvalDecision": "allowed",
                "MatchedStatements": [
                    {
                        "SourcePolicyId": "inline",
                        "SourcePolicyType": "user",
                        "StartPosition": {"Line": 1, "Column": 40},
                        "EndPosition": {"Line": 1, "Column": 120},
                    }
                ],
                "MissingContextValues": [],
                "EvalDecisionDetails": {"PermissionsBoundaryPolicy": "allowed"},
            },
            {
                "EvalActionName": "s3:PutObject",
                "EvalResourceName": "*",
                "EvalDecision": "implicitDeny",
                "MatchedStatements": [],
                "MissingContextValues": ["aws:SourceIp"],
            },
        ],
        "IsTruncated": False,
    }
    assert_round_trip("iam", "SimulatePrincipalPolicy", result)


def test_assume_role_credentials():
    result = {
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "SecretAccessKey": "s" * 40,
            "SessionToken": "token/+=",
            "Expiration": LATER,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:session",
            "Arn": "arn:aws:sts::111122223333:assumed-role/admin/session",
        },
        "PackedPolicySize": 6,
        "SourceIdentity": "bob",
    }
    assert_round_trip("sts", "AssumeRole", result)


def test_get_caller_identity():
    result = {"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/bob"}
    assert_round_trip("sts", "GetCallerIdentity", result)


def test_naive_datetimes_are_utc():
    naive = {**USER, "CreateDate": WHEN.replace(tzinfo=None)}
    _, parsed = receive("iam", "GetUser", {"User": naive})
    assert parsed["User"]["CreateDate"] == WHEN


def test_microseconds_survive():
    precise = {**USER, "CreateDate": WHEN.replace(microsecond=123456)}
    assert_round_trip("iam", "GetUser", {"User": precise})


def test_characters_xml_cannot_carry_are_replaced():
    _, parsed = receive("iam", "GetUser", {"User": {**USER, "UserName": "bad\x00name\x1b"}})
    assert parsed["User"]["UserName"] == "bad\ufffdname\ufffd"


def test_query_envelope_has_result_wrapper_and_namespace():
    _, _, body = serialize_response("iam", "GetUser", {"User": USER}, "rid")
    text = body.decode()
    assert '<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' in text
    assert "<GetUserResult><User>" in text
    assert "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>" in text


# --- EC2 -----------------------------------------------------------------------------


def test_create_key_pair():
    result = {
        "KeyFingerprint": "ab:cd",
        "KeyMaterial": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
        "KeyName": "lab",
        "KeyPairId": "key-0123456789abcdef0",
        "Tags": [],
    }
    assert_round_trip("ec2", "CreateKeyPair", result)


def test_describe_key_pairs():
    result = {
        "KeyPairs": [
            {
                "KeyPairId": "key-1",
                "KeyFingerprint": "ab:cd",
                "KeyName": "lab",
                "KeyType": "ed25519",
                "Tags": [{"Key": "team", "Value": "blue"}],
                "CreateTime": WHEN,
            }
        ]
    }
    assert_round_trip("ec2", "DescribeKeyPairs", result)


def test_run_instances():
    result = {
        "ReservationId": "r-1",
        "OwnerId": "111122223333",
        "Groups": [],
        "Instances": [
            {
                "InstanceId": "i-0123",
                "ImageId": "ami-1",
                "InstanceType": "t3.micro",
                "LaunchTime": LATER,
                "State": {"Code": 0, "Name": "pending"},
                "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "default"}],
                "EbsOptimized": False,
            }
        ],
    }
    assert_round_trip("ec2", "RunInstances", result)


def test_ec2_envelope_has_request_id_and_no_result_wrapper():
    _, _, body = serialize_response("ec2", "DeleteKeyPair", {"Return": True}, "rid")
    text = body.decode()
    assert '<DeleteKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">' in text
    assert "<requestId>rid</requestId><return>true</return>" in text


# --- CloudTrail (json) ---------------------------------------------------------------


def test_lookup_events():
    result = {
        "Events": [
            {
                "EventId": "e-1",
                "EventName": "CreateUser",
                "ReadOnly": "false",
                "AccessKeyId": "AKIAEXAMPLE",
                "EventTime": WHEN,
                "EventSource": "iam.amazonaws.com",
                "Username": "alice",
                "Resources": [{"ResourceType": "AWS::IAM::User", "ResourceName": "bob"}],
                "CloudTrailEvent": '{"eventVersion":"1.08"}',
            },
            {"EventId": "e-2", "EventTime": LATER, "Resources": []},
        ],
        "NextToken": "next",
    }
    status, headers, _ = serialize_response("cloudtrail", "LookupEvents", result, "rid")
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert assert_round_trip("cloudtrail", "LookupEvents", result) == 200


# --- S3 (rest-xml) -------------------------------------------------------------------

OWNER = {"DisplayName": "alice", "ID": "c" * 64}


def test_list_buckets():
    result = {
        "Buckets": [{"Name": "a", "CreationDate": WHEN}, {"Name": "b", "CreationDate": LATER}],
        "Owner": OWNER,
    }
    assert_round_trip("s3", "ListBuckets", result)


def test_list_buckets_root_element():
    _, headers, body = serialize_response("s3", "ListBuckets", {"Buckets": []}, "rid")
    assert b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in body
    assert headers["x-amz-request-id"] == "rid"


def test_list_objects_v2_with_flattened_contents_and_prefixes():
    result = {
        "IsTruncated": True,
        "Contents": [
            {"Key": "photos/a.jpg", "LastModified": WHEN, "ETag": '"abc"', "Size": 10, "StorageClass": "STANDARD"},
            {"Key": "photos/b & c.jpg", "LastModified": LATER, "ETag": '"def"', "Size": 0, "StorageClass": "STANDARD"},
        ],
        "Name": "bucket",
        "Prefix": "photos/",
        "Delimiter": "/",
        "MaxKeys": 1000,
        "CommonPrefixes": [{"Prefix": "photos/2025/"}, {"Prefix": "photos/2026/"}],
        "KeyCount": 4,
        "NextContinuationToken": "token",
    }
    assert_round_trip("s3", "ListObjectsV2", result)


def test_get_bucket_policy_is_the_raw_body():
    status, headers, body = serialize_response("s3", "GetBucketPolicy", {"Policy": '{"Version":"2012-10-17"}'}, "r")
    assert body == b'{"Version":"2012-10-17"}'
    assert_round_trip("s3", "GetBucketPolicy", {"Policy": '{"Version":"2012-10-17"}'})


def test_get_bucket_acl_with_typed_grantees():
    result = {
        "Owner": OWNER,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": "c" * 64, "DisplayName": "alice"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
        ],
    }
    assert_round_trip("s3", "GetBucketAcl", result)


def test_head_object_headers():
    result = {
        "ContentLength": 5,
        "ContentType": "text/plain",
        "ETag": '"5d41402abc4b2a76b9719d911017c592"',
        "LastModified": WHEN,
        "Metadata": {"owner": "bob"},
    }
    assert_round_trip("s3", "HeadObject", result)


def test_get_object_body_and_headers():
    status, headers, body = serialize_response(
        "s3", "GetObject", {"Body": b"\x00\xffbytes", "ContentType": "application/octet-stream", "ContentLength": 7}, "r"
    )
    assert (status, body) == (200, b"\x00\xffbytes")
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Length"] == "7"


def test_create_bucket_location_header():
    assert assert_round_trip("s3", "CreateBucket", {"Location": "/my-bucket"}) == 200


def test_delete_bucket_is_204_without_body():
    status, _, body = serialize_response("s3", "DeleteBucket", {}, "r")
    assert (status, body) == (204, b"")
    status, _, body = serialize_response("s3", "DeleteObject", {}, "r")
    assert (status, body) == (204, b"")


def test_get_bucket_location_root_text():
    _, _, body = serialize_response("s3", "GetBucketLocation", {"LocationConstraint": "eu-west-1"}, "r")
    assert body.endswith(b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>')


# --- errors --------------------------------------------------------------------------

ERRORS = [
    NoSuchEntity("The user with name bob cannot be found."),
    EntityAlreadyExists("User with name bob already exists."),
    AccessDenied("User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateUser"),
    ValidationError("1 validation error detected: Value 'a<b>&c' at 'userName' failed"),
    ProtocolError("InvalidAction", "Could not find operation Nope for version 2010-05-08"),
    InternalFailure("An internal error occurred."),
]


def parse_error(service, error, operation, request_id="err-1"):
    status, headers, body = serialize_error(service, error, request_id)
    model = service_model(service)
    shape = model.operation_model(operation).output_shape
    response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    return status, create_parser(model.protocol).parse(response, shape)


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.code)
@pytest.mark.parametrize(
    "service,operation",
    [("iam", "GetUser"), ("sts", "AssumeRole"), ("ec2", "DescribeKeyPairs"), ("cloudtrail", "LookupEvents"), ("s3", "GetBucketPolicy")],
)
def test_errors_parse_with_code_message_and_status(service, operation, error):
    status, parsed = parse_error(service, error, operation)
    assert status == error.status
    # JSON services call a denial AccessDeniedException on the wire.
    wire_code = "AccessDeniedException" if (service, error.code) == ("cloudtrail", "AccessDenied") else error.code
    assert parsed["Error"]["Code"] == wire_code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status
    assert parsed["ResponseMetadata"]["RequestId"] == "err-1"


def test_query_error_says_who_is_at_fault():
    _, _, body = serialize_error("iam", NoSuchEntity("x"), "r")
    assert b"<Type>Sender</Type><Code>NoSuchEntity</Code>" in body
    _, _, body = serialize_error("iam", InternalFailure("x"), "r")
    assert b"<Type>Receiver</Type>" in body


def test_json_error_uses_type():
    _, headers, body = serialize_error("cloudtrail", ProtocolError("UnknownOperationException", ""), "r")
    assert body == b'{"__type": "UnknownOperationException", "message": ""}'
    assert headers["x-amzn-RequestId"] == "r"


def test_s3_error_is_a_bare_error_element():
    _, _, body = serialize_error("s3", ProtocolError("NoSuchBucket", "The specified bucket does not exist", 404), "r")
    assert b"<Error><Code>NoSuchBucket</Code>" in body
    assert b"<RequestId>r</RequestId>" in body


def test_error_quoting_a_nul_still_parses():
    status, parsed = parse_error("iam", ValidationError("Value 'a\x00b' at 'userName'"), "GetUser")
    assert parsed["Error"]["Message"] == "Value 'a\ufffdb' at 'userName'"


def test_unknown_service_errors_in_query_format():
    status, _, body = serialize_error("nope", ProtocolError("UnknownService", "x"), "r")
    assert status == 400 and b"<ErrorResponse>" in body
