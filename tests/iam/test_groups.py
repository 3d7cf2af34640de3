"""Groups through the dispatcher: lifecycle, members, quotas, isolation."""

import pytest

from iam import operations
from iam.models import Group, GroupMembership
from tests.conftest import ALICE_ACCOUNT, make_user
from tests.iam.helpers import arn, denied_message, fails, ok

ADMINS = arn("group", "admins")

DENIED_CASES = {
    "AddUserToGroup": ({"GroupName": "admins", "UserName": "bob"}, ADMINS),
    "CreateGroup": ({"GroupName": "admins"}, ADMINS),
    "DeleteGroup": ({"GroupName": "admins"}, ADMINS),
    "GetGroup": ({"GroupName": "admins"}, ADMINS),
    "ListGroups": ({}, f"arn:aws:iam::{ALICE_ACCOUNT}:group/"),
    "ListGroupsForUser": ({"UserName": "bob"}, arn("user", "bob")),
    "RemoveUserFromGroup": ({"GroupName": "admins", "UserName": "bob"}, ADMINS),
    "UpdateGroup": ({"GroupName": "admins", "NewGroupName": "owners"}, ADMINS),
}


@pytest.fixture
def admins(alice):
    ok(alice, "CreateGroup", {"GroupName": "admins"})
    return Group.objects.get(group_name="admins")


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


def test_denied_calls_change_nothing(bob_ctx):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    assert not Group.objects.exists()


def test_denied_create_group_names_the_path(bob_ctx):
    fails(bob_ctx, "CreateGroup", {"GroupName": "ops", "Path": "/it/"}, "AccessDenied",
          denied_message("CreateGroup", arn("group", "ops", "/it/")))


# --- CreateGroup ------------------------------------------------------------------------


def test_create_group_returns_aws_shape(frozen_clock, alice):
    outcome = ok(alice, "CreateGroup", {"GroupName": "admins", "Path": "/it/"})
    group = outcome.result["Group"]
    assert group["GroupName"] == "admins"
    assert group["Path"] == "/it/"
    assert group["Arn"] == arn("group", "admins", "/it/")
    assert group["GroupId"].startswith("AGPA") and len(group["GroupId"]) == 21
    assert group["CreateDate"] == frozen_clock.current
    assert outcome.event.response_elements["group"]["groupName"] == "admins"


def test_create_group_with_name_differing_in_case_already_exists(alice, admins):
    fails(alice, "CreateGroup", {"GroupName": "ADMINS"}, "EntityAlreadyExists", "Group with name ADMINS already exists.")


def test_create_group_validates_name_and_path(alice):
    outcome = fails(alice, "CreateGroup", {"GroupName": "bad name", "Path": "nope"}, "ValidationError")
    assert outcome.error.message.startswith("2 validation errors detected: Value 'bad name' at 'groupName'")


def test_create_group_accepts_a_128_character_name(alice):
    ok(alice, "CreateGroup", {"GroupName": "g" * 128})


def test_create_group_beyond_quota_is_limit_exceeded(monkeypatch, alice, admins):
    monkeypatch.setattr(operations, "GROUPS_PER_ACCOUNT", 1)
    fails(alice, "CreateGroup", {"GroupName": "ops"}, "LimitExceeded", "Cannot exceed quota for GroupsPerAccount: 1")


# --- GetGroup, ListGroups ---------------------------------------------------------------


def test_get_group_lists_its_users(alice, admins, bob):
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    result = ok(alice, "GetGroup", {"GroupName": "admins"}).result
    assert result["Group"]["GroupName"] == "admins"
    assert [u["UserName"] for u in result["Users"]] == ["bob"]
    assert result["IsTruncated"] is False


def test_get_unknown_group_is_no_such_entity(alice):
    fails(alice, "GetGroup", {"GroupName": "nope"}, "NoSuchEntity", "The group with name nope cannot be found.")


def test_list_groups_filters_by_path_prefix_and_pages(alice):
    for name, path in (("a", "/"), ("b", "/it/"), ("c", "/it/")):
        ok(alice, "CreateGroup", {"GroupName": name, "Path": path})
    result = ok(alice, "ListGroups", {"PathPrefix": "/it/", "MaxItems": 1}).result
    assert [g["GroupName"] for g in result["Groups"]] == ["b"]
    rest = ok(alice, "ListGroups", {"PathPrefix": "/it/", "Marker": result["Marker"]}).result
    assert [g["GroupName"] for g in rest["Groups"]] == ["c"]



@pytest.mark.parametrize("action,create,name_key,listed", [
    ("ListGroups", "CreateGroup", "GroupName", "Groups"),
    ("ListRoles", "CreateRole", "RoleName", "Roles"),
    ("ListPolicies", "CreatePolicy", "PolicyName", "Policies"),
])
def test_every_listing_compares_its_path_prefix_exactly(alice, action, create, name_key, listed):
    # IAM paths are case-sensitive, and _ is a path character, not a pattern.
    extra = {
        "CreateRole": {"AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                                   '"Principal":{"Service":"ec2.amazonaws.com"},'
                                                   '"Action":"sts:AssumeRole"}]}'},
        "CreatePolicy": {"PolicyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                           '"Action":"s3:ListAllMyBuckets","Resource":"*"}]}'},
    }.get(create, {})
    for name, path in (("upper", "/Team/"), ("lower", "/team/"), ("underscore", "/a_b/"), ("other", "/axb/")):
        ok(alice, create, {name_key: name, "Path": path, **extra})

    def names(prefix):
        params = {"PathPrefix": prefix, **({"Scope": "Local"} if action == "ListPolicies" else {})}
        return sorted(item[name_key] for item in ok(alice, action, params).result[listed])

    # Whole path segments: ListPolicies' PathPrefix pattern takes no other.
    assert names("/team/") == ["lower"]
    assert names("/Team/") == ["upper"]
    assert names("/a_b/") == ["underscore"]

# --- UpdateGroup, DeleteGroup -----------------------------------------------------------


def test_update_group_renames_and_moves(alice, admins):
    ok(alice, "UpdateGroup", {"GroupName": "admins", "NewGroupName": "owners", "NewPath": "/x/"})
    admins.refresh_from_db()
    assert admins.arn == arn("group", "owners", "/x/")


def test_update_group_to_taken_name_already_exists(alice, admins):
    ok(alice, "CreateGroup", {"GroupName": "ops"})
    fails(alice, "UpdateGroup", {"GroupName": "ops", "NewGroupName": "Admins"}, "EntityAlreadyExists",
          "Group with name Admins already exists.")


def test_delete_group_removes_it(alice, admins):
    ok(alice, "DeleteGroup", {"GroupName": "admins"})
    assert not Group.objects.exists()


def test_delete_group_with_members_is_delete_conflict(alice, admins, bob):
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    fails(alice, "DeleteGroup", {"GroupName": "admins"}, "DeleteConflict",
          "Cannot delete entity, must remove users from group first.")


def test_delete_group_with_attached_policy_is_delete_conflict(alice, admins):
    ok(alice, "AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    fails(alice, "DeleteGroup", {"GroupName": "admins"}, "DeleteConflict",
          "Cannot delete entity, must detach all policies first.")


# --- membership ---------------------------------------------------------------------------


def test_add_user_to_group_twice_is_harmless(alice, admins, bob):
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "BOB"})
    assert GroupMembership.objects.count() == 1


def test_add_unknown_user_is_no_such_entity(alice, admins):
    fails(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "nobody"}, "NoSuchEntity",
          "The user with name nobody cannot be found.")


def test_user_in_ten_groups_cannot_join_another(alice, bob):
    for i in range(11):
        ok(alice, "CreateGroup", {"GroupName": f"g{i}"})
    for i in range(10):
        ok(alice, "AddUserToGroup", {"GroupName": f"g{i}", "UserName": "bob"})
    fails(alice, "AddUserToGroup", {"GroupName": "g10", "UserName": "bob"}, "LimitExceeded",
          "Cannot exceed quota for GroupsPerUser: 10")
    assert bob.memberships.count() == 10


def test_remove_user_from_group(alice, admins, bob):
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    ok(alice, "RemoveUserFromGroup", {"GroupName": "admins", "UserName": "bob"})
    assert not GroupMembership.objects.exists()


def test_remove_non_member_is_no_such_entity(alice, admins, bob):
    fails(alice, "RemoveUserFromGroup", {"GroupName": "admins", "UserName": "bob"}, "NoSuchEntity")


def test_list_groups_for_user(alice, alice_account, bob):
    for name in ("ops", "admins"):
        ok(alice, "CreateGroup", {"GroupName": name})
        ok(alice, "AddUserToGroup", {"GroupName": name, "UserName": "bob"})
    make_user(alice_account, "carol")
    groups = ok(alice, "ListGroupsForUser", {"UserName": "bob"}).result["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins", "ops"]
    assert ok(alice, "ListGroupsForUser", {"UserName": "carol"}).result["Groups"] == []


# --- another account ----------------------------------------------------------------------


@pytest.mark.parametrize("action, params", [
    ("GetGroup", {"GroupName": "admins"}),
    ("UpdateGroup", {"GroupName": "admins", "NewPath": "/x/"}),
    ("DeleteGroup", {"GroupName": "admins"}),
    ("AddUserToGroup", {"GroupName": "admins", "UserName": "bob"}),
])
def test_other_root_cannot_see_or_touch_alices_groups(action, params, charlie, admins):
    fails(charlie, action, params, "NoSuchEntity", "The group with name admins cannot be found.")
    assert Group.objects.filter(pk=admins.pk, path="/").exists()


def test_other_root_lists_only_its_groups(charlie, admins):
    assert ok(charlie, "ListGroups").result["Groups"] == []
