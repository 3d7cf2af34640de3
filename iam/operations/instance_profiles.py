"""IAM instance profiles: the containers that hand a role to an EC2 instance. A profile
holds at most one role; neither the profile nor the role may be deleted while they are
joined."""

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from awsapi.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from awsapi.operation import operation
from console import clock
from iam import ids
from iam.models import InstanceProfile, Role
from iam.operations.common import (
    apply_tags,
    _existing,
    account_of,
    by_path_prefix,
    check_name,
    check_path,
    check_path_prefix,
    listing_resource,
    paginate,
    quota,
    remove_tags,
    role_named,
    role_resource,
    tags_shape,
    validate_tag_keys,
    validate_tags,
    validated,
)
from iam.operations.roles import role_shape

# "IAM and AWS STS quotas": instance profiles per account, roles per instance profile.
INSTANCE_PROFILES_PER_ACCOUNT = 1000
ROLES_PER_INSTANCE_PROFILE = 1


def instance_profile_resource(ctx, params):
    key, member = "instance_profile_name_key", "InstanceProfileName"
    return _existing(InstanceProfile, key, ctx, params, member, "instance-profile")


def _new_instance_profile_resource(ctx, params):
    path = params.get("Path") or "/"
    return f"arn:aws:iam::{ctx.principal.account_id}:instance-profile{path}{params.get('InstanceProfileName') or ''}"


def with_roles(queryset):
    """Instance profiles with their roles (and the roles' accounts, for ARNs) in two queries."""
    return queryset.select_related("account").prefetch_related(
        Prefetch("roles", queryset=Role.objects.select_related("account").order_by("role_name_key"))
    )


def instance_profile_shape(profile, details=False):
    """AWS's InstanceProfile structure, its roles as ListRoles shows them; ``details``
    adds the tags (GetInstanceProfile, CreateInstanceProfile)."""
    shape = {
        "Path": profile.path,
        "InstanceProfileName": profile.instance_profile_name,
        "InstanceProfileId": profile.instance_profile_id,
        "Arn": profile.arn,
        "CreateDate": profile.create_date,
        "Roles": [role_shape(role) for role in profile.roles.all()],
    }
    if details:
        tags = tags_shape(profile.tags)
        if tags:
            shape["Tags"] = tags
    return shape


def _check_profile_name(constraints, name):
    check_name(constraints, "instanceProfileName", name, 128)


def _profile(account, name):
    validated(lambda c: _check_profile_name(c, name))
    try:
        return with_roles(account.instance_profiles).get(instance_profile_name_key=name.lower())
    except InstanceProfile.DoesNotExist:
        raise NoSuchEntity(f"Instance Profile {name} cannot be found.") from None


@operation("iam:CreateInstanceProfile", resource=_new_instance_profile_resource)
def create_instance_profile(ctx, instance_profile_name=None, path=None, tags=None):
    """CreateInstanceProfile: an empty profile; AddRoleToInstanceProfile fills it."""
    path = "/" if path is None else path

    def checks(constraints):
        _check_profile_name(constraints, instance_profile_name)
        check_path(constraints, "path", path)

    validated(checks)
    if tags:
        validate_tags(tags)
    account = account_of(ctx)
    exists = f"Instance Profile {instance_profile_name} already exists."
    if account.instance_profiles.filter(instance_profile_name_key=instance_profile_name.lower()).exists():
        raise EntityAlreadyExists(exists)
    limit = quota("INSTANCE_PROFILES_PER_ACCOUNT")
    if account.instance_profiles.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for InstanceProfilesPerAccount: {limit}")
    try:
        with transaction.atomic():
            profile = InstanceProfile.objects.create(
                account=account,
                instance_profile_name=instance_profile_name,
                instance_profile_id=ids.unique_id("AIPA"),
                path=path,
                create_date=clock.now(),
            )
    except IntegrityError:
        raise EntityAlreadyExists(exists) from None
    if tags:
        apply_tags(profile.tags, tags)
    return {"InstanceProfile": instance_profile_shape(profile, details=True)}


@operation("iam:GetInstanceProfile", resource=instance_profile_resource, read_only=True)
def get_instance_profile(ctx, instance_profile_name=None):
    """GetInstanceProfile."""
    profile = _profile(account_of(ctx), instance_profile_name)
    return {"InstanceProfile": instance_profile_shape(profile, details=True)}


@operation("iam:ListInstanceProfiles", resource=listing_resource("instance-profile"), read_only=True)
def list_instance_profiles(ctx, path_prefix=None, marker=None, max_items=None):
    """ListInstanceProfiles."""
    check_path_prefix(path_prefix)
    account = account_of(ctx)
    profiles = by_path_prefix(account.instance_profiles.all(), path_prefix).order_by("instance_profile_name_key")
    page = paginate(with_roles(profiles), marker, max_items, "InstanceProfiles")
    page["InstanceProfiles"] = [instance_profile_shape(profile) for profile in page["InstanceProfiles"]]
    return page


@operation("iam:ListInstanceProfilesForRole", resource=role_resource, read_only=True)
def list_instance_profiles_for_role(ctx, role_name=None, marker=None, max_items=None):
    """ListInstanceProfilesForRole."""
    role = role_named(account_of(ctx), role_name)
    profiles = with_roles(role.instance_profiles.all()).order_by("instance_profile_name_key")
    page = paginate(profiles, marker, max_items, "InstanceProfiles")
    page["InstanceProfiles"] = [instance_profile_shape(profile) for profile in page["InstanceProfiles"]]
    return page


@operation("iam:DeleteInstanceProfile", resource=instance_profile_resource)
def delete_instance_profile(ctx, instance_profile_name=None):
    """DeleteInstanceProfile. As in AWS, its role must be removed first."""
    profile = _profile(account_of(ctx), instance_profile_name)
    if profile.roles.all():
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    profile.delete()
    return {}


def _check_profile_and_role(instance_profile_name, role_name):
    def checks(constraints):
        _check_profile_name(constraints, instance_profile_name)
        check_name(constraints, "roleName", role_name)

    validated(checks)


@operation("iam:AddRoleToInstanceProfile", resource=instance_profile_resource)
def add_role_to_instance_profile(ctx, instance_profile_name=None, role_name=None):
    """AddRoleToInstanceProfile: a profile holds one role; adding it again, or another,
    is AWS's LimitExceeded."""
    _check_profile_and_role(instance_profile_name, role_name)
    account = account_of(ctx)
    profile = _profile(account, instance_profile_name)
    role = role_named(account, role_name)
    # Lock the profile so two concurrent adds cannot both find it empty.
    InstanceProfile.objects.select_for_update().filter(pk=profile.pk).exists()
    limit = quota("ROLES_PER_INSTANCE_PROFILE")
    if InstanceProfile.roles.through.objects.filter(instanceprofile=profile).count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {limit}")
    profile.roles.add(role)
    return {}


@operation("iam:RemoveRoleFromInstanceProfile", resource=instance_profile_resource)
def remove_role_from_instance_profile(ctx, instance_profile_name=None, role_name=None):
    """RemoveRoleFromInstanceProfile."""
    _check_profile_and_role(instance_profile_name, role_name)
    account = account_of(ctx)
    profile = _profile(account, instance_profile_name)
    role = role_named(account, role_name)
    if role not in profile.roles.all():
        raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
    profile.roles.remove(role)
    return {}


@operation("iam:TagInstanceProfile", resource=instance_profile_resource)
def tag_instance_profile(ctx, instance_profile_name=None, tags=None):
    """TagInstanceProfile."""
    validated(lambda c: _check_profile_name(c, instance_profile_name))
    validate_tags(tags)
    apply_tags(_profile(account_of(ctx), instance_profile_name).tags, tags)
    return {}


@operation("iam:UntagInstanceProfile", resource=instance_profile_resource)
def untag_instance_profile(ctx, instance_profile_name=None, tag_keys=None):
    """UntagInstanceProfile."""
    validated(lambda c: _check_profile_name(c, instance_profile_name))
    validate_tag_keys(tag_keys)
    remove_tags(_profile(account_of(ctx), instance_profile_name).tags, tag_keys)
    return {}


@operation("iam:ListInstanceProfileTags", resource=instance_profile_resource, read_only=True)
def list_instance_profile_tags(ctx, instance_profile_name=None, marker=None, max_items=None):
    """ListInstanceProfileTags."""
    profile = _profile(account_of(ctx), instance_profile_name)
    return paginate(tags_shape(profile.tags), marker, max_items, "Tags")
