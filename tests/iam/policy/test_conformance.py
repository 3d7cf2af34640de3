"""Conformance: cases taken from AWS's documentation examples, each citing the page it
comes from, and the AWS managed policies iamlab ships."""

import json
from pathlib import Path

import pytest

from iam.policy import Request, compile_policy, evaluate, policy_size, validate_policy

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/examplerole"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/examplerole/examplerolesessionname"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/exampleuser"

OPERATORS = "IAM JSON policy elements: Condition operators"
MULTI = "Creating a condition with multiple keys or values (set operators)"
MULTI_EXAMPLES = "Multivalued context keys examples"
VARIABLES = "IAM policy elements: Variables and tags"
CONDITION = "IAM JSON policy elements: Condition"
ENFORCEMENT = "How AWS enforcement code logic evaluates requests to allow or deny access"
SINGLE_ACCOUNT = "Policy evaluation for requests within a single account"
BOUNDARIES = "Permissions boundaries for IAM entities"
NOTACTION = "IAM JSON policy elements: NotAction"
NOTRESOURCE = "IAM JSON policy elements: NotResource"
NOTPRINCIPAL = "IAM JSON policy elements: NotPrincipal"
PRINCIPAL = "IAM JSON policy elements: Principal"
ACTION = "IAM JSON policy elements: Action"
RESOURCE = "IAM JSON policy elements: Resource"
VERSION = "IAM JSON policy elements: Version"
SESSION_POLICIES = "Policies and permissions in IAM: Session policies"


def doc(*statements, version="2012-10-17"):
    body = {"Statement": list(statements)}
    if version:
        body["Version"] = version
    return json.dumps(body)


def st(action, resource="*", effect="Allow", **extra):
    statement = {"Effect": effect}
    statement["NotAction" if extra.pop("not_action", False) else "Action"] = action
    if resource is not None:
        statement["NotResource" if extra.pop("not_resource", False) else "Resource"] = resource
    statement.update(extra)
    return statement


def case(page, name, expect, action, resource="*", *, identity=(), boundary=None, session=None, resource_policy=None,
         trust=None, principal=USER, ptype="IAMUser", issuer=None, context=None, root=False, account=ACCOUNT):
    return pytest.param(
        {
            "page": page,
            "expect": expect,
            "request": Request(action, resource, principal, account, ptype, context or {}, issuer),
            "identity": identity,
            "boundary": boundary,
            "session": session,
            "resource_policy": resource_policy,
            "trust": trust,
            "root": root,
        },
        id=name,
    )


def _conditioned(page, name, expect, block, context, action="s3:GetObject", resource="*", effect="Allow"):
    policy = doc(st(action, resource, effect, Condition=block), *([st("*")] if effect == "Deny" else []))
    return case(page, name, expect, action, resource, identity=[policy], context=context)


A, D, I = "allowed", "explicitDeny", "implicitDeny"

JOB = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
HOME = doc(
    st(["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "arn:aws:s3:::*"),
    st("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", Condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}),
    st("s3:*", ["arn:aws:s3:::BUCKET-NAME/home/${aws:username}", "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"]),
)
TLS_DENY = doc(
    st("s3:*", ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"], "Deny",
       Condition={"Bool": {"aws:SecureTransport": "false"}}),
    st("s3:*"),
)
MIXED_IP = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
INSTANCE_TYPES = ["t1.*", "t2.*", "m3.*"]
ATTRS = ["PostDateTime", "Message", "Tags"]
DDB = "arn:aws:dynamodb:us-east-1:111122223333:table/Thread"

OPERATOR_CASES = [
    _conditioned(OPERATORS, "principal-tag-matches", A, JOB, {"aws:PrincipalTag/job-category": "iamuser-admin"}, "iam:CreateAccessKey"),
    _conditioned(OPERATORS, "principal-tag-other-value", I, JOB, {"aws:PrincipalTag/job-category": "dev"}, "iam:CreateAccessKey"),
    _conditioned(OPERATORS, "principal-tag-missing", I, JOB, {}, "iam:CreateAccessKey"),
    _conditioned(OPERATORS, "principal-tag-value-case", I, JOB, {"aws:PrincipalTag/job-category": "IAMUser-Admin"}, "iam:CreateAccessKey"),
    case(OPERATORS, "home-list-all-buckets", A, "s3:ListAllMyBuckets", "arn:aws:s3:::x", identity=[HOME], context={"aws:username": "bob"}),
    case(OPERATORS, "home-list-root-prefix", A, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", identity=[HOME], context={"aws:username": "bob", "s3:prefix": ""}),
    case(OPERATORS, "home-list-home-prefix", A, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", identity=[HOME], context={"aws:username": "bob", "s3:prefix": "home/"}),
    case(OPERATORS, "home-list-own-folder", A, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", identity=[HOME], context={"aws:username": "bob", "s3:prefix": "home/bob/"}),
    case(OPERATORS, "home-list-other-folder", I, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", identity=[HOME], context={"aws:username": "bob", "s3:prefix": "home/alice/"}),
    case(OPERATORS, "home-get-own-object", A, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/bob/notes.txt", identity=[HOME], context={"aws:username": "bob"}),
    case(OPERATORS, "home-get-other-object", I, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/alice/notes.txt", identity=[HOME], context={"aws:username": "bob"}),
    case(OPERATORS, "home-put-own-folder-object", A, "s3:PutObject", "arn:aws:s3:::BUCKET-NAME/home/bob", identity=[HOME], context={"aws:username": "bob"}),
    _conditioned(OPERATORS, "max-keys-up-to-10", A, {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, "s3:ListBucket"),
    _conditioned(OPERATORS, "max-keys-over-10", I, {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, "s3:ListBucket"),
    _conditioned(OPERATORS, "token-issued-2020", A, {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {"aws:TokenIssueTime": "2020-03-01T00:00:00Z"}, "iam:UpdateAccessKey"),
    _conditioned(OPERATORS, "token-issued-before", I, {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"}, "iam:UpdateAccessKey"),
    _conditioned(OPERATORS, "token-missing-for-access-keys", I, {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, "iam:UpdateAccessKey"),
    case(OPERATORS, "deny-without-tls", D, "s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/a", identity=[TLS_DENY], context={"aws:SecureTransport": "false"}),
    case(OPERATORS, "allow-with-tls", A, "s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/a", identity=[TLS_DENY], context={"aws:SecureTransport": "true"}),
    case(OPERATORS, "tls-deny-other-bucket", A, "s3:GetObject", "arn:aws:s3:::other/a", identity=[TLS_DENY], context={"aws:SecureTransport": "false"}),
    _conditioned(OPERATORS, "binary-equals", A, {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}),
    _conditioned(OPERATORS, "binary-differs", I, {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "AAAA"}),
    _conditioned(OPERATORS, "binary-missing", I, {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {}),
    _conditioned(OPERATORS, "source-ip-in-range", A, {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.255"}, "iam:ListAccessKeys"),
    _conditioned(OPERATORS, "source-ip-out-of-range", I, {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.112.255"}, "iam:ListAccessKeys"),
    _conditioned(OPERATORS, "source-ip-missing-vpc-endpoint", I, {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, "iam:ListAccessKeys"),
    _conditioned(OPERATORS, "mixed-ipv4", A, MIXED_IP, {"aws:SourceIp": "203.0.113.9"}),
    _conditioned(OPERATORS, "mixed-ipv6", A, MIXED_IP, {"aws:SourceIp": "2001:db8:1234:5678:1::1"}),
    _conditioned(OPERATORS, "mixed-ipv6-outside", I, MIXED_IP, {"aws:SourceIp": "2001:db8:1234:5679::1"}),
    _conditioned(OPERATORS, "not-ip-address-outside", A, {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}),
    _conditioned(OPERATORS, "not-ip-address-inside", I, {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.1"}),
    _conditioned(OPERATORS, "ip-without-prefix-is-32", I, {"IpAddress": {"aws:SourceIp": "203.0.113.1"}}, {"aws:SourceIp": "203.0.113.2"}),
    case(OPERATORS, "sqs-from-topic", A, "sqs:SendMessage", "arn:aws:sqs:REGION:111122223333:QUEUE-ID",
         resource_policy=doc(st("SQS:SendMessage", "arn:aws:sqs:REGION:111122223333:QUEUE-ID", Principal={"AWS": "111122223333"},
                                Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:111122223333:TOPIC-ID"}})),
         identity=[doc(st("sqs:*"))], context={"aws:SourceArn": "arn:aws:sns:REGION:111122223333:TOPIC-ID"}),
    case(OPERATORS, "sqs-direct-call-no-source-arn", I, "sqs:SendMessage", "arn:aws:sqs:REGION:111122223333:QUEUE-ID",
         resource_policy=doc(st("SQS:SendMessage", "arn:aws:sqs:REGION:111122223333:QUEUE-ID", Principal={"AWS": USER},
                                Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:111122223333:TOPIC-ID"}}))),
    _conditioned(OPERATORS, "arn-like-components", I, {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
                 {"aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}),
    _conditioned(OPERATORS, "string-like-crosses-colons", A, {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
                 {"aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}),
    _conditioned(OPERATORS, "arn-like-matches-own-account", A, {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
                 {"aws:SourceArn": "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"}),
    _conditioned(OPERATORS, "run-instances-without-if-exists-fails", I, {"StringLike": {"ec2:InstanceType": INSTANCE_TYPES}}, {}, "ec2:RunInstances"),
    _conditioned(OPERATORS, "run-instances-if-exists-other-resource", A, {"StringLikeIfExists": {"ec2:InstanceType": INSTANCE_TYPES}}, {}, "ec2:RunInstances"),
    _conditioned(OPERATORS, "run-instances-if-exists-t2", A, {"StringLikeIfExists": {"ec2:InstanceType": INSTANCE_TYPES}}, {"ec2:InstanceType": "t2.micro"}, "ec2:RunInstances"),
    _conditioned(OPERATORS, "run-instances-if-exists-c5", I, {"StringLikeIfExists": {"ec2:InstanceType": INSTANCE_TYPES}}, {"ec2:InstanceType": "c5.large"}, "ec2:RunInstances"),
    _conditioned(OPERATORS, "deny-negated-if-exists-missing-tag", D, {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "blue"}}, {}, effect="Deny"),
    _conditioned(OPERATORS, "null-true-long-term-keys", A, {"Null": {"aws:TokenIssueTime": "true"}}, {}, "ec2:DescribeInstances"),
    _conditioned(OPERATORS, "null-true-temporary-credentials", I, {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, "ec2:DescribeInstances"),
    _conditioned(OPERATORS, "missing-key-negated-is-true", A, {"StringNotLike": {"aws:ResourceTag/x": "y"}}, {}),
    _conditioned(OPERATORS, "missing-key-arn-not-like-is-true", A, {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}, {}),
    _conditioned(OPERATORS, "string-not-equals-ignore-case", I, {"StringNotEqualsIgnoreCase": {"aws:username": "JohnDoe"}}, {"aws:username": "johndoe"}),
    _conditioned(OPERATORS, "numeric-greater-than", A, {"NumericGreaterThan": {"s3:max-keys": "5"}}, {"s3:max-keys": "6"}),
    _conditioned(OPERATORS, "numeric-not-equals", I, {"NumericNotEquals": {"s3:max-keys": "5"}}, {"s3:max-keys": "5.0"}),
    _conditioned(OPERATORS, "date-less-than-epoch", A, {"DateLessThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1600000000"}),
    _conditioned(OPERATORS, "date-equals-day", A, {"DateEquals": {"aws:CurrentTime": "2024-02-29"}}, {"aws:CurrentTime": "2024-02-29T00:00:00Z"}),
    _conditioned(OPERATORS, "bool-mfa-present", A, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": "true"}),
    _conditioned(OPERATORS, "bool-mfa-missing", I, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {}),
    _conditioned(OPERATORS, "numeric-mfa-age", A, {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "120"}),
]

CONDITION_CASES = [
    _conditioned(CONDITION, "johndoe-only", A, {"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "johndoe"}),
    _conditioned(CONDITION, "JohnDoe-denied", I, {"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"}),
    _conditioned(CONDITION, "ignore-case-johndoe", A, {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"}),
    _conditioned(CONDITION, "key-name-case-insensitive", A, {"StringEquals": {"aws:SourceIP": "x"}}, {"AWS:SourceIp": "x"}),
    _conditioned(CONDITION, "current-time-after", A, {"DateGreaterThan": {"aws:CurrentTime": "2013-12-15T12:00:00Z"}}, {"aws:CurrentTime": "2024-01-01T00:00:00Z"}),
    _conditioned(CONDITION, "current-time-before", I, {"DateGreaterThan": {"aws:CurrentTime": "2013-12-15T12:00:00Z"}}, {"aws:CurrentTime": "2013-12-15T11:59:59Z"}),
    _conditioned(CONDITION, "keys-and", I, {"StringEquals": {"aws:PrincipalTag/a": "1", "aws:PrincipalTag/b": "2"}}, {"aws:PrincipalTag/a": "1"}),
    _conditioned(CONDITION, "keys-and-both", A, {"StringEquals": {"aws:PrincipalTag/a": "1", "aws:PrincipalTag/b": "2"}}, {"aws:PrincipalTag/a": "1", "aws:PrincipalTag/b": "2"}),
    _conditioned(CONDITION, "values-or", A, {"StringEquals": {"aws:PrincipalTag/a": ["1", "2"]}}, {"aws:PrincipalTag/a": "2"}),
    _conditioned(CONDITION, "negated-values-nor", I, {"StringNotEquals": {"aws:PrincipalTag/a": ["1", "2"]}}, {"aws:PrincipalTag/a": "2"}),
    _conditioned(CONDITION, "negated-values-nor-other", A, {"StringNotEquals": {"aws:PrincipalTag/a": ["1", "2"]}}, {"aws:PrincipalTag/a": "3"}),
    _conditioned(CONDITION, "operators-and", I, {"StringEquals": {"aws:PrincipalTag/a": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:PrincipalTag/a": "1", "aws:SourceIp": "192.0.2.1"}),
]

MULTI_CASES = [
    case(MULTI, "forallvalues-subset", A, "dynamodb:GetItem", DDB, context={"dynamodb:requestedAttributes": ["PostDateTime", "Message"]},
         identity=[doc(st("dynamodb:GetItem", DDB, Condition={"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRS}}))]),
    case(MULTI, "forallvalues-with-username", I, "dynamodb:GetItem", DDB, context={"dynamodb:requestedAttributes": ["PostDateTime", "UserName"]},
         identity=[doc(st("dynamodb:GetItem", DDB, Condition={"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRS}}))]),
    case(MULTI, "forallvalues-with-id", I, "dynamodb:GetItem", DDB, context={"dynamodb:requestedAttributes": ["ID"]},
         identity=[doc(st("dynamodb:GetItem", DDB, Condition={"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRS}}))]),
    case(MULTI, "forallvalues-empty-set", A, "dynamodb:GetItem", DDB, context={"dynamodb:requestedAttributes": []},
         identity=[doc(st("dynamodb:GetItem", DDB, Condition={"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRS}}))]),
    case(MULTI, "foranyvalue-deny-postdatetime", D, "dynamodb:PutItem", DDB, context={"dynamodb:requestedAttributes": ["UserName", "Message", "PostDateTime"]},
         identity=[doc(st("dynamodb:PutItem", DDB, "Deny", Condition={"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}), st("dynamodb:*"))]),
    case(MULTI, "foranyvalue-no-match-not-denied", A, "dynamodb:PutItem", DDB, context={"dynamodb:requestedAttributes": ["UserName"]},
         identity=[doc(st("dynamodb:PutItem", DDB, "Deny", Condition={"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}), st("dynamodb:*"))]),
    case(MULTI, "foranyvalue-empty-set-not-denied", A, "dynamodb:PutItem", DDB, context={"dynamodb:requestedAttributes": []},
         identity=[doc(st("dynamodb:PutItem", DDB, "Deny", Condition={"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}), st("dynamodb:*"))]),
    case(MULTI, "foranyvalue-only-deny-policy", I, "dynamodb:PutItem", DDB, context={"dynamodb:requestedAttributes": ["UserName"]},
         identity=[doc(st("dynamodb:PutItem", DDB, "Deny", Condition={"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}))]),
]

TAG_DENY = doc(st(["iam:Tag*", "iam:UnTag*"], ["*"], "Deny", Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}), st("iam:*"))
TAG_DENY_TWO = doc(st(["iam:Tag*", "iam:UnTag*"], ["*"], "Deny", Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}), st("iam:*"))
TAG_DENY_NULL = doc(st(["iam:Tag*", "iam:UnTag*"], ["*"], "Deny", Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}, "Null": {"aws:TagKeys": "false"}}), st("iam:*"))
TAG_ALLOW_ANY = doc(st("ec2:CreateTags", "*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "webserver"]}}))

MULTI_EXAMPLE_CASES = [
    case(MULTI_EXAMPLES, "key1-legal-not-denied", A, "iam:TagUser", USER, identity=[TAG_DENY], context={"aws:TagKeys": ["key1:legal"]}),
    case(MULTI_EXAMPLES, "key1-hr-personnel-not-denied", A, "iam:TagUser", USER, identity=[TAG_DENY], context={"aws:TagKeys": ["key1:hr", "key1:personnel"]}),
    case(MULTI_EXAMPLES, "key2-audit-denied", D, "iam:TagUser", USER, identity=[TAG_DENY], context={"aws:TagKeys": ["key2:audit"]}),
    case(MULTI_EXAMPLES, "no-tag-keys-denied", D, "iam:TagUser", USER, identity=[TAG_DENY]),
    case(MULTI_EXAMPLES, "mixed-keys-not-denied", A, "iam:UntagUser", USER, identity=[TAG_DENY], context={"aws:TagKeys": ["key1:a", "key3:b"]}),
    case(MULTI_EXAMPLES, "two-values-key2-not-denied", A, "iam:TagUser", USER, identity=[TAG_DENY_TWO], context={"aws:TagKeys": ["key1:a", "key2:b"]}),
    case(MULTI_EXAMPLES, "two-values-key3-denied", D, "iam:TagUser", USER, identity=[TAG_DENY_TWO], context={"aws:TagKeys": ["key3:a"]}),
    case(MULTI_EXAMPLES, "null-false-no-keys-not-denied", A, "iam:TagUser", USER, identity=[TAG_DENY_NULL]),
    case(MULTI_EXAMPLES, "null-false-key2-denied", D, "iam:TagUser", USER, identity=[TAG_DENY_NULL], context={"aws:TagKeys": ["key2:x"]}),
    case(MULTI_EXAMPLES, "foranyvalue-environment", A, "ec2:CreateTags", context={"aws:TagKeys": ["environment"]}, identity=[TAG_ALLOW_ANY]),
    case(MULTI_EXAMPLES, "foranyvalue-webserver-and-other", A, "ec2:CreateTags", context={"aws:TagKeys": ["webserver", "cost"]}, identity=[TAG_ALLOW_ANY]),
    case(MULTI_EXAMPLES, "foranyvalue-other-only", I, "ec2:CreateTags", context={"aws:TagKeys": ["cost"]}, identity=[TAG_ALLOW_ANY]),
    case(MULTI_EXAMPLES, "foranyvalue-no-keys", I, "ec2:CreateTags", identity=[TAG_ALLOW_ANY]),
]

MYBUCKET = doc(
    st(["s3:ListBucket"], ["arn:aws:s3:::mybucket"], Condition={"StringLike": {"s3:prefix": ["${aws:username}/*"]}}),
    st(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::mybucket/${aws:username}/*"]),
)
ACCESS_KEYS = doc(st(["iam:*AccessKey*"], [f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"]))
QUEUES = doc(
    {"Sid": "ListForConsole", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
    {"Sid": "AllQueueActions", "Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"},
)
DEPARTMENT = doc(st("s3:*", ["arn:aws:s3:::bucket/${aws:PrincipalTag/department}"]))
COST_CENTER = doc(st(["iam:*user*"], "*", Condition={"StringLike": {"iam:ResourceTag/costCenter": ["12345", "67890"]}}))
TEAM_DENY = doc(st("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", "Deny",
                   Condition={"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}), st("s3:*"))
TEAM_BUCKET = doc(st("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}"))
SNS_TOPIC = "arn:aws:sns:us-east-1:111122223333:topic"
SNS = doc(st("sns:*", SNS_TOPIC, Principal={"AWS": ACCOUNT}, Condition={"StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"}, "StringEquals": {"sns:Protocol": "https"}}))
SNS_TOPIC = "arn:aws:sns:us-east-1:111122223333:topic"

VARIABLE_CASES = [
    case(VARIABLES, "david-lists-own-prefix", A, "s3:ListBucket", "arn:aws:s3:::mybucket", identity=[MYBUCKET], context={"aws:username": "David", "s3:prefix": "David/photos"}),
    case(VARIABLES, "david-lists-other-prefix", I, "s3:ListBucket", "arn:aws:s3:::mybucket", identity=[MYBUCKET], context={"aws:username": "David", "s3:prefix": "Adele/"}),
    case(VARIABLES, "david-reads-own-object", A, "s3:GetObject", "arn:aws:s3:::mybucket/David/a.txt", identity=[MYBUCKET], context={"aws:username": "David"}),
    case(VARIABLES, "david-reads-adele-object", I, "s3:GetObject", "arn:aws:s3:::mybucket/Adele/a.txt", identity=[MYBUCKET], context={"aws:username": "David"}),
    case(VARIABLES, "role-session-has-no-username", I, "s3:GetObject", "arn:aws:s3:::mybucket/David/a.txt", identity=[MYBUCKET], principal=SESSION, ptype="AssumedRole"),
    case(VARIABLES, "own-access-key", A, "iam:CreateAccessKey", USER, identity=[ACCESS_KEYS], context={"aws:username": "bob"}),
    case(VARIABLES, "other-users-access-key", I, "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/David", identity=[ACCESS_KEYS], context={"aws:username": "bob"}),
    case(VARIABLES, "access-key-wildcard-action", A, "iam:UpdateAccessKey", USER, identity=[ACCESS_KEYS], context={"aws:username": "bob"}),
    case(VARIABLES, "list-queues", A, "sqs:ListQueues", "*", identity=[QUEUES], context={"aws:username": "bob"}),
    case(VARIABLES, "own-queue", A, "sqs:SendMessage", "arn:aws:sqs:us-east-2:111122223333:bob-queue", identity=[QUEUES], context={"aws:username": "bob"}),
    case(VARIABLES, "own-queue-other-region", I, "sqs:SendMessage", "arn:aws:sqs:us-west-2:111122223333:bob-queue", identity=[QUEUES], context={"aws:username": "bob"}),
    case(VARIABLES, "other-users-queue", I, "sqs:SendMessage", "arn:aws:sqs:us-east-2:111122223333:alice-queue", identity=[QUEUES], context={"aws:username": "bob"}),
    case(VARIABLES, "department-bucket", A, "s3:GetObject", "arn:aws:s3:::bucket/hr", identity=[DEPARTMENT], context={"aws:PrincipalTag/department": "hr"}),
    case(VARIABLES, "other-department-bucket", I, "s3:GetObject", "arn:aws:s3:::bucket/it", identity=[DEPARTMENT], context={"aws:PrincipalTag/department": "hr"}),
    case(VARIABLES, "no-department-tag", I, "s3:GetObject", "arn:aws:s3:::bucket/", identity=[DEPARTMENT]),
    case(VARIABLES, "cost-center-12345", A, "iam:GetUser", USER, identity=[COST_CENTER], context={"iam:ResourceTag/costCenter": "12345"}),
    case(VARIABLES, "cost-center-other", I, "iam:GetUser", USER, identity=[COST_CENTER], context={"iam:ResourceTag/costCenter": "11111"}),
    case(VARIABLES, "cost-center-missing", I, "iam:GetUser", USER, identity=[COST_CENTER]),
    case(VARIABLES, "team-tag-matches-object", A, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a", identity=[TEAM_DENY], context={"aws:PrincipalTag/Team": "red", "s3:ExistingObjectTag/Team": "red"}),
    case(VARIABLES, "team-tag-differs", D, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a", identity=[TEAM_DENY], context={"aws:PrincipalTag/Team": "red", "s3:ExistingObjectTag/Team": "blue"}),
    case(VARIABLES, "team-tag-not-set-denied", D, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a", identity=[TEAM_DENY], context={"s3:ExistingObjectTag/Team": "blue"}),
    case(VARIABLES, "team-bucket-yellow", A, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket-yellow", identity=[TEAM_BUCKET], context={"aws:PrincipalTag/team": "yellow"}),
    case(VARIABLES, "team-bucket-default", A, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket-company-wide", identity=[TEAM_BUCKET]),
    case(VARIABLES, "team-bucket-other-team", I, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket-green", identity=[TEAM_BUCKET], context={"aws:PrincipalTag/team": "yellow"}),
    case(VARIABLES, "tagged-user-not-default", I, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket-company-wide", identity=[TEAM_BUCKET], context={"aws:PrincipalTag/team": "yellow"}),
    case(VARIABLES, "special-star", A, "s3:GetObject", "arn:aws:s3:::b/*", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/${*}"))]),
    case(VARIABLES, "special-star-is-literal", I, "s3:GetObject", "arn:aws:s3:::b/x", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/${*}"))]),
    case(VARIABLES, "special-question", A, "s3:GetObject", "arn:aws:s3:::b/what?", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/what${?}"))]),
    case(VARIABLES, "special-dollar", A, "s3:GetObject", "arn:aws:s3:::b/$5", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/${$}5"))]),
    case(VARIABLES, "no-version-literal", I, "s3:GetObject", "arn:aws:s3:::mybucket/bob/a", identity=[doc(st("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"), version=None)], context={"aws:username": "bob"}),
    case(VARIABLES, "version-2008-literal", A, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/a", identity=[doc(st("s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/*"), version="2008-10-17")], context={"aws:username": "bob"}),
    case(VARIABLES, "sns-endpoint-own", A, "sns:Subscribe", SNS_TOPIC, resource_policy=SNS, identity=[doc(st("sns:*"))], context={"aws:username": "bob", "sns:endpoint": "https://example.com/bob/", "sns:Protocol": "https"}),
    case(VARIABLES, "sns-endpoint-other", I, "sns:Subscribe", SNS_TOPIC, resource_policy=SNS, context={"aws:username": "bob", "sns:endpoint": "https://example.com/alice/", "sns:Protocol": "https"}),
    case(VARIABLES, "userid-variable", A, "s3:GetObject", "arn:aws:s3:::home/AIDAEXAMPLE/x", identity=[doc(st("s3:GetObject", "arn:aws:s3:::home/${aws:userid}/*"))], context={"aws:userid": "AIDAEXAMPLE"}),
    case(VARIABLES, "key-name-case-insensitive", A, "s3:GetObject", "arn:aws:s3:::home/bob", identity=[doc(st("s3:GetObject", "arn:aws:s3:::home/${AWS:UserName}"))], context={"aws:username": "bob"}),
]

ADMIN = doc(st("*"))
ENFORCEMENT_CASES = [
    case(ENFORCEMENT, "implicit-deny-by-default", I, "s3:GetObject", "arn:aws:s3:::b/k"),
    case(ENFORCEMENT, "root-full-access", A, "iam:DeleteAccountPasswordPolicy", principal=f"arn:aws:iam::{ACCOUNT}:root", ptype="Root", root=True),
    case(ENFORCEMENT, "root-denied-by-bucket-policy", D, "s3:GetObject", "arn:aws:s3:::b/k", principal=f"arn:aws:iam::{ACCOUNT}:root", ptype="Root", root=True,
         resource_policy=doc(st("s3:*", "arn:aws:s3:::b/*", "Deny", Principal="*"))),
    case(ENFORCEMENT, "explicit-deny-overrides-allow", D, "iam:DeleteRole", identity=[ADMIN, doc(st("iam:DeleteRole", "*", "Deny"))]),
    case(ENFORCEMENT, "allow-in-one-identity-policy", A, "iam:ListRoles", identity=[doc(st("s3:*")), doc(st("iam:List*"))]),
    case(ENFORCEMENT, "resource-policy-role-arn", A, "s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION, ptype="AssumedRole", issuer=ROLE,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": ROLE}))),
    case(ENFORCEMENT, "resource-policy-role-arn-limited-by-boundary", I, "s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION, ptype="AssumedRole", issuer=ROLE,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": ROLE})), boundary=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "resource-policy-role-arn-limited-by-session-policy", I, "s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION, ptype="AssumedRole", issuer=ROLE,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": ROLE})), session=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "resource-policy-role-session-not-limited", A, "s3:GetObject", "arn:aws:s3:::b/k", principal=SESSION, ptype="AssumedRole", issuer=ROLE,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": SESSION})), boundary=[doc(st("ec2:*"))], session=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "resource-policy-user-not-limited-by-boundary", A, "s3:GetObject", "arn:aws:s3:::b/k",
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": USER})), boundary=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "resource-policy-federated-session-direct", A, "s3:GetObject", "arn:aws:s3:::b/k", principal=FEDERATED, ptype="FederatedUser", issuer=USER,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": FEDERATED})), session=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "resource-policy-federating-user-limited-by-session", I, "s3:GetObject", "arn:aws:s3:::b/k", principal=FEDERATED, ptype="FederatedUser", issuer=USER,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": USER})), session=[doc(st("ec2:*"))]),
    case(ENFORCEMENT, "identity-allow-boundary-allow", A, "s3:GetObject", identity=[doc(st("s3:*"))], boundary=[doc(st("s3:GetObject"))]),
    case(ENFORCEMENT, "session-default-no-policy", A, "s3:GetObject", principal=SESSION, ptype="AssumedRole", identity=[doc(st("s3:*"))]),
    case(ENFORCEMENT, "session-policy-allows", A, "s3:GetObject", principal=SESSION, ptype="AssumedRole", identity=[doc(st("s3:*"))], session=[doc(st("s3:Get*"))]),
    case(ENFORCEMENT, "session-policy-does-not-allow", I, "s3:PutObject", principal=SESSION, ptype="AssumedRole", identity=[doc(st("s3:*"))], session=[doc(st("s3:Get*"))]),
    case(ENFORCEMENT, "session-policy-grants-nothing-alone", I, "s3:GetObject", principal=SESSION, ptype="AssumedRole", session=[doc(st("s3:*"))]),
]

CARLOS = doc(
    {"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:GetObjectVersion", "s3:ListAllMyBuckets", "s3:ListBucketVersions", "s3:ListBucket"], "Resource": "arn:aws:s3:::*"},
    {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
)
CARLOS_BUCKET = doc(st("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"}))
CARLOS_ARN = f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"
SINGLE_ACCOUNT_CASES = [
    case(SINGLE_ACCOUNT, "carlos-write-own-bucket", A, "s3:PutObject", "arn:aws:s3:::carlossalazar/a", identity=[CARLOS], principal=CARLOS_ARN),
    case(SINGLE_ACCOUNT, "carlos-list-any-bucket", A, "s3:ListBucket", "arn:aws:s3:::other", identity=[CARLOS], principal=CARLOS_ARN),
    case(SINGLE_ACCOUNT, "carlos-write-other-bucket", I, "s3:PutObject", "arn:aws:s3:::other/a", identity=[CARLOS], principal=CARLOS_ARN),
    case(SINGLE_ACCOUNT, "carlos-logs-bucket-denied-despite-bucket-policy", D, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/a",
         identity=[CARLOS], resource_policy=CARLOS_BUCKET, principal=CARLOS_ARN),
    case(SINGLE_ACCOUNT, "bucket-policy-alone-allows-same-account-user", A, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/a",
         resource_policy=CARLOS_BUCKET, principal=CARLOS_ARN),
    case(SINGLE_ACCOUNT, "identity-alone-allows", A, "s3:GetObjectVersion", "arn:aws:s3:::x/y", identity=[CARLOS], principal=CARLOS_ARN,
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::x/*", Principal={"AWS": "arn:aws:iam::111122223333:user/other"}))),
]

SHIRLEY = doc(st(["s3:*", "cloudwatch:*", "ec2:*"]))
XCOMPANY = doc(
    {"Sid": "ServiceBoundaries", "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*", "dynamodb:*"], "Resource": "*"},
    {"Sid": "AllowIAMConsoleForCredentials", "Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetAccountPasswordPolicy"], "Resource": "*"},
    {"Sid": "AllowManageOwnPasswordAndAccessKeys", "Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:ChangePassword", "iam:GetUser", "iam:*ServiceSpecificCredential*", "iam:*SigningCertificate*"], "Resource": ["arn:aws:iam::*:user/${aws:username}"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]},
    {"Sid": "DenyEC2Production", "Effect": "Deny", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0"},
)
DELEGATED = doc(
    {"Sid": "CreateOrChangeOnlyWithBoundary", "Effect": "Allow", "Action": ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy", "iam:PutUserPermissionsBoundary"], "Resource": "*",
     "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"}}},
    {"Sid": "CloudWatchAndOtherIAMTasks", "Effect": "Allow", "Action": ["cloudwatch:*", "iam:GetUser", "iam:ListUsers", "iam:DeleteUser", "iam:*Group*", "iam:CreatePolicy", "iam:DeletePolicy"], "Resource": "*"},
    {"Sid": "NoBoundaryPolicyEdit", "Effect": "Deny", "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
     "Resource": ["arn:aws:iam::111122223333:policy/XCompanyBoundaries", "arn:aws:iam::111122223333:policy/DelegatedUserBoundary"]},
    {"Sid": "NoBoundaryUserDelete", "Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary", "Resource": "*"},
)
ZHANG = doc(st("iam:*"), st(["cloudwatch:GetDashboard", "cloudwatch:ListDashboards"]))
BOUNDARY_CASES = [
    case(BOUNDARIES, "shirley-create-user-outside-boundary", I, "iam:CreateUser", identity=[doc(st("iam:CreateUser"))], boundary=[SHIRLEY]),
    case(BOUNDARIES, "shirley-s3-needs-permissions-policy", I, "s3:ListAllMyBuckets", boundary=[SHIRLEY]),
    case(BOUNDARIES, "shirley-s3-with-policy", A, "s3:ListAllMyBuckets", identity=[doc(st("s3:*"))], boundary=[SHIRLEY]),
    case(BOUNDARIES, "xcompany-dynamodb", A, "dynamodb:GetItem", identity=[ADMIN], boundary=[XCOMPANY]),
    case(BOUNDARIES, "xcompany-logs-bucket-denied", D, "s3:GetObject", "arn:aws:s3:::logs/a", identity=[ADMIN], boundary=[XCOMPANY]),
    case(BOUNDARIES, "xcompany-production-instance-denied", D, "ec2:StopInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0", identity=[ADMIN], boundary=[XCOMPANY]),
    case(BOUNDARIES, "xcompany-other-instance", A, "ec2:StopInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa", identity=[ADMIN], boundary=[XCOMPANY]),
    case(BOUNDARIES, "xcompany-own-access-key", A, "iam:CreateAccessKey", USER, identity=[ADMIN], boundary=[XCOMPANY], context={"aws:username": "bob"}),
    case(BOUNDARIES, "xcompany-other-users-access-key", I, "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice", identity=[ADMIN], boundary=[XCOMPANY], context={"aws:username": "bob"}),
    case(BOUNDARIES, "xcompany-iam-create-user-outside", I, "iam:CreateUser", identity=[ADMIN], boundary=[XCOMPANY]),
    case(BOUNDARIES, "zhang-create-user-with-boundary", A, "iam:CreateUser", identity=[ZHANG], boundary=[DELEGATED], context={"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"}),
    case(BOUNDARIES, "zhang-create-user-without-boundary", I, "iam:CreateUser", identity=[ZHANG], boundary=[DELEGATED]),
    case(BOUNDARIES, "zhang-create-user-other-boundary", I, "iam:CreateUser", identity=[ZHANG], boundary=[DELEGATED], context={"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Other"}),
    case(BOUNDARIES, "zhang-edit-boundary-policy-denied", D, "iam:CreatePolicyVersion", "arn:aws:iam::111122223333:policy/XCompanyBoundaries", identity=[ZHANG], boundary=[DELEGATED]),
    case(BOUNDARIES, "zhang-delete-boundary-denied", D, "iam:DeleteUserPermissionsBoundary", USER, identity=[ZHANG], boundary=[DELEGATED]),
    case(BOUNDARIES, "zhang-group-task", A, "iam:AddUserToGroup", identity=[ZHANG], boundary=[DELEGATED]),
    case(BOUNDARIES, "zhang-cloudwatch-limited-by-policy", I, "cloudwatch:PutMetricData", identity=[ZHANG], boundary=[DELEGATED]),
    case(BOUNDARIES, "boundary-does-not-reduce-resource-policy-for-user", A, "s3:GetObject", "arn:aws:s3:::b/k", boundary=[SHIRLEY],
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": USER}))),
]

NO_MFA = doc(
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
     "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    st("*"),
)
NOT_IAM = doc(st("iam:*", "*", not_action=True))
NOTACTION_CASES = [
    case(NOTACTION, "no-mfa-denied", D, "s3:ListAllMyBuckets", identity=[NO_MFA], context={"aws:MultiFactorAuthPresent": "false"}),
    case(NOTACTION, "no-mfa-key-missing-denied", D, "ec2:DescribeInstances", identity=[NO_MFA]),
    case(NOTACTION, "no-mfa-may-enable-mfa", A, "iam:EnableMFADevice", identity=[NO_MFA], context={"aws:MultiFactorAuthPresent": "false"}),
    case(NOTACTION, "no-mfa-may-get-session-token", A, "sts:GetSessionToken", identity=[NO_MFA]),
    case(NOTACTION, "with-mfa-allowed", A, "s3:ListAllMyBuckets", identity=[NO_MFA], context={"aws:MultiFactorAuthPresent": "true"}),
    case(NOTACTION, "all-but-iam-allows-s3", A, "s3:CreateBucket", identity=[NOT_IAM]),
    case(NOTACTION, "all-but-iam-not-iam", I, "iam:CreateUser", identity=[NOT_IAM]),
    case(NOTACTION, "all-but-iam-case-insensitive", I, "IAM:createuser", identity=[NOT_IAM]),
    case(NOTACTION, "deny-all-but-iam", D, "s3:GetObject", identity=[ADMIN, doc(st("iam:*", "*", "Deny", not_action=True))]),
    case(NOTACTION, "deny-all-but-iam-spares-iam", A, "iam:GetUser", identity=[ADMIN, doc(st("iam:*", "*", "Deny", not_action=True))]),
]

HRBUCKET = doc(st("s3:*", ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"], "Deny", not_resource=True), st("s3:*"))
NOTRESOURCE_CASES = [
    case(NOTRESOURCE, "payroll-allowed", A, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/a", identity=[HRBUCKET]),
    case(NOTRESOURCE, "other-hr-object-denied", D, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/a", identity=[HRBUCKET]),
    case(NOTRESOURCE, "other-bucket-denied", D, "s3:GetObject", "arn:aws:s3:::other/a", identity=[HRBUCKET]),
    case(NOTRESOURCE, "allow-not-resource", A, "s3:GetObject", "arn:aws:s3:::public/a", identity=[doc(st("s3:*", "arn:aws:s3:::secret/*", not_resource=True))]),
    case(NOTRESOURCE, "allow-not-resource-excluded", I, "s3:GetObject", "arn:aws:s3:::secret/a", identity=[doc(st("s3:*", "arn:aws:s3:::secret/*", not_resource=True))]),
]

NP_BUCKET = "arn:aws:s3:::BUCKETNAME"
NP_ACCOUNT = "444455556666"
NP_ROLE = f"arn:aws:iam::{NP_ACCOUNT}:role/cross-account-read-only-role"
NP_SESSION = f"arn:aws:sts::{NP_ACCOUNT}:assumed-role/cross-account-read-only-role/session"
NOTPRINCIPAL_CASES = [
    case(NOTPRINCIPAL, "deny-everyone-but-bob", D, "s3:GetObject", f"{NP_BUCKET}/x", principal=f"arn:aws:iam::{ACCOUNT}:user/alice", identity=[ADMIN],
         resource_policy=doc(st("s3:*", [NP_BUCKET, f"{NP_BUCKET}/*"], "Deny", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCOUNT}:root"]}))),
    case(NOTPRINCIPAL, "bob-spared", A, "s3:GetObject", f"{NP_BUCKET}/x", identity=[ADMIN],
         resource_policy=doc(st("s3:*", [NP_BUCKET, f"{NP_BUCKET}/*"], "Deny", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCOUNT}:root"]}))),
    case(NOTPRINCIPAL, "bob-without-account-denied", D, "s3:GetObject", f"{NP_BUCKET}/x", identity=[ADMIN],
         resource_policy=doc(st("s3:*", [NP_BUCKET, f"{NP_BUCKET}/*"], "Deny", NotPrincipal={"AWS": [USER]}))),
    case(NOTPRINCIPAL, "session-spared-with-role-session-and-account", A, "s3:GetObject", f"{NP_BUCKET}/x", principal=NP_SESSION, ptype="AssumedRole", issuer=NP_ROLE, account=NP_ACCOUNT, identity=[ADMIN],
         resource_policy=doc(st("s3:*", [NP_BUCKET, f"{NP_BUCKET}/*"], "Deny", NotPrincipal={"AWS": [NP_SESSION, NP_ROLE, f"arn:aws:iam::{NP_ACCOUNT}:root"]}))),
    case(NOTPRINCIPAL, "session-denied-without-session-arn", D, "s3:GetObject", f"{NP_BUCKET}/x", principal=NP_SESSION, ptype="AssumedRole", issuer=NP_ROLE, account=NP_ACCOUNT, identity=[ADMIN],
         resource_policy=doc(st("s3:*", [NP_BUCKET, f"{NP_BUCKET}/*"], "Deny", NotPrincipal={"AWS": [NP_ROLE, f"arn:aws:iam::{NP_ACCOUNT}:root"]}))),
]

TRUST_ACCOUNT = doc(st("sts:AssumeRole", None, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
TRUST_EC2 = doc(st("sts:AssumeRole", None, Principal={"Service": "ec2.amazonaws.com"}))
TRUST_MFA = doc(st("sts:AssumeRole", None, Principal={"AWS": ACCOUNT}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
TRUST_EXTERNAL = doc(st("sts:AssumeRole", None, Principal={"AWS": "arn:aws:iam::444455556666:root"}, Condition={"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}))
ASSUME = doc(st("sts:AssumeRole", ROLE))
PRINCIPAL_CASES = [
    case(PRINCIPAL, "trust-account-with-identity-policy", A, "sts:AssumeRole", ROLE, trust=TRUST_ACCOUNT, identity=[ASSUME]),
    case(PRINCIPAL, "trust-account-without-identity-policy", I, "sts:AssumeRole", ROLE, trust=TRUST_ACCOUNT),
    case(PRINCIPAL, "trust-account-id-form", A, "sts:AssumeRole", ROLE, trust=doc(st("sts:AssumeRole", None, Principal={"AWS": ACCOUNT})), identity=[ASSUME]),
    case(PRINCIPAL, "trust-user-directly", A, "sts:AssumeRole", ROLE, trust=doc(st("sts:AssumeRole", None, Principal={"AWS": USER}))),
    case(PRINCIPAL, "trust-other-user", I, "sts:AssumeRole", ROLE, trust=doc(st("sts:AssumeRole", None, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"})), identity=[ASSUME]),
    case(PRINCIPAL, "trust-service-ec2", A, "sts:AssumeRole", ROLE, trust=TRUST_EC2, principal="ec2.amazonaws.com", ptype="AWSService"),
    case(PRINCIPAL, "trust-service-ec2-user-denied", I, "sts:AssumeRole", ROLE, trust=TRUST_EC2, identity=[ASSUME]),
    case(PRINCIPAL, "trust-service-other-service", I, "sts:AssumeRole", ROLE, trust=TRUST_EC2, principal="lambda.amazonaws.com", ptype="AWSService"),
    case(PRINCIPAL, "trust-mfa-present", A, "sts:AssumeRole", ROLE, trust=TRUST_MFA, identity=[ASSUME], context={"aws:MultiFactorAuthPresent": "true"}),
    case(PRINCIPAL, "trust-mfa-absent", I, "sts:AssumeRole", ROLE, trust=TRUST_MFA, identity=[ASSUME]),
    case(PRINCIPAL, "trust-external-id-other-account", I, "sts:AssumeRole", ROLE, trust=TRUST_EXTERNAL, identity=[ASSUME], context={"sts:ExternalId": "Unique ID Assigned by Example Corp"}),
    case(PRINCIPAL, "trust-everyone", A, "sts:AssumeRole", ROLE, trust=doc(st("sts:AssumeRole", None, Principal={"AWS": "*"}))),
    case(PRINCIPAL, "trust-deny-statement", D, "sts:AssumeRole", ROLE, identity=[ASSUME],
         trust=doc(st("sts:AssumeRole", None, Principal={"AWS": ACCOUNT}), st("sts:AssumeRole", None, "Deny", Principal={"AWS": USER}))),
    case(PRINCIPAL, "trust-saml-provider", A, "sts:AssumeRoleWithSAML", ROLE, principal=f"arn:aws:iam::{ACCOUNT}:saml-provider/ExampleOrgSSOProvider", ptype="SAMLUser",
         trust=doc(st("sts:AssumeRoleWithSAML", None, Principal={"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/ExampleOrgSSOProvider"}, Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})),
         context={"SAML:aud": "https://signin.aws.amazon.com/saml"}),
    case(PRINCIPAL, "trust-web-identity-wrong-audience", I, "sts:AssumeRoleWithWebIdentity", ROLE, principal="cognito-identity.amazonaws.com", ptype="WebIdentityUser",
         trust=doc(st("sts:AssumeRoleWithWebIdentity", None, Principal={"Federated": "cognito-identity.amazonaws.com"}, Condition={"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-2:pool"}})),
         context={"cognito-identity.amazonaws.com:aud": "us-east-2:other"}),
    case(PRINCIPAL, "bucket-anonymous-read", A, "s3:GetObject", "arn:aws:s3:::public/x", principal="", ptype="Anonymous",
         resource_policy=doc(st("s3:GetObject", "arn:aws:s3:::public/*", Principal="*"))),
]

ACTION_CASES = [
    case(ACTION, "access-key-wildcard", A, "iam:DeleteAccessKey", identity=[doc(st("iam:*AccessKey*"))]),
    case(ACTION, "access-key-wildcard-no-match", I, "iam:CreateUser", identity=[doc(st("iam:*AccessKey*"))]),
    case(ACTION, "list-of-actions", A, "sqs:ReceiveMessage", identity=[doc(st(["sqs:SendMessage", "sqs:ReceiveMessage"]))]),
    case(ACTION, "service-wildcard", A, "s3:DeleteBucket", identity=[doc(st("s3:*"))]),
    case(ACTION, "case-insensitive-name", A, "s3:getobject", identity=[doc(st("S3:GetObject"))]),
    case(ACTION, "prefix-wildcard", A, "iam:GetUser", identity=[doc(st("iam:Get*"))]),
    case(ACTION, "prefix-wildcard-other", I, "iam:PutUserPolicy", identity=[doc(st("iam:Get*"))]),
    case(ACTION, "unknown-action-never-matches", I, "ec2:DescribeInstances", identity=[doc(st("ec2:FooBar"))]),
]

RESOURCE_CASES = [
    case(RESOURCE, "star-matches-any", A, "s3:GetObject", "arn:aws:s3:::any/x", identity=[doc(st("s3:GetObject", "*"))]),
    case(RESOURCE, "path-wildcard", A, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/division_abc/subdivision_xyz/bob", identity=[doc(st("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/division_abc/*"))]),
    case(RESOURCE, "path-wildcard-other-path", I, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/other/bob", identity=[doc(st("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/division_abc/*"))]),
    case(RESOURCE, "case-sensitive", I, "s3:GetObject", "arn:aws:s3:::Bucket/x", identity=[doc(st("s3:GetObject", "arn:aws:s3:::bucket/*"))]),
    case(RESOURCE, "account-wildcard", A, "iam:GetRole", ROLE, identity=[doc(st("iam:GetRole", "arn:aws:iam::*:role/example*"))]),
    case(RESOURCE, "region-wildcard", A, "dynamodb:GetItem", DDB, identity=[doc(st("dynamodb:GetItem", "arn:aws:dynamodb:*:111122223333:table/Thread"))]),
    case(RESOURCE, "bucket-not-objects", I, "s3:GetObject", "arn:aws:s3:::bucket/x", identity=[doc(st("s3:GetObject", "arn:aws:s3:::bucket"))]),
    case(RESOURCE, "question-mark", A, "s3:GetObject", "arn:aws:s3:::bucket/a1", identity=[doc(st("s3:GetObject", "arn:aws:s3:::bucket/a?"))]),
    case(RESOURCE, "multiple-resources", A, "s3:GetObject", "arn:aws:s3:::b2/x", identity=[doc(st("s3:GetObject", ["arn:aws:s3:::b1/*", "arn:aws:s3:::b2/*"]))]),
]

VERSION_CASES = [
    case(VERSION, "2012-substitutes", A, "s3:GetObject", "arn:aws:s3:::b/bob", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/${aws:username}"))], context={"aws:username": "bob"}),
    case(VERSION, "absent-literal", I, "s3:GetObject", "arn:aws:s3:::b/bob", identity=[doc(st("s3:GetObject", "arn:aws:s3:::b/${aws:username}"), version=None)], context={"aws:username": "bob"}),
]

SESSION_CASES = [
    case(SESSION_POLICIES, "intersection-allows", A, "s3:GetObject", principal=SESSION, ptype="AssumedRole", identity=[doc(st("s3:*"))], session=[doc(st("s3:GetObject"))]),
    case(SESSION_POLICIES, "intersection-denies", I, "ec2:RunInstances", principal=SESSION, ptype="AssumedRole", identity=[ADMIN], session=[doc(st("s3:*"))]),
    case(SESSION_POLICIES, "session-deny", D, "s3:GetObject", principal=SESSION, ptype="AssumedRole", identity=[ADMIN], session=[doc(st("*"), st("s3:*", "*", "Deny"))]),
    case(SESSION_POLICIES, "session-with-boundary", I, "s3:GetObject", principal=SESSION, ptype="AssumedRole", identity=[ADMIN], session=[doc(st("s3:*"))], boundary=[doc(st("ec2:*"))]),
]

CASES = (
    OPERATOR_CASES + CONDITION_CASES + MULTI_CASES + MULTI_EXAMPLE_CASES + VARIABLE_CASES + ENFORCEMENT_CASES
    + SINGLE_ACCOUNT_CASES + BOUNDARY_CASES + NOTACTION_CASES + NOTRESOURCE_CASES + NOTPRINCIPAL_CASES
    + PRINCIPAL_CASES + ACTION_CASES + RESOURCE_CASES + VERSION_CASES + SESSION_CASES
)


def _labelled(kind, texts, policy_kind):
    if texts is None:
        return None
    return [({"type": kind, "name": f"{kind}{i}"}, compile_policy(text, policy_kind)) for i, text in enumerate(texts)]


@pytest.mark.parametrize("spec", CASES)
def test_documented_decision(spec):
    assert spec["page"]
    resource = _labelled("resource", [spec["resource_policy"]] if spec["resource_policy"] else None, "resource")
    if spec["trust"]:
        resource = _labelled("resource", [spec["trust"]], "trust")
    decision = evaluate(
        spec["request"],
        identity_policies=_labelled("identity", spec["identity"], "identity"),
        resource_policy=resource,
        boundary_policies=_labelled("boundary", spec["boundary"], "boundary"),
        session_policies=_labelled("session", spec["session"], "identity"),
        is_root=spec["root"],
    )
    assert decision.decision == spec["expect"]


def test_there_are_at_least_150_documented_cases():
    assert len(CASES) >= 150


# --- AWS managed policies iamlab ships --------------------------------------------------

# The project's own copy of the AWS managed policy documents (iam/managed_policies/).
MANAGED = Path(__file__).resolve().parents[3] / "iam" / "managed_policies"
MANAGED_FILES = sorted(MANAGED.glob("*.json"))


def managed(name):
    data = json.loads((MANAGED / f"{name}.json").read_text())
    return json.dumps(data["PolicyVersion"]["Document"])


def managed_decision(name, action, resource="*", **context):
    policy = compile_policy(managed(name), "identity")
    label = {"type": "identity", "name": name, "arn": f"arn:aws:iam::aws:policy/{name}"}
    request = Request(action, resource, USER, ACCOUNT, "IAMUser", context)
    return evaluate(request, identity_policies=[(label, policy)])


def test_managed_policy_files_are_present():
    assert len(MANAGED_FILES) >= 17


@pytest.mark.parametrize("path", MANAGED_FILES, ids=lambda p: p.stem)
def test_managed_policy_validates_as_managed_identity_policy(path):
    text = json.dumps(json.loads(path.read_text())["PolicyVersion"]["Document"])
    assert validate_policy(text, "identity", managed=True).statements


# AWS managed policies are not bound by the customer managed-policy quota: ReadOnlyAccess,
# SecurityAudit and ViewOnlyAccess as AWS publishes them are larger than 6144.
OVERSIZED = {"ReadOnlyAccess", "SecurityAudit", "ViewOnlyAccess"}


@pytest.mark.parametrize("path", [p for p in MANAGED_FILES if p.stem not in OVERSIZED], ids=lambda p: p.stem)
def test_managed_policy_fits_the_managed_policy_quota(path):
    text = json.dumps(json.loads(path.read_text())["PolicyVersion"]["Document"], indent=4)
    validate_policy(text, "identity", 6144, managed=True)


def test_largest_aws_managed_policies_exceed_the_customer_quota():
    assert all(policy_size(managed(name)) > 6144 for name in OVERSIZED)


def test_iam_read_only_allows_list_users():
    assert managed_decision("IAMReadOnlyAccess", "iam:ListUsers").allowed


def test_iam_read_only_denies_create_user():
    assert managed_decision("IAMReadOnlyAccess", "iam:CreateUser").decision == "implicitDeny"


def test_s3_read_only_allows_list_all_my_buckets():
    assert managed_decision("AmazonS3ReadOnlyAccess", "s3:ListAllMyBuckets").allowed


def test_s3_read_only_denies_create_bucket():
    assert not managed_decision("AmazonS3ReadOnlyAccess", "s3:CreateBucket", "arn:aws:s3:::new").allowed


@pytest.mark.parametrize("action", ["iam:CreateUser", "s3:CreateBucket", "ec2:RunInstances", "madeup:Thing"])
def test_administrator_access_allows_anything(action):
    assert managed_decision("AdministratorAccess", action, "arn:aws:s3:::x").allowed


def test_change_password_allowed_for_the_calling_user():
    assert managed_decision("IAMUserChangePassword", "iam:ChangePassword", USER, **{"aws:username": "bob"}).allowed


def test_change_password_allowed_for_the_calling_user_with_a_path():
    user = f"arn:aws:iam::{ACCOUNT}:user/staff/bob"
    assert managed_decision("IAMUserChangePassword", "iam:ChangePassword", user, **{"aws:username": "bob"}).allowed


def test_change_password_denied_for_another_user():
    other = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert not managed_decision("IAMUserChangePassword", "iam:ChangePassword", other, **{"aws:username": "bob"}).allowed


def test_change_password_denied_without_a_user_name():
    assert not managed_decision("IAMUserChangePassword", "iam:ChangePassword", USER).allowed


def test_power_user_cannot_create_users():
    assert not managed_decision("PowerUserAccess", "iam:CreateUser").allowed


def test_power_user_may_create_service_linked_roles():
    assert managed_decision("PowerUserAccess", "iam:CreateServiceLinkedRole").allowed


def test_read_only_access_allows_describe_and_not_terminate():
    assert managed_decision("ReadOnlyAccess", "ec2:DescribeInstances").allowed
    assert not managed_decision("ReadOnlyAccess", "ec2:TerminateInstances").allowed
