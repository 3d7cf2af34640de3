"""Delivering trails: each logging trail's new events, as gzipped JSON log files
(``{"Records": [...]}``) written into its S3 bucket in CloudTrail's key layout, and,
with log file validation, the hourly digest files (trail.digests).

Delivery reads the event store after the fact — recording a management event
(trail.record) does no work for trails; a data event is recorded only when a logging
trail selects it (trail.selectors). Each trail keeps a cursor, the last Event row ID it has
considered; the cursor moves in the same transaction that stores the log file, so an
event reaches a bucket exactly once. CloudTrail writes as the service principal
``cloudtrail.amazonaws.com``: only a bucket policy that allows it lets the file in,
else the trail's LatestDeliveryError says AccessDenied and the events wait.

``deliver()`` runs from ``manage.py delivertrails`` and, periodically, every
IAMLAB_TRAIL_DELIVERY_SECONDS (the event store is sealed every IAMLAB_EVENT_SEAL_SECONDS
in between, ``run_periodically``): in a process of its own beside the production
server's workers (``delivertrails --forever``, started by console/serve.py), in a
thread of ``runserver``'s. A lease row (DeliveryClaim) makes sure only one process
delivers or seals at a time."""

import gzip
import hashlib
import json
import logging
import os
import secrets
import string
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from console import clock
from s3 import access
from s3.models import Bucket
from s3.operations import bodies
from s3.operations.objects import store
from trail import digests
from trail.models import DeliveryClaim, Event, Trail, TrailLogFile
from trail.selectors import in_regions, object_arn, selects
from trail.stored import StoredEvent

log = logging.getLogger(__name__)

# Events are delivered once they are this old: row IDs are given out at INSERT and a
# transaction may commit after a later one, so the newest rows wait until every
# transaction that started before them has had time to commit.
SETTLE = timedelta(seconds=10)
BATCH = 2000
ALPHANUMERIC = string.ascii_letters + string.digits
LEASE = timedelta(minutes=10)
OWNER_ACL = "bucket-owner-full-control"


def trail_prefix(trail):
    return trail.s3_key_prefix.strip("/") if trail.s3_key_prefix else ""


def log_file_key(trail, region, now):
    account = trail.account.account_id
    suffix = "".join(secrets.choice(ALPHANUMERIC) for _ in range(16))
    key = (
        f"AWSLogs/{account}/CloudTrail/{region}/{now:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{now:%Y%m%dT%H%MZ}_{suffix}.json.gz"
    )
    prefix = trail_prefix(trail)
    return f"{prefix}/{key}" if prefix else key


def may_write(trail, bucket, key):
    """Whether the bucket policy lets CloudTrail write ``key`` for this trail, with the
    ACL and source keys CloudTrail's PutObject carries."""
    context = {
        "s3:x-amz-acl": OWNER_ACL,
        "aws:SourceArn": trail.arn,
        "aws:SourceAccount": trail.account.account_id,
    }
    return access.service_may(bucket, "s3:PutObject", f"{bucket.arn}/{key}", context=context)


# --- which events a trail logs ---------------------------------------------------------


def selected(trail, event):
    """Whether the trail's event selectors pick the event."""
    parameters = event.request_parameters or {}
    arn = object_arn(parameters.get("bucketName") or parameters.get("bucket"), parameters.get("key"))
    return selects(trail.event_selectors, management_event=event.management_event, read_only=event.read_only,
                   event_source=event.event_source, arn=arn)


def in_trail_regions(trail, event):
    return in_regions(trail.home_region, trail.is_multi_region_trail, trail.include_global_service_events,
                      event.aws_region, event.event_source)


# --- writing into the bucket ---------------------------------------------------------------


def put_object(bucket, key, body, metadata=None):
    """Store ``body`` (bytes, or a body :func:`staged` already) at ``key`` as a real S3
    object owned by the bucket owner (the bucket-owner-full-control ACL CloudTrail writes
    with)."""
    received = body if isinstance(body, bodies.Received) else staged(body)
    try:
        store(
            bucket,
            key,
            **received.install(),
            size=received.size,
            etag=received.etag,
            owner_account_id=bucket.account.account_id,
            checksum_algorithm=received.checksum_algorithm,
            checksum_value=received.checksum_value,
            content_type="application/json",
            metadata=metadata or {},
        )
    finally:
        received.staged.discard()


def staged(body):
    """``body`` staged, its MD5 and checksum computed."""
    return bodies.receive({"body": body})


def _log_document(events):
    return json.dumps({"Records": [e.as_record() for e in events]}, separators=(",", ":")).encode("utf-8")


class DeliveryRefused(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass
class LogFile:
    region: str
    key: str
    body: bodies.Received  # the gzipped document, staged
    hash_value: str  # of the document before gzip, as digest files list it
    oldest: datetime
    newest: datetime


@dataclass
class LogBatch:
    """A trail's next log files, built before its delivery transaction: turning up to
    BATCH events into JSON, gzip and hashes took 80 ms for 2,000 events, and inside the
    transaction every other write of the instance waited for it (SQLite has one writer).
    Made from the trail as it was (``state``); the transaction uses it only if the trail
    is still the same."""

    state: tuple
    cursor: int | None  # the trail's cursor once the batch is delivered; None: no new events
    files: list

    def discard(self):
        for file in self.files:
            file.body.staged.discard()


class Stale(Exception):
    """The trail changed between building its batch and locking it."""


# Attempts with the batch built outside the transaction before building it inside: a
# trail changed by its owner on every attempt still gets its events delivered.
ATTEMPTS = 3


def _state(trail):
    return tuple(getattr(trail, field.attname) for field in Trail._meta.concrete_fields)


def deliver_trail(trail_pk, now, settle=SETTLE):
    """Deliver one trail's pending events and due digests; returns the number of log
    files written. Errors land in the trail's status, not in an exception."""
    for attempt in range(ATTEMPTS + 1):
        batch = None
        if attempt < ATTEMPTS:
            trail = Trail.objects.select_related("account").filter(pk=trail_pk).first()
            if trail is None or not trail.is_logging:
                return 0
            batch = _log_batch(trail, now, settle)
        try:
            return _deliver_locked(trail_pk, now, settle, batch)
        except Stale:
            continue
        except DeliveryRefused as refused:
            # Nothing was kept: the cursor stays where it was and the events wait for a
            # bucket policy that lets CloudTrail in.
            Trail.objects.filter(pk=trail_pk).update(
                latest_delivery_attempt_time=now, latest_delivery_error=refused.code
            )
            return 0


def _deliver_locked(trail_pk, now, settle, batch):
    """The delivery transaction: ``batch`` (built from the trail before it was locked, or
    None to build it here) delivered, the cursor moved and due digests written. Whatever
    of the batch was not kept is discarded, whichever way this ends."""
    try:
        with transaction.atomic():
            trail = Trail.objects.select_for_update().select_related("account").get(pk=trail_pk)
            if batch is None:
                if not trail.is_logging:
                    return 0
                batch = _log_batch(trail, now, settle)
            elif _state(trail) != batch.state:
                raise Stale()
            written = _deliver_logs(trail, batch, now)
            if trail.log_file_validation_enabled:
                _deliver_digests(trail, now)
            trail.save()
            return written
    finally:
        if batch is not None:
            batch.discard()


def _target_bucket(trail):
    bucket = Bucket.objects.select_related("account").filter(name=trail.s3_bucket_name).first()
    if bucket is None:
        raise DeliveryRefused("NoSuchBucket")
    return bucket


def _log_batch(trail, now, settle):
    """The trail's next batch of settled events as log files, staged (no files and no
    cursor when there are no new events)."""
    events = StoredEvent.select(
        Event.objects.filter(
            recipient_account_id=trail.account.account_id, pk__gt=trail.cursor, event_time__lte=now - settle
        ).order_by("pk")[:BATCH]
    )
    if not events:
        return LogBatch(_state(trail), None, [])
    by_region = {}
    for event in events:
        if in_trail_regions(trail, event) and selected(trail, event):
            # Each region's events go to its own folder, as CloudTrail files them.
            by_region.setdefault(event.aws_region, []).append(event)
    batch = LogBatch(_state(trail), events[-1].pk, [])
    try:
        for region in sorted(by_region):
            chosen = by_region[region]
            document = _log_document(chosen)
            batch.files.append(LogFile(
                region=region,
                key=log_file_key(trail, region, now),
                body=staged(gzip.compress(document, mtime=0)),
                hash_value=hashlib.sha256(document).hexdigest(),
                oldest=min(e.event_time for e in chosen),
                newest=max(e.event_time for e in chosen),
            ))
    except BaseException:
        batch.discard()
        raise
    return batch


def _deliver_logs(trail, batch, now):
    if batch.cursor is None:
        return 0
    if batch.files:
        bucket = _target_bucket(trail)
        # Every file is allowed before any is written: a refusal keeps nothing.
        if not all(may_write(trail, bucket, file.key) for file in batch.files):
            raise DeliveryRefused("AccessDenied")
        for file in batch.files:
            put_object(bucket, file.key, file.body)
            TrailLogFile.objects.create(
                trail=trail,
                region=file.region,
                s3_bucket=bucket.name,
                s3_object=file.key,
                hash_value=file.hash_value,
                oldest_event_time=file.oldest,
                newest_event_time=file.newest,
                delivered=now,
            )
        trail.latest_delivery_attempt_time = now
        trail.latest_delivery_time = now
        trail.latest_delivery_error = ""
    trail.cursor = batch.cursor
    return len(batch.files)


def _deliver_digests(trail, now):
    due = digests.digests_due(trail, now)
    if not due:
        return
    bucket = Bucket.objects.select_related("account").filter(name=trail.s3_bucket_name).first()
    prefix = trail_prefix(trail)
    for chain, files in due:
        key = digests.digest_key(trail, chain.region, now, prefix)
        if bucket is None or not may_write(trail, bucket, key):
            trail.latest_digest_delivery_error = "NoSuchBucket" if bucket is None else "AccessDenied"
            return
        digests.write_digest(
            trail, chain, files, bucket.name, prefix, now, lambda k, body, meta: put_object(bucket, k, body, meta)
        )
        trail.latest_digest_delivery_time = now
        trail.latest_digest_delivery_error = ""


def deliver(now=None, settle=SETTLE):
    """One delivery run over every logging trail, then the event store's seals.
    Returns the number of log files written."""
    now = now or clock.now()
    written = 0
    for pk in Trail.objects.filter(is_logging=True).order_by("pk").values_list("pk", flat=True):
        written += deliver_trail(pk, now, settle)
    seal(now, settle)
    return written


def seal(now=None, settle=SETTLE):
    """Seal the event store's settled events (trail.digests.seal_events)."""
    now = now or clock.now()
    settled = Event.objects.filter(event_time__lte=now - settle).order_by("-pk").values_list("pk", flat=True).first()
    if settled:
        digests.seal_events(upto=settled)


# --- the periodic run in a served process ------------------------------------------------

CLAIM = "delivery"


def claim(holder, now, lease=LEASE):
    """Take the delivery lease for ``holder`` if it is free or expired: one conditional
    UPDATE, atomic on every database, so of several workers exactly one wins."""
    DeliveryClaim.objects.get_or_create(name=CLAIM)
    taken = DeliveryClaim.objects.filter(name=CLAIM).filter(
        Q(expires__isnull=True) | Q(expires__lte=now) | Q(holder=holder)
    ).update(holder=holder, expires=now + lease)
    return taken == 1


def release(holder):
    DeliveryClaim.objects.filter(name=CLAIM, holder=holder).update(expires=None)


def all_sealed():
    """Whether the newest event an account owns is sealed already: a seal run then has
    nothing to do, and an idle server need not write its lease every few seconds."""
    newest = Event.objects.filter(recipient_account_id__isnull=False).order_by("-pk").values_list("pk", flat=True)
    return (newest.first() or 0) <= digests.last_sealed()


def run_once(holder, trails=True):
    """A delivery run (``trails``) or a seal run if this process holds the lease; False
    when another has it. A seal run with every event sealed takes no lease."""
    now = clock.now()
    if not trails and all_sealed():
        return True
    if not claim(holder, now):
        return False
    try:
        (deliver if trails else seal)(now)
    finally:
        release(holder)
    return True


def _seconds(name, default):
    try:
        return max(1.0, float(os.environ.get(name, default)))
    except ValueError:
        return float(default)


def interval():
    return _seconds("IAMLAB_TRAIL_DELIVERY_SECONDS", "300")


def seal_interval():
    # Sealed every 5 s, not with each delivery: a row is open to an undetected change
    # until it is sealed (here at most SETTLE + 5 s), and a run seals every event since
    # the last one at once, on one core, holding the writers' lock for each batch. After
    # 300 busy seconds that was ~190,000 events, after 30 s still ~90,000: 1.8 s of a
    # core taken from the requests being served then (a benchmark's PutObject row fell
    # from 2,900 to 2,000 req/s in the 4 s it landed in). A run whose new events are all
    # younger than SETTLE costs 2-6 ms of CPU; one that finds them all sealed, two
    # index lookups (all_sealed).
    return _seconds("IAMLAB_EVENT_SEAL_SECONDS", "5")


def schedule(deliver_every, seal_every):
    """The background thread's runs: (seconds to wait, whether the run delivers trails
    too) forever, a run every ``min(deliver_every, seal_every)`` seconds, a delivery
    whenever another ``deliver_every`` seconds have passed."""
    tick = min(deliver_every, seal_every)
    ticks = 0
    while True:
        ticks += 1
        yield tick, (ticks * tick) // deliver_every > ((ticks - 1) * tick) // deliver_every


def run_periodically(stop, holder=None, alive=lambda: True):
    """Deliver every ``interval()`` seconds and seal every ``seal_interval()`` seconds
    until ``stop`` (a threading.Event) is set or ``alive()`` turns false, each checked
    between runs: a run in progress finishes and gives back its lease. ``holder`` names
    the lease's holder, so that a process started again in a dead one's place under the
    same name takes its lease back at once instead of waiting out LEASE."""
    from django.db import connection

    holder = holder or f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    for wait, trails in schedule(interval(), seal_interval()):
        if stop.wait(wait) or not alive():
            return
        try:
            run_once(holder, trails)
        except Exception:  # a bad run must not end the loop; the next one retries
            log.exception("trail delivery run failed")
        finally:
            connection.close()


_started = threading.Lock()
_thread = None


def start_background():
    """Start a daemon thread running ``run_periodically`` (once per process): what
    ``runserver`` does; the production server runs ``delivertrails --forever`` in a
    process of its own instead (console/serve.py)."""
    global _thread
    with _started:
        if _thread is not None:
            return _thread
        stop = threading.Event()
        _thread = threading.Thread(target=run_periodically, args=(stop,), name="trail-delivery", daemon=True)
        _thread.stop = stop
        _thread.start()
        return _thread
