"""IAM roles: identities anyone their trust policy names may assume."""

from django.db import IntegrityError, transaction

from awsapi.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from awsapi.operation import operation
from console import clock
from iam import ids
from iam.models import Role
from iam.operations.common import (
    listing_resource,
    DESCRIPTION,
    TRUST_POLICY_SIZE,
    account_of,
    apply_tags,
    attachable_policy,
    boundary_shape,
    by_path_prefix,
    check_arn,
    check_document,
    check_name,
    check_path,
    check_path_prefix,
    new_role_resource,
    paginate,
    quota,
    remove_tags,
    role_named,
    role_resource,
    tags_shape,
    url_encoded,
    validate_policy_document,
    validate_tag_keys,
    validate_tags,
    validated,
)


def role_shape(role, details=False, last_used=False):
    """AWS's Role structure, trust policy URL-encoded as AWS returns it; ``details`` adds
    the boundary and tags (GetRole and CreateRole; ListRoles leaves them out) and
    ``last_used`` GetRole's RoleLastUsed (empty until STS assumes the role)."""
    shape = {
        "Path": role.path,
        "RoleName": role.role_name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": url_encoded(role.assume_role_policy_document),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        shape["Description"] = role.description
    if details:
        if role.permissions_boundary_id:
            shape["PermissionsBoundary"] = boundary_shape(role.permissions_boundary)
        tags = tags_shape(role.tags)
        if tags:
            shape["Tags"] = tags
    if last_used:
        shape["RoleLastUsed"] = {}
    return shape


def _check_description(constraints, description):
    constraints.length("description", description, 0, 1000)
    constraints.pattern("description", description, DESCRIPTION)


@operation("iam:CreateRole", resource=new_role_resource)
def create_role(
    ctx,
    role_name=None,
    path=None,
    assume_role_policy_document=None,
    description=None,
    max_session_duration=None,
    permissions_boundary=None,
    tags=None,
):
    """CreateRole: the trust policy is checked as a resource policy naming principals."""
    path = "/" if path is None else path

    def checks(constraints):
        check_name(constraints, "roleName", role_name)
        check_path(constraints, "path", path)
        check_document(constraints, "assumeRolePolicyDocument", assume_role_policy_document)
        _check_description(constraints, description)
        constraints.range("maxSessionDuration", max_session_duration, 3600, 43200)
        if permissions_boundary is not None:
            check_arn(constraints, "permissionsBoundary", permissions_boundary)

    validated(checks)
    if tags:
        validate_tags(tags)
    account = account_of(ctx)
    if account.roles.filter(role_name_key=role_name.lower()).exists():
        raise EntityAlreadyExists(f"Role with name {role_name} already exists.")
    limit = quota("ROLES_PER_ACCOUNT")
    if account.roles.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {limit}")
    boundary = None
    if permissions_boundary is not None:
        boundary = attachable_policy(account, permissions_boundary, "permissionsBoundary")
    validate_policy_document(assume_role_policy_document, "trust", TRUST_POLICY_SIZE)
    try:
        with transaction.atomic():
            role = Role.objects.create(
                account=account,
                role_name=role_name,
                role_id=ids.unique_id("AROA"),
                path=path,
                description=description or "",
                assume_role_policy_document=assume_role_policy_document,
                max_session_duration=max_session_duration or 3600,
                create_date=clock.now(),
                permissions_boundary=boundary,
            )
    except IntegrityError:
        raise EntityAlreadyExists(f"Role with name {role_name} already exists.") from None
    if tags:
        apply_tags(role.tags, tags)
    return {"Role": role_shape(role, details=True)}


@operation("iam:GetRole", resource=role_resource, read_only=True)
def get_role(ctx, role_name=None):
    """GetRole."""
    return {"Role": role_shape(role_named(account_of(ctx), role_name), details=True, last_used=True)}


@operation("iam:ListRoles", resource=listing_resource("role"), read_only=True)
def list_roles(ctx, path_prefix=None, marker=None, max_items=None):
    """ListRoles."""
    check_path_prefix(path_prefix)
    account = account_of(ctx)
    roles = by_path_prefix(account.roles.select_related("account"), path_prefix).order_by("role_name_key")
    page = paginate(roles, marker, max_items, "Roles")
    page["Roles"] = [role_shape(role) for role in page["Roles"]]
    return page


@operation("iam:UpdateRole", resource=role_resource)
def update_role(ctx, role_name=None, description=None, max_session_duration=None):
    """UpdateRole: the description and the maximum session duration."""

    def checks(constraints):
        check_name(constraints, "roleName", role_name)
        _check_description(constraints, description)
        constraints.range("maxSessionDuration", max_session_duration, 3600, 43200)

    validated(checks)
    role = role_named(account_of(ctx), role_name)
    if description is not None:
        role.description = description
    if max_session_duration is not None:
        role.max_session_duration = max_session_duration
    role.save(update_fields=["description", "max_session_duration"])
    return {}


@operation("iam:UpdateAssumeRolePolicy", resource=role_resource)
def update_assume_role_policy(ctx, role_name=None, policy_document=None):
    """UpdateAssumeRolePolicy: replace the role's trust policy."""

    def checks(constraints):
        check_name(constraints, "roleName", role_name)
        check_document(constraints, "policyDocument", policy_document)

    validated(checks)
    role = role_named(account_of(ctx), role_name)
    validate_policy_document(policy_document, "trust", TRUST_POLICY_SIZE)
    role.assume_role_policy_document = policy_document
    role.save(update_fields=["assume_role_policy_document"])
    return {}


@operation("iam:DeleteRole", resource=role_resource)
def delete_role(ctx, role_name=None):
    """DeleteRole. As in AWS, its policies must be removed, and the role taken out of
    its instance profiles, first."""
    role = role_named(account_of(ctx), role_name)
    if role.inline_policies.exists():
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if role.attachments.exists():
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    if role.instance_profiles.exists():
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    role.delete()
    return {}


@operation("iam:TagRole", resource=role_resource)
def tag_role(ctx, role_name=None, tags=None):
    """TagRole."""
    validated(lambda c: check_name(c, "roleName", role_name))
    validate_tags(tags)
    role = role_named(account_of(ctx), role_name)
    apply_tags(role.tags, tags)
    return {}


@operation("iam:UntagRole", resource=role_resource)
def untag_role(ctx, role_name=None, tag_keys=None):
    """UntagRole."""
    validated(lambda c: check_name(c, "roleName", role_name))
    validate_tag_keys(tag_keys)
    role = role_named(account_of(ctx), role_name)
    remove_tags(role.tags, tag_keys)
    return {}


@operation("iam:ListRoleTags", resource=role_resource, read_only=True)
def list_role_tags(ctx, role_name=None, marker=None, max_items=None):
    """ListRoleTags."""
    role = role_named(account_of(ctx), role_name)
    return paginate(tags_shape(role.tags), marker, max_items, "Tags")
