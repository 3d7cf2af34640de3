"""The policy simulator's actions through the dispatcher: SimulatePrincipalPolicy and
SimulateCustomPolicy decisions, matched statements with AWS's positions, boundaries,
context keys, errors, authorization and the trail event."""

import json

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from tests.conftest import ALICE_ACCOUNT, CHARLIE_ACCOUNT
from tests.iam.helpers import BOB_ARN, denied_message, document
from trail.models import Event

ALLOW_S3 = document({"Sid": "S3Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"})
DENY_DELETE = document({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"})
ALLOW_ALL = document({"Effect": "Allow", "Action": "*", "Resource": "*"})
MFA_ONLY = document(
    {
        "Sid": "NeedsMfa",
        "Effect": "Allow",
        "Action": "iam:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
)
TRUST_EC2 = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


# For tests/iam/test_policies.py::test_every_registered_action_has_a_denied_case.
DENIED_CASES = {
    "SimulateCustomPolicy": ({"PolicyInputList": [ALLOW_ALL], "ActionNames": ["s3:GetObject"]}, "*"),
    "SimulatePrincipalPolicy": (
        {"PolicySourceArn": f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol", "ActionNames": ["s3:GetObject"]},
        f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol",
    ),
}


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    error = fails(bob_ctx, action, params, "AccessDenied")
    assert error.message == denied_message(action, resource)


def simulate(ctx, action, params):
    """Dispatch iam:<action>; assert it wrote exactly one read-only trail event."""
    before = set(Event.objects.values_list("pk", flat=True))
    result = error = None
    try:
        result = dispatch(ctx, f"iam:{action}", params)
    except AWSError as caught:
        error = caught
    events = list(Event.objects.exclude(pk__in=before))
    assert len(events) == 1
    event = events[0]
    assert event.event_name == action and event.read_only is True
    assert event.error_code == (error.code if error else "")
    assert event.response_elements is None
    return result, error, event


def ok(ctx, action, params):
    result, error, _ = simulate(ctx, action, params)
    assert error is None, f"{error.code}: {error.message}"
    return result


def fails(ctx, action, params, code):
    _, error, _ = simulate(ctx, action, params)
    assert error is not None and error.code == code, error and f"{error.code}: {error.message}"
    return error


def decisions(result):
    return {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in result["EvaluationResults"]}


def user_arn(name):
    return f"arn:aws:iam::{ALICE_ACCOUNT}:user/{name}"


@pytest.fixture
def carol(alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "s3-read", "PolicyDocument": ALLOW_S3})
    return user_arn("carol")


# --- SimulatePrincipalPolicy ------------------------------------------------------------


def test_user_inline_policy_allows_with_the_matched_statement(alice, carol):
    result = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:GetObject"]})
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "allowed" and evaluation["EvalResourceName"] == "*"
    [statement] = evaluation["MatchedStatements"]
    assert statement["SourcePolicyId"] == "s3-read" and statement["SourcePolicyType"] == "user"
    brace = ALLOW_S3.index("[{") + 1
    assert statement["StartPosition"] == {"Line": 1, "Column": brace + 2}
    assert statement["EndPosition"] == {"Line": 1, "Column": len(ALLOW_S3) - 2 + 1}
    assert evaluation["MissingContextValues"] == []
    assert result["IsTruncated"] is False


def test_action_no_policy_covers_is_implicit_deny(alice, carol):
    result = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["iam:CreateUser"]})
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "implicitDeny" and evaluation["MatchedStatements"] == []


def test_deny_statement_is_explicit_deny_and_names_it(alice, carol):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "all", "PolicyDocument": ALLOW_ALL})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "no-delete", "PolicyDocument": DENY_DELETE})
    result = ok(
        alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:DeleteBucket", "s3:PutObject"]}
    )
    assert decisions(result) == {("s3:DeleteBucket", "*"): "explicitDeny", ("s3:PutObject", "*"): "allowed"}
    denied = result["EvaluationResults"][0]["MatchedStatements"]
    assert [m["SourcePolicyId"] for m in denied] == ["no-delete"]


def test_every_deny_statement_is_listed_though_the_first_decides(alice, carol):
    # Authorization stops at the first managed policy's deny (iam/policy/evaluate.py);
    # the simulator lists every statement that matched.
    for name in ("NoDeleteA", "NoDeleteB"):
        arn = dispatch(alice, "iam:CreatePolicy", {"PolicyName": name, "PolicyDocument": DENY_DELETE})["Policy"]["Arn"]
        dispatch(alice, "iam:AttachUserPolicy", {"UserName": "carol", "PolicyArn": arn})
    result = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:DeleteBucket"]})
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "explicitDeny"
    assert sorted(m["SourcePolicyId"] for m in evaluation["MatchedStatements"]) == ["NoDeleteA", "NoDeleteB"]


def test_user_simulation_includes_group_and_managed_policies(alice, carol):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "admins"})
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "admins", "UserName": "carol"})
    dispatch(alice, "iam:PutGroupPolicy", {"GroupName": "admins", "PolicyName": "mfa-iam", "PolicyDocument": MFA_ONLY})
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    result = ok(
        alice,
        "SimulatePrincipalPolicy",
        {
            "PolicySourceArn": carol,
            "ActionNames": ["iam:CreateUser", "iam:GetUser"],
            "ContextEntries": [
                {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}
            ],
        },
    )
    by_action = {r["EvalActionName"]: r for r in result["EvaluationResults"]}
    assert by_action["iam:CreateUser"]["EvalDecision"] == "allowed"
    assert by_action["iam:CreateUser"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    sources = {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in by_action["iam:GetUser"]["MatchedStatements"]}
    assert ("IAMReadOnlyAccess", "aws-managed") in sources and ("mfa-iam", "group") in sources


def test_missing_condition_key_is_listed_and_condition_fails(alice, carol):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "mfa", "PolicyDocument": MFA_ONLY})
    result = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["iam:CreateUser"]})
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "implicitDeny"
    assert evaluation["MissingContextValues"] == ["aws:MultiFactorAuthPresent"]


def test_context_key_false_keeps_the_deny(alice, carol):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "mfa", "PolicyDocument": MFA_ONLY})
    entries = [{"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["false"], "ContextKeyType": "boolean"}]
    result = ok(
        alice,
        "SimulatePrincipalPolicy",
        {"PolicySourceArn": carol, "ActionNames": ["iam:CreateUser"], "ContextEntries": entries},
    )
    assert result["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert result["EvaluationResults"][0]["MissingContextValues"] == []


def test_source_ip_condition(alice, carol):
    policy = document(
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    )
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "office", "PolicyDocument": policy})

    def at(ip):
        entries = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}]
        params = {"PolicySourceArn": carol, "ActionNames": ["ec2:RunInstances"], "ContextEntries": entries}
        return ok(alice, "SimulatePrincipalPolicy", params)["EvaluationResults"][0]["EvalDecision"]

    assert at("203.0.113.9") == "allowed" and at("198.51.100.1") == "implicitDeny"


def test_policy_variable_in_resource(alice, carol):
    policy = document({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "home", "PolicyDocument": policy})
    entries = [{"ContextKeyName": "aws:username", "ContextKeyValues": ["carol"], "ContextKeyType": "string"}]
    params = {
        "PolicySourceArn": carol,
        "ActionNames": ["s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::home/carol/notes.txt", "arn:aws:s3:::home/dave/notes.txt"],
        "ContextEntries": entries,
    }
    result = ok(alice, "SimulatePrincipalPolicy", params)
    assert decisions(result) == {
        ("s3:PutObject", "arn:aws:s3:::home/carol/notes.txt"): "allowed",
        ("s3:PutObject", "arn:aws:s3:::home/dave/notes.txt"): "implicitDeny",
    }
    specific = result["EvaluationResults"][0]["ResourceSpecificResults"][0]
    assert specific["EvalResourceDecision"] == "allowed"
    params.pop("ContextEntries")
    missing = ok(alice, "SimulatePrincipalPolicy", params)["EvaluationResults"][0]["MissingContextValues"]
    assert missing == ["aws:username"]


def test_entitys_permissions_boundary_limits_the_result(alice, carol):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "all", "PolicyDocument": ALLOW_ALL})
    dispatch(
        alice,
        "iam:PutUserPermissionsBoundary",
        {"UserName": "carol", "PermissionsBoundary": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
    )
    result = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:GetObject", "iam:CreateUser"]})
    by_action = {r["EvalActionName"]: r for r in result["EvaluationResults"]}
    assert by_action["s3:GetObject"]["EvalDecision"] == "allowed"
    assert by_action["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert by_action["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert by_action["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_boundary_input_replaces_the_entitys_boundary(alice, carol):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "all", "PolicyDocument": ALLOW_ALL})
    params = {
        "PolicySourceArn": carol,
        "ActionNames": ["iam:CreateUser"],
        "PermissionsBoundaryPolicyInputList": [document({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})],
    }
    evaluation = ok(alice, "SimulatePrincipalPolicy", params)["EvaluationResults"][0]
    assert evaluation["EvalDecision"] == "allowed"
    ids = {m["SourcePolicyId"] for m in evaluation["MatchedStatements"]}
    assert ids == {"all", "PermissionsBoundaryPolicyInputList.1"}


def test_policy_input_list_adds_to_the_entitys_policies(alice, carol):
    params = {"PolicySourceArn": carol, "ActionNames": ["s3:DeleteObject"], "PolicyInputList": [ALLOW_ALL, DENY_DELETE]}
    evaluation = ok(alice, "SimulatePrincipalPolicy", params)["EvaluationResults"][0]
    assert evaluation["EvalDecision"] == "explicitDeny"
    assert evaluation["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.2"


def test_role_and_group_as_policy_source(alice):
    dispatch(alice, "iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2})
    dispatch(alice, "iam:PutRolePolicy", {"RoleName": "app", "PolicyName": "s3", "PolicyDocument": ALLOW_S3})
    dispatch(alice, "iam:CreateGroup", {"GroupName": "ops", "Path": "/teams/"})
    dispatch(alice, "iam:PutGroupPolicy", {"GroupName": "ops", "PolicyName": "s3", "PolicyDocument": ALLOW_S3})
    role = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": f"arn:aws:iam::{ALICE_ACCOUNT}:role/app", "ActionNames": ["s3:ListBucket"]})
    assert role["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"] == "role"
    group_arn = f"arn:aws:iam::{ALICE_ACCOUNT}:group/teams/ops"
    group = ok(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": group_arn, "ActionNames": ["s3:ListBucket"]})
    assert group["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_unknown_policy_source_is_no_such_entity(alice):
    error = fails(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": user_arn("nobody"), "ActionNames": ["s3:GetObject"]}, "NoSuchEntity")
    assert error.message == "The user with name nobody cannot be found."


def test_another_accounts_user_is_no_such_entity(alice, charlie):
    dispatch(charlie, "iam:CreateUser", {"UserName": "mallory"})
    arn = f"arn:aws:iam::{CHARLIE_ACCOUNT}:user/mallory"
    fails(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": arn, "ActionNames": ["s3:GetObject"]}, "NoSuchEntity")


def test_policy_source_must_be_a_user_group_or_role(alice):
    error = fails(
        alice,
        "SimulatePrincipalPolicy",
        {"PolicySourceArn": f"arn:aws:iam::{ALICE_ACCOUNT}:root", "ActionNames": ["s3:GetObject"]},
        "InvalidInput",
    )
    assert error.message == f"Invalid Entity Arn: arn:aws:iam::{ALICE_ACCOUNT}:root"


def test_missing_action_names_is_validation_error(alice, carol):
    error = fails(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol}, "ValidationError")
    assert "Value null at 'actionNames' failed to satisfy constraint: Member must not be null" in error.message


def test_iam_user_without_permission_is_denied(bob_ctx, alice, carol):
    error = fails(bob_ctx, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:GetObject"]}, "AccessDenied")
    assert error.message == (
        f"User: {BOB_ARN} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {carol} "
        "because no identity-based policy allows the iam:SimulatePrincipalPolicy action"
    )


def test_trail_event_records_the_request(alice, carol):
    _, _, event = simulate(alice, "SimulatePrincipalPolicy", {"PolicySourceArn": carol, "ActionNames": ["s3:GetObject"]})
    record = event.as_record()
    assert record["eventSource"] == "iam.amazonaws.com" and record["readOnly"] is True
    assert record["requestParameters"]["policySourceArn"] == carol
    assert record["requestParameters"]["actionNames"] == ["s3:GetObject"]


def test_results_paginate(alice, carol):
    params = {"PolicySourceArn": carol, "ActionNames": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], "MaxItems": 2}
    first = ok(alice, "SimulatePrincipalPolicy", params)
    assert len(first["EvaluationResults"]) == 2 and first["IsTruncated"]
    rest = ok(alice, "SimulatePrincipalPolicy", {**params, "Marker": first["Marker"]})
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["s3:PutObject"]


# --- SimulateCustomPolicy ---------------------------------------------------------------


def test_custom_policy_matches_aws_documented_positions(alice):
    policy = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
        '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
    )
    entries = [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}]
    params = {"PolicyInputList": [policy], "ActionNames": ["dynamodb:CreateBackup"], "ContextEntries": entries}
    evaluation = ok(alice, "SimulateCustomPolicy", params)["EvaluationResults"][0]
    # The AWS CLI's simulate-custom-policy example, verbatim.
    assert evaluation["EvalDecision"] == "allowed"
    assert evaluation["MatchedStatements"] == [
        {
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "none",
            "StartPosition": {"Line": 1, "Column": 38},
            "EndPosition": {"Line": 1, "Column": 167},
        }
    ]
    entries[0]["ContextKeyValues"] = ["2014-04-25T11:00:00Z"]
    assert ok(alice, "SimulateCustomPolicy", params)["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_custom_policy_positions_in_pretty_printed_text(alice):
    policy = json.dumps(json.loads(ALLOW_ALL), indent=4)
    evaluation = ok(alice, "SimulateCustomPolicy", {"PolicyInputList": [policy], "ActionNames": ["ec2:RunInstances"]})
    statement = evaluation["EvaluationResults"][0]["MatchedStatements"][0]
    assert statement["StartPosition"] == {"Line": 4, "Column": 10}
    assert statement["EndPosition"] == {"Line": 8, "Column": 10}


def test_malformed_custom_policy(alice):
    error = fails(alice, "SimulateCustomPolicy", {"PolicyInputList": ['{"Version": '], "ActionNames": ["s3:GetObject"]}, "MalformedPolicyDocument")
    assert error.message == "Syntax errors in policy."
    no_action = document({"Effect": "Allow", "Resource": "*"})
    fails(alice, "SimulateCustomPolicy", {"PolicyInputList": [no_action], "ActionNames": ["s3:GetObject"]}, "MalformedPolicyDocument")


def test_custom_policy_with_boundary(alice):
    params = {
        "PolicyInputList": [ALLOW_ALL],
        "PermissionsBoundaryPolicyInputList": [ALLOW_S3],
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
    }
    result = ok(alice, "SimulateCustomPolicy", params)
    assert decisions(result) == {("s3:GetObject", "*"): "allowed", ("s3:PutObject", "*"): "implicitDeny"}


def test_bad_context_key_type_is_validation_error(alice):
    entries = [{"ContextKeyName": "aws:username", "ContextKeyValues": ["x"], "ContextKeyType": "text"}]
    error = fails(
        alice, "SimulateCustomPolicy", {"PolicyInputList": [ALLOW_ALL], "ActionNames": ["s3:GetObject"], "ContextEntries": entries}, "ValidationError"
    )
    assert "contextEntries.1.member.contextKeyType" in error.message


def test_action_without_service_is_invalid_input(alice):
    fails(alice, "SimulateCustomPolicy", {"PolicyInputList": [ALLOW_ALL], "ActionNames": ["GetObject"]}, "InvalidInput")


def test_iam_user_without_permission_cannot_simulate_custom_policy(bob_ctx):
    error = fails(bob_ctx, "SimulateCustomPolicy", {"PolicyInputList": [ALLOW_ALL], "ActionNames": ["s3:GetObject"]}, "AccessDenied")
    assert "iam:SimulateCustomPolicy on resource: *" in error.message
