"""Managed policies and versions, attached and inline policies, permissions boundaries."""

import pytest

from awsapi.registry import REGISTRY
from iam import operations
from iam.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion, User
from tests.conftest import ALICE_ACCOUNT, make_user
from tests.iam import (
    test_access_keys,
    test_account_summary,
    test_groups,
    test_instance_profiles,
    test_mfa_operations,
    test_operations,
    test_roles,
    test_simulate,
    test_users,
)
from tests.iam.helpers import ALLOW_IAM_READ, ALLOW_S3_READ, arn, decoded, denied_message, document, fails, ok

POLICY = arn("policy", "S3Read")
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
USER = arn("user", "bob")
GROUP = arn("group", "admins")
ROLE = arn("role", "app")

DENIED_CASES = {
    "AttachGroupPolicy": ({"GroupName": "admins", "PolicyArn": POLICY}, GROUP),
    "AttachRolePolicy": ({"RoleName": "app", "PolicyArn": POLICY}, ROLE),
    "AttachUserPolicy": ({"UserName": "bob", "PolicyArn": POLICY}, USER),
    "CreatePolicy": ({"PolicyName": "S3Read", "PolicyDocument": ALLOW_S3_READ}, POLICY),
    "CreatePolicyVersion": ({"PolicyArn": POLICY, "PolicyDocument": ALLOW_S3_READ}, POLICY),
    "DeleteGroupPolicy": ({"GroupName": "admins", "PolicyName": "p"}, GROUP),
    "DeletePolicy": ({"PolicyArn": POLICY}, POLICY),
    "DeletePolicyVersion": ({"PolicyArn": POLICY, "VersionId": "v1"}, POLICY),
    "DeleteRolePermissionsBoundary": ({"RoleName": "app"}, ROLE),
    "DeleteRolePolicy": ({"RoleName": "app", "PolicyName": "p"}, ROLE),
    "DeleteUserPermissionsBoundary": ({"UserName": "bob"}, USER),
    "DeleteUserPolicy": ({"UserName": "bob", "PolicyName": "p"}, USER),
    "DetachGroupPolicy": ({"GroupName": "admins", "PolicyArn": POLICY}, GROUP),
    "DetachRolePolicy": ({"RoleName": "app", "PolicyArn": POLICY}, ROLE),
    "DetachUserPolicy": ({"UserName": "bob", "PolicyArn": POLICY}, USER),
    "GetGroupPolicy": ({"GroupName": "admins", "PolicyName": "p"}, GROUP),
    "GetPolicy": ({"PolicyArn": POLICY}, POLICY),
    "GetPolicyVersion": ({"PolicyArn": POLICY, "VersionId": "v1"}, POLICY),
    "GetRolePolicy": ({"RoleName": "app", "PolicyName": "p"}, ROLE),
    "GetUserPolicy": ({"UserName": "bob", "PolicyName": "p"}, USER),
    "ListAttachedGroupPolicies": ({"GroupName": "admins"}, GROUP),
    "ListAttachedRolePolicies": ({"RoleName": "app"}, ROLE),
    "ListAttachedUserPolicies": ({"UserName": "bob"}, USER),
    "ListEntitiesForPolicy": ({"PolicyArn": POLICY}, POLICY),
    "ListGroupPolicies": ({"GroupName": "admins"}, GROUP),
    "ListPolicies": ({}, f"arn:aws:iam::{ALICE_ACCOUNT}:policy/"),
    "ListPolicyTags": ({"PolicyArn": POLICY}, POLICY),
    "ListPolicyVersions": ({"PolicyArn": POLICY}, POLICY),
    "ListRolePolicies": ({"RoleName": "app"}, ROLE),
    "ListUserPolicies": ({"UserName": "bob"}, USER),
    "PutGroupPolicy": ({"GroupName": "admins", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ}, GROUP),
    "PutRolePermissionsBoundary": ({"RoleName": "app", "PermissionsBoundary": POLICY}, ROLE),
    "PutRolePolicy": ({"RoleName": "app", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ}, ROLE),
    "PutUserPermissionsBoundary": ({"UserName": "bob", "PermissionsBoundary": POLICY}, USER),
    "PutUserPolicy": ({"UserName": "bob", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ}, USER),
    "SetDefaultPolicyVersion": ({"PolicyArn": POLICY, "VersionId": "v1"}, POLICY),
    "TagPolicy": ({"PolicyArn": POLICY, "Tags": [{"Key": "k", "Value": "v"}]}, POLICY),
    "UntagPolicy": ({"PolicyArn": POLICY, "TagKeys": ["k"]}, POLICY),
}


def test_every_registered_action_has_a_denied_case():
    covered = set()
    for module_cases in (
        test_operations.DENIED_CASES, test_users.DENIED_CASES, test_groups.DENIED_CASES,
        test_roles.DENIED_CASES, test_simulate.DENIED_CASES, test_access_keys.DENIED_CASES, DENIED_CASES,
        test_instance_profiles.DENIED_CASES, test_account_summary.DENIED_CASES, test_mfa_operations.DENIED_CASES,
    ):
        assert not covered & set(module_cases)
        covered |= set(module_cases)
    assert covered == set(REGISTRY["iam"])


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


@pytest.fixture
def s3read(alice):
    ok(alice, "CreatePolicy", {"PolicyName": "S3Read", "PolicyDocument": ALLOW_S3_READ, "Description": "read S3"})
    return ManagedPolicy.objects.get(arn=POLICY)


@pytest.fixture
def admins(alice):
    ok(alice, "CreateGroup", {"GroupName": "admins"})


def test_denied_calls_change_nothing(bob_ctx, alice, s3read):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    assert s3read.versions.count() == 1
    assert not PolicyAttachment.objects.exists()
    assert not InlinePolicy.objects.exists()


# --- CreatePolicy, GetPolicy ------------------------------------------------------------------


def test_create_policy_returns_aws_shape(frozen_clock, alice):
    outcome = ok(alice, "CreatePolicy", {
        "PolicyName": "S3Read", "Path": "/team/", "PolicyDocument": ALLOW_S3_READ, "Description": "read",
        "Tags": [{"Key": "team", "Value": "red"}],
    })
    policy = outcome.result["Policy"]
    assert policy["Arn"] == arn("policy", "S3Read", "/team/")
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0
    assert policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True
    assert policy["Description"] == "read"
    assert policy["Tags"] == [{"Key": "team", "Value": "red"}]
    assert policy["CreateDate"] == policy["UpdateDate"] == frozen_clock.current
    assert outcome.event.request_parameters["policyDocument"] == ALLOW_S3_READ


def test_create_policy_twice_already_exists(alice, s3read):
    fails(alice, "CreatePolicy", {"PolicyName": "s3read", "PolicyDocument": ALLOW_S3_READ}, "EntityAlreadyExists",
          "A policy called s3read already exists. Duplicate names are not allowed.")


def test_create_policy_with_malformed_document_is_malformed_policy_document(alice):
    outcome = fails(alice, "CreatePolicy", {"PolicyName": "Bad", "PolicyDocument": "{not json"},
                    "MalformedPolicyDocument")
    assert outcome.error.status == 400
    assert not ManagedPolicy.objects.filter(policy_name="Bad").exists()


def test_create_policy_over_the_size_quota_is_limit_exceeded(alice):
    huge = document({"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(600)], "Resource": "*"})
    fails(alice, "CreatePolicy", {"PolicyName": "Huge", "PolicyDocument": huge}, "LimitExceeded")
    assert not ManagedPolicy.objects.filter(policy_name="Huge").exists()


def test_create_policy_validates_name_and_path(alice):
    outcome = fails(alice, "CreatePolicy", {"PolicyName": "bad name", "Path": "x", "PolicyDocument": ALLOW_S3_READ},
                    "ValidationError")
    assert outcome.error.message.startswith("2 validation errors detected")


def test_create_policy_beyond_quota_is_limit_exceeded(monkeypatch, alice, s3read):
    monkeypatch.setattr(operations, "POLICIES_PER_ACCOUNT", 1)
    fails(alice, "CreatePolicy", {"PolicyName": "Other", "PolicyDocument": ALLOW_S3_READ}, "LimitExceeded",
          "Cannot exceed quota for PoliciesPerAccount: 1")


def test_get_policy(alice, s3read):
    policy = ok(alice, "GetPolicy", {"PolicyArn": POLICY}).result["Policy"]
    assert policy["PolicyName"] == "S3Read"
    assert policy["Description"] == "read S3"


def test_get_unknown_policy_is_no_such_entity(alice):
    fails(alice, "GetPolicy", {"PolicyArn": arn("policy", "Nope")}, "NoSuchEntity",
          f"Policy arn:aws:iam::{ALICE_ACCOUNT}:policy/Nope was not found.")


def test_get_aws_managed_policy(alice):
    policy = ok(alice, "GetPolicy", {"PolicyArn": READ_ONLY_ACCESS}).result["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    assert policy["Arn"] == READ_ONLY_ACCESS


# --- ListPolicies -------------------------------------------------------------------------------


def test_list_policies_local_scope_lists_only_customer_policies(alice, s3read):
    policies = ok(alice, "ListPolicies", {"Scope": "Local"}).result["Policies"]
    assert [p["PolicyName"] for p in policies] == ["S3Read"]
    assert "Description" not in policies[0]


def test_list_policies_aws_scope_lists_aws_managed_policies(alice, s3read):
    names = [p["PolicyName"] for p in ok(alice, "ListPolicies", {"Scope": "AWS", "MaxItems": 1000}).result["Policies"]]
    assert "AdministratorAccess" in names and "S3Read" not in names


def test_list_policies_only_attached(alice, s3read, bob):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY_ACCESS})
    policies = ok(alice, "ListPolicies", {"OnlyAttached": True}).result["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in policies] == [("ReadOnlyAccess", 1)]


def test_list_policies_pages(alice, s3read):
    first = ok(alice, "ListPolicies", {"MaxItems": 5}).result
    assert len(first["Policies"]) == 5 and first["IsTruncated"]
    second = ok(alice, "ListPolicies", {"MaxItems": 5, "Marker": first["Marker"]}).result
    assert not {p["Arn"] for p in first["Policies"]} & {p["Arn"] for p in second["Policies"]}


def test_list_policies_refuses_unknown_scope(alice):
    fails(alice, "ListPolicies", {"Scope": "Mine"}, "ValidationError",
          "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: "
          "Member must satisfy enum value set: [All, AWS, Local]")


def test_attachment_count_of_aws_policy_is_per_account(alice, charlie, bob):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY_ACCESS})
    assert ok(charlie, "GetPolicy", {"PolicyArn": READ_ONLY_ACCESS}).result["Policy"]["AttachmentCount"] == 0
    assert ok(alice, "GetPolicy", {"PolicyArn": READ_ONLY_ACCESS}).result["Policy"]["AttachmentCount"] == 1


# --- versions ------------------------------------------------------------------------------------


def test_create_policy_version_and_set_default(alice, s3read):
    version = ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ,
                                                "SetAsDefault": True}).result["PolicyVersion"]
    assert version["VersionId"] == "v2" and version["IsDefaultVersion"] is True
    assert "Document" not in version
    assert ok(alice, "GetPolicy", {"PolicyArn": POLICY}).result["Policy"]["DefaultVersionId"] == "v2"
    got = ok(alice, "GetPolicyVersion", {"PolicyArn": POLICY, "VersionId": "v2"}).result["PolicyVersion"]
    assert decoded(got["Document"]) == decoded(ALLOW_IAM_READ)
    assert got["Document"].startswith("%7B")


def test_new_version_is_not_default_unless_asked(alice, s3read):
    ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    versions = ok(alice, "ListPolicyVersions", {"PolicyArn": POLICY}).result["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", False), ("v1", True)]


def test_sixth_version_is_limit_exceeded(alice, s3read):
    for _ in range(4):
        ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    fails(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ}, "LimitExceeded",
          "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
          "existing version.")
    assert s3read.versions.count() == 5


def test_version_ids_are_never_reused(alice, s3read):
    ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    ok(alice, "DeletePolicyVersion", {"PolicyArn": POLICY, "VersionId": "v2"})
    version = ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    assert version.result["PolicyVersion"]["VersionId"] == "v3"


def test_delete_default_version_is_delete_conflict(alice, s3read):
    fails(alice, "DeletePolicyVersion", {"PolicyArn": POLICY, "VersionId": "v1"}, "DeleteConflict",
          "Cannot delete the default version of a policy.")


def test_unknown_version_is_no_such_entity(alice, s3read):
    fails(alice, "GetPolicyVersion", {"PolicyArn": POLICY, "VersionId": "v9"}, "NoSuchEntity",
          f"Policy {POLICY} version v9 does not exist or is not attachable.")
    fails(alice, "SetDefaultPolicyVersion", {"PolicyArn": POLICY, "VersionId": "v9"}, "NoSuchEntity")


def test_malformed_version_id_is_validation_error(alice, s3read):
    outcome = fails(alice, "GetPolicyVersion", {"PolicyArn": POLICY, "VersionId": "1"}, "ValidationError")
    assert "at 'versionId'" in outcome.error.message


def test_set_default_policy_version(alice, s3read):
    ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    ok(alice, "SetDefaultPolicyVersion", {"PolicyArn": POLICY, "VersionId": "v2"})
    assert list(PolicyVersion.objects.filter(policy=s3read, is_default=True).values_list("version_id", flat=True)) == ["v2"]


def test_malformed_new_version_creates_nothing(alice, s3read):
    fails(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": "[]"}, "MalformedPolicyDocument")
    assert s3read.versions.count() == 1
    s3read.refresh_from_db()
    assert s3read.latest_version == 1


# --- DeletePolicy ----------------------------------------------------------------------------------


def test_delete_policy(alice, s3read):
    ok(alice, "DeletePolicy", {"PolicyArn": POLICY})
    assert not ManagedPolicy.objects.filter(arn=POLICY).exists()
    assert not PolicyVersion.objects.filter(policy_id=s3read.pk).exists()


def test_delete_attached_policy_is_delete_conflict(alice, s3read, bob):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": POLICY})
    fails(alice, "DeletePolicy", {"PolicyArn": POLICY}, "DeleteConflict", "Cannot delete a policy attached to entities.")


def test_delete_policy_used_as_boundary_is_delete_conflict(alice, s3read, bob):
    ok(alice, "PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": POLICY})
    fails(alice, "DeletePolicy", {"PolicyArn": POLICY}, "DeleteConflict")


def test_delete_policy_with_other_versions_is_delete_conflict(alice, s3read):
    ok(alice, "CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ})
    fails(alice, "DeletePolicy", {"PolicyArn": POLICY}, "DeleteConflict",
          "This policy has more than one version. Before you delete a policy, you must delete the policy's "
          "versions. The default version is deleted with the policy.")


@pytest.mark.parametrize("action, params", [
    ("DeletePolicy", {}),
    ("CreatePolicyVersion", {"PolicyDocument": ALLOW_S3_READ}),
    ("DeletePolicyVersion", {"VersionId": "v1"}),
    ("SetDefaultPolicyVersion", {"VersionId": "v1"}),
    ("TagPolicy", {"Tags": [{"Key": "k", "Value": "v"}]}),
])
def test_aws_managed_policies_are_read_only_even_for_root(alice, action, params):
    outcome = fails(alice, action, {"PolicyArn": READ_ONLY_ACCESS, **params}, "AccessDenied")
    assert READ_ONLY_ACCESS in outcome.error.message
    assert ManagedPolicy.objects.get(arn=READ_ONLY_ACCESS).versions.count() == 1


# --- ListEntitiesForPolicy, tags ----------------------------------------------------------------------


def test_list_entities_for_policy(alice, s3read, bob, admins):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": POLICY})
    ok(alice, "AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": POLICY})
    result = ok(alice, "ListEntitiesForPolicy", {"PolicyArn": POLICY}).result
    assert [u["UserName"] for u in result["PolicyUsers"]] == ["bob"]
    assert [g["GroupName"] for g in result["PolicyGroups"]] == ["admins"]
    assert result["PolicyRoles"] == []
    only_groups = ok(alice, "ListEntitiesForPolicy", {"PolicyArn": POLICY, "EntityFilter": "Group"}).result
    assert only_groups["PolicyUsers"] == [] and len(only_groups["PolicyGroups"]) == 1


def test_list_entities_for_aws_policy_shows_only_own_account(alice, charlie, bob):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY_ACCESS})
    assert ok(charlie, "ListEntitiesForPolicy", {"PolicyArn": READ_ONLY_ACCESS}).result["PolicyUsers"] == []


def test_tag_and_untag_policy(alice, s3read):
    ok(alice, "TagPolicy", {"PolicyArn": POLICY, "Tags": [{"Key": "team", "Value": "red"}]})
    assert ok(alice, "ListPolicyTags", {"PolicyArn": POLICY}).result["Tags"] == [{"Key": "team", "Value": "red"}]
    ok(alice, "UntagPolicy", {"PolicyArn": POLICY, "TagKeys": ["team"]})
    assert ok(alice, "ListPolicyTags", {"PolicyArn": POLICY}).result["Tags"] == []


# --- attach and detach ------------------------------------------------------------------------------


def test_attach_list_and_detach_user_policy(alice, bob, s3read):
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": POLICY})
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": POLICY})  # twice is harmless
    attached = ok(alice, "ListAttachedUserPolicies", {"UserName": "bob"}).result
    assert attached == {"AttachedPolicies": [{"PolicyName": "S3Read", "PolicyArn": POLICY}], "IsTruncated": False}
    ok(alice, "DetachUserPolicy", {"UserName": "bob", "PolicyArn": POLICY})
    assert not PolicyAttachment.objects.exists()


def test_attach_unknown_policy_is_no_such_entity(alice, bob):
    fails(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": arn("policy", "Nope")}, "NoSuchEntity",
          f"Policy {arn('policy', 'Nope')} does not exist or is not attachable.")


def test_detach_policy_not_attached_is_no_such_entity(alice, bob):
    fails(alice, "DetachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY_ACCESS}, "NoSuchEntity",
          f"Policy {READ_ONLY_ACCESS} was not found.")


def test_attach_another_accounts_policy_is_no_such_entity(charlie, alice, s3read, charlie_account):
    make_user(charlie_account, "dan")
    fails(charlie, "AttachUserPolicy", {"UserName": "dan", "PolicyArn": POLICY}, "NoSuchEntity")


@pytest.mark.parametrize("kind, member, name, quota", [
    ("User", "UserName", "bob", "PoliciesPerUser"),
    ("Group", "GroupName", "admins", "PoliciesPerGroup"),
])
def test_eleventh_attached_policy_is_limit_exceeded(alice, bob, admins, kind, member, name, quota):
    arns = list(ManagedPolicy.objects.filter(account=None).order_by("arn").values_list("arn", flat=True))
    for policy_arn in arns[:10]:
        ok(alice, f"Attach{kind}Policy", {member: name, "PolicyArn": policy_arn})
    fails(alice, f"Attach{kind}Policy", {member: name, "PolicyArn": arns[10]}, "LimitExceeded",
          f"Cannot exceed quota for {quota}: 10")


def test_attach_group_policy_and_list(alice, admins):
    ok(alice, "AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": READ_ONLY_ACCESS})
    attached = ok(alice, "ListAttachedGroupPolicies", {"GroupName": "admins"}).result["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY_ACCESS}]
    ok(alice, "DetachGroupPolicy", {"GroupName": "admins", "PolicyArn": READ_ONLY_ACCESS})


# --- inline policies ---------------------------------------------------------------------------------


def test_put_get_list_delete_user_policy(alice, bob):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "s3", "PolicyDocument": ALLOW_S3_READ})
    got = ok(alice, "GetUserPolicy", {"UserName": "bob", "PolicyName": "s3"}).result
    assert got["UserName"] == "bob" and got["PolicyName"] == "s3"
    assert decoded(got["PolicyDocument"]) == decoded(ALLOW_S3_READ)
    assert ok(alice, "ListUserPolicies", {"UserName": "bob"}).result["PolicyNames"] == ["s3"]
    ok(alice, "DeleteUserPolicy", {"UserName": "bob", "PolicyName": "s3"})
    assert not InlinePolicy.objects.exists()


def test_put_user_policy_replaces_the_document(alice, bob):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "p", "PolicyDocument": ALLOW_IAM_READ})
    assert InlinePolicy.objects.get().policy_document == ALLOW_IAM_READ


def test_get_unknown_inline_policy_is_no_such_entity(alice, bob, admins):
    fails(alice, "GetUserPolicy", {"UserName": "bob", "PolicyName": "p"}, "NoSuchEntity",
          "The user policy with name p cannot be found.")
    fails(alice, "DeleteGroupPolicy", {"GroupName": "admins", "PolicyName": "p"}, "NoSuchEntity",
          "The group policy with name p cannot be found.")


def test_put_malformed_inline_policy_is_malformed_policy_document(alice, bob):
    fails(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "p", "PolicyDocument": "{}"},
          "MalformedPolicyDocument")
    assert not InlinePolicy.objects.exists()


def test_user_inline_policies_share_a_2048_character_quota(alice, bob):
    half = document({"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(60)], "Resource": "*"})
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "one", "PolicyDocument": half})
    fails(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "two", "PolicyDocument": half}, "LimitExceeded",
          "Maximum policy size of 2048 bytes exceeded for user bob")
    # Replacing the same policy does not count the old text twice.
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "one", "PolicyDocument": half})


def test_group_inline_policy(alice, admins):
    ok(alice, "PutGroupPolicy", {"GroupName": "admins", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    assert ok(alice, "ListGroupPolicies", {"GroupName": "admins"}).result["PolicyNames"] == ["p"]
    got = ok(alice, "GetGroupPolicy", {"GroupName": "admins", "PolicyName": "p"}).result
    assert got["GroupName"] == "admins"


def test_inline_policy_of_unknown_user_is_no_such_entity(alice):
    fails(alice, "PutUserPolicy", {"UserName": "nobody", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ},
          "NoSuchEntity", "The user with name nobody cannot be found.")


# --- permissions boundaries ---------------------------------------------------------------------------


def test_put_and_delete_user_permissions_boundary(alice, bob, s3read):
    ok(alice, "PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": POLICY})
    assert User.objects.get(pk=bob.pk).permissions_boundary_id == s3read.pk
    assert ok(alice, "GetPolicy", {"PolicyArn": POLICY}).result["Policy"]["PermissionsBoundaryUsageCount"] == 1
    ok(alice, "DeleteUserPermissionsBoundary", {"UserName": "bob"})
    assert User.objects.get(pk=bob.pk).permissions_boundary_id is None


def test_unknown_boundary_is_no_such_entity(alice, bob):
    fails(alice, "PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": arn("policy", "Nope")},
          "NoSuchEntity")


# --- another account ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action, params", [
    ("GetPolicy", {"PolicyArn": POLICY}),
    ("GetPolicyVersion", {"PolicyArn": POLICY, "VersionId": "v1"}),
    ("ListPolicyVersions", {"PolicyArn": POLICY}),
    ("DeletePolicy", {"PolicyArn": POLICY}),
    ("CreatePolicyVersion", {"PolicyArn": POLICY, "PolicyDocument": ALLOW_IAM_READ}),
    ("ListEntitiesForPolicy", {"PolicyArn": POLICY}),
])
def test_other_root_cannot_see_or_touch_alices_policies(action, params, charlie, s3read):
    fails(charlie, action, params, "NoSuchEntity", f"Policy {POLICY} was not found.")
    assert s3read.versions.count() == 1


def test_other_root_does_not_list_alices_policies(charlie, s3read):
    assert ok(charlie, "ListPolicies", {"Scope": "Local"}).result["Policies"] == []


def test_other_root_cannot_read_alices_inline_policies(charlie, alice, bob):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    fails(charlie, "GetUserPolicy", {"UserName": "bob", "PolicyName": "p"}, "NoSuchEntity",
          "The user with name bob cannot be found.")
