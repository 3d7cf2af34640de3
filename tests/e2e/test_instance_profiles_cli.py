"""Instance profiles and the account summary with the real aws CLI against a live server:
the steps of the course's "role for an EC2 instance" lab."""

import json

import pytest

from awsapi.dispatch import dispatch
from trail.models import Event

ACCOUNT = "111122223333"
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def root_profile(cli, alice):
    key = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    cli.configure("root", key["AccessKeyId"], key["SecretAccessKey"])
    return "root"


def test_role_for_an_ec2_instance(cli, root_profile):
    cli.ok("iam", "create-role", "--role-name", "web-app", "--assume-role-policy-document", TRUST_EC2,
           profile=root_profile)
    created = cli.ok("iam", "create-instance-profile", "--instance-profile-name", "web-app",
                     "--tags", "Key=env,Value=lab", profile=root_profile)["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/web-app"
    assert created["InstanceProfileId"].startswith("AIPA") and created["Roles"] == []
    assert cli.ok("iam", "add-role-to-instance-profile", "--instance-profile-name", "web-app",
                  "--role-name", "web-app", profile=root_profile) is None

    profile = cli.ok("iam", "get-instance-profile", "--instance-profile-name", "web-app",
                     profile=root_profile)["InstanceProfile"]
    assert [role["RoleName"] for role in profile["Roles"]] == ["web-app"]
    assert profile["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}  # the CLI decodes the URL-encoded document
    assert profile["Tags"] == [{"Key": "env", "Value": "lab"}]
    listed = cli.ok("iam", "list-instance-profiles-for-role", "--role-name", "web-app", profile=root_profile)
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == ["web-app"]
    assert Event.objects.get(event_name="AddRoleToInstanceProfile").error_code == ""


def test_one_role_per_profile_and_deletion_order(cli, alice, root_profile):
    for name in ("web-app", "other"):
        dispatch(alice, "iam:CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": TRUST_EC2})
    dispatch(alice, "iam:CreateInstanceProfile", {"InstanceProfileName": "web-app"})
    dispatch(alice, "iam:AddRoleToInstanceProfile", {"InstanceProfileName": "web-app", "RoleName": "web-app"})

    assert cli.fails("iam", "add-role-to-instance-profile", "--instance-profile-name", "web-app",
                     "--role-name", "other", profile=root_profile) == (
        "An error occurred (LimitExceeded) when calling the AddRoleToInstanceProfile operation: "
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    assert cli.fails("iam", "delete-role", "--role-name", "web-app", profile=root_profile) == (
        "An error occurred (DeleteConflict) when calling the DeleteRole operation: "
        "Cannot delete entity, must remove roles from instance profile first.")
    assert cli.fails("iam", "delete-instance-profile", "--instance-profile-name", "web-app",
                     profile=root_profile) == (
        "An error occurred (DeleteConflict) when calling the DeleteInstanceProfile operation: "
        "Cannot delete entity, must remove roles from instance profile first.")

    cli.ok("iam", "remove-role-from-instance-profile", "--instance-profile-name", "web-app",
           "--role-name", "web-app", profile=root_profile)
    cli.ok("iam", "delete-instance-profile", "--instance-profile-name", "web-app", profile=root_profile)
    cli.ok("iam", "delete-role", "--role-name", "web-app", profile=root_profile)
    assert cli.fails("iam", "get-instance-profile", "--instance-profile-name", "web-app", profile=root_profile) == (
        "An error occurred (NoSuchEntity) when calling the GetInstanceProfile operation: "
        "Instance Profile web-app cannot be found.")


def test_get_account_summary(cli, alice, bob, root_profile):
    dispatch(alice, "iam:CreateRole", {"RoleName": "web-app", "AssumeRolePolicyDocument": TRUST_EC2})
    dispatch(alice, "iam:CreateInstanceProfile", {"InstanceProfileName": "web-app"})
    summary = cli.ok("iam", "get-account-summary", profile=root_profile)["SummaryMap"]
    assert (summary["Users"], summary["Roles"], summary["InstanceProfiles"]) == (1, 1, 1)
    assert (summary["UsersQuota"], summary["InstanceProfilesQuota"]) == (5000, 1000)
    assert summary["AccountAccessKeysPresent"] == 1 and summary["AccountMFAEnabled"] == 0


def test_get_account_authorization_details_pages_through_everything(cli, alice, bob, root_profile):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    for index in range(3):
        dispatch(alice, "iam:CreateRole", {"RoleName": f"role{index}", "AssumeRolePolicyDocument": TRUST_EC2})
    dispatch(alice, "iam:CreateInstanceProfile", {"InstanceProfileName": "web-app"})
    dispatch(alice, "iam:AddRoleToInstanceProfile", {"InstanceProfileName": "web-app", "RoleName": "role1"})
    # --page-size makes the CLI follow Marker across several calls and merge the pages.
    details = cli.ok("iam", "get-account-authorization-details", "--page-size", "2", profile=root_profile)
    assert [u["UserName"] for u in details["UserDetailList"]] == ["bob"]
    assert details["UserDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"
    roles = {role["RoleName"]: role for role in details["RoleDetailList"]}
    assert sorted(roles) == ["role0", "role1", "role2"]
    assert [p["InstanceProfileName"] for p in roles["role1"]["InstanceProfileList"]] == ["web-app"]
    assert [p["PolicyName"] for p in details["Policies"]] == ["ReadOnlyAccess"]
    assert Event.objects.filter(event_name="GetAccountAuthorizationDetails").count() == 3
