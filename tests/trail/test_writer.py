"""Write-behind of the events of calls that change nothing (trail/writer.py): written by
the process's writer thread shortly after the answer, seen at once by the caller's own
LookupEvents, never lost or doubled under concurrency, and written when the process
exits. Calls that change something still commit their event with their change."""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from awsapi.dispatch import dispatch
from console import clock
from iam.accounts import create_account
from iam.principals import root_principal
from tests.conftest import ALICE_ACCOUNT, ALICE_EMAIL, ALICE_PASSWORD, context_for
from trail import record
from trail.models import Event, EventResource

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def alice(transactional_db):
    # Committed: the writer thread has a database connection of its own.
    account = create_account(ALICE_EMAIL, ALICE_PASSWORD, account_id=ALICE_ACCOUNT, alias="alice-lab")
    return context_for(root_principal(account), via_console=False)


@pytest.fixture
def behind(settings):
    settings.TRAIL_WRITE_BEHIND_SECONDS = 0.005
    yield
    record._writer.flush()


def names():
    return list(Event.objects.order_by("pk").values_list("event_name", flat=True))


def test_a_read_only_call_is_written_after_its_answer_and_seen_by_lookup_events(alice, behind, settings):
    settings.TRAIL_WRITE_BEHIND_SECONDS = 60  # nothing but a flush writes it
    dispatch(alice, "iam:ListUsers")
    assert "ListUsers" not in names()
    found = dispatch(alice, "cloudtrail:LookupEvents", {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "ListUsers"}]})
    assert [e["EventName"] for e in found["Events"]] == ["ListUsers"]


def test_the_writer_writes_without_anyone_asking(alice, behind):
    dispatch(alice, "sts:GetCallerIdentity")
    deadline = time.monotonic() + 5
    while "GetCallerIdentity" not in names():
        assert time.monotonic() < deadline, "not written 5 s after the call"
        time.sleep(0.01)


def test_a_call_that_changes_something_commits_its_event_with_it(alice, behind, settings):
    settings.TRAIL_WRITE_BEHIND_SECONDS = 60
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    assert names() == ["CreateUser"]
    # A refused write changed nothing: its event waits for the writer like a read's.
    with pytest.raises(Exception):
        dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    assert names() == ["CreateUser"]
    record.flush()
    assert names() == ["CreateUser", "CreateUser"]
    assert Event.objects.filter(error_code="EntityAlreadyExists").count() == 1


def lookup(ctx, key, value):
    found = dispatch(ctx, "cloudtrail:LookupEvents", {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]})
    return [e["EventName"] for e in found["Events"]]


def test_a_write_s_event_enters_the_lookup_after_its_commit(alice, behind, settings):
    # Committed with the change, but entered in the lookup attributes' indexes and given
    # its resource rows by the writer thread, outside the database's write lock.
    settings.TRAIL_WRITE_BEHIND_SECONDS = 60
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    event = Event.objects.get(event_name="CreateUser")
    assert not event.lookup_indexed
    assert not EventResource.objects.exists()
    # LookupEvents first flushes the caller's process: its own call is there at once.
    assert lookup(alice, "ResourceName", "dana") == ["CreateUser"]
    assert lookup(alice, "EventName", "CreateUser") == ["CreateUser"]
    assert lookup(alice, "Username", "root")[-1] == "CreateUser"  # the lookups above are events too
    event.refresh_from_db()
    assert event.lookup_indexed
    assert list(EventResource.objects.values_list("resource_type", "resource_name")) == [("AWS::IAM::User", "dana")]


def test_a_rolled_back_write_leaves_nothing_pending(alice, behind):
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    with pytest.raises(Exception):
        dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    record.flush()
    assert list(Event.objects.order_by("pk").values_list("event_name", "lookup_indexed")) == [
        ("CreateUser", True), ("CreateUser", True)]
    assert EventResource.objects.count() == 2  # the user of each attempt


def event_values(name, **values):
    return {"event_id": uuid.uuid4(), "event_time": clock.now(), "event_source": "iam.amazonaws.com",
            "event_name": name, "event_type": "AwsApiCall", "aws_region": "us-east-1",
            "recipient_account_id": ALICE_ACCOUNT, "username": "root", "source_ip_address": "198.51.100.7",
            "user_agent": "pytest", "user_identity": {"type": "Root"}, **values}


def test_events_a_dead_process_left_pending_enter_the_lookup_with_the_next(alice, behind, settings):
    # Committed with its change by a process killed before its writer got to it.
    record._save(lookup_later=True, **event_values("DeleteUser", resources=[{"type": "AWS::IAM::User", "name": "dana"}]))
    dispatch(alice, "iam:CreateUser", {"UserName": "erin"})
    record.flush()
    assert sorted(EventResource.objects.values_list("resource_name", flat=True)) == ["dana", "erin"]
    assert not Event.objects.filter(lookup_indexed=False).exists()


def test_a_lookup_by_attribute_enters_what_another_process_left_pending(alice, behind, settings):
    # Another worker's write, committed with its event, whose writer enters it in the
    # lookup up to TRAIL_LOOKUP_INDEX_SECONDS later; this process's writer was never asked.
    settings.TRAIL_LOOKUP_INDEX_SECONDS = 60
    record._save(lookup_later=True, **event_values("DeleteUser", resources=[{"type": "AWS::IAM::User", "name": "dana"}]))
    assert not Event.objects.get().lookup_indexed
    assert lookup(alice, "ResourceName", "dana") == ["DeleteUser"]
    assert lookup(alice, "EventName", "DeleteUser") == ["DeleteUser"]
    assert list(EventResource.objects.values_list("resource_name", flat=True)) == ["dana"]
    assert not Event.objects.filter(event_name="DeleteUser", lookup_indexed=False).exists()


def test_a_lookup_by_attribute_enters_a_backlog_bigger_than_a_chunk(alice, behind, monkeypatch, settings):
    # Chunks are entered oldest first: the newest, the one just looked for, comes last.
    settings.TRAIL_LOOKUP_INDEX_SECONDS = 60
    monkeypatch.setattr(record, "PENDING_CHUNK", 3)
    for name in ("u1", "u2", "u3", "u4", "u5", "u6", "u7"):
        record._save(lookup_later=True, **event_values("DeleteUser", resources=[{"type": "AWS::IAM::User", "name": name}]))
    assert lookup(alice, "ResourceName", "u7") == ["DeleteUser"]
    assert EventResource.objects.count() == 7
    assert not Event.objects.filter(event_name="DeleteUser", lookup_indexed=False).exists()


def test_writes_enter_the_lookup_together_after_the_lookup_delay_not_with_every_batch(alice, behind, settings):
    settings.TRAIL_LOOKUP_INDEX_SECONDS = 60
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    dispatch(alice, "sts:GetCallerIdentity")
    deadline = time.monotonic() + 5
    while "GetCallerIdentity" not in names():  # its batch is written 5 ms behind
        assert time.monotonic() < deadline, "not written 5 s after the call"
        time.sleep(0.01)
    # The batch went without the follow-up, which waits for the writes of the next minute.
    assert not Event.objects.get(event_name="CreateUser").lookup_indexed
    record.flush()  # a flush does not wait out the interval
    assert Event.objects.get(event_name="CreateUser").lookup_indexed
    assert list(EventResource.objects.values_list("resource_name", flat=True)) == ["dana"]


def test_a_write_s_event_enters_the_lookup_without_anyone_asking(alice, behind, settings):
    settings.TRAIL_LOOKUP_INDEX_SECONDS = 0.05
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    deadline = time.monotonic() + 5
    while not Event.objects.get(event_name="CreateUser").lookup_indexed:
        assert time.monotonic() < deadline, "not in the lookup 5 s after the call"
        time.sleep(0.01)
    assert list(EventResource.objects.values_list("resource_name", flat=True)) == ["dana"]


def test_a_backlog_enters_the_lookup_a_chunk_per_transaction(alice, behind, monkeypatch, settings):
    # A full chunk asks for the next one as soon as a batch would go, not after the
    # lookup's interval.
    settings.TRAIL_LOOKUP_INDEX_SECONDS = 60
    monkeypatch.setattr(record, "PENDING_CHUNK", 3)
    for name in ("u1", "u2", "u3", "u4", "u5", "u6", "u7"):
        record._save(lookup_later=True, **event_values("DeleteUser", resources=[{"type": "AWS::IAM::User", "name": name}]))
    transactions = []
    monkeypatch.setattr(record, "_index_pending", lambda alias, chunk=record._index_pending: transactions.append(
        Event.objects.filter(lookup_indexed=False).count()) or chunk(alias))
    record._writer.request_follow_up(more=True)
    deadline = time.monotonic() + 5
    while Event.objects.filter(lookup_indexed=False).exists():
        assert time.monotonic() < deadline, "the backlog was not entered 5 s later"
        time.sleep(0.01)
    assert transactions == [7, 4, 1]  # pending before each: 3, 3, then the last one
    assert EventResource.objects.count() == 7


def test_an_event_the_database_refuses_does_not_stop_the_lookup(alice, behind, settings):
    # The batch fails, each event is retried alone, and the pending events still enter
    # the lookup (in a transaction of their own).
    settings.TRAIL_WRITE_BEHIND_SECONDS = 60
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    taken = Event.objects.get().event_id
    record._writer.submit(event_values("GetUser", event_id=taken))  # a duplicate event ID
    record._writer.submit(event_values("ListUsers"))
    assert lookup(alice, "ResourceName", "dana") == ["CreateUser"]
    assert sorted(Event.objects.values_list("event_name", flat=True)) == ["CreateUser", "ListUsers"]  # LookupEvents: queued


def test_a_pending_event_gets_a_resource_row_for_each_resource_with_its_account_and_time(alice, behind):
    # On SQLite the rows are made inside SQLite from the event's stored JSON: what they
    # hold must be what the event recorded, names with quotes and non-ASCII letters too.
    user = {"type": "AWS::IAM::User", "name": 'dana "the admin" Ñúñez'}
    key = {"type": "AWS::IAM::AccessKey", "name": "AKIAIOSFODNN7EXAMPLE", "arn": ""}
    record._save(lookup_later=True, **event_values("CreateAccessKey", resources=[user, key]))
    # A sign-in that named no account belongs to no account's lookup: no rows.
    record._save(lookup_later=True, **event_values("ConsoleLogin", recipient_account_id=None, resources=[user]))
    record._save(lookup_later=True, **event_values("ListUsers", resources=[]))
    record._index_pending("default")
    assert not Event.objects.filter(lookup_indexed=False).exists()
    created = Event.objects.get(event_name="CreateAccessKey")
    assert list(EventResource.objects.order_by("pk").values_list(
        "event_id", "account_id", "event_time", "resource_type", "resource_name")) == [
        (created.pk, ALICE_ACCOUNT, created.event_time, "AWS::IAM::User", 'dana "the admin" Ñúñez'),
        (created.pk, ALICE_ACCOUNT, created.event_time, "AWS::IAM::AccessKey", "AKIAIOSFODNN7EXAMPLE"),
    ]
    assert lookup(alice, "ResourceName", 'dana "the admin" Ñúñez') == ["CreateAccessKey"]
    assert lookup(alice, "ResourceType", "AWS::IAM::AccessKey") == ["CreateAccessKey"]


def test_a_data_event_is_never_in_the_lookup(alice, behind):
    record._save(**event_values("PutObject", event_source="s3.amazonaws.com", management_event=False,
                                resources=[{"type": "AWS::S3::Object", "name": "arn:aws:s3:::b/k"}]))
    record._index_pending("default")
    event = Event.objects.get()
    assert not event.lookup_indexed and not EventResource.objects.exists()
    assert lookup(alice, "EventName", "PutObject") == []


def test_a_batch_keeps_every_event_s_resources(alice, behind):
    # A data event keeps its resources in the record (no lookup rows); a management
    # event gets its lookup rows too, with its own ID.
    dispatch(alice, "iam:CreateUser", {"UserName": "dana"})
    resource = {"type": "AWS::S3::Object", "name": "arn:aws:s3:::b/k"}
    record._save_many([
        event_values("GetObject", event_source="s3.amazonaws.com", read_only=True, management_event=False,
                     resources=[resource]),
        event_values("GetUser", read_only=True, resources=[{"type": "AWS::IAM::User", "name": "dana"}]),
        event_values("ListBuckets", event_source="s3.amazonaws.com", read_only=True, resources=[]),
    ])
    by_name = {e.event_name: e for e in Event.objects.all()}
    assert by_name["GetObject"].resources == [resource]
    assert by_name["ListBuckets"].resources is None
    assert list(EventResource.objects.filter(event=by_name["GetUser"]).values_list("resource_name", flat=True)) == [
        "dana"]
    assert not EventResource.objects.filter(event=by_name["GetObject"]).exists()


def test_concurrent_calls_are_all_written_exactly_once(alice, behind):
    def calls():
        for _ in range(50):
            dispatch(alice, "sts:GetCallerIdentity")

    threads = [threading.Thread(target=calls) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record.flush()
    events = Event.objects.filter(event_name="GetCallerIdentity")
    assert events.count() == 400
    assert events.values("event_id").distinct().count() == 400
    assert set(events.values_list("user_identity__type", flat=True)) == {"Root"}


def test_the_writer_waits_out_a_locked_database(alice, behind, settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single write lock")
    settings.TRAIL_WRITE_BEHIND_SECONDS = 0.001
    import sqlite3

    locker = sqlite3.connect(django_settings.DATABASES["default"]["NAME"], timeout=0, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a while
    dispatch(alice, "iam:ListUsers")
    release = threading.Timer(0.3, locker.rollback)
    release.start()
    assert record._writer.flush(timeout=20)
    release.join()
    assert names() == ["ListUsers"]
    locker.close()


def test_a_process_that_exits_writes_what_it_queued(alice, tmp_path):
    db = django_settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = "sqlite:///" + str(db["TEST"]["NAME"] if db["NAME"] == ":memory:" else db["NAME"])
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    script = (
        "import django; django.setup()\n"
        "from awsapi.dispatch import dispatch\n"
        "from iam.models import Account\n"
        "from iam.principals import root_principal\n"
        "from tests.conftest import context_for\n"
        f"ctx = context_for(root_principal(Account.objects.get(account_id='{ALICE_ACCOUNT}')), via_console=False)\n"
        "dispatch(ctx, 'iam:ListUsers')\n"
        "from trail.models import Event\n"
        "print(Event.objects.filter(event_name='ListUsers').count())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "DATABASE_URL": url,
           "IAMLAB_VAR_DIR": str(tmp_path), "IAMLAB_TRAIL_WRITE_BEHIND_SECONDS": "60",
           "IAMLAB_ENCRYPTION_KEY": django_settings.IAMLAB_ENCRYPTION_KEY}
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"  # still queued when the script ended
    assert names() == ["ListUsers"]  # and written as the process exited
