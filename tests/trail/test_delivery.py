"""Trail delivery end to end inside the process: log files in the bucket in AWS's
layout, each event once, the bucket policy deciding, data events by selector, hourly
signed digests, validatelogs naming modified, deleted and forged files, and the event
store's seals."""

import gzip
import json
import re
import time

import pytest
from django.core.management import call_command
from django.db import connection

from awsapi.dispatch import dispatch
from iam.principals import root_principal
from s3.models import Object
from s3.storage import body_of
from tests.trail.helpers import api_ctx
from tests.trail.test_trails import ACCOUNT, BUCKET, REGION, cloudtrail_policy, make_bucket
from trail import delivery, digests
from trail.models import DeliveryClaim, Event, EventSeal, Trail

LOG_KEY = re.compile(
    rf"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/11/29/{ACCOUNT}_CloudTrail_{REGION}_20261129T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz"
)
DIGEST_KEY = re.compile(
    rf"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/11/29/"
    rf"{ACCOUNT}_CloudTrail-Digest_{REGION}_main_{REGION}_20261129T\d{{6}}Z\.json\.gz"
)


@pytest.fixture
def ctx(alice_account):
    return api_ctx(root_principal(alice_account), region=REGION)


@pytest.fixture
def trail(ctx, frozen_clock):
    make_bucket(ctx)
    dispatch(ctx, "cloudtrail:CreateTrail", {"Name": "main", "S3BucketName": BUCKET, "EnableLogFileValidation": True})
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "main"})
    return Trail.objects.get(name="main")


def keys(kind="CloudTrail/"):
    return sorted(Object.objects.filter(bucket__name=BUCKET, key__contains=f"/{kind}").values_list("key", flat=True))


def records(key):
    obj = Object.objects.get(bucket__name=BUCKET, key=key)
    return json.loads(gzip.decompress(body_of(obj).read_all()))["Records"]


def deliver_after(frozen_clock, **delta):
    frozen_clock.advance(**(delta or {"minutes": 1}))
    return delivery.deliver()


def test_a_logging_trail_delivers_its_accounts_events_once(ctx, trail, frozen_clock, charlie):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    dispatch(charlie, "iam:CreateUser", {"UserName": "not-alices"})
    assert delivery.deliver() == 0  # too fresh: recent rows may still be committing
    assert deliver_after(frozen_clock) == 1
    (key,) = keys()
    assert LOG_KEY.fullmatch(key)
    names = [r["eventName"] for r in records(key)]
    assert names == ["StartLogging", "CreateUser"]  # from the moment it logs
    assert all(r["recipientAccountId"] == ACCOUNT for r in records(key))
    obj = Object.objects.get(key=key)
    assert obj.owner_account_id == ACCOUNT and obj.content_type == "application/json"
    assert deliver_after(frozen_clock) == 0
    assert keys() == [key]
    status = dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})
    assert status["LatestDeliveryTime"] == frozen_clock.current.replace(minute=1)
    assert "LatestDeliveryError" not in status


def test_a_stopped_trail_delivers_nothing(ctx, trail, frozen_clock):
    dispatch(ctx, "cloudtrail:StopLogging", {"Name": "main"})
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    assert deliver_after(frozen_clock) == 0


def test_a_removed_bucket_policy_is_a_delivery_error_and_the_events_wait(ctx, trail, frozen_clock):
    dispatch(ctx, "s3:DeleteBucketPolicy", {"Bucket": BUCKET})
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    assert deliver_after(frozen_clock) == 0
    status = dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})
    assert status["LatestDeliveryError"] == "AccessDenied"
    assert status["LatestDeliveryAttemptTime"] == "2026-11-29T12:01:00Z"
    assert keys() == []
    from tests.trail.test_trails import cloudtrail_policy

    dispatch(ctx, "s3:PutBucketPolicy", {"Bucket": BUCKET, "Policy": cloudtrail_policy()})
    assert deliver_after(frozen_clock) == 1
    assert "CreateUser" in [r["eventName"] for r in records(keys()[0])]
    assert "LatestDeliveryError" not in dispatch(ctx, "cloudtrail:GetTrailStatus", {"Name": "main"})


def test_s3_data_events_only_when_selected(ctx, trail, frozen_clock):
    dispatch(ctx, "s3:CreateBucket", {"Bucket": "class-files"})
    dispatch(ctx, "s3:PutObject", {"Bucket": "class-files", "Key": "a.txt", "Body": b"a"})
    deliver_after(frozen_clock)
    assert "PutObject" not in [r["eventName"] for k in keys() for r in records(k)]
    selectors = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                  "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::class-files/"]}]}]
    dispatch(ctx, "cloudtrail:PutEventSelectors", {"TrailName": "main", "EventSelectors": selectors})
    dispatch(ctx, "s3:PutObject", {"Bucket": "class-files", "Key": "b.txt", "Body": b"b"})
    dispatch(ctx, "s3:GetObject", {"Bucket": "class-files", "Key": "b.txt"})
    deliver_after(frozen_clock)
    delivered = [r for k in keys() for r in records(k)]
    data = [r for r in delivered if r["eventCategory"] == "Data"]
    assert [r["eventName"] for r in data] == ["PutObject", "GetObject"]


def delivered_with_digest(ctx, trail, frozen_clock):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    deliver_after(frozen_clock)
    dispatch(ctx, "iam:CreateUser", {"UserName": "dave"})
    deliver_after(frozen_clock, minutes=10)
    deliver_after(frozen_clock, hours=1)
    return keys(), keys("CloudTrail-Digest/")


def validate(frozen_clock, *extra):
    out, err = [], []

    class Sink:
        def __init__(self, lines):
            self.lines = lines

        def write(self, text):
            self.lines.append(text)

        def flush(self):
            pass

    code = 0
    try:
        call_command("validatelogs", "--trail", "main", "--start-time", "2026-11-29T11:00:00Z", *extra,
                     stdout=Sink(out), stderr=Sink(err))
    except SystemExit as exit:
        code = exit.code
    return code, "".join(out), "".join(err)


def test_hourly_digest_lists_each_log_file_with_its_hash_and_is_signed(ctx, trail, frozen_clock):
    logs, (digest_key,) = delivered_with_digest(ctx, trail, frozen_clock)
    assert len(logs) == 2 and DIGEST_KEY.fullmatch(digest_key)
    obj = Object.objects.get(key=digest_key)
    assert obj.metadata["signature-algorithm"] == "SHA256withRSA"
    body = gzip.decompress(body_of(obj).read_all())
    document = json.loads(body)
    assert document["digestStartTime"] == "2026-11-29T12:00:00Z"
    assert document["digestS3Object"] == digest_key and document["previousDigestSignature"] is None
    assert [f["s3Object"] for f in document["logFiles"]] == logs
    import hashlib

    for entry in document["logFiles"]:
        stored = Object.objects.get(key=entry["s3Object"])
        assert entry["hashValue"] == hashlib.sha256(gzip.decompress(body_of(stored).read_all())).hexdigest()
    key = dispatch(ctx, "cloudtrail:ListPublicKeys", {})["PublicKeyList"][0]
    assert key["Fingerprint"] == document["digestPublicKeyFingerprint"]
    import rsa

    text = digests.string_to_sign(document["digestEndTime"], BUCKET, digest_key, body, None)
    rsa.verify(text.encode(), bytes.fromhex(obj.metadata["signature"]), rsa.PublicKey.load_pkcs1(key["Value"], "DER"))
    # The next hour's digest chains to this one.
    deliver_after(frozen_clock, hours=1)
    second = [k for k in keys("CloudTrail-Digest/") if k != digest_key][0]
    chained = json.loads(gzip.decompress(body_of(Object.objects.get(key=second)).read_all()))
    assert chained["previousDigestS3Object"] == digest_key
    assert chained["previousDigestSignature"] == obj.metadata["signature"]
    assert chained["previousDigestHashValue"] == hashlib.sha256(body).hexdigest()
    assert chained["digestStartTime"] == document["digestEndTime"]
    assert [f["s3Object"] for f in chained["logFiles"]] == [k for k in keys() if k not in logs]


def test_validatelogs_passes_on_untouched_files(ctx, trail, frozen_clock):
    delivered_with_digest(ctx, trail, frozen_clock)
    code, out, err = validate(frozen_clock, "--verbose")
    assert code == 0, err
    assert f"Validating log files for trail arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main between " \
           "2026-11-29T11:00:00Z and 2026-11-29T13:11:00Z" in out
    assert "Results requested for 2026-11-29T11:00:00Z to 2026-11-29T13:11:00Z" in out
    assert "Results found for 2026-11-29T12:00:00Z to 2026-11-29T13:11:00Z:" in out
    assert "1/1 digest files valid" in out and "2/2 log files valid" in out
    assert err == ""


def test_validatelogs_names_a_modified_a_deleted_and_a_forged_log_file(ctx, trail, frozen_clock):
    (modified, deleted), _ = delivered_with_digest(ctx, trail, frozen_clock)
    forged_records = records(modified)
    forged_records[0]["sourceIPAddress"] = "203.0.113.66"
    dispatch(ctx, "s3:PutObject", {"Bucket": BUCKET, "Key": modified,
                                   "Body": gzip.compress(json.dumps({"Records": forged_records}).encode())})
    dispatch(ctx, "s3:DeleteObject", {"Bucket": BUCKET, "Key": deleted})
    forged = re.sub(r"_[A-Za-z0-9]{16}\.json\.gz$", "_AAAAAAAAAAAAAAAA.json.gz", modified)
    dispatch(ctx, "s3:PutObject", {"Bucket": BUCKET, "Key": forged,
                                   "Body": gzip.compress(b'{"Records":[]}')})
    code, out, err = validate(frozen_clock)
    assert code == 1
    assert f"Log file\ts3://{BUCKET}/{modified}\tINVALID: hash value doesn't match" in err
    assert f"Log file\ts3://{BUCKET}/{deleted}\tINVALID: not found" in err
    assert f"Log file\ts3://{BUCKET}/{forged}\tINVALID: not listed in any valid digest file" in err
    assert "1/1 digest files valid" in out and "0/3 log files valid, 3/3 log files INVALID" in out


def test_validatelogs_names_a_tampered_digest(ctx, trail, frozen_clock):
    _, (digest_key,) = delivered_with_digest(ctx, trail, frozen_clock)
    obj = Object.objects.get(key=digest_key)
    document = json.loads(gzip.decompress(body_of(obj).read_all()))
    document["logFiles"] = document["logFiles"][:1]
    dispatch(ctx, "s3:PutObject", {"Bucket": BUCKET, "Key": digest_key, "Metadata": obj.metadata,
                                   "Body": gzip.compress(json.dumps(document).encode())})
    code, out, err = validate(frozen_clock)
    assert code == 1
    assert f"Digest file\ts3://{BUCKET}/{digest_key}\tINVALID: signature verification failed" in err


def test_the_event_store_seals_detect_a_modified_a_deleted_and_an_inserted_event(ctx, trail, frozen_clock):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    dispatch(ctx, "iam:CreateUser", {"UserName": "dave"})
    deliver_after(frozen_clock)
    assert EventSeal.objects.filter(account_id=ACCOUNT).exists()
    report = digests.check_event_store(ACCOUNT)
    assert report["problems"] == [] and report["events"] >= 4
    carol, dave = Event.objects.filter(event_name="CreateUser").order_by("pk")
    Event.objects.filter(pk=carol.pk).update(source_ip_address="203.0.113.66")
    Event.objects.filter(pk=dave.pk).delete()
    start = Event.objects.filter(event_name="StartLogging").get()
    start.pk = None
    start.event_id = __import__("uuid").uuid4()
    start.save()  # an event slipped in among sealed ones would need a lower row ID:
    Event.objects.filter(pk=start.pk).update(id=dave.pk)
    problems = digests.check_event_store(ACCOUNT)["problems"]
    assert f"Event {carol.event_id} (row {carol.pk}) of account {ACCOUNT}\tINVALID: modified" in problems
    assert f"Event {start.event_id} (row {dave.pk}) of account {ACCOUNT}\tINVALID: modified" in problems
    out = []
    with pytest.raises(SystemExit):
        call_command("validatelogs", "--event-store", "--account", ACCOUNT, stdout=type("S", (), {
            "write": lambda self, t: out.append(t), "flush": lambda self: None})(), stderr=type("S", (), {
            "write": lambda self, t: out.append(t), "flush": lambda self: None})())
    assert "INVALID: modified" in "".join(out)


def test_a_deleted_event_is_named(ctx, trail, frozen_clock):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    deliver_after(frozen_clock)
    carol = Event.objects.get(event_name="CreateUser")
    Event.objects.filter(pk=carol.pk).delete()
    assert digests.check_event_store(ACCOUNT)["problems"] == [
        f"Event {carol.event_id} (row {carol.pk}) of account {ACCOUNT}\tINVALID: deleted"
    ]


def test_one_delivery_runner_at_a_time(db, frozen_clock):
    now = frozen_clock.current
    assert delivery.claim("worker-1", now)
    assert not delivery.claim("worker-2", now)
    delivery.release("worker-1")
    assert delivery.claim("worker-2", now)
    # A holder that died: its lease runs out.
    assert delivery.claim("worker-3", now + delivery.LEASE)
    assert delivery.run_once("worker-3") is True
    assert delivery.run_once("worker-2") is True  # released by worker-3's run


def test_a_process_started_in_a_dead_ones_place_under_its_name_takes_its_lease_at_once(ctx, frozen_clock):
    # console/serve.py starts each delivery process with the same --holder.
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    frozen_clock.advance(minutes=1)
    assert delivery.claim("serve-1-abc", frozen_clock.current)  # and then killed mid-run
    assert delivery.run_once("serve-9-def", trails=False) is False  # another server's waits out the lease
    assert delivery.run_once("serve-1-abc", trails=False) is True
    assert Event.objects.get(event_name="CreateUser").pk <= digests.last_sealed()
    assert DeliveryClaim.objects.get().expires is None


class Waits:
    """A stand-in for the loop's threading.Event: each wait is noted, none is waited,
    and it reads as set from the ``set_after``-th wait on."""

    def __init__(self, set_after=None):
        self.seconds, self.set_after = [], set_after

    def wait(self, seconds):
        self.seconds.append(seconds)
        return self.set_after is not None and len(self.seconds) >= self.set_after


def test_the_periodic_runs_end_when_stopped_or_when_their_server_is_gone(db, monkeypatch):
    monkeypatch.setenv("IAMLAB_EVENT_SEAL_SECONDS", "1")
    runs = []
    monkeypatch.setattr(delivery, "run_once", lambda holder, trails: runs.append(holder))
    stop = Waits(set_after=4)
    delivery.run_periodically(stop, "serve-1-abc")
    assert stop.seconds == [1.0] * 4 and runs == ["serve-1-abc"] * 3
    # alive() is asked after each wait, before the run: once the process that started
    # this one is gone, no run begins.
    runs.clear()
    alive = iter([True, True, False])
    never = Waits()
    delivery.run_periodically(never, "serve-1-abc", alive=lambda: next(alive))
    assert len(never.seconds) == 3 and runs == ["serve-1-abc"] * 2


def test_a_seal_run_between_deliveries_seals_and_delivers_nothing(ctx, trail, frozen_clock):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    frozen_clock.advance(minutes=1)
    assert delivery.run_once("worker-1", trails=False) is True
    assert keys() == [] and keys("CloudTrail-Digest/") == []
    sealed = {pk for seal in EventSeal.objects.all() for pk, _, _ in seal.entries}
    assert Event.objects.get(event_name="CreateUser").pk in sealed
    assert digests.check_event_store()["problems"] == []
    assert deliver_after(frozen_clock) == 1  # the delivery after it still has the events


def test_a_seal_run_with_every_event_sealed_takes_no_lease(ctx, frozen_clock):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    frozen_clock.advance(minutes=1)
    assert delivery.run_once("worker-1", trails=False) is True
    assert delivery.claim("worker-2", frozen_clock.current)
    # Nothing new: worker-1 neither waits for the lease nor takes it.
    assert delivery.run_once("worker-1", trails=False) is True
    assert DeliveryClaim.objects.get().holder == "worker-2"
    dispatch(ctx, "iam:CreateUser", {"UserName": "dave"})
    frozen_clock.advance(minutes=1)
    assert delivery.run_once("worker-1", trails=False) is False
    delivery.release("worker-2")
    assert delivery.run_once("worker-1", trails=False) is True
    newest = Event.objects.filter(event_name="CreateUser").order_by("-pk").first()
    assert newest.request_parameters == {"userName": "dave"}
    assert newest.pk <= max(EventSeal.objects.values_list("last_event", flat=True))


def test_the_background_thread_seals_every_5_s_and_delivers_every_300_s(monkeypatch):
    monkeypatch.delenv("IAMLAB_TRAIL_DELIVERY_SECONDS", raising=False)
    monkeypatch.delenv("IAMLAB_EVENT_SEAL_SECONDS", raising=False)
    runs = delivery.schedule(delivery.interval(), delivery.seal_interval())
    first = [next(runs) for _ in range(120)]
    assert {wait for wait, _ in first} == {5.0}
    assert [i for i, (_, trails) in enumerate(first, 1) if trails] == [60, 120]
    # Sealing less often than delivering: every run delivers, and seals after it.
    runs = delivery.schedule(60.0, 90.0)
    assert [next(runs) for _ in range(3)] == [(60.0, True)] * 3
    runs = delivery.schedule(45.0, 20.0)
    assert [trails for _, trails in (next(runs) for _ in range(7))] == [False, False, True, False, True, False, True]


def test_a_served_process_seals_in_the_background(transactional_db, ctx, frozen_clock, monkeypatch):
    monkeypatch.setenv("IAMLAB_EVENT_SEAL_SECONDS", "1")
    monkeypatch.setenv("IAMLAB_TRAIL_DELIVERY_SECONDS", "3600")
    monkeypatch.setattr(delivery, "_thread", None)
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    frozen_clock.advance(minutes=1)
    thread = delivery.start_background()
    try:
        for _ in range(100):
            if EventSeal.objects.exists():
                break
            time.sleep(0.1)
    finally:
        thread.stop.set()
        thread.join(5)
    assert not thread.is_alive()
    sealed = {pk for seal in EventSeal.objects.all() for pk, _, _ in seal.entries}
    assert Event.objects.get(event_name="CreateUser").pk in sealed
    assert keys() == []  # no trail, and no delivery run yet


def test_the_command_delivers(ctx, trail, frozen_clock):
    frozen_clock.advance(minutes=1)
    out = []
    call_command("delivertrails", stdout=type("S", (), {"write": lambda self, t: out.append(t),
                                                        "flush": lambda self: None})())
    assert "1 log file delivered" in "".join(out)


def test_an_event_moved_into_a_sealed_range_is_named_as_inserted(ctx, trail, frozen_clock, charlie):
    dispatch(charlie, "iam:CreateUser", {"UserName": "eve"})
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    deliver_after(frozen_clock)
    eve = Event.objects.get(event_name="CreateUser", recipient_account_id="444455556666")
    Event.objects.filter(pk=eve.pk).update(recipient_account_id=ACCOUNT)
    assert digests.check_event_store(ACCOUNT)["problems"] == [
        f"Event {eve.event_id} (row {eve.pk}) of account {ACCOUNT}\tINVALID: inserted after sealing"
    ]
    assert any("INVALID: deleted" in p for p in digests.check_event_store("444455556666")["problems"])


def test_a_tampered_seal_fails_its_signature(ctx, trail, frozen_clock):
    deliver_after(frozen_clock)
    seal = EventSeal.objects.filter(account_id=ACCOUNT).first()
    EventSeal.objects.filter(pk=seal.pk).update(entries=seal.entries[:-1])
    problems = digests.check_event_store(ACCOUNT)["problems"]
    assert any("INVALID: signature verification failed" in p for p in problems)


def test_seals_are_cut_in_batches_and_no_event_is_left_out(ctx, trail, frozen_clock, charlie, monkeypatch):
    monkeypatch.setattr(digests, "SEAL_BATCH", 2)
    for name in ("u1", "u2", "u3"):
        dispatch(ctx, "iam:CreateUser", {"UserName": name})
    dispatch(charlie, "iam:CreateUser", {"UserName": "c1"})
    deliver_after(frozen_clock)
    sealed = {pk for seal in EventSeal.objects.all() for pk, _, _ in seal.entries}
    expected = set(Event.objects.filter(recipient_account_id__isnull=False).values_list("pk", flat=True))
    assert sealed == expected
    assert digests.check_event_store()["problems"] == []


def test_a_seal_run_that_finds_its_events_sealed_meanwhile_starts_over(ctx, trail, monkeypatch):
    # Events are hashed before the seal's transaction; another run may seal them first.
    for name in ("u1", "u2"):
        dispatch(ctx, "iam:CreateUser", {"UserName": name})
    real_hash, raced = digests.event_hash, []

    def hash_while_another_run_seals(event):
        if not raced:
            raced.append(True)
            digests.seal_events()
        return real_hash(event)

    monkeypatch.setattr(digests, "event_hash", hash_while_another_run_seals)
    assert digests.seal_events() == 0  # the other run sealed them all
    sealed = [pk for seal in EventSeal.objects.all() for pk, _, _ in seal.entries]
    assert sorted(sealed) == sorted(Event.objects.filter(recipient_account_id__isnull=False).values_list("pk", flat=True))
    assert digests.check_event_store()["problems"] == []


# Log files are built (JSON, gzip, hashes, the staged blob) before the delivery
# transaction, from the trail as it was then; transactional_db: no test-wide transaction
# to hide the delivery's own.
@pytest.mark.usefixtures("transactional_db")
def test_log_files_are_built_before_the_delivery_transaction(ctx, trail, frozen_clock, monkeypatch):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    real, inside = delivery.staged, []
    monkeypatch.setattr(delivery, "staged", lambda body: inside.append(connection.in_atomic_block) or real(body))
    assert deliver_after(frozen_clock) == 1
    assert inside == [False]
    (key,) = keys()
    assert [r["eventName"] for r in records(key)] == ["StartLogging", "CreateUser"]


@pytest.mark.usefixtures("transactional_db")
def test_a_seals_entries_are_encoded_before_its_transaction(ctx, frozen_clock, monkeypatch):
    # Half a megabyte of JSON for 5,000 events: encoded under the write lock, it held
    # every other writer up for several milliseconds.
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    real, inside = digests.rows.params, []

    def params(model, values, alias="default"):
        if model is EventSeal:
            inside.append(connection.in_atomic_block)
        return real(model, values, alias)

    monkeypatch.setattr(digests.rows, "params", params)
    frozen_clock.advance(minutes=1)
    delivery.seal()
    assert inside == [False]
    (seal,) = EventSeal.objects.all()
    assert [event_id for _, event_id, _ in seal.entries] == [
        str(e) for e in Event.objects.order_by("pk").values_list("event_id", flat=True)]
    assert digests.check_event_store()["problems"] == []


@pytest.fixture
def staged_in_files(settings, var_dir, tmp_path, monkeypatch):
    """Log files staged in files, however small (they would fit in a row), in a var dir
    of the test's own: what staging leaves behind is in its ``s3/tmp``."""
    from s3 import storage

    monkeypatch.setattr(storage, "INLINE_MAX", 0)
    settings.VAR_DIR = tmp_path
    return lambda: sorted((tmp_path / "s3" / "tmp").iterdir())


@pytest.mark.usefixtures("transactional_db")
def test_a_trail_changed_while_its_files_were_built_gets_them_built_again(ctx, trail, frozen_clock, monkeypatch,
                                                                          staged_in_files):
    dispatch(ctx, "s3:PutBucketPolicy", {"Bucket": BUCKET, "Policy": cloudtrail_policy(prefix="moved")})
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    real, built = delivery._log_batch, []

    def build_while_the_owner_moves_the_files(trail_, now, settle):
        batch = real(trail_, now, settle)
        built.append(batch)
        if len(built) == 1:
            Trail.objects.filter(pk=trail_.pk).update(s3_key_prefix="moved")
        return batch

    monkeypatch.setattr(delivery, "_log_batch", build_while_the_owner_moves_the_files)
    assert deliver_after(frozen_clock) == 1
    assert len(built) == 2
    (key,) = keys()
    assert key.startswith(f"moved/AWSLogs/{ACCOUNT}/CloudTrail/")
    assert [r["eventName"] for r in records(key)] == ["StartLogging", "PutBucketPolicy", "CreateUser"]
    # The first build's staged file is gone, not left in the var dir.
    assert [f.body.staged.installed for f in built[0].files] == [False] and staged_in_files() == []


@pytest.mark.usefixtures("transactional_db")
def test_a_trail_changed_on_every_attempt_gets_its_files_built_inside_the_transaction(
        ctx, trail, frozen_clock, monkeypatch, staged_in_files):
    dispatch(ctx, "iam:CreateUser", {"UserName": "carol"})
    real, inside = delivery._log_batch, []

    def build_while_the_trail_changes(trail_, now, settle):
        inside.append(connection.in_atomic_block)
        if not connection.in_atomic_block:
            Trail.objects.filter(pk=trail_.pk).update(latest_digest_delivery_error=f"change {len(inside)}")
        return real(trail_, now, settle)

    real_staged, bodies = delivery.staged, []
    monkeypatch.setattr(delivery, "_log_batch", build_while_the_trail_changes)
    monkeypatch.setattr(delivery, "staged", lambda body: bodies.append(real_staged(body)) or bodies[-1])
    assert deliver_after(frozen_clock) == 1
    assert inside == [False] * delivery.ATTEMPTS + [True]
    (key,) = keys()
    assert [r["eventName"] for r in records(key)] == ["StartLogging", "CreateUser"]
    # One file per build; only the last one kept, the others' temporary blobs gone.
    assert [b.staged.installed for b in bodies] == [False] * delivery.ATTEMPTS + [True]
    assert staged_in_files() == [] and Object.objects.get(key=key).blob


@pytest.mark.parametrize("argv,env,expected", [
    # granian's worker processes, started by `python -m console.serve`, which runs
    # `delivertrails --forever` beside them instead
    (["/srv/iamlab/console/serve.py", "--bind", "127.0.0.1:8000"], {"IAMLAB_SERVING": "1"}, False),
    (["manage.py", "delivertrails", "--forever"], {}, False),
    (["manage.py", "delivertrails"], {"IAMLAB_SERVING": "0"}, False),
    (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),
    (["manage.py", "runserver"], {}, False),
    (["manage.py", "delivertrails"], {}, False),
    (["/srv/.venv/bin/pytest"], {}, False),
])
def test_only_runservers_serving_process_starts_the_delivery_thread(monkeypatch, argv, env, expected):
    from trail import apps

    monkeypatch.setattr(apps.sys, "argv", argv)
    monkeypatch.delenv("RUN_MAIN", raising=False)
    monkeypatch.delenv("IAMLAB_SERVING", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert apps.delivers_in_a_thread() is expected
