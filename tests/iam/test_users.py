"""Users through the dispatcher: reading, renaming, deleting, login profiles, tags."""

import base64

import pytest

from iam.models import LoginProfile, Tag, User
from tests.conftest import ALICE_ACCOUNT, CHARLIE_ACCOUNT, make_user
from tests.iam.helpers import arn, call, denied_message, fails, ok

CAROL = arn("user", "carol")

DENIED_CASES = {
    "DeleteLoginProfile": ({"UserName": "carol"}, CAROL),
    "DeleteUser": ({"UserName": "carol"}, CAROL),
    "GetLoginProfile": ({"UserName": "carol"}, CAROL),
    "GetUser": ({"UserName": "carol"}, CAROL),
    "ListUserTags": ({"UserName": "carol"}, CAROL),
    "ListUsers": ({}, f"arn:aws:iam::{ALICE_ACCOUNT}:user/"),
    "TagUser": ({"UserName": "carol", "Tags": [{"Key": "team", "Value": "red"}]}, CAROL),
    "UntagUser": ({"UserName": "carol", "TagKeys": ["team"]}, CAROL),
    "UpdateUser": ({"UserName": "carol", "NewUserName": "caroline"}, CAROL),
}


@pytest.fixture
def carol(alice_account):
    return make_user(alice_account, "carol")


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx, carol):
    params, resource = DENIED_CASES[action]
    outcome = fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))
    assert outcome.error.status == 403


def test_denied_calls_change_nothing(bob_ctx, carol):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    assert User.objects.filter(user_name="carol").exists()
    assert not Tag.objects.exists()


def test_denied_get_user_names_the_users_path(alice_account, bob_ctx):
    make_user(alice_account, "dave", path="/division/")
    fails(bob_ctx, "GetUser", {"UserName": "dave"}, "AccessDenied",
          denied_message("GetUser", arn("user", "dave", "/division/")))


# --- GetUser --------------------------------------------------------------------------


def test_get_user_returns_aws_shape(alice, carol):
    user = ok(alice, "GetUser", {"UserName": "carol"}).result["User"]
    assert user == {
        "Path": "/", "UserName": "carol", "UserId": carol.user_id, "Arn": CAROL, "CreateDate": carol.create_date,
    }


def test_get_user_finds_the_user_ignoring_case(alice, carol):
    assert ok(alice, "GetUser", {"UserName": "CAROL"}).result["User"]["UserName"] == "carol"


def test_get_user_event_is_read_only_without_response(alice, carol):
    event = ok(alice, "GetUser", {"UserName": "carol"}).event
    assert event.request_parameters == {"userName": "carol"}
    assert event.response_elements is None


def test_get_user_without_name_as_root_describes_the_root_user(alice, alice_account):
    user = ok(alice, "GetUser").result["User"]
    assert user["Arn"] == f"arn:aws:iam::{ALICE_ACCOUNT}:root"
    assert user["UserId"] == ALICE_ACCOUNT
    assert "UserName" not in user


def test_get_user_without_name_as_iam_user_is_that_user(alice, bob_ctx, bob):
    # bob may not call GetUser without a policy; root asks for bob instead and the
    # resource for bob's own call is his own ARN.
    fails(bob_ctx, "GetUser", {}, "AccessDenied", denied_message("GetUser", f"arn:aws:iam::{ALICE_ACCOUNT}:user/bob"))


def test_get_unknown_user_is_no_such_entity(alice):
    fails(alice, "GetUser", {"UserName": "nobody"}, "NoSuchEntity", "The user with name nobody cannot be found.")


def test_get_user_with_malformed_name_is_validation_error(alice):
    outcome = fails(alice, "GetUser", {"UserName": "bad name!"}, "ValidationError")
    assert "Value 'bad name!' at 'userName' failed to satisfy constraint" in outcome.error.message


def test_get_user_shows_tags_and_boundary(alice, carol):
    ok(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "team", "Value": "red"}]})
    ok(alice, "PutUserPermissionsBoundary", {"UserName": "carol", "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    user = ok(alice, "GetUser", {"UserName": "carol"}).result["User"]
    assert user["Tags"] == [{"Key": "team", "Value": "red"}]
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }


# --- ListUsers ------------------------------------------------------------------------


def test_list_users_lists_the_accounts_users_by_name(alice, alice_account, bob):
    make_user(alice_account, "Anna")
    make_user(alice_account, "zed")
    result = ok(alice, "ListUsers").result
    assert [u["UserName"] for u in result["Users"]] == ["Anna", "bob", "zed"]
    assert result["IsTruncated"] is False
    assert "Marker" not in result


def test_list_users_filters_by_path_prefix(alice, alice_account, bob):
    make_user(alice_account, "dave", path="/division/")
    users = ok(alice, "ListUsers", {"PathPrefix": "/division/"}).result["Users"]
    assert [u["UserName"] for u in users] == ["dave"]


def test_list_users_path_prefix_is_a_case_sensitive_prefix_without_wildcards(alice, alice_account):
    # IAM paths are case-sensitive, and % and _ are path characters, not patterns.
    make_user(alice_account, "upper", path="/Division/")
    make_user(alice_account, "lower", path="/division/east/")
    make_user(alice_account, "underscore", path="/a_b/")
    make_user(alice_account, "other", path="/axb/")

    def listed(prefix):
        return [u["UserName"] for u in ok(alice, "ListUsers", {"PathPrefix": prefix}).result["Users"]]

    assert listed("/division") == ["lower"]
    assert listed("/Div") == ["upper"]
    assert listed("/a_") == ["underscore"]
    assert listed("/a%") == []
    assert listed("/") == ["lower", "other", "underscore", "upper"]


def test_list_users_pages_with_marker(alice, alice_account):
    for name in ("u1", "u2", "u3"):
        make_user(alice_account, name)
    first = ok(alice, "ListUsers", {"MaxItems": 2}).result
    assert [u["UserName"] for u in first["Users"]] == ["u1", "u2"]
    assert first["IsTruncated"] is True
    second = ok(alice, "ListUsers", {"MaxItems": 2, "Marker": first["Marker"]}).result
    assert [u["UserName"] for u in second["Users"]] == ["u3"]
    assert second["IsTruncated"] is False


@pytest.mark.parametrize("position", ["-1", "99999999999999999999", "x"])
def test_list_users_refuses_a_forged_marker(alice, alice_account, position):
    make_user(alice_account, "u1")
    marker = base64.urlsafe_b64encode(position.encode()).decode()
    fails(alice, "ListUsers", {"Marker": marker}, "ValidationError", "Invalid Marker.")


def test_list_users_refuses_max_items_out_of_range(alice):
    fails(alice, "ListUsers", {"MaxItems": 0}, "ValidationError",
          "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
          "Member must have value greater than or equal to 1")


def test_list_users_refuses_a_malformed_path_prefix(alice):
    outcome = fails(alice, "ListUsers", {"PathPrefix": "division"}, "ValidationError")
    assert "at 'pathPrefix'" in outcome.error.message


def test_list_users_never_shows_another_accounts_users(charlie, bob):
    assert ok(charlie, "ListUsers").result["Users"] == []


# --- UpdateUser -----------------------------------------------------------------------


def test_update_user_renames_and_moves(alice, carol):
    ok(alice, "UpdateUser", {"UserName": "carol", "NewUserName": "caroline", "NewPath": "/staff/"})
    carol.refresh_from_db()
    assert (carol.user_name, carol.path) == ("caroline", "/staff/")
    assert carol.arn == arn("user", "caroline", "/staff/")


def test_update_user_to_a_taken_name_already_exists(alice, carol, bob):
    fails(alice, "UpdateUser", {"UserName": "carol", "NewUserName": "BOB"}, "EntityAlreadyExists",
          "User with name BOB already exists.")


def test_update_user_may_change_only_the_case_of_its_name(alice, carol):
    ok(alice, "UpdateUser", {"UserName": "carol", "NewUserName": "Carol"})
    carol.refresh_from_db()
    assert carol.user_name == "Carol"


def test_update_unknown_user_is_no_such_entity(alice):
    fails(alice, "UpdateUser", {"UserName": "nobody", "NewPath": "/x/"}, "NoSuchEntity",
          "The user with name nobody cannot be found.")


def test_update_user_validates_new_name_and_path(alice, carol):
    outcome = fails(alice, "UpdateUser", {"UserName": "carol", "NewUserName": "bad name", "NewPath": "x"},
                    "ValidationError")
    assert outcome.error.message.startswith("2 validation errors detected")


# --- DeleteUser -----------------------------------------------------------------------


def test_delete_user_removes_it(alice, carol):
    ok(alice, "DeleteUser", {"UserName": "carol"})
    assert not User.objects.filter(pk=carol.pk).exists()


def test_delete_user_with_login_profile_is_delete_conflict(alice, bob):
    outcome = fails(alice, "DeleteUser", {"UserName": "bob"}, "DeleteConflict",
                    "Cannot delete entity, must delete login profile first.")
    assert outcome.error.status == 409
    assert User.objects.filter(pk=bob.pk).exists()


def test_delete_user_in_a_group_is_delete_conflict(alice, carol):
    ok(alice, "CreateGroup", {"GroupName": "admins"})
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "carol"})
    fails(alice, "DeleteUser", {"UserName": "carol"}, "DeleteConflict",
          "Cannot delete entity, must remove users from group first.")


def test_delete_user_with_attached_policy_is_delete_conflict(alice, carol):
    ok(alice, "AttachUserPolicy", {"UserName": "carol", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    fails(alice, "DeleteUser", {"UserName": "carol"}, "DeleteConflict",
          "Cannot delete entity, must detach all policies first.")


def test_delete_unknown_user_is_no_such_entity(alice):
    fails(alice, "DeleteUser", {"UserName": "nobody"}, "NoSuchEntity", "The user with name nobody cannot be found.")


def test_delete_user_without_name_is_validation_error(alice):
    fails(alice, "DeleteUser", {}, "ValidationError",
          "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
          "Member must not be null")


# --- login profiles ---------------------------------------------------------------------


def test_get_login_profile_never_returns_the_password(alice, bob):
    profile = ok(alice, "GetLoginProfile", {"UserName": "bob"}).result["LoginProfile"]
    assert set(profile) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert profile["UserName"] == "bob"


def test_get_login_profile_without_one_is_no_such_entity(alice, carol):
    fails(alice, "GetLoginProfile", {"UserName": "carol"}, "NoSuchEntity",
          "Login Profile for User carol cannot be found.")


def test_delete_login_profile_removes_console_access(alice, bob):
    ok(alice, "DeleteLoginProfile", {"UserName": "bob"})
    assert not LoginProfile.objects.filter(user=bob).exists()
    ok(alice, "DeleteUser", {"UserName": "bob"})


def test_delete_login_profile_without_one_is_no_such_entity(alice, carol):
    fails(alice, "DeleteLoginProfile", {"UserName": "carol"}, "NoSuchEntity",
          "Login Profile for User carol cannot be found.")


# --- tags -------------------------------------------------------------------------------


def test_tag_user_adds_and_overwrites(alice, carol):
    ok(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "team", "Value": "red"}, {"Key": "cc", "Value": "1"}]})
    ok(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "team", "Value": "blue"}]})
    tags = ok(alice, "ListUserTags", {"UserName": "carol"}).result
    assert tags == {"Tags": [{"Key": "cc", "Value": "1"}, {"Key": "team", "Value": "blue"}], "IsTruncated": False}


def test_untag_user_removes_keys_and_ignores_unknown_ones(alice, carol):
    ok(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "team", "Value": "red"}]})
    ok(alice, "UntagUser", {"UserName": "carol", "TagKeys": ["team", "missing"]})
    assert ok(alice, "ListUserTags", {"UserName": "carol"}).result["Tags"] == []


def test_tag_user_refuses_duplicate_keys(alice, carol):
    fails(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]},
          "ValidationError")


def test_tag_user_beyond_fifty_tags_is_limit_exceeded(alice, carol):
    ok(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(50)]})
    fails(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "one-more", "Value": "v"}]}, "LimitExceeded")
    assert carol.tags.count() == 50


def test_tag_user_with_malformed_key_is_validation_error(alice, carol):
    outcome = fails(alice, "TagUser", {"UserName": "carol", "Tags": [{"Key": "bad*key", "Value": "v"}]},
                    "ValidationError")
    assert "at 'tags.1.member.key'" in outcome.error.message


def test_create_user_with_tags_and_boundary(alice):
    user = ok(alice, "CreateUser", {
        "UserName": "erin",
        "Tags": [{"Key": "team", "Value": "red"}],
        "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }).result["User"]
    assert user["Tags"] == [{"Key": "team", "Value": "red"}]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_create_user_with_unknown_boundary_creates_nothing(alice):
    fails(alice, "CreateUser", {"UserName": "erin", "PermissionsBoundary": "arn:aws:iam::aws:policy/Nope"},
          "NoSuchEntity", "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
    assert not User.objects.filter(user_name="erin").exists()


# --- another account ------------------------------------------------------------------------


@pytest.mark.parametrize("action, params", [
    ("GetUser", {"UserName": "carol"}),
    ("UpdateUser", {"UserName": "carol", "NewPath": "/x/"}),
    ("DeleteUser", {"UserName": "carol"}),
    ("TagUser", {"UserName": "carol", "Tags": [{"Key": "k", "Value": "v"}]}),
    ("ListUserTags", {"UserName": "carol"}),
    ("GetLoginProfile", {"UserName": "carol"}),
])
def test_other_root_cannot_see_or_touch_alices_users(action, params, charlie, carol):
    fails(charlie, action, params, "NoSuchEntity", "The user with name carol cannot be found.")
    carol.refresh_from_db()
    assert carol.path == "/"


def test_other_root_event_is_recorded_in_its_own_account(charlie, carol):
    event = call(charlie, "GetUser", {"UserName": "carol"}).event
    assert event.recipient_account_id == CHARLIE_ACCOUNT


def test_get_user_without_name_describes_the_calling_iam_user(bob_ctx, bob):
    # Called directly: the dispatcher would deny bob, who has no policy yet.
    from iam import operations

    assert operations.get_user(bob_ctx)["User"]["Arn"] == arn("user", "bob")
