"""Console passwords are hashed and verified before the write transaction (iam/hashing.py):
never while SQLite's single write lock holds every other writer, and never more often
than the operation needs."""

import pytest
from django.db import connection

from awsapi.dispatch import dispatch
from iam import hashing
from iam.models import LoginProfile, PasswordPolicy
from tests.conftest import BOB_PASSWORD, make_user
from tests.iam.helpers import fails, ok

pytestmark = pytest.mark.usefixtures("transactional_db")  # no test-wide transaction to hide dispatch's


@pytest.fixture
def argon2_calls(monkeypatch):
    """Every hash and verification: (kind, whether a transaction was open)."""
    calls = []
    make, check = hashing.make_password, hashing.check_password

    def counted_make(password):
        calls.append(("hash", connection.in_atomic_block))
        return make(password)

    def counted_check(password, encoded):
        calls.append(("check", connection.in_atomic_block))
        return check(password, encoded)

    monkeypatch.setattr(hashing, "make_password", counted_make)
    monkeypatch.setattr(hashing, "check_password", counted_check)
    return calls


@pytest.fixture
def reuse_policy(alice_account):
    return PasswordPolicy.objects.create(account=alice_account, password_reuse_prevention=3,
                                         allow_users_to_change_password=True)


def test_change_password_hashes_before_its_transaction(alice, bob_ctx, reuse_policy, argon2_calls):
    dispatch(alice, "iam:UpdateLoginProfile", {"UserName": "bob", "Password": "Bob-Second-Passw0rd!"})
    argon2_calls.clear()
    ok(bob_ctx, "ChangePassword", {"OldPassword": "Bob-Second-Passw0rd!", "NewPassword": "Bob-Third-Passw0rd!"})
    # The old password, the current one and the previous one (reuse), one new hash.
    assert sorted(kind for kind, _ in argon2_calls) == ["check", "check", "check", "hash"]
    assert not any(inside for _, inside in argon2_calls)
    # The reuse rule still holds with checks made ahead: bob's first password is among his last 3.
    outcome = fails(bob_ctx, "ChangePassword", {"OldPassword": "Bob-Third-Passw0rd!", "NewPassword": BOB_PASSWORD},
                    "PasswordPolicyViolation")
    assert "Password should not be one of your last 3 passwords" in outcome.error.message


def test_a_wrong_old_password_costs_one_check_and_no_hash(bob_ctx, reuse_policy, argon2_calls):
    fails(bob_ctx, "ChangePassword", {"OldPassword": "Not-Bobs-Passw0rd!", "NewPassword": "Bob-Third-Passw0rd!"},
          "InvalidUserType", "The old password is incorrect.")
    assert argon2_calls == [("check", False)]


@pytest.mark.parametrize("action", ["CreateLoginProfile", "UpdateLoginProfile"])
def test_setting_a_login_profile_hashes_before_its_transaction(alice, alice_account, reuse_policy, argon2_calls,
                                                                action):
    make_user(alice_account, "carol", "Carol-First-Passw0rd!" if action == "UpdateLoginProfile" else None)
    argon2_calls.clear()
    ok(alice, action, {"UserName": "carol", "Password": "Carol-Other-Passw0rd!"})
    assert ("hash", False) in argon2_calls
    assert not any(inside for _, inside in argon2_calls)
    # The hash made ahead is the one stored.
    assert hashing.check_password("Carol-Other-Passw0rd!", LoginProfile.objects.get(user__user_name="carol").password)


def test_a_refused_create_login_profile_costs_no_hash(alice, bob, argon2_calls):
    fails(alice, "CreateLoginProfile", {"UserName": "bob", "Password": "Bob-Other-Passw0rd!"},
          "EntityAlreadyExists", "Login Profile for user bob already exists.")
    fails(alice, "CreateLoginProfile", {"UserName": "nobody", "Password": "Bob-Other-Passw0rd!"}, "NoSuchEntity")
    assert argon2_calls == []


def test_work_ahead_is_forgotten_after_the_call():
    forget = hashing.work_ahead(["pw-one"], known={("pw-one", "stored"): True})
    made = hashing.hash_password("pw-one")
    assert hashing.password_matches("pw-one", "stored") is True
    forget()
    assert hashing.hash_password("pw-one") != made  # computed afresh, with a new salt
    assert hashing.check_password("pw-one", made)


def test_a_new_accounts_root_password_is_hashed_before_its_transaction(monkeypatch):
    from iam import accounts

    inside = []
    make = accounts.make_password
    monkeypatch.setattr(accounts, "make_password", lambda password: inside.append(connection.in_atomic_block)
                        or make(password))
    account = accounts.create_account("dana@example.org", "Dana-root-Passw0rd!")
    assert inside == [False]
    assert hashing.check_password("Dana-root-Passw0rd!", account.root_password)
