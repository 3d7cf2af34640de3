"""Authorization of every call by AWS's policy evaluation logic over the caller's policies."""

import json
from datetime import datetime, timezone

import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from iam.models import PasswordPolicy
from iam.principals import user_principal
from tests.conftest import context_for
from tests.console.helpers import iam_sign_in
from trail.models import Event

pytestmark = pytest.mark.django_db

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
BOB = "arn:aws:iam::111122223333:user/bob"


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def bob_context(bob, **kwargs):
    kwargs.setdefault("session_issued", datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc))
    return context_for(user_principal(bob), **kwargs)


def denied_message(bob_ctx_, action, params):
    with pytest.raises(AccessDenied) as caught:
        dispatch(bob_ctx_, action, params)
    return caught.value.message


def test_a_user_with_read_only_access_can_list_but_not_create(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY})
    ctx = bob_context(bob)
    users = dispatch(ctx, "iam:ListUsers", {})["Users"]
    assert [u["UserName"] for u in users] == ["bob"]
    message = denied_message(ctx, "iam:CreateUser", {"UserName": "eve"})
    assert message == (
        f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: "
        "arn:aws:iam::111122223333:user/eve because no identity-based policy allows the iam:CreateUser action"
    )
    assert Event.objects.filter(event_name="CreateUser", error_code="AccessDenied").count() == 1


def test_group_policies_apply_to_members(alice, bob):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "admins"})
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": ADMIN})
    ctx = bob_context(bob)
    with pytest.raises(AccessDenied):
        dispatch(ctx, "iam:CreateUser", {"UserName": "eve"})
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    assert dispatch(ctx, "iam:CreateUser", {"UserName": "eve"})["User"]["UserName"] == "eve"


def test_explicit_deny_wins_over_administrator_access(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": ADMIN})
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "NoUsers",
        "PolicyDocument": document({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}),
    })
    message = denied_message(bob_context(bob), "iam:CreateUser", {"UserName": "eve"})
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_permissions_boundary_limits_an_administrator(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": ADMIN})
    dispatch(alice, "iam:PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": READ_ONLY})
    ctx = bob_context(bob)
    assert dispatch(ctx, "iam:ListUsers", {})["Users"]
    message = denied_message(ctx, "iam:CreateUser", {"UserName": "eve"})
    assert message.endswith("because no permissions boundary allows the iam:CreateUser action")


def test_policy_variables_scope_a_user_to_their_own_user(alice, bob):
    from tests.conftest import make_user

    make_user(bob.account, "carol")
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "Self",
        "PolicyDocument": document(
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}
        ),
    })
    ctx = bob_context(bob)
    assert dispatch(ctx, "iam:GetUser", {"UserName": "bob"})["User"]["UserName"] == "bob"
    with pytest.raises(AccessDenied):
        dispatch(ctx, "iam:GetUser", {"UserName": "carol"})


def test_source_ip_condition_uses_the_callers_address(alice, bob):
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "Office",
        "PolicyDocument": document({
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }),
    })
    assert dispatch(bob_context(bob, source_ip="203.0.113.50"), "iam:ListUsers", {})
    with pytest.raises(AccessDenied):
        dispatch(bob_context(bob, source_ip="198.51.100.7"), "iam:ListUsers", {})


def test_mfa_condition_denies_a_console_session_without_mfa(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": ADMIN})
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "RequireMFA",
        "PolicyDocument": document({
            "Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }),
    })
    with pytest.raises(AccessDenied):
        dispatch(bob_context(bob), "iam:ListUsers", {})
    assert dispatch(bob_context(bob, mfa_authenticated=True), "iam:ListUsers", {})


def test_principal_tags_are_condition_keys(alice, bob):
    dispatch(alice, "iam:TagUser", {"UserName": "bob", "Tags": [{"Key": "team", "Value": "blue"}]})
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "Team",
        "PolicyDocument": document({
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
        }),
    })
    assert dispatch(bob_context(bob), "iam:ListUsers", {})
    dispatch(alice, "iam:TagUser", {"UserName": "bob", "Tags": [{"Key": "team", "Value": "red"}]})
    with pytest.raises(AccessDenied):
        dispatch(bob_context(bob), "iam:ListUsers", {})


def test_allow_users_to_change_password_is_an_identity_grant_an_explicit_deny_overrides(alice, bob):
    PasswordPolicy.objects.create(account=bob.account, allow_users_to_change_password=True)
    ctx = bob_context(bob)
    assert dispatch(ctx, "iam:GetAccountPasswordPolicy", {})
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "NoChange",
        "PolicyDocument": document({"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}),
    })
    message = denied_message(ctx, "iam:ChangePassword", {"OldPassword": "a", "NewPassword": "b"})
    assert "with an explicit deny in an identity-based policy" in message


def test_forced_password_change_is_allowed_whatever_the_policies(alice, bob):
    dispatch(alice, "iam:PutUserPolicy", {
        "UserName": "bob", "PolicyName": "NoChange",
        "PolicyDocument": document({"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}),
    })
    ctx = bob_context(bob, password_change_required=True)
    dispatch(ctx, "iam:ChangePassword", {"OldPassword": "Bob-console-Passw0rd!", "NewPassword": "Bob-Newer-Passw0rd!"})
    assert Event.objects.filter(event_name="ChangePassword", error_code="").count() == 1


def test_iam_user_with_read_only_access_sees_users_but_create_user_shows_aws_message(alice, bob):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY})
    browser = Client()
    assert iam_sign_in(browser).status_code == 302
    assert ">bob</a>" in browser.get("/iam/users").content.decode()
    response = browser.post("/iam/users/create", {"user_name": "eve", "path": "/", "password_type": "autogenerated"})
    assert response.status_code == 400
    assert (
        f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: "
        "arn:aws:iam::111122223333:user/eve because no identity-based policy allows the iam:CreateUser action"
    ) in response.content.decode()


def test_no_one_reaches_another_accounts_users(charlie, bob):
    users = dispatch(charlie, "iam:ListUsers", {})["Users"]
    assert users == []
    from awsapi.errors import NoSuchEntity

    with pytest.raises(NoSuchEntity):
        dispatch(charlie, "iam:GetUser", {"UserName": "bob"})
