"""CreateUser's quota of users per account: the count that iam_user's triggers keep
(migration 0007) follows every create and delete, a refused create leaves it as it was,
and concurrent creates never pass the quota."""

import threading

import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from awsapi.dispatch import dispatch
from awsapi.errors import LimitExceeded
from iam import operations
from iam.models import Account, User, UserCount
from tests.conftest import make_user
from tests.iam.helpers import fails, ok

QUOTA_MESSAGE = "Cannot exceed quota for UsersPerAccount: {}"


def create(ctx, name):
    return ok(ctx, "CreateUser", {"UserName": name})


def refused(ctx, name, quota):
    fails(ctx, "CreateUser", {"UserName": name}, "LimitExceeded", QUOTA_MESSAGE.format(quota))
    assert not User.objects.filter(user_name=name).exists()


@pytest.mark.django_db
def test_the_quota_counts_users_however_they_were_created_or_deleted(monkeypatch, alice, alice_account):
    monkeypatch.setattr(operations, "USERS_PER_ACCOUNT", 3)
    make_user(alice_account, "made-by-the-orm")
    create(alice, "u1")
    create(alice, "u2")
    refused(alice, "u3", 3)
    ok(alice, "DeleteUser", {"UserName": "u1"})
    create(alice, "u3")
    refused(alice, "u4", 3)
    User.objects.filter(user_name="made-by-the-orm").delete()
    create(alice, "u4")
    refused(alice, "u5", 3)
    assert User.objects.filter(account=alice_account).count() == 3


@pytest.mark.django_db
def test_a_refused_create_leaves_the_count_as_it_was(monkeypatch, alice):
    monkeypatch.setattr(operations, "USERS_PER_ACCOUNT", 2)
    create(alice, "u1")
    create(alice, "u2")
    for attempt in range(5):
        refused(alice, f"late-{attempt}", 2)
    fails(alice, "CreateUser", {"UserName": "U1"}, "EntityAlreadyExists", "User with name U1 already exists.")
    ok(alice, "DeleteUser", {"UserName": "u2"})
    # Had the refused inserts counted, the account would still be "full".
    create(alice, "u2-again")
    refused(alice, "u3", 2)


@pytest.mark.django_db
def test_each_account_has_its_own_count(monkeypatch, alice, charlie):
    monkeypatch.setattr(operations, "USERS_PER_ACCOUNT", 1)
    create(alice, "only")
    refused(alice, "second", 1)
    create(charlie, "only")


@pytest.mark.django_db
def test_deleting_an_account_deletes_its_users_and_their_count(alice, alice_account):
    create(alice, "u1")
    alice_account.delete()
    assert not User.objects.exists()
    assert not UserCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_never_pass_the_quota(monkeypatch, alice):
    monkeypatch.setattr(operations, "USERS_PER_ACCOUNT", 3)
    create(alice, "u0")
    create(alice, "u1")
    start = threading.Barrier(6)
    outcomes = []

    def attempt(n):
        try:
            start.wait()
            dispatch(alice, "iam:CreateUser", {"UserName": f"racer-{n}"})
            outcomes.append("created")
        except LimitExceeded:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 (reported below)
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["refused"] * 5
    assert User.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_users_that_already_exist(alice_account, charlie_account):
    executor = MigrationExecutor(connection)
    executor.migrate([("iam", "0006_security_keys")])
    try:
        for name in ("a", "b", "c"):
            make_user(alice_account, name)
        make_user(charlie_account, "d")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("iam"))
    counts = dict(UserCount.objects.values_list("account__account_id", "users"))
    assert counts == {alice_account.account_id: 3, charlie_account.account_id: 1}
    # And the triggers are back: the next user counts.
    make_user(Account.objects.get(pk=alice_account.pk), "e")
    assert UserCount.objects.get(account=alice_account).users == 4
