"""IAM groups and their members."""

from django.db import IntegrityError, transaction

from awsapi.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from awsapi.operation import operation
from console import clock
from iam import ids
from iam.models import Group, GroupMembership
from iam.operations.common import (
    listing_resource,
    account_of,
    by_path_prefix,
    check_name,
    check_path,
    check_path_prefix,
    group_named,
    group_resource,
    new_group_resource,
    paginate,
    quota,
    user_named,
    user_resource,
    validated,
)
from iam.operations.users import user_shape


def group_shape(group):
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.create_date,
    }


@operation("iam:CreateGroup", resource=new_group_resource)
def create_group(ctx, group_name=None, path=None):
    """CreateGroup."""
    path = "/" if path is None else path

    def checks(constraints):
        check_name(constraints, "groupName", group_name, 128)
        check_path(constraints, "path", path)

    validated(checks)
    account = account_of(ctx)
    if account.groups.filter(group_name_key=group_name.lower()).exists():
        raise EntityAlreadyExists(f"Group with name {group_name} already exists.")
    limit = quota("GROUPS_PER_ACCOUNT")
    if account.groups.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {limit}")
    try:
        with transaction.atomic():
            group = Group.objects.create(
                account=account, group_name=group_name, group_id=ids.unique_id("AGPA"), path=path,
                create_date=clock.now(),
            )
    except IntegrityError:
        raise EntityAlreadyExists(f"Group with name {group_name} already exists.") from None
    return {"Group": group_shape(group)}


@operation("iam:GetGroup", resource=group_resource, read_only=True)
def get_group(ctx, group_name=None, marker=None, max_items=None):
    """GetGroup: the group and a page of its users."""
    group = group_named(account_of(ctx), group_name)
    users = group.users.select_related("account").order_by("user_name_key")
    page = paginate(users, marker, max_items, "Users")
    page["Users"] = [user_shape(user) for user in page["Users"]]
    return {"Group": group_shape(group), **page}


@operation("iam:ListGroups", resource=listing_resource("group"), read_only=True)
def list_groups(ctx, path_prefix=None, marker=None, max_items=None):
    """ListGroups."""
    check_path_prefix(path_prefix)
    account = account_of(ctx)
    groups = by_path_prefix(account.groups.select_related("account"), path_prefix).order_by("group_name_key")
    page = paginate(groups, marker, max_items, "Groups")
    page["Groups"] = [group_shape(group) for group in page["Groups"]]
    return page


@operation("iam:UpdateGroup", resource=group_resource)
def update_group(ctx, group_name=None, new_path=None, new_group_name=None):
    """UpdateGroup: rename a group or move it to another path."""

    def checks(constraints):
        check_name(constraints, "groupName", group_name, 128)
        check_name(constraints, "newGroupName", new_group_name, 128, required=False)
        check_path(constraints, "newPath", new_path)

    validated(checks)
    account = account_of(ctx)
    group = group_named(account, group_name)
    if new_group_name is not None and new_group_name.lower() != group.group_name_key:
        if account.groups.filter(group_name_key=new_group_name.lower()).exists():
            raise EntityAlreadyExists(f"Group with name {new_group_name} already exists.")
    if new_group_name is not None:
        group.group_name = new_group_name
    if new_path is not None:
        group.path = new_path
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise EntityAlreadyExists(f"Group with name {new_group_name} already exists.") from None
    return {}


@operation("iam:DeleteGroup", resource=group_resource)
def delete_group(ctx, group_name=None):
    """DeleteGroup. As in AWS, members and policies must be removed first."""
    group = group_named(account_of(ctx), group_name)
    if group.memberships.exists():
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")
    if group.inline_policies.exists():
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if group.attachments.exists():
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    group.delete()
    return {}


@operation("iam:AddUserToGroup", resource=group_resource)
def add_user_to_group(ctx, group_name=None, user_name=None):
    """AddUserToGroup. Adding a member twice is not an error, as in AWS."""
    account = account_of(ctx)
    group = group_named(account, group_name)
    user = user_named(account, user_name, high=128)
    if group.memberships.filter(user=user).exists():
        return {}
    limit = quota("GROUPS_PER_USER")
    if user.memberships.count() >= limit:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {limit}")
    GroupMembership.objects.create(group=group, user=user)
    return {}


@operation("iam:RemoveUserFromGroup", resource=group_resource)
def remove_user_from_group(ctx, group_name=None, user_name=None):
    """RemoveUserFromGroup."""
    account = account_of(ctx)
    group = group_named(account, group_name)
    user = user_named(account, user_name, high=128)
    deleted, _ = group.memberships.filter(user=user).delete()
    if not deleted:
        raise NoSuchEntity(f"The user with name {user.user_name} cannot be found.")
    return {}


@operation("iam:ListGroupsForUser", resource=user_resource, read_only=True)
def list_groups_for_user(ctx, user_name=None, marker=None, max_items=None):
    """ListGroupsForUser."""
    user = user_named(account_of(ctx), user_name, high=128)
    groups = user.groups.select_related("account").order_by("group_name_key")
    page = paginate(groups, marker, max_items, "Groups")
    page["Groups"] = [group_shape(group) for group in page["Groups"]]
    return page
