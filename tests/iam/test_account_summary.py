"""GetAccountSummary and GetAccountAuthorizationDetails: AWS's keys and shapes, filters,
paging, isolation, and a query count that does not grow with the account."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iam import operations
from tests.conftest import make_user
from tests.iam.helpers import ALLOW_S3_READ, TRUST_EC2, arn, decoded, denied_message, document, fails, ok

READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"

DENIED_CASES = {
    "GetAccountAuthorizationDetails": ({}, "*"),
    "GetAccountSummary": ({}, "*"),
}

# "Valid Keys" of AWS's GetAccountSummary reference (every member of summaryKeyType).
SUMMARY_KEYS = {
    "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
    "UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota",
    "PolicySizeQuota", "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota",
    "GlobalEndpointTokenVersion", "AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota",
    "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota",
}


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


@pytest.fixture
def populated(alice, bob):
    """bob in admins with an inline and an attached policy; a role in an instance profile;
    a customer managed policy with two versions."""
    ok(alice, "CreateGroup", {"GroupName": "admins"})
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": "bob"})
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "own", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY_ACCESS})
    ok(alice, "TagUser", {"UserName": "bob", "Tags": [{"Key": "team", "Value": "ops"}]})
    ok(alice, "PutGroupPolicy", {"GroupName": "admins", "PolicyName": "g", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "CreatePolicy", {"PolicyName": "S3Read", "PolicyDocument": ALLOW_S3_READ, "Description": "read"})
    ok(alice, "CreatePolicyVersion", {"PolicyArn": arn("policy", "S3Read"), "PolicyDocument": document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}), "SetAsDefault": True})
    ok(alice, "AttachGroupPolicy", {"GroupName": "admins", "PolicyArn": arn("policy", "S3Read")})
    ok(alice, "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2,
                             "PermissionsBoundary": READ_ONLY_ACCESS})
    ok(alice, "PutRolePolicy", {"RoleName": "app", "PolicyName": "r", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": "web"})
    ok(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})


# --- GetAccountSummary ----------------------------------------------------------------------------


def test_account_summary_has_every_aws_key(alice):
    summary = ok(alice, "GetAccountSummary").result["SummaryMap"]
    assert set(summary) == SUMMARY_KEYS
    assert all(isinstance(value, int) for value in summary.values())


def test_account_summary_reports_aws_default_quotas(alice):
    summary = ok(alice, "GetAccountSummary").result["SummaryMap"]
    assert {key: summary[key] for key in (
        "UsersQuota", "GroupsQuota", "RolesQuota", "PoliciesQuota", "InstanceProfilesQuota",
        "AccessKeysPerUserQuota", "GroupsPerUserQuota", "AttachedPoliciesPerUserQuota",
        "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota", "VersionsPerPolicyQuota",
        "PolicySizeQuota", "UserPolicySizeQuota", "GroupPolicySizeQuota", "RolePolicySizeQuota",
        "AssumeRolePolicySizeQuota", "PolicyVersionsInUseQuota",
    )} == {
        "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": 1500,
        "InstanceProfilesQuota": 1000, "AccessKeysPerUserQuota": 2, "GroupsPerUserQuota": 10,
        "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
        "VersionsPerPolicyQuota": 5, "PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048,
        "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048,
        "PolicyVersionsInUseQuota": 10000,
    }


def test_account_summary_counts_this_accounts_entities(alice, charlie, populated):
    ok(charlie, "CreateRole", {"RoleName": "elsewhere", "AssumeRolePolicyDocument": TRUST_EC2})
    summary = ok(alice, "GetAccountSummary").result["SummaryMap"]
    assert {key: summary[key] for key in (
        "Users", "Groups", "Roles", "Policies", "InstanceProfiles", "PolicyVersionsInUse",
    )} == {"Users": 1, "Groups": 1, "Roles": 1, "Policies": 1, "InstanceProfiles": 1, "PolicyVersionsInUse": 2}
    assert ok(charlie, "GetAccountSummary").result["SummaryMap"]["Roles"] == 1


def test_account_summary_mfa_is_absent_and_root_password_present(alice):
    summary = ok(alice, "GetAccountSummary").result["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (0, 0, 0)
    assert summary["AccountPasswordPresent"] == 1
    assert summary["AccountAccessKeysPresent"] == 0


def test_account_summary_notes_root_access_keys(alice):
    ok(alice, "CreateAccessKey")
    assert ok(alice, "GetAccountSummary").result["SummaryMap"]["AccountAccessKeysPresent"] == 1


def test_account_summary_follows_patched_quotas(monkeypatch, alice):
    monkeypatch.setattr(operations, "ROLES_PER_ACCOUNT", 7)
    assert ok(alice, "GetAccountSummary").result["SummaryMap"]["RolesQuota"] == 7


def test_account_summary_reads_in_a_fixed_number_of_queries(
    alice, alice_account, populated, django_assert_max_num_queries
):
    for index in range(10):
        make_user(alice_account, f"user{index}")
    with django_assert_max_num_queries(7):
        assert ok(alice, "GetAccountSummary").result["SummaryMap"]["Users"] == 11


# --- GetAccountAuthorizationDetails --------------------------------------------------------------------


def test_authorization_details_users(alice, populated):
    result = ok(alice, "GetAccountAuthorizationDetails").result
    [user] = result["UserDetailList"]
    assert (user["UserName"], user["Arn"], user["Path"]) == ("bob", arn("user", "bob"), "/")
    assert user["GroupList"] == ["admins"]
    assert user["AttachedManagedPolicies"] == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY_ACCESS}]
    [inline] = user["UserPolicyList"]
    assert inline["PolicyName"] == "own" and decoded(inline["PolicyDocument"]) == decoded(ALLOW_S3_READ)
    assert inline["PolicyDocument"].startswith("%7B")  # URL-encoded, as AWS returns documents
    assert user["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert result["IsTruncated"] is False


def test_authorization_details_groups(alice, populated):
    [group] = ok(alice, "GetAccountAuthorizationDetails").result["GroupDetailList"]
    assert (group["GroupName"], group["Arn"]) == ("admins", arn("group", "admins"))
    assert [p["PolicyName"] for p in group["GroupPolicyList"]] == ["g"]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "S3Read", "PolicyArn": arn("policy", "S3Read")}]


def test_authorization_details_roles_with_instance_profiles(alice, populated):
    [role] = ok(alice, "GetAccountAuthorizationDetails").result["RoleDetailList"]
    assert (role["RoleName"], role["Arn"]) == ("app", arn("role", "app"))
    assert decoded(role["AssumeRolePolicyDocument"]) == decoded(TRUST_EC2)
    assert [p["PolicyName"] for p in role["RolePolicyList"]] == ["r"]
    assert role["AttachedManagedPolicies"] == []
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == READ_ONLY_ACCESS
    [profile] = role["InstanceProfileList"]
    assert profile["Arn"] == arn("instance-profile", "web")
    assert [r["RoleName"] for r in profile["Roles"]] == ["app"]
    assert "RoleLastUsed" not in role


def test_authorization_details_policies_with_every_version(alice, populated):
    policies = ok(alice, "GetAccountAuthorizationDetails").result["Policies"]
    by_name = {policy["PolicyName"]: policy for policy in policies}
    s3read = by_name["S3Read"]
    assert (s3read["DefaultVersionId"], s3read["AttachmentCount"], s3read["Description"]) == ("v2", 1, "read")
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in s3read["PolicyVersionList"]] == [
        ("v1", False), ("v2", True)]
    assert decoded(s3read["PolicyVersionList"][0]["Document"]) == decoded(ALLOW_S3_READ)
    assert by_name["ReadOnlyAccess"]["AttachmentCount"] == 1
    assert by_name["ReadOnlyAccess"]["PermissionsBoundaryUsageCount"] == 1


def test_authorization_details_leaves_out_unused_aws_managed_policies(alice, populated):
    arns = {policy["Arn"] for policy in ok(alice, "GetAccountAuthorizationDetails").result["Policies"]}
    assert arns == {arn("policy", "S3Read"), READ_ONLY_ACCESS}


def test_authorization_details_filter(alice, populated):
    result = ok(alice, "GetAccountAuthorizationDetails", {"Filter": ["Role", "LocalManagedPolicy"]}).result
    assert (result["UserDetailList"], result["GroupDetailList"]) == ([], [])
    assert [r["RoleName"] for r in result["RoleDetailList"]] == ["app"]
    assert [p["PolicyName"] for p in result["Policies"]] == ["S3Read"]
    aws_only = ok(alice, "GetAccountAuthorizationDetails", {"Filter": ["AWSManagedPolicy"]}).result
    assert [p["Arn"] for p in aws_only["Policies"]] == [READ_ONLY_ACCESS]
    assert aws_only["RoleDetailList"] == []


def test_authorization_details_rejects_unknown_filter(alice):
    fails(alice, "GetAccountAuthorizationDetails", {"Filter": ["Users"]}, "ValidationError",
          "1 validation error detected: Value 'Users' at 'filter.1.member' failed to satisfy constraint: "
          "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")


def test_authorization_details_pages_across_entity_kinds(alice, populated):
    seen = []
    params = {"MaxItems": 2}
    while True:
        result = ok(alice, "GetAccountAuthorizationDetails", params).result
        page = (
            [u["UserName"] for u in result["UserDetailList"]] + [g["GroupName"] for g in result["GroupDetailList"]]
            + [r["RoleName"] for r in result["RoleDetailList"]] + [p["PolicyName"] for p in result["Policies"]]
        )
        assert len(page) <= 2
        seen += page
        if not result["IsTruncated"]:
            break
        params["Marker"] = result["Marker"]
    assert seen == ["bob", "admins", "app", "ReadOnlyAccess", "S3Read"]


def test_authorization_details_rejects_bad_max_items(alice):
    fails(alice, "GetAccountAuthorizationDetails", {"MaxItems": 0}, "ValidationError")


def test_authorization_details_show_only_this_account(charlie, populated):
    result = ok(charlie, "GetAccountAuthorizationDetails").result
    assert result == {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
                      "IsTruncated": False}


def _add_user(alice, index):
    name = f"user{index}"
    ok(alice, "CreateUser", {"UserName": name, "Tags": [{"Key": "n", "Value": str(index)}]})
    ok(alice, "AddUserToGroup", {"GroupName": "admins", "UserName": name})
    ok(alice, "PutUserPolicy", {"UserName": name, "PolicyName": "own", "PolicyDocument": ALLOW_S3_READ})
    ok(alice, "AttachUserPolicy", {"UserName": name, "PolicyArn": arn("policy", "S3Read")})
    ok(alice, "CreateRole", {"RoleName": f"role{index}", "AssumeRolePolicyDocument": TRUST_EC2})
    ok(alice, "CreateInstanceProfile", {"InstanceProfileName": f"profile{index}"})
    ok(alice, "AddRoleToInstanceProfile", {"InstanceProfileName": f"profile{index}", "RoleName": f"role{index}"})


def test_authorization_details_query_count_does_not_grow_with_the_account(
    alice, populated, django_assert_num_queries, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as small:
        ok(alice, "GetAccountAuthorizationDetails")
    for index in range(10):
        _add_user(alice, index)
    with django_assert_num_queries(len(small.captured_queries)):
        result = ok(alice, "GetAccountAuthorizationDetails").result
    assert len(result["UserDetailList"]) == 11 and len(result["RoleDetailList"]) == 11
    with django_assert_max_num_queries(22):
        ok(alice, "GetAccountAuthorizationDetails")


def test_mfa_devices_are_counted(alice, bob, frozen_clock):
    import pyotp
    from datetime import timedelta

    from awsapi.dispatch import dispatch
    from console import clock

    def enable(name, user_name=None):
        device = dispatch(alice, "iam:CreateVirtualMFADevice", {"VirtualMFADeviceName": name})["VirtualMFADevice"]
        seed = device["Base32StringSeed"].decode()
        params = {"SerialNumber": device["SerialNumber"],
                  "AuthenticationCode1": pyotp.TOTP(seed).at(clock.now() - timedelta(seconds=30)),
                  "AuthenticationCode2": pyotp.TOTP(seed).at(clock.now())}
        if user_name:
            params["UserName"] = user_name
        dispatch(alice, "iam:EnableMFADevice", params)

    dispatch(alice, "iam:CreateVirtualMFADevice", {"VirtualMFADeviceName": "spare"})
    enable("bob-phone", "bob")
    summary = dispatch(alice, "iam:GetAccountSummary")["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (2, 1, 0)
    enable("root-phone")
    summary = dispatch(alice, "iam:GetAccountSummary")["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (3, 2, 1)
