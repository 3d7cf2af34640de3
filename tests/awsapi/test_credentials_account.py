"""Finding a request's credentials finds its account's row too, so that CreateUser —
which runs while every other write waits for SQLite's write lock — reads no account."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsapi.credentials import resolve
from awsapi.dispatch import dispatch
from iam.models import User
from tests.conftest import context_for
from tests.iam.helpers import document

pytestmark = pytest.mark.django_db


def principal_of(credentials):
    return resolve(SimpleNamespace(access_key_id=credentials["AccessKeyId"],
                                   security_token=credentials.get("SessionToken"))).principal


def test_every_kind_of_credentials_knows_its_account(alice, bob_ctx, alice_account, charlie_account):
    root_key = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    user_key = dispatch(alice, "iam:CreateAccessKey", {"UserName": "bob"})["AccessKey"]
    session = dispatch(bob_ctx, "sts:GetSessionToken")["Credentials"]
    dispatch(alice, "iam:CreateRole", {"RoleName": "admin", "AssumeRolePolicyDocument": document(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"})})
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    role = dispatch(bob_ctx, "sts:AssumeRole", {"RoleArn": "arn:aws:iam::111122223333:role/admin",
                                                "RoleSessionName": "s1"})["Credentials"]
    found = {name: principal_of(credentials) for name, credentials in
             [("root", root_key), ("user", user_key), ("session", session), ("role", role)]}
    assert {name: (p.type, p.account_pk) for name, p in found.items()} == {
        "root": ("Root", alice_account.pk), "user": ("IAMUser", alice_account.pk),
        "session": ("IAMUser", alice_account.pk), "role": ("AssumedRole", alice_account.pk),
    }
    assert charlie_account.pk != alice_account.pk


def test_create_user_reads_no_account_and_files_the_user_under_the_callers(alice, alice_account, charlie_account):
    key = dispatch(alice, "iam:CreateAccessKey")["AccessKey"]
    ctx = context_for(principal_of(key), via_console=False, access_key_id=key["AccessKeyId"])
    with CaptureQueriesContext(connection) as captured:
        created = dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})["User"]
    assert not [q["sql"] for q in captured if "iam_account" in q["sql"]]
    assert created["Arn"] == "arn:aws:iam::111122223333:user/carol"
    assert User.objects.get(user_name="carol").account == alice_account
    assert [u["UserName"] for u in dispatch(alice, "iam:ListUsers")["Users"]] == ["carol"]
