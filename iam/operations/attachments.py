"""Policies on users, groups and roles: attached managed policies, inline policies and
permissions boundaries. One helper per kind of change serves the three entity types,
so AttachUserPolicy and AttachRolePolicy cannot drift apart."""

from dataclasses import dataclass
from typing import Callable

from awsapi.errors import LimitExceeded, NoSuchEntity
from awsapi.operation import operation
from iam.models import InlinePolicy, PolicyAttachment
from iam.operations.common import (
    by_path_prefix,
    GROUP_INLINE_SIZE,
    POLICY_PATH,
    ROLE_INLINE_SIZE,
    USER_INLINE_SIZE,
    account_of,
    attachable_policy,
    check_arn,
    check_document,
    check_name,
    group_named,
    group_resource,
    paginate,
    quota,
    role_named,
    role_resource,
    url_encoded,
    user_named,
    user_resource,
    validate_policy_document,
    validated,
)
from iam.validation import Constraints


@dataclass(frozen=True)
class Kind:
    name: str  # "user", "group", "role": the foreign key on attachments and inline policies
    member: str  # the request member naming the entity: "UserName"
    quota: str  # PoliciesPerUser
    inline_size: int
    find: Callable
    name_max: int

    def entity(self, ctx, entity_name):
        return self.find(account_of(ctx), entity_name)

    def check(self, constraints, value):
        check_name(constraints, self.member[0].lower() + self.member[1:], value, self.name_max)


USER = Kind("user", "UserName", "PoliciesPerUser", USER_INLINE_SIZE, lambda a, n: user_named(a, n, high=128), 128)
GROUP = Kind("group", "GroupName", "PoliciesPerGroup", GROUP_INLINE_SIZE, group_named, 128)
ROLE = Kind("role", "RoleName", "PoliciesPerRole", ROLE_INLINE_SIZE, role_named, 64)


# --- attached managed policies -------------------------------------------------------


def _attach(ctx, kind, entity_name, policy_arn):
    validated(lambda c: (kind.check(c, entity_name), check_arn(c, "policyArn", policy_arn)))
    entity = kind.entity(ctx, entity_name)
    policy = attachable_policy(entity.account, policy_arn)
    attachments = PolicyAttachment.objects.filter(**{kind.name: entity})
    if attachments.filter(policy=policy).exists():
        return {}  # attaching twice is not an error, as in AWS
    limit = quota("MANAGED_POLICIES_PER_ENTITY")
    if attachments.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for {kind.quota}: {limit}")
    PolicyAttachment.objects.create(account=entity.account, policy=policy, **{kind.name: entity})
    return {}


def _detach(ctx, kind, entity_name, policy_arn):
    validated(lambda c: (kind.check(c, entity_name), check_arn(c, "policyArn", policy_arn)))
    entity = kind.entity(ctx, entity_name)
    deleted, _ = PolicyAttachment.objects.filter(policy__arn=policy_arn, **{kind.name: entity}).delete()
    if not deleted:
        raise NoSuchEntity(f"Policy {policy_arn} was not found.")
    return {}


def _list_attached(ctx, kind, entity_name, path_prefix, marker, max_items):
    constraints = Constraints()
    kind.check(constraints, entity_name)
    constraints.length("pathPrefix", path_prefix, 1, 512)
    constraints.pattern("pathPrefix", path_prefix, POLICY_PATH)
    constraints.check()
    entity = kind.entity(ctx, entity_name)
    attachments = PolicyAttachment.objects.filter(**{kind.name: entity}).select_related("policy")
    attachments = by_path_prefix(attachments, path_prefix, "policy__path")
    policies = sorted((a.policy for a in attachments), key=lambda p: (p.policy_name_key, p.arn))
    page = paginate(policies, marker, max_items, "AttachedPolicies")
    page["AttachedPolicies"] = [{"PolicyName": p.policy_name, "PolicyArn": p.arn} for p in page["AttachedPolicies"]]
    return page


@operation("iam:AttachUserPolicy", resource=user_resource)
def attach_user_policy(ctx, user_name=None, policy_arn=None):
    """AttachUserPolicy."""
    return _attach(ctx, USER, user_name, policy_arn)


@operation("iam:AttachGroupPolicy", resource=group_resource)
def attach_group_policy(ctx, group_name=None, policy_arn=None):
    """AttachGroupPolicy."""
    return _attach(ctx, GROUP, group_name, policy_arn)


@operation("iam:AttachRolePolicy", resource=role_resource)
def attach_role_policy(ctx, role_name=None, policy_arn=None):
    """AttachRolePolicy."""
    return _attach(ctx, ROLE, role_name, policy_arn)


@operation("iam:DetachUserPolicy", resource=user_resource)
def detach_user_policy(ctx, user_name=None, policy_arn=None):
    """DetachUserPolicy."""
    return _detach(ctx, USER, user_name, policy_arn)


@operation("iam:DetachGroupPolicy", resource=group_resource)
def detach_group_policy(ctx, group_name=None, policy_arn=None):
    """DetachGroupPolicy."""
    return _detach(ctx, GROUP, group_name, policy_arn)


@operation("iam:DetachRolePolicy", resource=role_resource)
def detach_role_policy(ctx, role_name=None, policy_arn=None):
    """DetachRolePolicy."""
    return _detach(ctx, ROLE, role_name, policy_arn)


@operation("iam:ListAttachedUserPolicies", resource=user_resource, read_only=True)
def list_attached_user_policies(ctx, user_name=None, path_prefix=None, marker=None, max_items=None):
    """ListAttachedUserPolicies."""
    return _list_attached(ctx, USER, user_name, path_prefix, marker, max_items)


@operation("iam:ListAttachedGroupPolicies", resource=group_resource, read_only=True)
def list_attached_group_policies(ctx, group_name=None, path_prefix=None, marker=None, max_items=None):
    """ListAttachedGroupPolicies."""
    return _list_attached(ctx, GROUP, group_name, path_prefix, marker, max_items)


@operation("iam:ListAttachedRolePolicies", resource=role_resource, read_only=True)
def list_attached_role_policies(ctx, role_name=None, path_prefix=None, marker=None, max_items=None):
    """ListAttachedRolePolicies."""
    return _list_attached(ctx, ROLE, role_name, path_prefix, marker, max_items)


# --- inline policies ----------------------------------------------------------------


def _check_inline(kind, entity_name, policy_name, constraints=None):
    check = constraints or Constraints()
    kind.check(check, entity_name)
    check_name(check, "policyName", policy_name, 128)
    if constraints is None:
        check.check()


def _put_inline(ctx, kind, entity_name, policy_name, policy_document):
    constraints = Constraints()
    _check_inline(kind, entity_name, policy_name, constraints)
    check_document(constraints, "policyDocument", policy_document)
    constraints.check()
    entity = kind.entity(ctx, entity_name)
    others = InlinePolicy.objects.filter(**{kind.name: entity}).exclude(policy_name=policy_name)
    validate_policy_document(
        policy_document,
        "identity",
        kind.inline_size,
        owner=(kind.name, getattr(entity, f"{kind.name}_name")),
        others=list(others.values_list("policy_document", flat=True)),
    )
    InlinePolicy.objects.update_or_create(
        policy_name=policy_name, **{kind.name: entity}, defaults={"policy_document": policy_document}
    )
    return {}


def _inline(kind, entity, policy_name):
    policy = InlinePolicy.objects.filter(policy_name=policy_name, **{kind.name: entity}).first()
    if policy is None:
        raise NoSuchEntity(f"The {kind.name} policy with name {policy_name} cannot be found.")
    return policy


def _get_inline(ctx, kind, entity_name, policy_name):
    _check_inline(kind, entity_name, policy_name)
    entity = kind.entity(ctx, entity_name)
    policy = _inline(kind, entity, policy_name)
    return {
        kind.member: getattr(entity, f"{kind.name}_name"),
        "PolicyName": policy.policy_name,
        "PolicyDocument": url_encoded(policy.policy_document),
    }


def _delete_inline(ctx, kind, entity_name, policy_name):
    _check_inline(kind, entity_name, policy_name)
    entity = kind.entity(ctx, entity_name)
    _inline(kind, entity, policy_name).delete()
    return {}


def _list_inline(ctx, kind, entity_name, marker, max_items):
    validated(lambda c: kind.check(c, entity_name))
    entity = kind.entity(ctx, entity_name)
    names = sorted(InlinePolicy.objects.filter(**{kind.name: entity}).values_list("policy_name", flat=True))
    return paginate(names, marker, max_items, "PolicyNames")


@operation("iam:PutUserPolicy", resource=user_resource)
def put_user_policy(ctx, user_name=None, policy_name=None, policy_document=None):
    """PutUserPolicy: create or replace an inline policy."""
    return _put_inline(ctx, USER, user_name, policy_name, policy_document)


@operation("iam:PutGroupPolicy", resource=group_resource)
def put_group_policy(ctx, group_name=None, policy_name=None, policy_document=None):
    """PutGroupPolicy."""
    return _put_inline(ctx, GROUP, group_name, policy_name, policy_document)


@operation("iam:PutRolePolicy", resource=role_resource)
def put_role_policy(ctx, role_name=None, policy_name=None, policy_document=None):
    """PutRolePolicy."""
    return _put_inline(ctx, ROLE, role_name, policy_name, policy_document)


@operation("iam:GetUserPolicy", resource=user_resource, read_only=True)
def get_user_policy(ctx, user_name=None, policy_name=None):
    """GetUserPolicy: the document comes back URL-encoded, as from AWS."""
    return _get_inline(ctx, USER, user_name, policy_name)


@operation("iam:GetGroupPolicy", resource=group_resource, read_only=True)
def get_group_policy(ctx, group_name=None, policy_name=None):
    """GetGroupPolicy."""
    return _get_inline(ctx, GROUP, group_name, policy_name)


@operation("iam:GetRolePolicy", resource=role_resource, read_only=True)
def get_role_policy(ctx, role_name=None, policy_name=None):
    """GetRolePolicy."""
    return _get_inline(ctx, ROLE, role_name, policy_name)


@operation("iam:DeleteUserPolicy", resource=user_resource)
def delete_user_policy(ctx, user_name=None, policy_name=None):
    """DeleteUserPolicy."""
    return _delete_inline(ctx, USER, user_name, policy_name)


@operation("iam:DeleteGroupPolicy", resource=group_resource)
def delete_group_policy(ctx, group_name=None, policy_name=None):
    """DeleteGroupPolicy."""
    return _delete_inline(ctx, GROUP, group_name, policy_name)


@operation("iam:DeleteRolePolicy", resource=role_resource)
def delete_role_policy(ctx, role_name=None, policy_name=None):
    """DeleteRolePolicy."""
    return _delete_inline(ctx, ROLE, role_name, policy_name)


@operation("iam:ListUserPolicies", resource=user_resource, read_only=True)
def list_user_policies(ctx, user_name=None, marker=None, max_items=None):
    """ListUserPolicies: the names of the user's inline policies."""
    return _list_inline(ctx, USER, user_name, marker, max_items)


@operation("iam:ListGroupPolicies", resource=group_resource, read_only=True)
def list_group_policies(ctx, group_name=None, marker=None, max_items=None):
    """ListGroupPolicies."""
    return _list_inline(ctx, GROUP, group_name, marker, max_items)


@operation("iam:ListRolePolicies", resource=role_resource, read_only=True)
def list_role_policies(ctx, role_name=None, marker=None, max_items=None):
    """ListRolePolicies."""
    return _list_inline(ctx, ROLE, role_name, marker, max_items)


# --- permissions boundaries ------------------------------------------------------------


def _put_boundary(ctx, kind, entity_name, permissions_boundary):
    validated(lambda c: (kind.check(c, entity_name), check_arn(c, "permissionsBoundary", permissions_boundary)))
    entity = kind.entity(ctx, entity_name)
    entity.permissions_boundary = attachable_policy(entity.account, permissions_boundary, "permissionsBoundary")
    entity.save(update_fields=["permissions_boundary"])
    return {}


def _delete_boundary(ctx, kind, entity_name):
    validated(lambda c: kind.check(c, entity_name))
    entity = kind.entity(ctx, entity_name)
    entity.permissions_boundary = None
    entity.save(update_fields=["permissions_boundary"])
    return {}


@operation("iam:PutUserPermissionsBoundary", resource=user_resource)
def put_user_permissions_boundary(ctx, user_name=None, permissions_boundary=None):
    """PutUserPermissionsBoundary: set or replace the user's boundary."""
    return _put_boundary(ctx, USER, user_name, permissions_boundary)


@operation("iam:PutRolePermissionsBoundary", resource=role_resource)
def put_role_permissions_boundary(ctx, role_name=None, permissions_boundary=None):
    """PutRolePermissionsBoundary."""
    return _put_boundary(ctx, ROLE, role_name, permissions_boundary)


@operation("iam:DeleteUserPermissionsBoundary", resource=user_resource)
def delete_user_permissions_boundary(ctx, user_name=None):
    """DeleteUserPermissionsBoundary."""
    return _delete_boundary(ctx, USER, user_name)


@operation("iam:DeleteRolePermissionsBoundary", resource=role_resource)
def delete_role_permissions_boundary(ctx, role_name=None):
    """DeleteRolePermissionsBoundary."""
    return _delete_boundary(ctx, ROLE, role_name)
