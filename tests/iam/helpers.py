"""Helpers for IAM operation tests: dispatch an action as the console and the API do
and check the one trail event it writes; AWS's AccessDenied text; sample documents."""

import json
from dataclasses import dataclass
from urllib.parse import unquote

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from tests.conftest import ALICE_ACCOUNT
from trail.models import Event
from trail.record import clean_text

BOB_ARN = f"arn:aws:iam::{ALICE_ACCOUNT}:user/bob"


def is_read_only(action):
    # AWS records Get* and List* calls as readOnly; every other IAM action changes state.
    return action.startswith(("Get", "List"))


@dataclass
class Outcome:
    result: dict | None
    error: AWSError | None
    event: Event


def call(ctx, action, params=None):
    """Dispatch iam:<action>; assert it wrote exactly one well-formed trail event."""
    before = set(Event.objects.values_list("pk", flat=True))
    result = error = None
    try:
        result = dispatch(ctx, f"iam:{action}", params)
    except AWSError as caught:
        error = caught
    new_events = list(Event.objects.exclude(pk__in=before))
    assert len(new_events) == 1, f"{action} wrote {len(new_events)} events"
    event = new_events[0]
    assert event.event_name == action
    assert event.event_source == "iam.amazonaws.com"
    assert event.event_type == "AwsApiCall"
    assert event.read_only is is_read_only(action)
    assert event.user_identity["type"] == ctx.principal.type
    assert event.user_identity["arn"] == ctx.principal.arn
    assert event.recipient_account_id == ctx.principal.account_id
    assert event.error_code == (error.code if error else "")
    assert event.error_message == (clean_text(error.message) if error else "")
    return Outcome(result, error, event)


def ok(ctx, action, params=None):
    outcome = call(ctx, action, params)
    assert outcome.error is None, f"{outcome.error.code}: {outcome.error.message}"
    return outcome


def fails(ctx, action, params, code, message=None):
    outcome = call(ctx, action, params)
    assert outcome.error is not None, f"{action} unexpectedly succeeded"
    assert outcome.error.code == code, f"{outcome.error.code}: {outcome.error.message}"
    if message is not None:
        assert outcome.error.message == message
    return outcome


def denied_message(action, resource, principal_arn=BOB_ARN):
    return (
        f"User: {principal_arn} is not authorized to perform: iam:{action} on resource: {resource} "
        f"because no identity-based policy allows the iam:{action} action"
    )


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_S3_READ = document({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"})
ALLOW_IAM_READ = document({"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"})
TRUST_EC2 = document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
TRUST_ACCOUNT = document(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ALICE_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
)


def decoded(text):
    """A document as IAM returns it (URL-encoded), parsed."""
    return json.loads(unquote(text))


def arn(kind, name, path="/", account=ALICE_ACCOUNT):
    return f"arn:aws:iam::{account}:{kind}{path}{name}"
