from django.db import models

# CloudTrail's record format version (AWS's "CloudTrail record contents": the current
# version is 1.11).
EVENT_VERSION = "1.11"


def _newest_first(*fields):
    # LookupEvents pages newest first. Event times are whole seconds, so the row ID
    # (the order of recording) breaks ties: (event_time, id) is a total order, and
    # every filter is one index range scan in that order.
    # The event history and LookupEvents show management events only (S3 object calls
    # are data events, for trails that select them): the flag leads each index so that
    # a class's thousands of GetObject calls are never scanned past.
    return models.Index(fields=["recipient_account_id", "management_event", *fields, "-event_time", "-id"])


def _lookup_attribute(name, field):
    # A lookup attribute's index holds the events in the lookup (``lookup_indexed``)
    # only: an event written with its call's change enters these five indexes, and its
    # ResourceType/ResourceName rows are written, after the commit, by the writer thread
    # (trail/writer.py), outside the database's one write lock. Each index was a B-tree
    # insert and a page in the commit of every CreateUser, and they held the lock 40%
    # longer. Data events (S3 object calls) never enter them: LookupEvents shows
    # management events only.
    return models.Index(fields=_newest_first(field).fields, name=f"trail_event_by_{name}",
                        condition=models.Q(lookup_indexed=True))


class Event(models.Model):
    """One CloudTrail record. Columns hold what LookupEvents filters on; the JSON fields
    hold the record's nested members exactly as CloudTrail writes them."""

    event_id = models.UUIDField(unique=True)
    event_time = models.DateTimeField()
    event_source = models.CharField(max_length=64)
    event_name = models.CharField(max_length=128)
    event_type = models.CharField(max_length=32)
    aws_region = models.CharField(max_length=32)
    # The account whose event history shows the event; null when a sign-in named no
    # existing account (it then belongs to the installation, not to a tenant).
    recipient_account_id = models.CharField(max_length=12, null=True, blank=True)
    username = models.CharField(max_length=128, blank=True)
    # The access key the request was signed with (LookupEvents' AccessKeyId attribute);
    # the same value as userIdentity.accessKeyId, kept as a column to be indexed.
    access_key_id = models.CharField(max_length=128, blank=True, default="")
    source_ip_address = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=1024, blank=True)
    user_identity = models.JSONField()
    request_parameters = models.JSONField(null=True, blank=True)
    response_elements = models.JSONField(null=True, blank=True)
    additional_event_data = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    read_only = models.BooleanField(default=False)
    management_event = models.BooleanField(default=True)
    session_credential_from_console = models.BooleanField(default=False)
    # [{"type": "AWS::IAM::User", "name": "bob", "arn": "arn:aws:iam::...:user/bob" or ""}]
    # what the call acted on: LookupEvents' Resources, and the record's resources
    # member for those whose ARN is known.
    resources = models.JSONField(null=True, blank=True)
    # In the lookup attributes' indexes (and, for resources, in EventResource): false
    # for a data event, and for a management event until the writer thread has entered
    # it (the "lookup pending" index finds those, after a crash too).
    lookup_indexed = models.BooleanField(default=True)

    class Meta:
        indexes = [
            _newest_first(),
            _lookup_attribute("name", "event_name"),
            _lookup_attribute("user", "username"),
            _lookup_attribute("source", "event_source"),
            _lookup_attribute("key", "access_key_id"),
            _lookup_attribute("read_only", "read_only"),
            models.Index(fields=["id"], name="trail_event_lookup_pending",
                         condition=models.Q(management_event=True, lookup_indexed=False)),
        ]

    def as_record(self):
        """The event as CloudTrail's JSON record, members in CloudTrail's order."""
        record = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": self.user_identity,
            # strftime's "%Y-%m-%dT%H:%M:%SZ", at a third of its cost (every record
            # of a seal or a log file).
            "eventTime": self.event_time.isoformat(timespec="seconds")[:19] + "Z",
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "awsRegion": self.aws_region,
            "sourceIPAddress": self.source_ip_address,
            "userAgent": self.user_agent,
        }
        if self.error_code:
            record["errorCode"] = self.error_code
        if self.error_message:
            record["errorMessage"] = self.error_message
        record["requestParameters"] = self.request_parameters
        record["responseElements"] = self.response_elements
        if self.additional_event_data is not None:
            record["additionalEventData"] = self.additional_event_data
        if self.request_id:
            record["requestID"] = self.request_id
        record["eventID"] = str(self.event_id)
        record["readOnly"] = self.read_only
        arns = [r for r in self.resources or () if r.get("arn")]
        if arns:
            record["resources"] = [
                {"accountId": self.recipient_account_id, "type": r["type"], "ARN": r["arn"]} for r in arns
            ]
        record["eventType"] = self.event_type
        record["managementEvent"] = self.management_event
        record["recipientAccountId"] = self.recipient_account_id
        record["eventCategory"] = "Management" if self.management_event else "Data"
        if self.session_credential_from_console:
            # AWS shows this member only when it is true.
            record["sessionCredentialFromConsole"] = "true"
        return record

    @property
    def lookup_resources(self):
        """LookupEvents' Resources: [{"ResourceType", "ResourceName"}]."""
        return [{"ResourceType": r["type"], "ResourceName": r["name"]} for r in self.resources or ()]


class EventResource(models.Model):
    """One resource an event names, for LookupEvents' ResourceType and ResourceName
    attributes: an event may name several (CreateAccessKey: the user and the key), so
    they cannot be columns of Event. Carries the event's account and time so that each
    lookup is one index range scan in LookupEvents' order."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, db_index=False, related_name="+")
    account_id = models.CharField(max_length=12)
    event_time = models.DateTimeField()
    resource_type = models.CharField(max_length=64)
    resource_name = models.CharField(max_length=2048)

    class Meta:
        indexes = [
            models.Index(fields=["account_id", "resource_type", "-event_time", "-event"]),
            models.Index(fields=["account_id", "resource_name", "-event_time", "-event"]),
        ]


# --- trails, their deliveries and the integrity of what they delivered ----------------


def default_event_selectors():
    # A new trail logs every management event and no data events (AWS's default).
    return [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
             "ExcludeManagementEventSources": []}]


class Trail(models.Model):
    """A CloudTrail trail: which of its account's events go to which S3 bucket, and how
    far delivery has got (``cursor``: the last Event row ID considered, so each event
    reaches the trail's bucket once)."""

    account = models.ForeignKey("iam.Account", on_delete=models.CASCADE, related_name="trails")
    name = models.CharField(max_length=128)
    home_region = models.CharField(max_length=32)
    s3_bucket_name = models.CharField(max_length=63)
    s3_key_prefix = models.CharField(max_length=200, blank=True)
    sns_topic_name = models.CharField(max_length=256, blank=True)
    include_global_service_events = models.BooleanField(default=True)
    is_multi_region_trail = models.BooleanField(default=False)
    log_file_validation_enabled = models.BooleanField(default=False)
    event_selectors = models.JSONField(default=default_event_selectors)
    has_custom_event_selectors = models.BooleanField(default=False)
    tags = models.JSONField(default=list)
    create_date = models.DateTimeField()
    is_logging = models.BooleanField(default=False)
    start_logging_time = models.DateTimeField(null=True)
    stop_logging_time = models.DateTimeField(null=True)
    cursor = models.BigIntegerField(default=0)
    latest_delivery_time = models.DateTimeField(null=True)
    latest_delivery_attempt_time = models.DateTimeField(null=True)
    latest_delivery_error = models.CharField(max_length=256, blank=True)
    latest_digest_delivery_time = models.DateTimeField(null=True)
    latest_digest_delivery_error = models.CharField(max_length=256, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "home_region", "name"], name="trail_name")]

    @property
    def arn(self):
        return f"arn:aws:cloudtrail:{self.home_region}:{self.account.account_id}:trail/{self.name}"


class TrailLogFile(models.Model):
    """A log file a trail delivered, until the digest file that lists it is written."""

    trail = models.ForeignKey(Trail, on_delete=models.CASCADE, related_name="log_files")
    region = models.CharField(max_length=32)
    s3_bucket = models.CharField(max_length=63)
    s3_object = models.CharField(max_length=1024)
    hash_value = models.CharField(max_length=64)  # SHA-256 of the uncompressed file, hex
    oldest_event_time = models.DateTimeField()
    newest_event_time = models.DateTimeField()
    delivered = models.DateTimeField()
    digested = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["trail", "region", "digested"])]


class DigestChain(models.Model):
    """Where a trail's hourly digest files for one region stand: the period the next
    digest covers and the previous digest it chains to."""

    trail = models.ForeignKey(Trail, on_delete=models.CASCADE, related_name="digest_chains")
    region = models.CharField(max_length=32)
    period_start = models.DateTimeField()
    previous_bucket = models.CharField(max_length=63, blank=True)
    previous_object = models.CharField(max_length=1024, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    previous_signature = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trail", "region"], name="trail_digest_chain")]


class SigningKey(models.Model):
    """CloudTrail's RSA key pair for one region (ListPublicKeys returns its public half);
    the private key is encrypted at rest with iam.crypto."""

    region = models.CharField(max_length=32)
    fingerprint = models.CharField(max_length=32, unique=True)
    public_key = models.BinaryField()  # DER, PKCS #1
    private_key = models.TextField()  # iam.crypto ciphertext of the PKCS #8 PEM
    validity_start = models.DateTimeField()
    validity_end = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["region", "validity_start"])]


class EventSeal(models.Model):
    """One link of an account's hash chain over its events: the hash of each event
    sealed (``entries``: [[row ID, event ID, SHA-256 hex]]), chained to the previous seal and
    signed, so a changed, removed or slipped-in event row is found later."""

    account_id = models.CharField(max_length=12)
    first_event = models.BigIntegerField()
    last_event = models.BigIntegerField()
    entries = models.JSONField()
    chain_hash = models.CharField(max_length=64)
    signature = models.TextField()
    fingerprint = models.CharField(max_length=32)
    sealed = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account_id", "last_event"])]


class DeliveryClaim(models.Model):
    """A lease on the delivery run, so that of several server processes one delivers at
    a time: a conditional UPDATE takes it only when it is free or its holder's lease
    has run out (a crashed worker does not block delivery for ever)."""

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    expires = models.DateTimeField(null=True)
