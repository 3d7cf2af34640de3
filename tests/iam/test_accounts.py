"""iam/accounts.create_account: the installation-level sign-up step."""

import re

import pytest
from django.contrib.auth.hashers import check_password

from iam import ids
from iam.accounts import AccountError, create_account
from iam.models import Account
from trail.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "Dana-root-Passw0rd!"


def test_account_gets_a_random_twelve_digit_id():
    account = create_account("dana@example.com", PASSWORD)
    assert re.fullmatch(r"[1-9][0-9]{11}", account.account_id)
    assert Account.objects.get(account_id=account.account_id).root_email == "dana@example.com"


def test_two_accounts_get_different_ids():
    first = create_account("dana@example.com", PASSWORD)
    second = create_account("erin@example.com", PASSWORD)
    assert first.account_id != second.account_id


def test_explicit_account_id_is_used():
    assert create_account("dana@example.com", PASSWORD, account_id="123456789012").account_id == "123456789012"


def test_alias_is_stored():
    assert create_account("dana@example.com", PASSWORD, alias="dana-lab").alias == "dana-lab"


def test_account_without_alias_has_none():
    assert create_account("dana@example.com", PASSWORD).alias is None


def test_email_is_stored_trimmed_and_lowercase():
    account = create_account("  Dana@Example.COM ", PASSWORD)
    assert account.root_email == "dana@example.com"


def test_root_password_is_stored_as_argon2_hash():
    account = create_account("dana@example.com", PASSWORD)
    assert account.root_password.startswith("argon2")
    assert PASSWORD not in account.root_password
    assert check_password(PASSWORD, account.root_password)


def test_create_date_comes_from_the_clock(frozen_clock):
    assert create_account("dana@example.com", PASSWORD).create_date == frozen_clock.current


def test_creating_an_account_writes_no_trail_event():
    create_account("dana@example.com", PASSWORD)
    assert not Event.objects.exists()


def test_duplicate_email_ignoring_case_is_refused():
    create_account("dana@example.com", PASSWORD)
    with pytest.raises(AccountError, match=r"^An account with the root user email address dana@example\.com already exists\.$"):
        create_account("DANA@example.com", PASSWORD)
    assert Account.objects.count() == 1


def test_duplicate_alias_is_refused():
    create_account("dana@example.com", PASSWORD, alias="shared-lab")
    with pytest.raises(AccountError, match=r"^The account alias shared-lab already exists\.$"):
        create_account("erin@example.com", PASSWORD, alias="shared-lab")
    assert Account.objects.count() == 1


def test_duplicate_account_id_is_refused():
    create_account("dana@example.com", PASSWORD, account_id="123456789012")
    with pytest.raises(AccountError, match=r"^An account with ID 123456789012 already exists\.$"):
        create_account("erin@example.com", PASSWORD, account_id="123456789012")
    assert Account.objects.count() == 1


@pytest.mark.parametrize("account_id", ["12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_malformed_account_id_is_refused(account_id):
    with pytest.raises(AccountError, match=r"^The account ID must be exactly 12 digits\.$"):
        create_account("dana@example.com", PASSWORD, account_id=account_id)
    assert not Account.objects.exists()


@pytest.mark.parametrize("email", ["", None, "dana", "dana@", "@example.com", "dana example@example.com"])
def test_invalid_email_is_refused(email):
    with pytest.raises(AccountError, match="is not a valid email address"):
        create_account(email, PASSWORD)
    assert not Account.objects.exists()


def test_invalid_email_message_names_the_email():
    with pytest.raises(AccountError) as caught:
        create_account("not-an-email", PASSWORD)
    assert str(caught.value) == "'not-an-email' is not a valid email address."


def test_weak_root_password_lists_every_unmet_rule():
    with pytest.raises(AccountError) as caught:
        create_account("dana@example.com", "short")
    assert str(caught.value) == (
        "The password is too weak: Password should have a minimum length of 8; "
        "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols."
    )
    assert not Account.objects.exists()


def test_missing_root_password_is_refused():
    with pytest.raises(AccountError, match="^The password is too weak: "):
        create_account("dana@example.com", None)


def test_root_password_equal_to_email_is_refused():
    with pytest.raises(AccountError, match="should not be the same as the account name or email address"):
        create_account("Dana1@example.com", "DANA1@EXAMPLE.COM")


def test_root_password_equal_to_alias_is_refused():
    with pytest.raises(AccountError, match="should not be the same as the account name or email address"):
        create_account("dana@example.com", "Dana-lab-1", alias="dana-lab-1")


@pytest.mark.parametrize("alias", ["Dana", "-dana", "dana-", "da--na", "da", "a" * 64, "dana_lab"])
def test_invalid_alias_is_refused_with_the_validation_message(alias):
    with pytest.raises(AccountError) as caught:
        create_account("dana@example.com", PASSWORD, alias=alias)
    assert re.match(r"^[12] validation errors? detected: ", str(caught.value))
    assert f"Value '{alias}' at 'accountAlias'" in str(caught.value)
    assert not Account.objects.exists()


def test_all_digit_alias_is_refused():
    with pytest.raises(AccountError, match="at least one lowercase letter or hyphen"):
        create_account("dana@example.com", PASSWORD, alias="123456789012")
    assert not Account.objects.exists()


def test_random_id_collision_is_retried(monkeypatch):
    create_account("dana@example.com", PASSWORD, account_id="222233334444")
    generated = iter(["222233334444", "555566667777"])
    monkeypatch.setattr(ids, "account_id", lambda: next(generated))
    assert create_account("erin@example.com", PASSWORD).account_id == "555566667777"


def test_gives_up_after_ten_colliding_random_ids(monkeypatch):
    create_account("dana@example.com", PASSWORD, account_id="222233334444")
    calls = []

    def always_taken():
        calls.append(1)
        return "222233334444"

    monkeypatch.setattr(ids, "account_id", always_taken)
    with pytest.raises(AccountError, match=r"^The account could not be created: its email, alias or ID is already taken\.$"):
        create_account("erin@example.com", PASSWORD)
    assert len(calls) == 10
    assert Account.objects.count() == 1
