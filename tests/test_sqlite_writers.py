"""console/sqlite: every SQLite write transaction holds the ``<database>-writers`` flock
from BEGIN to COMMIT or ROLLBACK, so concurrent writers queue in the kernel instead of
sleeping in SQLite's busy handler; the lock is never left behind. A transaction begins
at its first statement, so what comes before it runs while others write."""

import fcntl
import os
import threading
import time
from unittest import mock

import pytest
from django.db import connection, connections, transaction

from awsapi.dispatch import dispatch
from console import clock
from console.sqlite.checkpoint import checkpointer
from iam.models import Account
from trail import record
from trail.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's one write lock")


def account(account_id):
    return Account.objects.create(account_id=account_id, root_email=f"{account_id}@example.com",
                                  root_password="!", create_date=clock.now())


def held_elsewhere():
    """Whether another open file description cannot take the writers' lock now."""
    fd = os.open(f"{connection.settings_dict['NAME']}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def released():
    """Whether the writers' lock is free, once this process's checkpointer has run the
    checkpoints asked for so far: its second pass holds the lock a moment by design
    (console/sqlite/checkpoint.py), and a busy machine stretches that moment into the
    next test."""
    assert checkpointer(connection.settings_dict["NAME"]).wait()
    return not held_elsewhere()


def test_a_write_transaction_holds_the_lock_until_it_commits():
    assert released()
    with transaction.atomic():
        account("111122223333")
        assert held_elsewhere()
    assert released()


def test_a_failed_transaction_releases_the_lock():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        account("111122223333")
        1 / 0  # noqa: B018
    assert released()
    assert not Account.objects.exists()


def test_the_lock_is_taken_at_the_transactions_first_statement():
    with transaction.atomic():
        assert released()
        assert not Account.objects.exists()
        assert held_elsewhere()
        with transaction.atomic():  # a savepoint: the same transaction
            account("111122223333")
            assert held_elsewhere()
        assert held_elsewhere()
    assert released()
    assert Account.objects.count() == 1


def test_a_transaction_without_a_statement_never_takes_the_lock():
    with transaction.atomic():
        assert released()
    assert released()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        1 / 0  # noqa: B018
    assert released()
    account("111122223333")  # and the next one works
    assert Account.objects.count() == 1


def test_what_the_transaction_reads_first_is_read_under_the_lock():
    """The first statement runs inside the transaction it begins: a row another writer
    adds after it cannot appear in a second read of the same transaction."""
    added = []

    def other_writer():
        try:
            account("444455556666")
            added.append(True)
        finally:
            connections.close_all()

    with transaction.atomic():
        first = Account.objects.count()
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join(0.2)
        assert thread.is_alive()  # queued behind this transaction's lock
        assert Account.objects.count() == first
    thread.join()
    assert added == [True] and Account.objects.count() == first + 1


def test_closing_the_connection_releases_the_lock():
    transaction.set_autocommit(False)
    try:
        connection._start_transaction_under_autocommit()
        assert released()
        connection.cursor().execute("SELECT 1")
        assert held_elsewhere()
    finally:
        connection.close()
    assert released()


def test_concurrent_writers_wait_for_each_other_and_all_commit():
    errors, order = [], []

    def write(n):
        try:
            with transaction.atomic():
                account(f"{n:012d}")  # the transaction begins here
                order.append(("begin", n))
                time.sleep(0.02)  # hold the lock a while: the others must queue, not fail
                order.append(("end", n))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Account.objects.count() == 8
    # One at a time: every begin is followed by its own end.
    assert all(order[i][0] == "begin" and order[i + 1] == ("end", order[i][1]) for i in range(0, 16, 2))


def test_a_call_that_says_its_answer_ahead_makes_its_event_before_it_takes_the_lock(alice, alice_account):
    # CreateUser knows its answer before its insert: its event's values (the answer in
    # CloudTrail's form, its resources, the INSERT's parameters) are made while other
    # writers may write, not between its insert and its commit.
    made = []
    finish = record.finish

    def finishing(ctx, spec, params, result, drafted, error=None):
        made.append((spec.name, held_elsewhere()))
        return finish(ctx, spec, params, result, drafted, error)

    assert released()
    with mock.patch.object(record, "finish", finishing):
        dispatch(alice, "iam:CreateUser", {"UserName": "early"})
    assert made == [("CreateUser", False)]
    assert Event.objects.get(event_name="CreateUser").response_elements["user"]["userName"] == "early"
    assert released()
