"""iam/rows.py's cursor for the hot path's plain SQL: Django's placeholders and
exceptions, no statement in a broken transaction, and every statement visible wherever
queries are logged."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from console import clock
from iam import rows
from iam.models import Account

pytestmark = pytest.mark.django_db


def insert_account(account_id):
    return rows.insert(Account, {"account_id": account_id, "root_email": f"{account_id}@example.com",
                                 "root_password": "!", "create_date": clock.now()})


def test_placeholders_and_a_literal_percent_sign():
    assert tuple(rows.fetchone("SELECT '100%%', %s, %s", [7, "x"])) == ("100%", 7, "x")


def test_fetchall_returns_every_row():
    for account_id in ("111100000001", "111100000002"):
        insert_account(account_id)
    found = rows.fetchall("SELECT account_id FROM iam_account WHERE account_id LIKE %s ORDER BY account_id",
                          ["1111%"])
    assert [tuple(row) for row in found] == [("111100000001",), ("111100000002",)]


def test_a_constraint_violation_is_djangos_integrity_error():
    insert_account("111100000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_account("111100000001")
    assert Account.objects.filter(account_id="111100000001").count() == 1


def test_no_statement_runs_in_a_transaction_that_already_failed():
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            insert_account("111100000001")
            insert_account("111100000001")
        with pytest.raises(TransactionManagementError):
            rows.fetchone("SELECT 1", [])
        transaction.set_rollback(True)


def test_a_statement_counts_where_queries_are_logged():
    with CaptureQueriesContext(connection) as captured:
        rows.fetchone("SELECT %s", [42])
        insert_account("111100000001")
    assert len(captured) == 2
    assert "SELECT" in captured[0]["sql"]
    assert "INSERT INTO" in captured[1]["sql"]


def test_the_new_rows_id_is_returned():
    pk = insert_account("111100000001")
    assert Account.objects.get(pk=pk).account_id == "111100000001"


def test_a_row_inserted_with_times_json_and_ids_reads_back_as_the_orm_wrote_it():
    from datetime import datetime, timezone
    from uuid import uuid4

    from trail.models import Event, EventResource

    when = datetime(2026, 12, 6, 3, 4, 5, tzinfo=timezone.utc)
    event_id = uuid4()
    pk = rows.insert(Event, {
        "event_id": event_id, "event_time": when, "event_source": "iam.amazonaws.com", "event_name": "CreateUser",
        "event_type": "AwsApiCall", "aws_region": "us-east-1", "recipient_account_id": "111122223333",
        "source_ip_address": "192.0.2.1", "user_identity": {"type": "Root", "nested": [1, "ü"]},
        "request_parameters": {"userName": "bob"}, "response_elements": None,
    })
    rows.insert(EventResource, {"event_id": pk, "account_id": "111122223333", "event_time": when,
                                "resource_type": "AWS::IAM::User", "resource_name": "bob"})
    event = Event.objects.get(pk=pk)
    assert (event.event_id, event.event_time) == (event_id, when)
    assert event.user_identity == {"type": "Root", "nested": [1, "ü"]}
    assert event.request_parameters == {"userName": "bob"}
    # None is SQL NULL, not the JSON text null.
    assert tuple(rows.fetchone("SELECT response_elements IS NULL FROM trail_event WHERE id = %s", [pk])) == (True,)
    assert EventResource.objects.get(event=event).event_time == when


def test_inserting_and_updating_hash_no_field(monkeypatch):
    # A statement's fields key their preparers by identity: each Field's __hash__ is
    # Python code, and an event has nineteen of them.
    from django.db.models import Field

    pk = insert_account("111100000002")
    rows.update(Account, pk, {"alias": "lab"})
    hashed = []
    original = Field.__hash__
    monkeypatch.setattr(Field, "__hash__", lambda field: hashed.append(field) or original(field))
    again = insert_account("111100000003")
    rows.update(Account, again, {"alias": "lab-two"})
    assert hashed == []
    assert list(Account.objects.filter(pk__in=[pk, again]).order_by("pk").values_list("alias", flat=True)) == [
        "lab", "lab-two"]


def test_values_prepared_ahead_insert_as_the_plain_values_do():
    """trail/record.py prepares an event's first values before the transaction."""
    from datetime import datetime, timezone
    from uuid import uuid4

    from trail.models import Event

    def event(**values):
        return rows.insert(Event, {
            "event_time": datetime(2026, 12, 6, 3, 4, 5, tzinfo=timezone.utc), "event_source": "iam.amazonaws.com",
            "event_name": "CreateUser", "event_type": "AwsApiCall", "aws_region": "us-east-1",
            "recipient_account_id": "111122223333", "source_ip_address": "192.0.2.1", **values,
        })

    identity, asked, ids = {"type": "Root", "nested": [1, "ü"]}, {"userName": "bob"}, [uuid4(), uuid4()]
    plain = Event.objects.get(pk=event(event_id=ids[0], user_identity=identity, request_parameters=asked))
    ahead = Event.objects.get(pk=event(**rows.params(Event, {"event_id": ids[1], "user_identity": identity,
                                                              "request_parameters": None})))
    assert (plain.event_id, plain.user_identity, plain.request_parameters) == (ids[0], identity, asked)
    assert (ahead.event_id, ahead.user_identity, ahead.request_parameters) == (ids[1], identity, None)
    assert tuple(rows.fetchone("SELECT request_parameters IS NULL FROM trail_event WHERE id = %s", [ahead.pk])) == (True,)


def test_an_instance_from_a_row_is_the_orms_with_the_other_fields_deferred():
    pk = insert_account("111100000001")
    made = rows.instance(Account, ("id", "account_id"), (pk, "111100000001"))
    orm = Account.objects.only("id", "account_id").get(pk=pk)
    assert (made.pk, made.account_id) == (orm.pk, orm.account_id)
    assert made.get_deferred_fields() == orm.get_deferred_fields() != set()
    assert (made._state.adding, made._state.db) == (False, orm._state.db)
    assert made.root_email == "111100000001@example.com"  # a deferred field loads on use
    made.alias = "renamed"
    made.save(update_fields=["alias"])  # an UPDATE of the row, not a new one
    assert list(Account.objects.values_list("pk", "alias")) == [(pk, "renamed")]


def test_a_foreign_key_of_an_instance_from_a_row_loads_its_object():
    from iam.models import User

    account_pk = insert_account("111100000001")
    user_pk = rows.insert(User, {"account_id": account_pk, "user_name": "bob", "user_name_key": "bob",
                                 "user_id": "AIDAEXAMPLE0000000001", "create_date": clock.now()})
    made = rows.instance(User, ("id", "account_id", "user_name"), (user_pk, account_pk, "bob"))
    assert made.account.account_id == "111100000001" and made.user_name == "bob"


@pytest.mark.parametrize("signals", [False, True])
def test_an_instance_of_a_row_just_written_is_the_orms_and_reaches_its_foreign_keys_without_a_query(signals):
    from django.db.models.signals import post_init

    from iam.models import User

    account_pk = insert_account("111100000001")
    account = Account.objects.get(pk=account_pk)
    values = {"account_id": account_pk, "user_name": "bob", "user_name_key": "bob",
              "user_id": "AIDAEXAMPLE0000000001", "create_date": clock.now()}
    pk = rows.insert(User, values)
    receiver = lambda **kwargs: None  # noqa: E731 -- a listener makes the model not plain
    if signals:
        post_init.connect(receiver, sender=User)
    try:
        made = rows.made(User, {"id": pk, **values}, account=account)
    finally:
        post_init.disconnect(receiver, sender=User)
    orm = User.objects.get(pk=pk)
    assert (made.pk, made.user_name, made.create_date, made._state.adding) == (orm.pk, "bob", orm.create_date, False)
    with CaptureQueriesContext(connection) as captured:
        assert made.account is account
    assert len(captured) == 0
    made.user_name = "robert"
    made.save(update_fields=["user_name"])  # an UPDATE of the row, not a new one
    assert list(User.objects.values_list("pk", "user_name")) == [(pk, "robert")]


def test_each_thread_remembers_its_own_database_connection():
    import threading

    from django.db import connections

    assert rows.database() is connections["default"] is rows.database()
    seen = []
    other = threading.Thread(target=lambda: seen.append((rows.database(), connections["default"])))
    other.start()
    other.join()
    assert seen[0][0] is seen[0][1] and seen[0][0] is not rows.database()


def test_new_database_settings_are_looked_up_again():
    from asgiref.local import Local
    from django.db import connections

    before = rows.database()
    saved = connections._connections
    connections._connections = Local(connections.thread_critical)  # what changing DATABASES does
    try:
        assert rows.database() is connections["default"] is not before
    finally:
        connections._connections = saved
    assert rows.database() is before


def test_an_async_context_gets_its_own_connection_as_django_gives_it():
    # Playwright's sync API runs an event loop in the test's thread: Django then gives
    # each async context a connection of its own, and so must rows.
    import asyncio

    from django.db import connections

    remembered = rows.database()

    async def inside():
        return rows.database(), connections["default"]

    found, djangos = asyncio.run(inside())
    assert found is djangos is not remembered
    assert rows.database() is remembered
