"""The course's programmatic-access demo with the real aws CLI against a live server."""

import re

import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from tests.console.helpers import root_sign_in
from trail.models import Event

ACCOUNT = "111122223333"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"


def console_key(user_name):
    """Create an access key the way a student does: in the console, then read the
    Retrieve access keys page."""
    browser = Client()
    assert root_sign_in(browser).status_code == 302
    page = browser.post(
        f"/iam/users/details/{user_name}/access-keys/create", {"use_case": "cli", "confirm": "on"}
    ).content.decode()
    key_id = re.search(r'data-testid="access-key-id" data-csv-field>([A-Z0-9]+)<', page).group(1)
    secret = re.search(r'data-testid="secret-access-key" hidden>([^<]+)<', page).group(1)
    return key_id, secret.replace("&#x2B;", "+").replace("&#x2F;", "/")


@pytest.fixture
def bob_profile(cli, bob, alice):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    key_id, secret = console_key("bob")
    cli.configure("bob", key_id, secret)
    return key_id


def test_get_caller_identity_with_a_console_created_key(cli, bob, bob_profile):
    identity = cli.ok("sts", "get-caller-identity", profile="bob")
    assert identity == {"UserId": bob.user_id, "Account": ACCOUNT, "Arn": BOB}
    event = Event.objects.filter(event_name="GetCallerIdentity").get()
    assert event.user_identity["accessKeyId"] == bob_profile
    assert event.user_agent.startswith("aws-cli/")
    assert event.aws_region == "eu-west-1"


def test_read_only_user_lists_users_but_cannot_create_one(cli, bob_profile):
    users = cli.ok("iam", "list-users", profile="bob")["Users"]
    assert [u["UserName"] for u in users] == ["bob"]
    stderr = cli.fails("iam", "create-user", "--user-name", "eve", profile="bob")
    assert stderr == (
        "An error occurred (AccessDenied) when calling the CreateUser operation: "
        f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/eve because no identity-based policy allows the iam:CreateUser action"
    )
    assert Event.objects.get(event_name="CreateUser").error_code == "AccessDenied"


def test_five_step_access_key_rotation(cli, alice, bob, bob_profile):
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "OwnKeys", "PolicyDocument": (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*AccessKey*"],'
        '"Resource":"arn:aws:iam::*:user/${aws:username}"}]}'
    )})
    old = bob_profile
    # 1. Create a second access key.
    new = cli.ok("iam", "create-access-key", profile="bob")["AccessKey"]
    assert new["Status"] == "Active" and new["UserName"] == "bob"
    # 2. Switch the profile to the new key.
    cli.configure("bob", new["AccessKeyId"], new["SecretAccessKey"])
    assert cli.ok("sts", "get-caller-identity", profile="bob")["Arn"] == BOB
    # 3. Make the old key inactive.
    cli.ok("iam", "update-access-key", "--access-key-id", old, "--status", "Inactive", profile="bob")
    # 4. The old key is refused; the new one works.
    stale = cli.fails("sts", "get-caller-identity", env={
        "AWS_ACCESS_KEY_ID": old, "AWS_SECRET_ACCESS_KEY": "x" * 40,
    })
    assert "(InvalidClientTokenId)" in stale and "The security token included in the request is invalid." in stale
    keys = cli.ok("iam", "list-access-keys", profile="bob")["AccessKeyMetadata"]
    assert {(k["AccessKeyId"], k["Status"]) for k in keys} == {(old, "Inactive"), (new["AccessKeyId"], "Active")}
    # 5. Delete the old key.
    cli.ok("iam", "delete-access-key", "--access-key-id", old, profile="bob")
    keys = cli.ok("iam", "list-access-keys", profile="bob")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [new["AccessKeyId"]]
    last_used = cli.ok("iam", "get-access-key-last-used", "--access-key-id", new["AccessKeyId"], profile="bob")
    assert last_used["AccessKeyLastUsed"]["ServiceName"] in ("iam", "sts")
    assert last_used["AccessKeyLastUsed"]["Region"] == "eu-west-1"


def test_assume_role_and_call_with_temporary_credentials(cli, alice, bob, bob_profile):
    trust = f'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"sts:AssumeRole"}}]}}'
    dispatch(alice, "iam:CreateRole", {"RoleName": "auditor", "AssumeRolePolicyDocument": trust})
    dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "auditor", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    result = cli.ok("sts", "assume-role", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/auditor",
                    "--role-session-name", "bob-audit", profile="bob")
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    temporary = {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
    identity = cli.ok("sts", "get-caller-identity", env=temporary)
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/bob-audit"
    assert cli.ok("iam", "list-roles", env=temporary)["Roles"][0]["RoleName"] == "auditor"
    without_token = {k: v for k, v in temporary.items() if k != "AWS_SESSION_TOKEN"}
    assert "(InvalidClientTokenId)" in cli.fails("sts", "get-caller-identity", env=without_token)


def test_pagination_with_max_items(cli, alice, alice_account):
    for i in range(5):
        dispatch(alice, "iam:CreateUser", {"UserName": f"student{i}"})
    key = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    cli.configure("root", key["AccessKeyId"], key["SecretAccessKey"])
    first = cli.ok("iam", "list-users", "--max-items", "2", profile="root")
    assert [u["UserName"] for u in first["Users"]] == ["student0", "student1"]
    rest = cli.ok("iam", "list-users", "--starting-token", first["NextToken"], profile="root")
    assert [u["UserName"] for u in rest["Users"]] == ["student2", "student3", "student4"]
    paged = cli.ok("iam", "list-users", "--page-size", "2", profile="root")
    assert len(paged["Users"]) == 5
