"""Instance profiles through the dispatcher: one role per profile, deletion order, tags,
paging, isolation between accounts."""

import pytest

from iam import operations
from iam.models import InstanceProfile, Role
from tests.conftest import ALICE_ACCOUNT
from tests.iam.helpers import TRUST_EC2, arn, decoded, denied_message, fails, ok

WEB = arn("instance-profile", "web")
APP = arn("role", "app")

DENIED_CASES = {
    "AddRoleToInstanceProfile": ({"InstanceProfileName": "web", "RoleName": "app"}, WEB),
    "CreateInstanceProfile": ({"InstanceProfileName": "web"}, WEB),
    "DeleteInstanceProfile": ({"InstanceProfileName": "web"}, WEB),
    "GetInstanceProfile": ({"InstanceProfileName": "web"}, WEB),
    "ListInstanceProfileTags": ({"InstanceProfileName": "web"}, WEB),
    "ListInstanceProfiles": ({}, f"arn:aws:iam::{ALICE_ACCOUNT}:instance-profile/"),
    "ListInstanceProfilesForRole": ({"RoleName": "app"}, APP),
    "RemoveRoleFromInstanceProfile": ({"InstanceProfileName": "web", "RoleName": "app"}, WEB),
    "TagInstanceProfile": ({"InstanceProfileName": "web", "Tags": [{"Key": "k", "Value": "v"}]}, WEB),
    "UntagInstanceProfile": ({"InstanceProfileName": "web", "TagKeys": ["k"]}, WEB),
}

IN_USE = "Cannot delete entity, must remove roles from instance profile first."


@pytest.fixture
def app(alice):
    ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2})
    return Role.objects.get(role_name="app")


@pytest.fixture
def web(alice):
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": "web"})
    return InstanceProfile.objects.get(instance_profile_name="web")


@pytest.fixture
def web_with_app(alice, web, app):
    ok(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})
    return web


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


def test_denied_calls_change_nothing(bob_ctx, web, app):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    assert list(InstanceProfile.objects.values_list("instance_profile_name", flat=True)) == ["web"]
    assert not web.roles.exists() and not web.tags.exists()


def test_denied_instance_profile_action_names_its_path(bob_ctx, alice):
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": "svc", "Path": "/service/"})
    fails(bob_ctx, "GetInstanceProfile", {"InstanceProfileName": "svc"}, "AccessDenied",
          denied_message("GetInstanceProfile", arn("instance-profile", "svc", "/service/")))


# --- CreateInstanceProfile ----------------------------------------------------------------


def test_create_instance_profile_returns_aws_shape(frozen_clock, alice):
    outcome = ok(alice, "CreateInstanceProfile", {
        "InstanceProfileName": "web", "Path": "/service/", "Tags": [{"Key": "env", "Value": "lab"}],
    })
    profile = outcome.result["InstanceProfile"]
    assert profile["Arn"] == arn("instance-profile", "web", "/service/")
    assert profile["InstanceProfileId"].startswith("AIPA") and len(profile["InstanceProfileId"]) == 21
    assert (profile["InstanceProfileName"], profile["Path"]) == ("web", "/service/")
    assert profile["Roles"] == []
    assert profile["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert profile["CreateDate"] == frozen_clock.current
    assert outcome.event.response_elements["instanceProfile"]["instanceProfileName"] == "web"


def test_create_instance_profile_twice_already_exists(alice, web):
    fails(alice, "CreateInstanceProfile", {"InstanceProfileName": "WEB"}, "EntityAlreadyExists",
          "Instance Profile WEB already exists.")


def test_create_instance_profile_validates_name_and_path(alice):
    outcome = fails(alice, "CreateInstanceProfile", {"InstanceProfileName": "w" * 129, "Path": "no-slash"},
                    "ValidationError")
    assert outcome.error.message.startswith("2 validation errors detected:")
    assert "at 'instanceProfileName' failed to satisfy constraint: Member must have length less than or equal " \
           "to 128" in outcome.error.message
    assert "at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern" in (
        outcome.error.message)
    assert not InstanceProfile.objects.exists()


def test_create_instance_profile_without_name_is_validation_error(alice):
    fails(alice, "CreateInstanceProfile", {}, "ValidationError",
          "1 validation error detected: Value null at 'instanceProfileName' failed to satisfy constraint: "
          "Member must not be null")


def test_create_instance_profile_beyond_quota_is_limit_exceeded(monkeypatch, alice, web):
    monkeypatch.setattr(operations, "INSTANCE_PROFILES_PER_ACCOUNT", 1)
    fails(alice, "CreateInstanceProfile", {"InstanceProfileName": "other"}, "LimitExceeded",
          "Cannot exceed quota for InstanceProfilesPerAccount: 1")


def test_create_instance_profile_with_duplicate_tag_keys_creates_nothing(alice):
    fails(alice, "CreateInstanceProfile", {"InstanceProfileName": "web", "Tags": [
        {"Key": "env", "Value": "a"}, {"Key": "ENV", "Value": "b"}]}, "ValidationError",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert not InstanceProfile.objects.exists()


# --- GetInstanceProfile, ListInstanceProfiles ------------------------------------------------------


def test_get_instance_profile_shows_its_role(alice, web_with_app):
    profile = ok(alice, "GetInstanceProfile", {"InstanceProfileName": "Web"}).result["InstanceProfile"]
    assert profile["InstanceProfileName"] == "web"
    [role] = profile["Roles"]
    assert (role["RoleName"], role["Arn"]) == ("app", APP)
    assert decoded(role["AssumeRolePolicyDocument"]) == decoded(TRUST_EC2)


def test_get_unknown_instance_profile_is_no_such_entity(alice):
    fails(alice, "GetInstanceProfile", {"InstanceProfileName": "nope"}, "NoSuchEntity",
          "Instance Profile nope cannot be found.")


def test_list_instance_profiles_by_path_prefix(alice, web):
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": "svc", "Path": "/service/"})
    listed = ok(alice, "ListInstanceProfiles").result["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["svc", "web"]
    assert "Tags" not in listed[0]
    only = ok(alice, "ListInstanceProfiles", {"PathPrefix": "/service/"}).result["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in only] == ["svc"]


def test_list_instance_profiles_pages_with_marker(alice):
    for name in ("a", "b", "c"):
        ok(alice, "CreateInstanceProfile", {"InstanceProfileName": name})
    first = ok(alice, "ListInstanceProfiles", {"MaxItems": 2}).result
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == ["a", "b"]
    assert first["IsTruncated"] is True
    rest = ok(alice, "ListInstanceProfiles", {"MaxItems": 2, "Marker": first["Marker"]}).result
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == ["c"]
    assert rest["IsTruncated"] is False and "Marker" not in rest


def test_list_instance_profiles_rejects_bad_path_prefix(alice):
    fails(alice, "ListInstanceProfiles", {"PathPrefix": "service"}, "ValidationError")


def test_list_instance_profiles_lists_roles_in_bounded_queries(alice, app, django_assert_max_num_queries):
    for index in range(5):
        ok(alice, "CreateInstanceProfile", {"InstanceProfileName": f"p{index}"})
        ok(alice, "CreateRole", {"RoleName": f"r{index}", "AssumeRolePolicyDocument": TRUST_EC2})
        ok(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": f"p{index}", "RoleName": f"r{index}"})
    with django_assert_max_num_queries(8):
        listed = ok(alice, "ListInstanceProfiles").result["InstanceProfiles"]
    assert [p["Roles"][0]["RoleName"] for p in listed] == [f"r{index}" for index in range(5)]


# --- roles in profiles ------------------------------------------------------------------------------


def test_add_role_to_instance_profile(alice, web_with_app, app):
    assert list(web_with_app.roles.all()) == [app]
    listed = ok(alice, "ListInstanceProfilesForRole", {"RoleName": "app"}).result["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web"]


def test_a_profile_holds_only_one_role(alice, web_with_app):
    ok(alice, "CreateRole", {"RoleName": "other", "AssumeRolePolicyDocument": TRUST_EC2})
    fails(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "other"}, "LimitExceeded",
          "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    assert [r.role_name for r in web_with_app.roles.all()] == ["app"]


def test_adding_the_same_role_again_is_limit_exceeded(alice, web_with_app):
    fails(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"}, "LimitExceeded",
          "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")


def test_a_role_may_be_in_several_profiles(alice, web_with_app, app):
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": "batch"})
    ok(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "batch", "RoleName": "app"})
    listed = ok(alice, "ListInstanceProfilesForRole", {"RoleName": "app"}).result["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["batch", "web"]


def test_add_unknown_role_is_no_such_entity(alice, web):
    fails(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "nope"}, "NoSuchEntity",
          "The role with name nope cannot be found.")


def test_add_role_to_unknown_profile_is_no_such_entity(alice, app):
    fails(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "nope", "RoleName": "app"}, "NoSuchEntity",
          "Instance Profile nope cannot be found.")


def test_add_role_without_role_name_is_validation_error(alice, web):
    fails(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web"}, "ValidationError",
          "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: "
          "Member must not be null")


def test_remove_role_from_instance_profile(alice, web_with_app):
    ok(alice, "RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})
    assert not web_with_app.roles.exists()
    assert ok(alice, "ListInstanceProfilesForRole", {"RoleName": "app"}).result["InstanceProfiles"] == []


def test_remove_role_not_in_profile_is_no_such_entity(alice, web, app):
    fails(alice, "RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"},
          "NoSuchEntity", "The role with name app cannot be found.")


# --- deletion order ---------------------------------------------------------------------------------


def test_delete_instance_profile(alice, web):
    ok(alice, "DeleteInstanceProfile", {"InstanceProfileName": "web"})
    assert not InstanceProfile.objects.exists()


def test_delete_instance_profile_with_a_role_is_delete_conflict(alice, web_with_app):
    fails(alice, "DeleteInstanceProfile", {"InstanceProfileName": "web"}, "DeleteConflict", IN_USE)
    assert InstanceProfile.objects.exists()


def test_delete_role_in_an_instance_profile_is_delete_conflict(alice, web_with_app):
    fails(alice, "DeleteRole", {"RoleName": "app"}, "DeleteConflict", IN_USE)
    assert Role.objects.filter(role_name="app").exists()


def test_role_can_be_deleted_once_removed_from_its_profile(alice, web_with_app):
    ok(alice, "RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})
    ok(alice, "DeleteRole", {"RoleName": "app"})
    ok(alice, "DeleteInstanceProfile", {"InstanceProfileName": "web"})
    assert not Role.objects.exists() and not InstanceProfile.objects.exists()


def test_delete_unknown_instance_profile_is_no_such_entity(alice):
    fails(alice, "DeleteInstanceProfile", {"InstanceProfileName": "nope"}, "NoSuchEntity",
          "Instance Profile nope cannot be found.")


# --- tags -------------------------------------------------------------------------------------------


def test_tag_untag_and_list_instance_profile_tags(alice, web):
    ok(alice, "TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [
        {"Key": "team", "Value": "ops"}, {"Key": "env", "Value": "lab"}]})
    assert ok(alice, "ListInstanceProfileTags", {"InstanceProfileName": "web"}).result["Tags"] == [
        {"Key": "env", "Value": "lab"}, {"Key": "team", "Value": "ops"}]
    got = ok(alice, "GetInstanceProfile", {"InstanceProfileName": "web"}).result["InstanceProfile"]
    assert got["Tags"] == [{"Key": "env", "Value": "lab"}, {"Key": "team", "Value": "ops"}]
    ok(alice, "UntagInstanceProfile", {"InstanceProfileName": "web", "TagKeys": ["ENV"]})
    assert ok(alice, "ListInstanceProfileTags", {"InstanceProfileName": "web"}).result["Tags"] == [
        {"Key": "team", "Value": "ops"}]


def test_tagging_an_existing_key_overwrites_it(alice, web):
    ok(alice, "TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [{"Key": "env", "Value": "lab"}]})
    ok(alice, "TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [{"Key": "Env", "Value": "prod"}]})
    assert ok(alice, "ListInstanceProfileTags", {"InstanceProfileName": "web"}).result["Tags"] == [
        {"Key": "Env", "Value": "prod"}]


def test_tags_beyond_fifty_are_limit_exceeded(alice, web):
    ok(alice, "TagInstanceProfile", {"InstanceProfileName": "web",
                                     "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(50)]})
    fails(alice, "TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [{"Key": "one-more", "Value": "v"}]},
          "LimitExceeded", "The number of tags has reached the maximum limit of 50.")


def test_tag_instance_profile_without_tags_is_validation_error(alice, web):
    fails(alice, "TagInstanceProfile", {"InstanceProfileName": "web"}, "ValidationError",
          "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")


# --- another account ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action, params", [
    ("GetInstanceProfile", {"InstanceProfileName": "web"}),
    ("DeleteInstanceProfile", {"InstanceProfileName": "web"}),
    ("TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [{"Key": "k", "Value": "v"}]}),
    ("ListInstanceProfileTags", {"InstanceProfileName": "web"}),
])
def test_other_root_cannot_see_or_touch_alices_profiles(action, params, charlie, web):
    fails(charlie, action, params, "NoSuchEntity", "Instance Profile web cannot be found.")
    assert InstanceProfile.objects.filter(pk=web.pk).exists() and not web.tags.exists()


def test_other_root_cannot_add_alices_role(charlie, app):
    ok(charlie, "CreateInstanceProfile", {"InstanceProfileName": "web"})
    fails(charlie, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"}, "NoSuchEntity",
          "The role with name app cannot be found.")


def test_other_root_lists_only_its_profiles(charlie, web):
    assert ok(charlie, "ListInstanceProfiles").result["InstanceProfiles"] == []


# --- the console's Delete role ------------------------------------------------------------------------


def test_console_delete_role_takes_it_out_of_its_profiles_first(client, alice, web_with_app):
    # Lives here rather than in tests/console: it checks the call order DeleteRole now needs.
    from tests.console.helpers import root_sign_in
    from trail.models import Event

    assert root_sign_in(client).status_code == 302
    response = client.post("/iam/roles/details/app/delete", {"confirm": "app"})
    assert response.url == "/iam/roles"
    assert not Role.objects.exists()
    assert InstanceProfile.objects.get() == web_with_app and not web_with_app.roles.exists()
    names = list(Event.objects.filter(error_code="").values_list("event_name", flat=True).order_by("id"))
    assert names[-2:] == ["RemoveRoleFromInstanceProfile", "DeleteRole"]
