from django.db import models


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
    source_ip_address = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=1024, blank=True)
    user_identity = models.JSONField()
    request_parameters = models.JSONField(null=True, blank=True)
    response_elements = models.JSONField(null=True, blank=True)
    additional_event_data = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    read_only = models.BooleanField(default=False)
    management_event = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient_account_id", "-event_time"]),
            models.Index(fields=["recipient_account_id", "event_name", "-event_time"]),
            models.Index(fields=["recipient_account_id", "username", "-event_time"]),
        ]

    def as_record(self):
        """The event as CloudTrail's JSON record."""
        record = {
            "eventVersion": "1.09",
            "userIdentity": self.user_identity,
            "eventTime": self.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "awsRegion": self.aws_region,
            "sourceIPAddress": self.source_ip_address,
            "userAgent": self.user_agent,
            "requestParameters": self.request_parameters,
            "responseElements": self.response_elements,
            "eventID": str(self.event_id),
            "readOnly": self.read_only,
            "eventType": self.event_type,
            "managementEvent": self.management_event,
            "recipientAccountId": self.recipient_account_id,
        }
        if self.additional_event_data is not None:
            record["additionalEventData"] = self.additional_event_data
        if self.error_code:
            record["errorCode"] = self.error_code
        if self.error_message:
            record["errorMessage"] = self.error_message
        return record
