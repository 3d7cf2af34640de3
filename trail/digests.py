"""Log file integrity, as CloudTrail does it ("CloudTrail digest file structure"): every
hour a logging trail with log file validation writes a digest file listing the SHA-256
of each log file delivered since the previous one, chained to that previous digest and
signed SHA256withRSA with the region's key, whose public half ListPublicKeys returns.

The event store itself is sealed the same way (``seal_events``): per account, a hash
chain over the events in row order, signed with the same kind of key, so that a
changed, deleted or inserted Event row is found by ``check_event_store``."""

import base64
import gzip
import hashlib
import json
import re
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import router, transaction

from console import clock
from iam import crypto, rows
from trail.models import DigestChain, Event, EventSeal, SigningKey, TrailLogFile
from trail.stored import StoredEvent

SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
DIGEST_PERIOD = timedelta(hours=1)
# A key signs for a year; a new one is made when it runs out, and ListPublicKeys still
# returns the old one for the digests it signed.
KEY_VALIDITY = timedelta(days=365)
# Seals are signed with the key of CloudTrail's global region.
SEAL_REGION = "us-east-1"
SEAL_BATCH = 5000


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- keys ----------------------------------------------------------------------------


def _associated(region, fingerprint):
    # Binds the ciphertext to its key row: a private key copied to another row does
    # not decrypt.
    return f"cloudtrail-signing-key:{region}:{fingerprint}"


def signing_key(region):
    """The region's current key (a SigningKey), made on first use or when it expires."""
    now = clock.now()
    found = SigningKey.objects.filter(region=region, validity_start__lte=now, validity_end__gt=now).order_by(
        "-validity_start"
    ).first()
    if found is not None:
        return found
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    fingerprint = hashlib.md5(der).hexdigest()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return SigningKey.objects.create(
        region=region,
        fingerprint=fingerprint,
        public_key=der,
        private_key=crypto.encrypt(pem, _associated(region, fingerprint)),
        validity_start=now,
        validity_end=now + KEY_VALIDITY,
    )


def sign(key, text):
    """Hex SHA256withRSA (PKCS #1 v1.5) signature of ``text``."""
    pem = crypto.decrypt(key.private_key, _associated(key.region, key.fingerprint))
    # The key is one this module made, and AES-GCM authenticated it on its way out of
    # the database: cryptography's check of its primes (60 ms on a 2-core machine, once
    # per seal of 5,000 events) proves nothing more.
    private = serialization.load_pem_private_key(pem.encode("ascii"), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    return private.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()).hex()


def verify(public_der, signature_hex, text):
    try:
        public = serialization.load_pem_public_key(_pkcs1_pem(bytes(public_der)))
        public.verify(bytes.fromhex(signature_hex), text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _pkcs1_pem(pkcs1_der):
    # cryptography reads a bare PKCS #1 RSAPublicKey (what ListPublicKeys hands out)
    # only in its PEM form.
    text = base64.b64encode(pkcs1_der)
    lines = b"".join(text[i : i + 64] + b"\n" for i in range(0, len(text), 64))
    return b"-----BEGIN RSA PUBLIC KEY-----\n" + lines + b"-----END RSA PUBLIC KEY-----\n"


def public_keys(region, start=None, end=None):
    """ListPublicKeys: the keys valid at some time in [start, end] (now by default)."""
    now = clock.now()
    start = start or now
    end = end or now
    keys = SigningKey.objects.filter(region=region, validity_start__lte=end, validity_end__gte=start)
    return list(keys.order_by("validity_start"))


def string_to_sign(digest_end_time, bucket, key, digest_bytes, previous_signature):
    """AWS's signing string ("Custom implementations of CloudTrail log file integrity
    validation"): end time, the digest's S3 path, the hex SHA-256 of the uncompressed
    digest file, and the previous digest's signature ("null" for the first)."""
    return "\n".join(
        (digest_end_time, f"{bucket}/{key}", hashlib.sha256(digest_bytes).hexdigest(), previous_signature or "null")
    )


# --- digest files --------------------------------------------------------------------


def digest_key(trail, region, end, prefix):
    account = trail.account.account_id
    key = (
        f"AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
        f"{account}_CloudTrail-Digest_{region}_{trail.name}_{trail.home_region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    )
    return f"{prefix}/{key}" if prefix else key


def chain_for(trail, region, start):
    chain, _ = DigestChain.objects.get_or_create(trail=trail, region=region, defaults={"period_start": start})
    return chain


def build_digest(trail, region, chain, bucket, key, end, log_files, fingerprint):
    """The digest file's JSON document (members in AWS's order) and its bytes."""
    document = {
        "awsAccountId": trail.account.account_id,
        "digestStartTime": iso(chain.period_start),
        "digestEndTime": iso(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
    }
    if log_files:
        document["newestEventTime"] = iso(max(f.newest_event_time for f in log_files))
        document["oldestEventTime"] = iso(min(f.oldest_event_time for f in log_files))
    document.update(
        {
            "previousDigestS3Bucket": chain.previous_bucket or None,
            "previousDigestS3Object": chain.previous_object or None,
            "previousDigestHashValue": chain.previous_hash or None,
            "previousDigestHashAlgorithm": HASH_ALGORITHM if chain.previous_hash else None,
            "previousDigestSignature": chain.previous_signature or None,
            "logFiles": [
                {
                    "s3Bucket": f.s3_bucket,
                    "s3Object": f.s3_object,
                    "hashValue": f.hash_value,
                    "hashAlgorithm": HASH_ALGORITHM,
                    "newestEventTime": iso(f.newest_event_time),
                    "oldestEventTime": iso(f.oldest_event_time),
                }
                for f in log_files
            ],
        }
    )
    return document, json.dumps(document, separators=(",", ":")).encode("utf-8")


def digests_due(trail, now):
    """The (chain, log files) of each region whose hour is up."""
    due = []
    regions = {trail.home_region} | set(
        TrailLogFile.objects.filter(trail=trail, digested=False).values_list("region", flat=True)
    )
    start = trail.start_logging_time or now
    for region in sorted(regions):
        chain = chain_for(trail, region, start)
        if now - chain.period_start >= DIGEST_PERIOD:
            files = list(TrailLogFile.objects.filter(trail=trail, region=region, digested=False).order_by("id"))
            due.append((chain, files))
    return due


def write_digest(trail, chain, files, bucket, prefix, now, put):
    """Write one digest file with ``put(key, body, metadata)`` and move the chain on;
    in the caller's transaction."""
    key_row = signing_key(trail.home_region)
    key = digest_key(trail, chain.region, now, prefix)
    _, body = build_digest(trail, chain.region, chain, bucket, key, now, files, key_row.fingerprint)
    signature = sign(key_row, string_to_sign(iso(now), bucket, key, body, chain.previous_signature))
    put(key, gzip.compress(body, mtime=0), {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM})
    TrailLogFile.objects.filter(pk__in=[f.pk for f in files]).update(digested=True)
    chain.period_start = now
    chain.previous_bucket = bucket
    chain.previous_object = key
    chain.previous_hash = hashlib.sha256(body).hexdigest()
    chain.previous_signature = signature
    chain.save()
    return key


# --- the event store's seals -----------------------------------------------------------


def event_hash(event):
    """SHA-256 of an event's canonical JSON: its row ID, its CloudTrail record and the
    columns LookupEvents filters on that the record does not carry."""
    canonical = {
        "id": event.pk,
        "record": event.as_record(),
        "username": event.username,
        "accessKeyId": event.access_key_id,
        "lookupResources": event.resources,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _seal_text(account_id, first, last, chain_hash, previous_signature):
    return "\n".join((account_id, str(first), str(last), chain_hash, previous_signature or "null"))


def _chain_hash(previous_hash, entries):
    entries_hash = hashlib.sha256(json.dumps(entries, separators=(",", ":")).encode()).hexdigest()
    return hashlib.sha256(f"{previous_hash}{entries_hash}".encode()).hexdigest()


GENESIS = "0" * 64


def last_sealed():
    """The row ID of the newest event any seal covers (0 before the first seal)."""
    return EventSeal.objects.order_by("-last_event").values_list("last_event", flat=True).first() or 0


def seal_events(upto=None):
    """Seal every account's events up to the row ID ``upto`` (every event, by
    default): each account with new events gets one EventSeal per SEAL_BATCH events.
    After a run every account is sealed up to ``upto``, so the next run starts above
    the highest row sealed. Returns the number of events sealed."""
    start = last_sealed()
    events = Event.objects.filter(pk__gt=start, recipient_account_id__isnull=False)
    if upto is not None:
        events = events.filter(pk__lte=upto)
    accounts = sorted(events.order_by().values_list("recipient_account_id", flat=True).distinct())
    sealed = 0
    for account_id in accounts:
        while True:
            count = _seal_account(account_id, start, upto)
            sealed += count
            if count < SEAL_BATCH:
                break
    return sealed


def _latest_seal(account_id, lock=False):
    seals = EventSeal.objects.select_for_update() if lock else EventSeal.objects
    return seals.filter(account_id=account_id).order_by("-last_event").first()


def _seal_account(account_id, start, upto):
    """One seal over the account's next SEAL_BATCH unsealed events. The events are read,
    hashed and signed for before the transaction: 5,000 of them took a quarter of a
    second, which on SQLite every writer waited for. Event rows do not change; the
    transaction only checks that no other run sealed meanwhile (then starts over)."""
    while True:
        previous = _latest_seal(account_id)
        lower = max(start, previous.last_event if previous else 0)
        unsealed = Event.objects.filter(recipient_account_id=account_id, pk__gt=lower)
        if upto is not None:
            unsealed = unsealed.filter(pk__lte=upto)
        events = StoredEvent.select(unsealed.order_by("pk")[:SEAL_BATCH])
        if not events:
            return 0
        entries = [[e.pk, str(e.event_id), event_hash(e)] for e in events]
        chain_hash = _chain_hash(previous.chain_hash if previous else GENESIS, entries)
        key = signing_key(SEAL_REGION)
        first, last = events[0].pk, events[-1].pk
        signature = sign(key, _seal_text(account_id, first, last, chain_hash, previous.signature if previous else None))
        alias = router.db_for_write(EventSeal)
        # The entries' JSON (half a megabyte for 5,000 events) is encoded here, not under
        # the write lock the transaction takes, which every other writer waits for.
        entries_param = rows.params(EventSeal, {"entries": entries}, alias)["entries"]
        with transaction.atomic(using=alias):
            latest = _latest_seal(account_id, lock=True)
            if (latest and latest.pk) != (previous and previous.pk):
                continue
            rows.insert(EventSeal, {
                "account_id": account_id,
                "first_event": first,
                "last_event": last,
                "entries": entries_param,
                "chain_hash": chain_hash,
                "signature": signature,
                "fingerprint": key.fingerprint,
                "sealed": clock.now(),
            }, alias)
            return len(events)


def check_event_store(account_id=None):
    """Recompute every seal (of one account, or all): a report dict with the numbers
    of seals and events checked and a list of problems, each a sentence naming the
    seal or the event (by its event ID and row ID)."""
    accounts = [account_id] if account_id else sorted(
        set(EventSeal.objects.values_list("account_id", flat=True))
    )
    keys = {k.fingerprint: k for k in SigningKey.objects.all()}
    report = {"seals": 0, "events": 0, "problems": [], "first": None, "last": None}
    for account in accounts:
        previous = None
        upper = 0
        for seal in EventSeal.objects.filter(account_id=account).order_by("last_event"):
            report["seals"] += 1
            _check_seal(seal, previous, keys, report)
            _check_events(seal, upper, report)
            upper = seal.last_event
            previous = seal
    return report


def _check_seal(seal, previous, keys, report):
    expected = _chain_hash(previous.chain_hash if previous else GENESIS, seal.entries)
    key = keys.get(seal.fingerprint)
    text = _seal_text(seal.account_id, seal.first_event, seal.last_event, seal.chain_hash,
                      previous.signature if previous else None)
    if expected != seal.chain_hash or key is None or not verify(key.public_key, seal.signature, text):
        report["problems"].append(
            f"Seal of account {seal.account_id} for events {seal.first_event}-{seal.last_event}\t"
            "INVALID: signature verification failed"
        )


def _check_events(seal, lower, report):
    """Compare the events in the seal's range with what it sealed."""
    stored = {
        e.pk: e
        for e in StoredEvent.select(
            Event.objects.filter(recipient_account_id=seal.account_id, pk__gt=lower, pk__lte=seal.last_event)
        )
    }
    sealed = {pk: (event_id, digest) for pk, event_id, digest in seal.entries}
    report["events"] += len(sealed)
    for pk, (event_id, digest) in sealed.items():
        event = stored.get(pk)
        if event is None:
            report["problems"].append(f"Event {event_id} (row {pk}) of account {seal.account_id}\tINVALID: deleted")
        elif event_hash(event) != digest:
            report["problems"].append(
                f"Event {event.event_id} (row {pk}) of account {seal.account_id}\tINVALID: modified"
            )
    for pk in sorted(set(stored) - set(sealed)):
        report["problems"].append(
            f"Event {stored[pk].event_id} (row {pk}) of account {seal.account_id}\tINVALID: inserted after sealing"
        )
    times = [e.event_time for e in stored.values()]
    if times:
        report["first"] = min(filter(None, [report["first"], min(times)]))
        report["last"] = max(filter(None, [report["last"], max(times)]))


# --- validating what a trail delivered (``manage.py validatelogs``) ------------------------

REQUIRED_MEMBERS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


class Validation:
    """The outcome of validating a trail's files, in ``aws cloudtrail validate-logs``'s
    terms: counts, the found range, and one line per file (``valid`` or ``INVALID:
    why``) in the order they were checked."""

    def __init__(self):
        self.valid_digests = self.invalid_digests = 0
        self.valid_logs = self.invalid_logs = 0
        self.found_start = self.found_end = None
        self.lines = []  # (is_error, text)

    @property
    def ok(self):
        return not (self.invalid_digests or self.invalid_logs)

    def digest(self, bucket, key, problem=None):
        if problem:
            self.invalid_digests += 1
        else:
            self.valid_digests += 1
        self._line(f"Digest file\ts3://{bucket}/{key}", problem)

    def log(self, bucket, key, problem=None):
        if problem:
            self.invalid_logs += 1
        else:
            self.valid_logs += 1
        self._line(f"Log file\ts3://{bucket}/{key}", problem)

    def _line(self, text, problem):
        self.lines.append((bool(problem), f"{text}\tINVALID: {problem}" if problem else f"{text}\tvalid"))


def _read_object(bucket_name, key):
    """The object's bytes and metadata as S3 stores them, or None when it is gone."""
    from s3.models import Object
    from s3.storage import body_of

    obj = Object.objects.filter(bucket__name=bucket_name, key=key).first()
    if obj is None:
        return None
    try:
        return body_of(obj).read_all(), obj.metadata or {}
    except FileNotFoundError:
        return None


def _parse_time(text):
    from datetime import datetime, timezone

    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _key_stamp(key):
    return key[-24:-8]  # the digest's end time in its name, YYYYMMDDTHHMMSSZ


def _digest_keys(trail, bucket, prefix, start, end):
    """The trail's digest keys per source region whose time is within the range (and
    the hour after it, as the CLI looks), oldest first."""
    from s3.models import Object

    account = trail.account.account_id
    base = f"AWSLogs/{account}/CloudTrail-Digest/"
    base = f"{prefix}/{base}" if prefix else base
    pattern = re.compile(
        re.escape(base) + r"([a-z0-9-]+)/\d+/\d+/\d+/" + re.escape(f"{account}_CloudTrail-Digest_")
        + r"\1_" + re.escape(f"{trail.name}_{trail.home_region}_") + r"\d{8}T\d{6}Z\.json\.gz"
    )
    low = (start - timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
    high = (end + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    regions = {}
    for key in Object.objects.filter(bucket__name=bucket, key__startswith=base).values_list("key", flat=True):
        found = pattern.fullmatch(key)
        if found and low <= _key_stamp(key) <= high:
            regions.setdefault(found.group(1), []).append(key)
    return {region: sorted(keys, key=_key_stamp) for region, keys in regions.items()}


def _load_digest(bucket, key, keys_by_fingerprint):
    """(document, problem): the digest's JSON when it is intact and its signature
    verifies, else why not."""
    stored = _read_object(bucket, key)
    if stored is None:
        return None, "not found"
    data, metadata = stored
    try:
        body = gzip.decompress(data)
        document = json.loads(body.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError
    except (OSError, EOFError, ValueError, UnicodeDecodeError):
        return None, "invalid format"
    if "signature" not in metadata or "signature-algorithm" not in metadata:
        return document, "signature verification failed"
    if any(member not in document for member in REQUIRED_MEMBERS):
        return document, "invalid format"
    if document["digestS3Bucket"] != bucket or document["digestS3Object"] != key:
        return document, "has been moved from its original location"
    key_row = keys_by_fingerprint.get(document["digestPublicKeyFingerprint"])
    if key_row is None:
        return document, f"public key not found for fingerprint {document['digestPublicKeyFingerprint']}"
    text = string_to_sign(document["digestEndTime"], bucket, key, body, document["previousDigestSignature"])
    if not verify(key_row.public_key, metadata["signature"], text):
        return document, "signature verification failed"
    return document, None


def _check_log(report, log_file):
    bucket, key = log_file.get("s3Bucket"), log_file.get("s3Object")
    stored = _read_object(bucket, key)
    if stored is None:
        return report.log(bucket, key, "not found")
    try:
        content = gzip.decompress(stored[0])
    except (OSError, EOFError, ValueError):
        return report.log(bucket, key, "invalid format")
    if hashlib.sha256(content).hexdigest() != log_file.get("hashValue"):
        return report.log(bucket, key, "hash value doesn't match")
    report.log(bucket, key)


def _walk_chain(report, bucket, keys, start, keys_by_fingerprint, referenced):
    """Follow one region's digest chain from its newest digest back, as the CLI does:
    a digest that is gone or invalid is reported and the walk resumes at the next
    older digest in the bucket."""
    pending = list(keys)

    def older_than(key):
        while pending:
            candidate = pending.pop()
            if _key_stamp(candidate) < _key_stamp(key):
                return candidate
        return None

    key = pending.pop() if pending else None
    last_start = end_of(key) if key else None
    while key and start <= last_start:
        if key in pending:
            pending.remove(key)
        document, problem = _load_digest(bucket, key, keys_by_fingerprint)
        if problem:
            report.digest(bucket, key, problem)
            key = older_than(key)
            continue
        report.digest(bucket, key)
        digest_start = _parse_time(document["digestStartTime"])
        digest_end = _parse_time(document["digestEndTime"])
        last_start = digest_start
        report.found_start = min(filter(None, [report.found_start, max(digest_start, start)]))
        report.found_end = max(filter(None, [report.found_end, digest_end]))
        for log_file in document.get("logFiles") or ():
            referenced.add(log_file.get("s3Object"))
            _check_log(report, log_file)
        previous = document.get("previousDigestS3Object")
        key = previous if previous and document.get("previousDigestS3Bucket") == bucket else older_than(key)


def end_of(key):
    from datetime import datetime, timezone

    return datetime.strptime(_key_stamp(key), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def validate_trail(trail, start, end):
    """Validate the digest and log files the trail delivered between ``start`` and
    ``end``; also name every log file in the trail's folders in that range that no
    valid digest lists (a forged file, or one whose digest is gone)."""
    report = Validation()
    bucket = trail.s3_bucket_name
    prefix = trail.s3_key_prefix.strip("/") if trail.s3_key_prefix else ""
    keys_by_fingerprint = {k.fingerprint: k for k in SigningKey.objects.filter(region=trail.home_region)}
    referenced = set()
    for region, keys in sorted(_digest_keys(trail, bucket, prefix, start, end).items()):
        _walk_chain(report, bucket, keys, start, keys_by_fingerprint, referenced)
    if report.found_end is not None:
        _unlisted_logs(report, trail, bucket, prefix, start, min(end, report.found_end), referenced)
    if report.found_end is not None:
        report.found_end = min(report.found_end, end)
    return report


def _unlisted_logs(report, trail, bucket, prefix, start, until, referenced):
    """Log files named for a time the valid digests cover that none of them lists."""
    from s3.models import Object

    account = trail.account.account_id
    base = f"AWSLogs/{account}/CloudTrail/"
    base = f"{prefix}/{base}" if prefix else base
    name = re.compile(re.escape(f"{account}_CloudTrail_") + r"[a-z0-9-]+_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json\.gz$")
    low, high = start.strftime("%Y%m%dT%H%MZ"), until.strftime("%Y%m%dT%H%MZ")
    for key in Object.objects.filter(bucket__name=bucket, key__startswith=base).order_by("key").values_list(
        "key", flat=True
    ):
        found = name.search(key)
        # A file named in the digest's last minute may have been delivered just after
        # it: only the minutes before are certainly covered.
        if found and low <= found.group(1) < high and key not in referenced:
            report.log(bucket, key, "not listed in any valid digest file")
