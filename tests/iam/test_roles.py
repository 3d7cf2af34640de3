"""Roles through the dispatcher: trust policies, updates, deletion, tags, isolation."""

import pytest

from iam import operations
from iam.models import Role
from tests.conftest import ALICE_ACCOUNT
from tests.iam.helpers import ALLOW_S3_READ, TRUST_ACCOUNT, TRUST_EC2, arn, decoded, denied_message, fails, ok

APP = arn("role", "app")

DENIED_CASES = {
    "CreateRole": ({"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2}, APP),
    "DeleteRole": ({"RoleName": "app"}, APP),
    "GetRole": ({"RoleName": "app"}, APP),
    "ListRoleTags": ({"RoleName": "app"}, APP),
    "ListRoles": ({}, f"arn:aws:iam::{ALICE_ACCOUNT}:role/"),
    "TagRole": ({"RoleName": "app", "Tags": [{"Key": "k", "Value": "v"}]}, APP),
    "UntagRole": ({"RoleName": "app", "TagKeys": ["k"]}, APP),
    "UpdateAssumeRolePolicy": ({"RoleName": "app", "PolicyDocument": TRUST_ACCOUNT}, APP),
    "UpdateRole": ({"RoleName": "app", "Description": "x"}, APP),
}


@pytest.fixture
def app(alice):
    ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2})
    return Role.objects.get(role_name="app")


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


def test_denied_calls_change_nothing(bob_ctx, app):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    app.refresh_from_db()
    assert app.description == "" and app.assume_role_policy_document == TRUST_EC2


def test_denied_role_action_names_the_roles_path(bob_ctx, alice):
    ok(alice, "CreateRole", {"RoleName": "svc", "Path": "/service/", "AssumeRolePolicyDocument": TRUST_EC2})
    fails(bob_ctx, "GetRole", {"RoleName": "svc"}, "AccessDenied",
          denied_message("GetRole", arn("role", "svc", "/service/")))


# --- CreateRole ----------------------------------------------------------------------------


def test_create_role_returns_aws_shape(frozen_clock, alice):
    outcome = ok(alice, "CreateRole", {
        "RoleName": "app", "Path": "/service/", "AssumeRolePolicyDocument": TRUST_EC2, "Description": "web app",
        "MaxSessionDuration": 7200, "Tags": [{"Key": "env", "Value": "lab"}],
    })
    role = outcome.result["Role"]
    assert role["Arn"] == arn("role", "app", "/service/")
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert decoded(role["AssumeRolePolicyDocument"]) == decoded(TRUST_EC2)
    assert role["Description"] == "web app"
    assert role["MaxSessionDuration"] == 7200
    assert role["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert role["CreateDate"] == frozen_clock.current
    assert outcome.event.response_elements["role"]["roleName"] == "app"


def test_create_role_defaults_to_one_hour_sessions(alice, app):
    assert app.max_session_duration == 3600


def test_create_role_twice_already_exists(alice, app):
    fails(alice, "CreateRole", {"RoleName": "APP", "AssumeRolePolicyDocument": TRUST_EC2}, "EntityAlreadyExists",
          "Role with name APP already exists.")


def test_create_role_with_identity_policy_as_trust_is_malformed(alice):
    fails(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": ALLOW_S3_READ},
          "MalformedPolicyDocument")
    assert not Role.objects.exists()


@pytest.mark.parametrize("duration, failure", [
    (3599, "Member must have value greater than or equal to 3600"),
    (43201, "Member must have value less than or equal to 43200"),
])
def test_create_role_validates_max_session_duration(alice, duration, failure):
    outcome = fails(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2,
                                          "MaxSessionDuration": duration}, "ValidationError")
    assert f"Value '{duration}' at 'maxSessionDuration' failed to satisfy constraint: {failure}" in outcome.error.message


def test_create_role_validates_name(alice):
    outcome = fails(alice, "CreateRole", {"RoleName": "r" * 65, "AssumeRolePolicyDocument": TRUST_EC2},
                    "ValidationError")
    assert "at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64" in (
        outcome.error.message)


def test_create_role_without_trust_policy_is_validation_error(alice):
    fails(alice, "CreateRole", {"RoleName": "app"}, "ValidationError",
          "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: "
          "Member must not be null")


def test_create_role_beyond_quota_is_limit_exceeded(monkeypatch, alice, app):
    monkeypatch.setattr(operations, "ROLES_PER_ACCOUNT", 1)
    fails(alice, "CreateRole", {"RoleName": "other", "AssumeRolePolicyDocument": TRUST_EC2}, "LimitExceeded",
          "Cannot exceed quota for RolesPerAccount: 1")


def test_create_role_with_boundary(alice):
    role = ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2,
                                    "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}).result["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"


# --- GetRole, ListRoles ------------------------------------------------------------------------


def test_get_role(alice, app):
    role = ok(alice, "GetRole", {"RoleName": "App"}).result["Role"]
    assert role["RoleName"] == "app"
    assert decoded(role["AssumeRolePolicyDocument"]) == decoded(TRUST_EC2)


def test_get_unknown_role_is_no_such_entity(alice):
    fails(alice, "GetRole", {"RoleName": "nope"}, "NoSuchEntity", "The role with name nope cannot be found.")


def test_list_roles_by_path_prefix(alice, app):
    ok(alice, "CreateRole", {"RoleName": "svc", "Path": "/service/", "AssumeRolePolicyDocument": TRUST_EC2})
    assert [r["RoleName"] for r in ok(alice, "ListRoles").result["Roles"]] == ["app", "svc"]
    assert [r["RoleName"] for r in ok(alice, "ListRoles", {"PathPrefix": "/service/"}).result["Roles"]] == ["svc"]


# --- updates ---------------------------------------------------------------------------------


def test_update_role_description_and_duration(alice, app):
    ok(alice, "UpdateRole", {"RoleName": "app", "Description": "new", "MaxSessionDuration": 43200})
    app.refresh_from_db()
    assert (app.description, app.max_session_duration) == ("new", 43200)


def test_update_role_rejects_duration_out_of_range(alice, app):
    fails(alice, "UpdateRole", {"RoleName": "app", "MaxSessionDuration": 100}, "ValidationError")


def test_update_assume_role_policy(alice, app):
    ok(alice, "UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": TRUST_ACCOUNT})
    app.refresh_from_db()
    assert app.assume_role_policy_document == TRUST_ACCOUNT


def test_update_assume_role_policy_with_malformed_document_changes_nothing(alice, app):
    fails(alice, "UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": "{"}, "MalformedPolicyDocument")
    app.refresh_from_db()
    assert app.assume_role_policy_document == TRUST_EC2


# --- DeleteRole, tags --------------------------------------------------------------------------


def test_delete_role(alice, app):
    ok(alice, "DeleteRole", {"RoleName": "app"})
    assert not Role.objects.exists()


def test_delete_role_with_inline_policy_is_delete_conflict(alice, app):
    ok(alice, "PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    fails(alice, "DeleteRole", {"RoleName": "app"}, "DeleteConflict", "Cannot delete entity, must delete policies first.")


def test_delete_role_with_attached_policy_is_delete_conflict(alice, app):
    ok(alice, "AttachRolePolicy", {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    fails(alice, "DeleteRole", {"RoleName": "app"}, "DeleteConflict",
          "Cannot delete entity, must detach all policies first.")


def test_role_inline_and_attached_policies(alice, app):
    ok(alice, "PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    got = ok(alice, "GetRolePolicy", {"RoleName": "app", "PolicyName": "p"}).result
    assert got["RoleName"] == "app" and decoded(got["PolicyDocument"]) == decoded(ALLOW_S3_READ)
    assert ok(alice, "ListRolePolicies", {"RoleName": "app"}).result["PolicyNames"] == ["p"]
    ok(alice, "DeleteRolePolicy", {"RoleName": "app", "PolicyName": "p"})
    ok(alice, "AttachRolePolicy", {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert len(ok(alice, "ListAttachedRolePolicies", {"RoleName": "app"}).result["AttachedPolicies"]) == 1
    ok(alice, "DetachRolePolicy", {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    ok(alice, "DeleteRole", {"RoleName": "app"})


def test_role_permissions_boundary(alice, app):
    ok(alice, "PutRolePermissionsBoundary", {"RoleName": "app", "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert "PermissionsBoundary" in ok(alice, "GetRole", {"RoleName": "app"}).result["Role"]
    ok(alice, "DeleteRolePermissionsBoundary", {"RoleName": "app"})
    assert "PermissionsBoundary" not in ok(alice, "GetRole", {"RoleName": "app"}).result["Role"]


def test_tag_untag_and_list_role_tags(alice, app):
    ok(alice, "TagRole", {"RoleName": "app", "Tags": [{"Key": "env", "Value": "lab"}]})
    assert ok(alice, "ListRoleTags", {"RoleName": "app"}).result["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert ok(alice, "GetRole", {"RoleName": "app"}).result["Role"]["Tags"] == [{"Key": "env", "Value": "lab"}]
    ok(alice, "UntagRole", {"RoleName": "app", "TagKeys": ["env"]})
    assert ok(alice, "ListRoleTags", {"RoleName": "app"}).result["Tags"] == []


# --- another account ------------------------------------------------------------------------------


@pytest.mark.parametrize("action, params", [
    ("GetRole", {"RoleName": "app"}),
    ("UpdateRole", {"RoleName": "app", "Description": "x"}),
    ("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": TRUST_ACCOUNT}),
    ("DeleteRole", {"RoleName": "app"}),
    ("TagRole", {"RoleName": "app", "Tags": [{"Key": "k", "Value": "v"}]}),
    ("PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ}),
])
def test_other_root_cannot_see_or_touch_alices_roles(action, params, charlie, app):
    fails(charlie, action, params, "NoSuchEntity", "The role with name app cannot be found.")
    app.refresh_from_db()
    assert app.description == ""


def test_other_root_lists_only_its_roles(charlie, app):
    assert ok(charlie, "ListRoles").result["Roles"] == []


def test_denied_list_roles_names_the_path_prefix(bob_ctx):
    fails(bob_ctx, "ListRoles", {"PathPrefix": "/service/"}, "AccessDenied",
          denied_message("ListRoles", arn("role", "", "/service/")))
