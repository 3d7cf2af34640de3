"""Helpers for trail tests: console-like request contexts and event lookups."""

import json
from datetime import datetime, timezone

from awsapi.dispatch import dispatch
from tests.conftest import context_for
from trail.models import Event

CLOUDTRAIL_READ_ONLY = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"
SESSION_START = datetime(2026, 11, 29, 11, 30, tzinfo=timezone.utc)


def console_ctx(principal, **kwargs):
    """A console session's context, as console.session.request_context builds it."""
    kwargs.setdefault("session_issued", SESSION_START)
    kwargs.setdefault("user_agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    return context_for(principal, via_console=True, **kwargs)


def api_ctx(principal, key_id="AKIAEXAMPLEEXAMPLE22", **kwargs):
    kwargs.setdefault("user_agent", "aws-cli/1.36.0 Python/3.11")
    kwargs.setdefault("region", "eu-west-1")
    return context_for(principal, via_console=False, access_key_id=key_id, **kwargs)


def last_event(name):
    return Event.objects.filter(event_name=name).order_by("-id").first()


def row_text(event):
    """Every stored column of an event as one string, to look for secrets in it."""
    values = Event.objects.filter(pk=event.pk).values().get()
    return json.dumps(values, default=str)


def lookup(ctx, **params):
    return dispatch(ctx, "cloudtrail:LookupEvents", params)


def by(key, value):
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}
