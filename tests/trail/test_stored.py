"""Events read without the ORM (trail/stored.py) give what Event instances give: the same
CloudTrail record, byte for byte, and the same seal hash. Seals are made from one and
checked against the other, and log files are built from them."""

import json
import uuid
from datetime import datetime, timezone

import pytest
from django.test import Client

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from iam.principals import root_principal, user_principal
from tests.console.helpers import iam_sign_in, root_sign_in
from tests.trail.helpers import api_ctx, console_ctx
from tests.trail.test_trails import BUCKET, make_bucket
from trail.digests import event_hash
from trail.models import Event
from trail.stored import StoredEvent

pytestmark = pytest.mark.django_db


def odd_event(**values):
    """An event with what no call of iamlab records today but a column may hold."""
    return Event.objects.create(**{
        "event_id": uuid.uuid4(),
        "event_time": datetime(2026, 11, 29, 12, 0, 7, 654321, tzinfo=timezone.utc),
        "event_source": "iam.amazonaws.com", "event_name": "TagUser", "event_type": "AwsApiCall",
        "aws_region": "us-east-1", "recipient_account_id": "111122223333", "source_ip_address": "203.0.113.9",
        "user_agent": "naïve-client/1.0 ☃", "user_identity": {"type": "Root", "accountId": "111122223333"},
        **values,
    })


def test_every_kind_of_event_reads_as_the_orm_reads_it(client, alice_account, bob, frozen_clock):
    root = root_principal(alice_account)
    assert root_sign_in(client).status_code == 302  # ConsoleLogin: additionalEventData
    iam_sign_in(Client(), password="wrong-Passw0rd!")  # a failed one: errorMessage
    dispatch(console_ctx(root), "iam:CreateUser", {"UserName": "carol"})  # from the console, with resources
    with pytest.raises(AccessDenied):
        dispatch(api_ctx(user_principal(bob)), "iam:CreateUser", {"UserName": "eve"})  # errorCode
    make_bucket(api_ctx(root))
    dispatch(api_ctx(root), "s3:PutObject", {"Bucket": BUCKET, "Key": "a/b.txt", "Body": b"data"})  # a data event
    odd_event(request_parameters={"z": [1, 2.5, None, True, {"b": "é", "a": "\u2028"}], "a": ""},
              response_elements="a JSON string", additional_event_data=[], resources=None)
    odd_event(recipient_account_id=None, request_parameters=None, error_code="Throttling",
              error_message="Rate exceeded", read_only=True, session_credential_from_console=True,
              resources=[{"type": "AWS::IAM::User", "name": "x", "arn": ""}])

    instances = list(Event.objects.order_by("pk"))
    stored = StoredEvent.select(Event.objects.order_by("pk"))
    kinds = {(e.event_name, e.management_event, bool(e.error_code), e.session_credential_from_console)
             for e in instances}
    assert len(kinds) >= 7
    assert [e.pk for e in stored] == [e.pk for e in instances]
    # The records as text, so that a 1 read where True was stored would show.
    assert [json.dumps(e.as_record()) for e in stored] == [json.dumps(e.as_record()) for e in instances]
    assert [event_hash(e) for e in stored] == [event_hash(e) for e in instances]
    assert [e.event_time for e in stored] == [e.event_time for e in instances]
    assert all(e.event_time.utcoffset().total_seconds() == 0 for e in stored)
    assert stored[-1].as_record()["eventTime"] == "2026-11-29T12:00:07Z"  # whole seconds, as CloudTrail's


def test_a_slice_reads_its_events_only(alice_account, frozen_clock):
    for name in ("u1", "u2", "u3"):
        dispatch(api_ctx(root_principal(alice_account)), "iam:CreateUser", {"UserName": name})
    rows = Event.objects.filter(event_name="CreateUser").order_by("pk")
    assert [e.request_parameters["userName"] for e in StoredEvent.select(rows[1:])] == ["u2", "u3"]
    assert StoredEvent.select(rows.filter(event_name="DeleteUser")) == []
