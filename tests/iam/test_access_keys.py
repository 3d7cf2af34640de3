"""Access keys: create (secret shown once, stored encrypted), update, delete, list, last used."""

import json
import re

import pytest

from iam.models import AccessKey
from tests.conftest import make_user
from tests.iam.helpers import call, denied_message, fails, ok


def denied(ctx, action, params, resource):
    fails(ctx, action, params, "AccessDenied", denied_message(action, resource))

pytestmark = pytest.mark.django_db


def test_create_access_key_for_a_user_returns_the_secret_once(alice, bob):
    outcome = ok(alice, "CreateAccessKey", {"UserName": "bob"})
    key = outcome.result["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key["AccessKeyId"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", key["SecretAccessKey"])
    assert (key["UserName"], key["Status"]) == ("bob", "Active")
    listed = ok(alice, "ListAccessKeys", {"UserName": "bob"}).result["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]


def test_secret_is_encrypted_at_rest_and_absent_from_the_trail(alice, bob):
    outcome = ok(alice, "CreateAccessKey", {"UserName": "bob"})
    secret = outcome.result["AccessKey"]["SecretAccessKey"]
    stored = AccessKey.objects.get()
    assert secret not in stored.secret_encrypted
    assert stored.secret_access_key() == secret
    record = json.dumps(outcome.event.as_record())
    assert secret not in record
    assert outcome.event.response_elements["accessKey"]["accessKeyId"] == stored.access_key_id


def test_ciphertext_moved_to_another_key_does_not_decrypt(alice, bob):
    first = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    second = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    a, b = AccessKey.objects.get(access_key_id=first), AccessKey.objects.get(access_key_id=second)
    b.secret_encrypted = a.secret_encrypted
    with pytest.raises(Exception):
        b.secret_access_key()


def test_a_third_key_exceeds_the_quota(alice, bob):
    ok(alice, "CreateAccessKey", {"UserName": "bob"})
    ok(alice, "CreateAccessKey", {"UserName": "bob"})
    fails(alice, "CreateAccessKey", {"UserName": "bob"}, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    assert AccessKey.objects.count() == 2


def test_root_creates_its_own_key_without_a_user_name(alice):
    key = ok(alice, "CreateAccessKey").result["AccessKey"]
    assert key["UserName"] == "111122223333"
    assert AccessKey.objects.get().user is None
    assert [k["AccessKeyId"] for k in ok(alice, "ListAccessKeys").result["AccessKeyMetadata"]] == [key["AccessKeyId"]]


def test_deactivate_activate_and_delete(alice, bob):
    key_id = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    ok(alice, "UpdateAccessKey", {"UserName": "bob", "AccessKeyId": key_id, "Status": "Inactive"})
    assert AccessKey.objects.get().status == "Inactive"
    ok(alice, "UpdateAccessKey", {"UserName": "bob", "AccessKeyId": key_id, "Status": "Active"})
    assert AccessKey.objects.get().status == "Active"
    ok(alice, "DeleteAccessKey", {"UserName": "bob", "AccessKeyId": key_id})
    assert not AccessKey.objects.exists()


def test_bad_status_is_a_validation_error(alice, bob):
    key_id = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    fails(
        alice, "UpdateAccessKey", {"UserName": "bob", "AccessKeyId": key_id, "Status": "Paused"}, "ValidationError",
        "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Active, Inactive, Expired]",
    )


@pytest.mark.parametrize("action", ["UpdateAccessKey", "DeleteAccessKey"])
def test_unknown_or_other_users_key_is_no_such_entity(alice, bob, action):
    make_user(bob.account, "carol")
    key_id = ok(alice, "CreateAccessKey", {"UserName": "carol"}).result["AccessKey"]["AccessKeyId"]
    params = {"UserName": "bob", "AccessKeyId": key_id}
    if action == "UpdateAccessKey":
        params["Status"] = "Inactive"
    fails(alice, action, params, "NoSuchEntity", f"The Access Key with id {key_id} cannot be found.")
    assert AccessKey.objects.get().status == "Active"


def test_another_accounts_key_is_invisible(alice, charlie, bob):
    key_id = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    fails(charlie, "GetAccessKeyLastUsed", {"AccessKeyId": key_id}, "NoSuchEntity")
    fails(charlie, "DeleteAccessKey", {"AccessKeyId": key_id}, "NoSuchEntity")


def test_last_used_is_not_applicable_before_first_use(alice, bob):
    key_id = ok(alice, "CreateAccessKey", {"UserName": "bob"}).result["AccessKey"]["AccessKeyId"]
    result = ok(alice, "GetAccessKeyLastUsed", {"AccessKeyId": key_id}).result
    assert result == {"UserName": "bob", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}


CAROL = "arn:aws:iam::111122223333:user/carol"
KEY_ID = "AKIAAAAAAAAAAAAAAAAA"
DENIED_CASES = {
    "CreateAccessKey": ({"UserName": "carol"}, CAROL),
    "DeleteAccessKey": ({"UserName": "carol", "AccessKeyId": KEY_ID}, CAROL),
    "GetAccessKeyLastUsed": ({"AccessKeyId": KEY_ID}, "arn:aws:iam::111122223333:user/bob"),
    "ListAccessKeys": ({"UserName": "carol"}, CAROL),
    "UpdateAccessKey": ({"UserName": "carol", "AccessKeyId": KEY_ID, "Status": "Inactive"}, CAROL),
}


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_permission_is_denied(bob_ctx, alice_account, action):
    make_user(alice_account, "carol")
    params, resource = DENIED_CASES[action]
    denied(bob_ctx, action, params, resource)


def test_users_may_manage_their_own_keys_with_the_aws_self_service_policy(alice, bob, bob_ctx):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:DeleteAccessKey"],
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    }]})
    ok(alice, "PutUserPolicy", {"UserName": "bob", "PolicyName": "OwnKeys", "PolicyDocument": document})
    key = ok(bob_ctx, "CreateAccessKey").result["AccessKey"]
    assert key["UserName"] == "bob"
    make_user(bob.account, "carol")
    denied(bob_ctx, "CreateAccessKey", {"UserName": "carol"}, "arn:aws:iam::111122223333:user/carol")


def test_invalid_access_key_id_is_a_validation_error(alice):
    fails(alice, "DeleteAccessKey", {"AccessKeyId": "short"}, "ValidationError")
    outcome = call(alice, "GetAccessKeyLastUsed", {"AccessKeyId": "AKIA!!!!!!!!!!!!!!!!"})
    assert outcome.error.code == "ValidationError"


def test_delete_user_with_access_keys_is_a_conflict(alice, alice_account):
    make_user(alice_account, "dave")
    ok(alice, "CreateAccessKey", {"UserName": "dave"})
    fails(alice, "DeleteUser", {"UserName": "dave"}, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
