"""Requests built by botocore's own serializer, as boto3 and the aws CLI send them,
come out of parse_request as the parameters that went in."""

from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from awsapi.protocol import ProtocolError, parse_request, route_request, service_model

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
UTC = timezone.utc


def send(service, operation, params):
    """Serialize like a botocore client, then parse like the server."""
    model = service_model(service)
    request = create_serializer(model.protocol).serialize_to_request(params, model.operation_model(operation))
    prepare_request_dict(request, endpoint_url="http://127.0.0.1:8000")
    prepared = create_request_object(request).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {key.lower(): value for key, value in prepared.headers.items()}
    query = parse_qs(url.query, keep_blank_values=True)
    parsed = parse_request(service, prepared.method, unquote(url.path), query, headers, body)
    # The API door routes an S3 request once, before it reads the body, and parses it
    # from there: the same answer.
    routed = route_request(service, prepared.method, unquote(url.path), query, headers)
    assert (routed is not None) == (service == "s3")
    assert parse_request(service, prepared.method, unquote(url.path), query, headers, body, routed) == parsed
    return parsed


def assert_round_trip(service, operation, params):
    assert send(service, operation, params) == (operation, params)


# --- IAM (query) ---------------------------------------------------------------------


def test_create_user_with_tags_and_permissions_boundary():
    assert_round_trip(
        "iam",
        "CreateUser",
        {
            "UserName": "alice+test@example.com",
            "Path": "/engineering/",
            "PermissionsBoundary": "arn:aws:iam::111122223333:policy/boundary",
            "Tags": [{"Key": "team", "Value": "blue & green"}, {"Key": "empty", "Value": ""}],
        },
    )


def test_list_users_with_max_items_and_marker():
    assert_round_trip("iam", "ListUsers", {"MaxItems": 10, "Marker": "abc/def==", "PathPrefix": "/"})


def test_operation_without_parameters():
    assert_round_trip("iam", "GetAccountPasswordPolicy", {})


def test_put_user_policy_keeps_the_json_document_verbatim():
    document = POLICY.replace("*", "*\u00e9 + %20 &x=1")
    assert_round_trip("iam", "PutUserPolicy", {"UserName": "bob", "PolicyName": "p", "PolicyDocument": document})


def test_policy_document_with_crlf_and_unicode():
    document = '{\r\n  "Version": "2012-10-17",\r\n  "Statement": []  \u2603\n}'
    assert_round_trip("iam", "CreatePolicy", {"PolicyName": "p", "PolicyDocument": document})


def test_simulate_principal_policy_with_context_entries():
    assert_round_trip(
        "iam",
        "SimulatePrincipalPolicy",
        {
            "PolicySourceArn": "arn:aws:iam::111122223333:user/bob",
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::bucket/*"],
            "PolicyInputList": [POLICY],
            "ContextEntries": [
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.0.0.1"], "ContextKeyType": "ip"},
                {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
            ],
            "MaxItems": 100,
        },
    )


def test_update_account_password_policy_with_integers_and_booleans():
    assert_round_trip(
        "iam",
        "UpdateAccountPasswordPolicy",
        {
            "MinimumPasswordLength": 14,
            "RequireSymbols": True,
            "RequireNumbers": False,
            "RequireUppercaseCharacters": True,
            "RequireLowercaseCharacters": False,
            "AllowUsersToChangePassword": True,
            "MaxPasswordAge": 90,
            "PasswordReusePrevention": 24,
            "HardExpiry": False,
        },
    )


def test_empty_list_is_an_empty_list():
    # botocore sends "TagKeys=" for an empty list.
    assert_round_trip("iam", "UntagUser", {"UserName": "bob", "TagKeys": []})


# --- STS (query) ---------------------------------------------------------------------


def test_assume_role_with_tags_policy_arns_and_duration():
    assert_round_trip(
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::111122223333:role/admin",
            "RoleSessionName": "session-1",
            "DurationSeconds": 3600,
            "Tags": [{"Key": "project", "Value": "x"}],
            "TransitiveTagKeys": ["project"],
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Policy": POLICY,
            "ExternalId": "external-id",
            "SerialNumber": "arn:aws:iam::111122223333:mfa/bob",
            "TokenCode": "123456",
        },
    )


def test_get_caller_identity():
    assert_round_trip("sts", "GetCallerIdentity", {})


def test_get_query_string_request():
    # Unsigned or presigned calls may carry everything in the query string.
    query = {"Action": ["GetCallerIdentity"], "Version": ["2011-06-15"], "X-Amz-Signature": ["abc"]}
    assert parse_request("sts", "GET", "/", query, {}, b"") == ("GetCallerIdentity", {})


# --- EC2 -----------------------------------------------------------------------------


def test_create_key_pair():
    assert_round_trip("ec2", "CreateKeyPair", {"KeyName": "lab", "KeyType": "ed25519", "DryRun": False})


def test_describe_key_pairs_with_filters():
    assert_round_trip(
        "ec2",
        "DescribeKeyPairs",
        {
            "KeyNames": ["a", "b"],
            "Filters": [{"Name": "key-name", "Values": ["a", "b"]}, {"Name": "tag:team", "Values": ["blue"]}],
            "IncludePublicKey": True,
        },
    )


def test_run_instances():
    assert_round_trip(
        "ec2",
        "RunInstances",
        {
            "ImageId": "ami-12345678",
            "InstanceType": "t3.micro",
            "MinCount": 1,
            "MaxCount": 2,
            "KeyName": "lab",
            "SecurityGroupIds": ["sg-1"],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
            "IamInstanceProfile": {"Name": "profile"},
        },
    )


# --- CloudTrail (json) ---------------------------------------------------------------


def test_lookup_events_with_attributes_and_times():
    assert_round_trip(
        "cloudtrail",
        "LookupEvents",
        {
            "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "bob"}],
            "StartTime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "EndTime": datetime(2026, 1, 3, 3, 4, 5, 250000, tzinfo=UTC),
            "MaxResults": 50,
            "NextToken": "token",
        },
    )


def test_lookup_events_without_parameters():
    assert_round_trip("cloudtrail", "LookupEvents", {})


# --- S3 (rest-xml) -------------------------------------------------------------------


def test_list_buckets():
    assert_round_trip("s3", "ListBuckets", {})


def test_create_bucket_with_configuration():
    assert_round_trip(
        "s3",
        "CreateBucket",
        {"Bucket": "my-bucket", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}, "ACL": "private"},
    )


def test_create_bucket_without_body():
    assert_round_trip("s3", "CreateBucket", {"Bucket": "my-bucket"})


def test_put_bucket_policy():
    assert_round_trip("s3", "PutBucketPolicy", {"Bucket": "my-bucket", "Policy": POLICY})


def test_get_and_delete_bucket_policy():
    assert_round_trip("s3", "GetBucketPolicy", {"Bucket": "my-bucket"})
    assert_round_trip("s3", "DeleteBucketPolicy", {"Bucket": "my-bucket"})


def test_list_objects_v2_with_prefix_and_delimiter():
    assert_round_trip(
        "s3",
        "ListObjectsV2",
        {"Bucket": "b", "Prefix": "photos/2026 é/", "Delimiter": "/", "MaxKeys": 100, "ContinuationToken": "t+/="},
    )


def test_list_objects_v1():
    assert_round_trip("s3", "ListObjects", {"Bucket": "b", "Marker": "m"})


def test_object_operations_with_slashes_and_spaces_in_the_key():
    key = "dir/sub dir/file+name?.txt"
    put = {"Bucket": "b", "Key": key, "Body": b"hello", "ContentType": "text/plain", "Metadata": {"owner": "bob"}}
    # The Content-Length header the HTTP layer adds is a member of PutObject too.
    assert send("s3", "PutObject", put) == ("PutObject", {**put, "ContentLength": 5})
    assert_round_trip("s3", "GetObject", {"Bucket": "b", "Key": key, "Range": "bytes=0-1"})
    assert_round_trip("s3", "HeadObject", {"Bucket": "b", "Key": key})
    assert_round_trip("s3", "DeleteObject", {"Bucket": "b", "Key": key})


def test_bucket_level_operations():
    assert_round_trip("s3", "DeleteBucket", {"Bucket": "b"})
    assert_round_trip("s3", "HeadBucket", {"Bucket": "b"})
    assert_round_trip("s3", "GetBucketAcl", {"Bucket": "b"})
    assert_round_trip("s3", "GetBucketLocation", {"Bucket": "b"})


def test_put_bucket_acl_with_grants():
    assert_round_trip(
        "s3",
        "PutBucketAcl",
        {
            "Bucket": "b",
            "AccessControlPolicy": {
                "Owner": {"ID": "owner-id", "DisplayName": "alice"},
                "Grants": [
                    {"Grantee": {"Type": "CanonicalUser", "ID": "owner-id"}, "Permission": "FULL_CONTROL"},
                    {
                        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                        "Permission": "READ",
                    },
                ],
            },
        },
    )


def test_put_bucket_acl_canned():
    assert_round_trip("s3", "PutBucketAcl", {"Bucket": "b", "ACL": "public-read"})


def test_copy_object_is_told_from_put_object_by_its_header():
    assert_round_trip("s3", "CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "other/k"})


def test_trailing_slash_on_a_bucket_is_the_bucket():
    assert parse_request("s3", "GET", "/b/", {}, {}, b"") == ("ListObjects", {"Bucket": "b"})


@pytest.mark.parametrize("method, path, query, streams", [
    ("PUT", "/bucket/dir/key.txt", {}, True),  # PutObject
    ("PUT", "/bucket/key", {"partNumber": ["1"], "uploadId": ["u"]}, True),  # UploadPart
    ("PUT", "/bucket", {}, False),  # CreateBucket
    ("GET", "/bucket/key", {}, False),  # GetObject
])
def test_a_routed_s3_request_says_whether_its_operation_streams_the_body(method, path, query, streams):
    assert route_request("s3", method, path, query, {"Content-Length": "3"}).streams_body is streams


def test_a_request_no_route_takes_is_refused_when_parsed():
    routed = route_request("s3", "PATCH", "/bucket/key", {}, {})
    assert routed.streams_body is False
    with pytest.raises(ProtocolError) as refused:
        parse_request("s3", "PATCH", "/bucket/key", {}, {}, b"", routed)
    assert (refused.value.code, refused.value.status) == ("MethodNotAllowed", 405)


def test_a_routing_failure_nobody_foresaw_is_still_the_clients_bad_request(monkeypatch, caplog):
    from awsapi.protocol import restxml

    def broken(*args):
        raise ValueError("unforeseen")

    monkeypatch.setattr(restxml, "_route", broken)
    routed = route_request("s3", "GET", "/bucket/key", {}, {})
    assert routed.streams_body is False
    with pytest.raises(ProtocolError) as refused:
        parse_request("s3", "GET", "/bucket/key", {}, {}, b"", routed)
    assert (refused.value.code, refused.value.status) == ("InvalidRequest", 400)
