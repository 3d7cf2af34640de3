"""iam.effective: everything that applies to a principal, with labels, in few queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iam.effective import identity_policies, permissions_boundary
from iam.models import ManagedPolicy, Role, User
from tests.iam.helpers import ALLOW_IAM_READ, ALLOW_S3_READ, TRUST_EC2, arn, ok

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture
def setup(alice, bob):
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "own", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "CreatePolicy", {"PolicyName": "IamRead", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "CreatePolicyVersion", {"PolicyArn": arn("policy", "IamRead"), "PolicyDocument": ALLOW_IAM_READ,
                                      "SetAsDefault": True})
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": arn("policy", "IamRead")})
    for group in ("admins", "devs"):
        ok(alice, "CreateGroup", {"GroupName": group})
        ok(alice, "AddUserToGroup", {"GroupName": group, "UserName": "bob"})
        ok(alice, "PutGroupPolicy", {"GroupName": group, "PolicyName": f"{group}-inline", "PolicyDocument": ALLOW_S3_READ})
        ok(alice, "AttachGroupPolicy", {"GroupName": group, "PolicyArn": READ_ONLY})
    return User.objects.get(pk=bob.pk)


def test_user_gets_own_and_group_policies_with_labels(setup):
    labels = [label for label, _ in identity_policies(setup)]
    assert labels == [
        {"type": "identity", "name": "own", "kind": "inline", "attached_to": "user/bob"},
        {"type": "identity", "name": "IamRead", "arn": arn("policy", "IamRead"), "kind": "managed",
         "attached_to": "user/bob"},
        {"type": "identity", "name": "admins-inline", "kind": "inline", "attached_to": "group/admins"},
        {"type": "identity", "name": "ReadOnlyAccess", "arn": READ_ONLY, "kind": "managed",
         "attached_to": "group/admins"},
        {"type": "identity", "name": "devs-inline", "kind": "inline", "attached_to": "group/devs"},
        {"type": "identity", "name": "ReadOnlyAccess", "arn": READ_ONLY, "kind": "managed",
         "attached_to": "group/devs"},
    ]


def test_managed_policy_contributes_its_default_version(setup):
    documents = {label.get("arn"): text for label, text in identity_policies(setup)}
    assert documents[arn("policy", "IamRead")] == ALLOW_IAM_READ
    shipped = ManagedPolicy.objects.get(arn=READ_ONLY).versions.get(is_default=True).document
    assert documents[READ_ONLY] == shipped


def test_query_count_does_not_grow_with_groups_or_policies(alice, setup):
    with CaptureQueriesContext(connection) as few:
        identity_policies(setup)
    for i in range(5):
        ok(alice, "CreateGroup", {"GroupName": f"g{i}"})
        ok(alice, "AddUserToGroup", {"GroupName": f"g{i}", "UserName": "bob"})
        ok(alice, "PutGroupPolicy", {"GroupName": f"g{i}", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
        ok(alice, "AttachGroupPolicy", {"GroupName": f"g{i}", "PolicyArn": READ_ONLY})
    with CaptureQueriesContext(connection) as many:
        assert len(identity_policies(setup)) == 6 + 10
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


def test_user_without_policies_has_none(alice, bob):
    assert identity_policies(bob) == []
    assert permissions_boundary(bob) is None


def test_role_gets_its_inline_and_attached_policies(alice):
    ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2})
    ok(alice, "PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "AttachRolePolicy", {"RoleName": "app", "PolicyArn": READ_ONLY})
    role = Role.objects.get(role_name="app")
    assert [(label["kind"], label["attached_to"]) for label, _ in identity_policies(role)] == [
        ("inline", "role/app"), ("managed", "role/app"),
    ]


def test_permissions_boundary_of_user_and_role(alice, bob):
    ok(alice, "PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": READ_ONLY})
    label, text = permissions_boundary(User.objects.get(pk=bob.pk))
    assert label == {"type": "boundary", "name": "ReadOnlyAccess", "arn": READ_ONLY, "kind": "managed",
                     "attached_to": "user/bob"}
    assert json.loads(text)["Statement"]
    ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2,
                             "PermissionsBoundary": READ_ONLY})
    label, _ = permissions_boundary(Role.objects.get(role_name="app"))
    assert label["attached_to"] == "role/app"
