from django.db import models

# CloudTrail's record format version (AWS's "CloudTrail record contents": the current
# version is 1.11).
EVENT_VERSION = "1.11"


def _newest_first(*fields):
    # LookupEvents pages newest first. Event times are whole seconds, so the row ID
    # (the order of recording) breaks ties: (event_time, id) is a total order, and
    # every filter is one index range scan in that order.
    return models.Index(fields=["recipient_account_id", *fields, "-event_time", "-id"])


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

    class Meta:
        indexes = [
            _newest_first(),
            _newest_first("event_name"),
            _newest_first("username"),
            _newest_first("event_source"),
            _newest_first("access_key_id"),
            _newest_first("read_only"),
        ]

    def as_record(self):
        """The event as CloudTrail's JSON record, members in CloudTrail's order."""
        record = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": self.user_identity,
            "eventTime": self.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
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
