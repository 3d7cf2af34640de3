"""Shared fixtures: fixed personas (healthchecks' Alice, Bob, Charlie), a fast Argon2,
and a clock tests can move.

- alice: root user of account 111122223333 (alias "alice-lab")
- bob: IAM user "bob" in alice's account, with a console password
- charlie: root user of another account, 444455556666
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.hashers import make_password

from awsapi.context import RequestContext
from console import clock
from iam.accounts import create_account
from iam.models import LoginProfile, User
from iam.principals import root_principal, user_principal

ALICE_EMAIL = "alice@example.com"
ALICE_PASSWORD = "Alice-root-Passw0rd!"
BOB_PASSWORD = "Bob-console-Passw0rd!"
CHARLIE_EMAIL = "charlie@example.net"
CHARLIE_PASSWORD = "Charlie-root-Passw0rd!"
ALICE_ACCOUNT = "111122223333"
CHARLIE_ACCOUNT = "444455556666"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
    from console import signin

    signin._dummy_hash.cache_clear()
    yield
    signin._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path_factory):
    """Stored objects go to the test session's temporary folder, not the checkout's var/."""
    settings.VAR_DIR = tmp_path_factory.getbasetemp() / "var"
    return settings.VAR_DIR


@pytest.fixture
def alice_account(db):
    return create_account(ALICE_EMAIL, ALICE_PASSWORD, account_id=ALICE_ACCOUNT, alias="alice-lab")


@pytest.fixture
def charlie_account(db):
    return create_account(CHARLIE_EMAIL, CHARLIE_PASSWORD, account_id=CHARLIE_ACCOUNT)


def make_user(account, user_name, password=None, reset_required=False, path="/"):
    from iam import ids

    now = clock.now()
    user = User.objects.create(
        account=account, user_name=user_name, user_id=ids.unique_id("AIDA"), path=path, create_date=now
    )
    if password is not None:
        LoginProfile.objects.create(
            user=user,
            password=make_password(password),
            password_reset_required=reset_required,
            create_date=now,
            password_changed=now,
        )
    return user


@pytest.fixture
def bob(alice_account):
    return make_user(alice_account, "bob", BOB_PASSWORD)


def context_for(principal, **kwargs):
    kwargs.setdefault("source_ip", "198.51.100.7")
    kwargs.setdefault("user_agent", "pytest")
    return RequestContext(principal=principal, **kwargs)


@pytest.fixture
def alice(alice_account):
    """Request context of alice's root user."""
    return context_for(root_principal(alice_account))


@pytest.fixture
def bob_ctx(bob):
    return context_for(user_principal(bob))


@pytest.fixture
def charlie(charlie_account):
    return context_for(root_principal(charlie_account))


@dataclass
class Clock:
    current: datetime

    def __call__(self):
        return self.current

    def advance(self, **kwargs):
        self.current += timedelta(**kwargs)


@pytest.fixture
def frozen_clock(monkeypatch):
    """Time stands still until the test moves it with ``frozen_clock.advance(...)``."""
    fake = Clock(datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(clock, "now", fake)
    return fake
