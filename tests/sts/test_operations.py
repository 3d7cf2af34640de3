"""STS through the dispatcher: caller identity, session tokens, roles assumed by trust."""

import json
import re
from datetime import timedelta

import pytest

from awsapi.context import RequestContext
from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied, AWSError, ValidationError
from iam.principals import role_session_principal
from sts.models import Session
from sts.operations import token_digest
from tests.iam.helpers import document
from trail.models import Event

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/admin"


def trust(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return document(statement)


@pytest.fixture
def admin_role(alice):
    def make(trust_policy, max_session_duration=3600):
        dispatch(alice, "iam:CreateRole", {
            "RoleName": "admin", "AssumeRolePolicyDocument": trust_policy, "MaxSessionDuration": max_session_duration,
        })
        dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "admin", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    return make


def role_ctx(result):
    session = Session.objects.select_related("role__account", "account").get(
        access_key_id=result["Credentials"]["AccessKeyId"]
    )
    return RequestContext(
        principal=role_session_principal(session), source_ip="198.51.100.7", user_agent="aws-cli",
        session_issued=session.create_date, access_key_id=session.access_key_id, via_console=False,
    )


# --- GetCallerIdentity ---------------------------------------------------------------


def test_caller_identity_of_root_and_users(alice, bob_ctx, bob):
    assert dispatch(alice, "sts:GetCallerIdentity") == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    assert dispatch(bob_ctx, "sts:GetCallerIdentity") == {"UserId": bob.user_id, "Account": ACCOUNT, "Arn": BOB}


def test_caller_identity_needs_no_permission_even_under_explicit_deny(alice, bob_ctx):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "DenyAll",
              "PolicyDocument": document({"Effect": "Deny", "Action": "*", "Resource": "*"})})
    assert dispatch(bob_ctx, "sts:GetCallerIdentity")["Arn"] == BOB
    event = Event.objects.filter(event_name="GetCallerIdentity").get()
    assert (event.event_source, event.read_only, event.error_code) == ("sts.amazonaws.com", True, "")


# --- GetSessionToken -----------------------------------------------------------------


def test_session_token_for_a_user_lasts_twelve_hours_by_default(bob_ctx, frozen_clock):
    credentials = dispatch(bob_ctx, "sts:GetSessionToken")["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    assert credentials["Expiration"] == frozen_clock.current + timedelta(hours=12)
    session = Session.objects.get()
    assert session.secret_access_key() == credentials["SecretAccessKey"]
    assert session.session_token_sha256 == token_digest(credentials["SessionToken"])
    text = json.dumps([e.as_record() for e in Event.objects.all()], default=str)
    assert credentials["SecretAccessKey"] not in text and credentials["SessionToken"] not in text


def test_root_session_tokens_last_at_most_an_hour(alice, frozen_clock):
    credentials = dispatch(alice, "sts:GetSessionToken", {"DurationSeconds": 7200})["Credentials"]
    assert credentials["Expiration"] == frozen_clock.current + timedelta(hours=1)


@pytest.mark.parametrize("seconds", [899, 129601])
def test_session_token_duration_out_of_range(bob_ctx, seconds):
    with pytest.raises(ValidationError):
        dispatch(bob_ctx, "sts:GetSessionToken", {"DurationSeconds": seconds})


# --- AssumeRole ----------------------------------------------------------------------


def test_a_trust_policy_naming_the_user_lets_them_assume_the_role(bob_ctx, admin_role, frozen_clock):
    admin_role(trust(BOB))
    result = dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "bob-admin"})
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/bob-admin"
    assert result["Credentials"]["Expiration"] == frozen_clock.current + timedelta(hours=1)
    ctx = role_ctx(result)
    identity = dispatch(ctx, "sts:GetCallerIdentity")
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/bob-admin"
    assert identity["UserId"].endswith(":bob-admin") and identity["UserId"].startswith("AROA")


def test_role_session_has_the_roles_permissions(bob_ctx, admin_role):
    admin_role(trust(BOB))
    ctx = role_ctx(dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"}))
    assert dispatch(ctx, "iam:ListUsers")["Users"]
    with pytest.raises(AccessDenied) as denied:
        dispatch(ctx, "iam:CreateUser", {"UserName": "eve"})
    assert denied.value.message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/admin/s1 is not authorized to perform: iam:CreateUser"
    )
    event = Event.objects.filter(event_name="CreateUser").get()
    issuer = event.user_identity["sessionContext"]["sessionIssuer"]
    assert (event.user_identity["type"], issuer["arn"], issuer["userName"]) == ("AssumedRole", ROLE, "admin")


def test_a_session_policy_narrows_the_role(bob_ctx, admin_role):
    admin_role(trust(BOB))
    narrow = document({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"})
    ctx = role_ctx(dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "Policy": narrow}))
    with pytest.raises(AccessDenied) as denied:
        dispatch(ctx, "iam:ListUsers")
    assert denied.value.message.endswith("because no session policy allows the iam:ListUsers action")
    assert dispatch(ctx, "iam:GetUser", {"UserName": "bob"})


def test_a_trust_policy_that_does_not_name_the_caller_refuses(bob_ctx, admin_role):
    admin_role(trust(f"arn:aws:iam::{ACCOUNT}:user/someone-else"))
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})
    assert denied.value.message == f"User: {BOB} is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
    assert not Session.objects.exists()
    assert Event.objects.get(event_name="AssumeRole").error_code == "AccessDenied"


def test_trusting_the_account_needs_an_identity_policy_too(alice, bob_ctx, admin_role):
    admin_role(trust(f"arn:aws:iam::{ACCOUNT}:root"))
    with pytest.raises(AccessDenied) as denied:
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})
    assert denied.value.message.endswith("because no identity-based policy allows the sts:AssumeRole action")
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "Assume",
              "PolicyDocument": document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE})})
    assert dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})["Credentials"]


def test_external_id_condition(bob_ctx, admin_role):
    admin_role(trust(BOB, {"StringEquals": {"sts:ExternalId": "class-2026"}}))
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "ExternalId": "wrong-id"})
    assert dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "ExternalId": "class-2026"})


def test_mfa_condition_refuses_a_session_without_mfa(bob_ctx, admin_role):
    admin_role(trust(BOB, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})


def test_duration_above_the_roles_maximum_is_refused(bob_ctx, admin_role):
    admin_role(trust(BOB), max_session_duration=3600)
    with pytest.raises(ValidationError) as error:
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "DurationSeconds": 7200})
    assert error.value.message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


@pytest.mark.parametrize("name", ["x", "bad name", "a" * 65])
def test_bad_session_names_are_validation_errors(bob_ctx, admin_role, name):
    admin_role(trust(BOB))
    with pytest.raises(ValidationError):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": name})


def test_root_may_not_assume_roles(alice, admin_role):
    admin_role(trust(f"arn:aws:iam::{ACCOUNT}:root"))
    with pytest.raises(AccessDenied) as denied:
        dispatch(alice, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1"})
    assert denied.value.message == "Roles may not be assumed by root accounts."


def test_an_unknown_role_is_access_denied(bob_ctx, alice):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "Assume",
              "PolicyDocument": document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})})
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/nope", "RoleSessionName": "s1"})


def test_role_chaining_is_limited_to_an_hour(bob_ctx, admin_role, alice):
    admin_role(trust(BOB), max_session_duration=43200)
    ctx = role_ctx(dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s1", "DurationSeconds": 7200}))
    dispatch(alice, "iam:UpdateAssumeRolePolicy", {"RoleName": "admin",
              "PolicyDocument": trust([BOB, f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/s1"])})
    dispatch(alice, "iam:PutRolePolicy", {"RoleName": "admin", "PolicyName": "Assume",
              "PolicyDocument": document({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE})})
    with pytest.raises(ValidationError):
        dispatch(ctx, "sts:AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s2", "DurationSeconds": 7200})


def test_access_key_info_names_the_keys_account(alice, bob):
    key_id = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]["AccessKeyId"]
    assert dispatch(alice, "sts:GetAccessKeyInfo", {"AccessKeyId": key_id}) == {"Account": ACCOUNT}
    with pytest.raises(AWSError):
        dispatch(alice, "sts:GetAccessKeyInfo", {"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"})


def test_session_tags_are_principal_tags_and_the_session_is_read_once(bob_ctx, admin_role, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_role(trust(BOB))
    dispatch(alice, "iam:UpdateAssumeRolePolicy", {"RoleName": "admin", "PolicyDocument": document({
        "Effect": "Allow", "Principal": {"AWS": BOB}, "Action": ["sts:AssumeRole", "sts:TagSession"]})})
    dispatch(alice, "iam:PutRolePolicy", {"RoleName": "admin", "PolicyName": "TeamOnly", "PolicyDocument": document({
        "Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}}})})
    blue = role_ctx(dispatch(bob_ctx, "sts:AssumeRole", {
        "RoleArn": ROLE, "RoleSessionName": "s1", "Tags": [{"Key": "team", "Value": "blue"}]}))
    red = role_ctx(dispatch(bob_ctx, "sts:AssumeRole", {
        "RoleArn": ROLE, "RoleSessionName": "s2", "Tags": [{"Key": "team", "Value": "red"}]}))
    with CaptureQueriesContext(connection) as captured:
        assert dispatch(blue, "iam:ListUsers")["Users"]
    assert sum("sts_session" in q["sql"] for q in captured.captured_queries) == 1
    with pytest.raises(AccessDenied):
        dispatch(red, "iam:ListUsers")
