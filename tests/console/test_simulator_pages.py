"""IAM console → Policy simulator: principals of the account or a custom policy, actions,
resources, context keys, results with the matched statement highlighted."""

import re

import pytest

from awsapi.dispatch import dispatch
from tests.conftest import ALICE_ACCOUNT
from tests.iam.helpers import document
from trail.models import Event

pytestmark = pytest.mark.django_db

ALLOW_S3 = document({"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:List*", "Resource": "*"})
DENY_USERS = document({"Sid": "NoUsers", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})
MFA_ONLY = document(
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
)
CAROL = f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol"


@pytest.fixture
def carol(alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "s3-list", "PolicyDocument": ALLOW_S3})
    return CAROL


def simulate(client, **fields):
    data = {"policy_source": CAROL, "service": "", "actions": "s3:ListAllMyBuckets"}
    data.update(fields)
    return client.post("/iam/policy-simulator", data)


def permissions(body):
    return re.findall(r'class="decision decision-(\w+)"', body)


def test_simulator_page_offers_the_accounts_principals(root_client, carol, alice):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "ops"})
    body = root_client.get("/iam/policy-simulator").content.decode()
    assert f'value="{CAROL}"' in body and ">ops</option>" in body and "Custom policy" in body
    assert "Run simulation" in body


def test_allowed_action_shows_the_matching_statement_highlighted(root_client, carol):
    response = simulate(root_client, actions="s3:ListAllMyBuckets, iam:CreateUser")
    assert response.status_code == 200
    body = response.content.decode()
    assert permissions(body) == ["allowed", "denied"]
    assert "s3-list" in body and "Sid <code>ReadBuckets</code>" in body and "Statement 1" in body
    assert "<mark>{&quot;Sid&quot;: &quot;ReadBuckets&quot;" in body
    assert "Implicitly denied" in body
    assert Event.objects.filter(event_name="SimulatePrincipalPolicy").count() == 1


def test_explicit_deny_is_shown(root_client, carol, alice):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "no-users", "PolicyDocument": DENY_USERS})
    body = simulate(root_client, actions="iam:CreateUser").content.decode()
    assert permissions(body) == ["denied"] and "Explicitly denied" in body and "Sid <code>NoUsers</code>" in body


def test_service_filter_prefixes_bare_action_names(root_client, carol):
    body = simulate(root_client, service="s3", actions="ListBucket\nListAllMyBuckets").content.decode()
    assert permissions(body) == ["allowed", "allowed"] and "s3:ListBucket" in body


def test_context_key_changes_the_decision(root_client, carol, alice):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "carol", "PolicyName": "mfa", "PolicyDocument": MFA_ONLY})
    without = simulate(root_client, actions="iam:GetUser").content.decode()
    assert permissions(without) == ["denied"] and "<code>aws:MultiFactorAuthPresent</code>" in without
    with_mfa = simulate(root_client, actions="iam:GetUser", mfa="true").content.decode()
    assert permissions(with_mfa) == ["allowed"]


def test_group_policy_of_a_user_is_highlighted(root_client, carol, alice):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "admins"})
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "admins", "UserName": "carol"})
    dispatch(alice, "iam:PutGroupPolicy", {"GroupName": "admins", "PolicyName": "no-users", "PolicyDocument": DENY_USERS})
    body = simulate(root_client, actions="iam:CreateUser").content.decode()
    assert permissions(body) == ["denied"] and "no-users" in body and "(group)" in body
    assert "<mark" in body


def test_managed_policy_statement_is_highlighted(root_client, alice):
    dispatch(alice, "iam:CreateRole", {"RoleName": "reader", "AssumeRolePolicyDocument": document(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})})
    dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "reader", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    body = simulate(
        root_client, policy_source=f"arn:aws:iam::{ALICE_ACCOUNT}:role/reader", actions="s3:GetObject, s3:PutObject"
    ).content.decode()
    assert permissions(body) == ["allowed", "denied"]
    assert "AmazonS3ReadOnlyAccess" in body and "(aws-managed)" in body and "<mark" in body


def test_resource_arns_are_simulated_each(root_client, carol):
    body = simulate(root_client, actions="s3:ListBucket", resource_arns="arn:aws:s3:::a\narn:aws:s3:::b").content.decode()
    assert permissions(body) == ["allowed", "allowed"] and "arn:aws:s3:::b" in body


def test_custom_policy(root_client):
    body = simulate(root_client, policy_source="custom", custom_policy=DENY_USERS, actions="iam:CreateUser").content.decode()
    assert permissions(body) == ["denied"] and "PolicyInputList.1" in body and "<mark" in body


def test_custom_policy_with_bad_json_shows_aws_error(root_client):
    response = simulate(root_client, policy_source="custom", custom_policy='{"Version": ', actions="iam:CreateUser")
    assert response.status_code == 400 and "Syntax errors in policy." in response.content.decode()


def test_custom_policy_required(root_client):
    response = simulate(root_client, policy_source="custom", custom_policy="", actions="iam:CreateUser")
    assert response.status_code == 400 and "Enter a policy to simulate." in response.content.decode()


def test_action_without_prefix_and_no_service_is_a_form_error(root_client, carol):
    response = simulate(root_client, actions="CreateUser")
    assert response.status_code == 400
    assert "Action CreateUser must include a service prefix, such as iam:CreateUser." in response.content.decode()


def test_empty_and_oversized_actions(root_client, carol):
    assert "This field is required." in simulate(root_client, actions="").content.decode()
    big = simulate(root_client, actions="s3:" + "x" * 10000)
    assert big.status_code == 400 and "Ensure this value has at most 10000 characters" in big.content.decode()


def test_html_in_inputs_is_escaped(root_client, carol):
    body = simulate(root_client, actions="s3:<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_principal_of_another_account_is_not_offered_nor_simulated(root_client, carol, charlie):
    dispatch(charlie, "iam:CreateUser", {"UserName": "mallory"})
    page = root_client.get("/iam/policy-simulator").content.decode()
    assert "mallory" not in page
    response = simulate(root_client, policy_source="arn:aws:iam::444455556666:user/mallory")
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()


def test_iam_user_without_permission_sees_access_denied(bob_client, carol):
    page = bob_client.get("/iam/policy-simulator").content.decode()
    assert "carol" not in page
    assert "is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111122223333:user/" in page
    response = simulate(bob_client, policy_source="custom", custom_policy=ALLOW_S3)
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:SimulateCustomPolicy on "
        "resource: * because no identity-based policy allows the iam:SimulateCustomPolicy action"
    ) in body
    assert 'data-testid="simulation-results"' not in body
