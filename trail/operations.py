"""CloudTrail actions, one function each, named after the AWS action.

The model: every call and sign-in is one ``Event`` (trail.record writes it in the
dispatcher), kept 90 days for the account's event history. LookupEvents reads the
caller's own account's events newest first, filtered by at most one lookup attribute
and a time range, 50 at a time; the NextToken is signed, so it cannot be forged or
moved to another account or another filter."""

import json
import uuid
from datetime import datetime, timedelta, timezone

from django.core import signing

from awsapi.errors import AWSError
from awsapi.operation import operation
from console import clock
from trail import record
from trail.models import Event, EventResource

HISTORY_DAYS = 90
MAX_RESULTS = 50
TOKEN_SALT = "iamlab.trail.lookup-events"
# LookupEvents' attribute keys and the Event column each one is an index range on.
COLUMNS = {
    "EventId": "event_id",
    "EventName": "event_name",
    "ReadOnly": "read_only",
    "Username": "username",
    "EventSource": "event_source",
    "AccessKeyId": "access_key_id",
}
RESOURCE_COLUMNS = {"ResourceType": "resource_type", "ResourceName": "resource_name"}
ATTRIBUTE_KEYS = (*COLUMNS, *RESOURCE_COLUMNS)


class _CloudTrailError(AWSError):
    status = 400
    sender_fault = True


# The messages are the descriptions AWS's API reference gives these exceptions.
class InvalidLookupAttributes(_CloudTrailError):
    code = "InvalidLookupAttributesException"
    default = "Occurs when a lookup attribute is specified that is not valid."


class InvalidTimeRange(_CloudTrailError):
    code = "InvalidTimeRangeException"
    default = (
        "Occurs if the timestamp values are not valid. Either the start time occurs after the end time, "
        "or the time range is outside the range of possible values."
    )


class InvalidMaxResults(_CloudTrailError):
    code = "InvalidMaxResultsException"
    default = "This exception is thrown if the limit specified is not valid."


class InvalidNextToken(_CloudTrailError):
    code = "InvalidNextTokenException"
    default = (
        "A token that is not valid, or a token that was previously used in a request with different "
        "parameters. This exception is thrown if the token is not valid."
    )


class InvalidEventCategory(_CloudTrailError):
    code = "InvalidEventCategoryException"
    default = "Occurs if an event category that is not valid is specified as a value of EventCategory."


def _fail(error_class):
    raise error_class(error_class.default)


def _attribute(lookup_attributes):
    """The one (key, value) to filter on, or None. AWS: "Currently the list can contain
    only one item"."""
    if not lookup_attributes:
        return None
    if len(lookup_attributes) > 1:
        _fail(InvalidLookupAttributes)
    item = lookup_attributes[0] or {}
    key, value = item.get("AttributeKey"), item.get("AttributeValue")
    if key not in ATTRIBUTE_KEYS or not isinstance(value, str) or not 1 <= len(value) <= 2000:
        _fail(InvalidLookupAttributes)
    if key == "ReadOnly" and value not in ("true", "false"):
        _fail(InvalidLookupAttributes)
    return key, value


def _time_range(start_time, end_time):
    """(lower, upper) bounds, inclusive: at most the last 90 days, like AWS."""
    now = clock.now()
    if start_time is not None and end_time is not None and start_time > end_time:
        _fail(InvalidTimeRange)
    oldest = now - timedelta(days=HISTORY_DAYS)
    lower = max(start_time, oldest) if start_time is not None else oldest
    upper = min(end_time, now) if end_time is not None else now
    return lower, upper


def _fingerprint(account_id, attribute, start_time, end_time):
    """What a NextToken is bound to: the account and the call's own parameters."""
    stamp = lambda t: t.isoformat() if t is not None else None  # noqa: E731
    return [account_id, list(attribute) if attribute else None, stamp(start_time), stamp(end_time)]


def _read_token(next_token, fingerprint):
    """The (event_time, row ID) the previous page ended with."""
    try:
        data = signing.loads(next_token, salt=TOKEN_SALT)
        if data["f"] != fingerprint or not isinstance(data["i"], int):
            raise ValueError
        return datetime.fromisoformat(data["t"]).astimezone(timezone.utc), data["i"]
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        _fail(InvalidNextToken)


def _make_token(fingerprint, event_time, pk):
    return signing.dumps({"f": fingerprint, "t": event_time.isoformat(), "i": pk}, salt=TOKEN_SALT)


def _after(queryset, cursor, id_field="id"):
    """Rows strictly after ``cursor`` in newest-first order, as an index range: every
    row at or before the cursor's time, less the ties already returned."""
    if cursor is None:
        return queryset
    event_time, pk = cursor
    return queryset.filter(event_time__lte=event_time).exclude(**{"event_time": event_time, f"{id_field}__gte": pk})


def management_events(account_id, attribute, lower, upper):
    """The account's management events in the time range matching a lookup attribute
    that is a column of the event itself (not a resource attribute): what LookupEvents
    pages through and the event history charts. Each is one index range scan."""
    key, value = attribute if attribute else (None, None)
    # management_event__in=[True], not =True: Django writes the latter as a bare column,
    # which SQLite's planner does not match to the index's equality prefix.
    events = Event.objects.filter(
        recipient_account_id=account_id, management_event__in=[True], event_time__gte=lower, event_time__lte=upper
    )
    if key == "EventId":
        try:
            return events.filter(event_id=uuid.UUID(value))
        except ValueError:
            return events.none()
    if key is None:
        return events
    # Only the events in the lookup are in the attribute's index (trail/models.py); the
    # term, written as the index's own condition, lets the planner use it.
    events = events.filter(lookup_indexed=True)
    if key == "ReadOnly":
        return events.filter(read_only__in=[value == "true"])  # an equality the index matches (see above)
    return events.filter(**{COLUMNS[key]: value})


def find_events(account_id, attribute, lower, upper, cursor, limit):
    """Up to ``limit`` events of the account newest first (two queries at most)."""
    key, value = attribute if attribute else (None, None)
    # This process's own calls are in the history as soon as answered, and by attribute
    # every write's (trail/writer.py).
    record.flush(by_attribute=key is not None)
    if key in RESOURCE_COLUMNS:
        rows = EventResource.objects.filter(
            account_id=account_id, event_time__gte=lower, event_time__lte=upper, **{RESOURCE_COLUMNS[key]: value}
        )
        keys = list(
            _after(rows, cursor, "event_id")
            .order_by("-event_time", "-event_id")
            .values_list("event_id", flat=True)
            .distinct()[:limit]
        )
        by_pk = Event.objects.in_bulk(keys)
        return [by_pk[pk] for pk in keys if pk in by_pk]
    events = management_events(account_id, attribute, lower, upper)
    return list(_after(events, cursor).order_by("-event_time", "-id")[:limit])


def event_shape(event, record=None):
    """LookupEvents' Event structure."""
    shape = {
        "EventId": str(event.event_id),
        "EventName": event.event_name,
        "ReadOnly": "true" if event.read_only else "false",
        "EventTime": event.event_time,
        "EventSource": event.event_source,
        "Username": event.username,
        "Resources": event.lookup_resources,
        "CloudTrailEvent": json.dumps(record or event.as_record(), separators=(",", ":")),
    }
    if event.access_key_id:
        shape["AccessKeyId"] = event.access_key_id
    return shape


def lookup(account_id, lookup_attributes=None, start_time=None, end_time=None, max_results=None, next_token=None):
    """One page of LookupEvents for ``account_id``: (events, next token or None)."""
    attribute = _attribute(lookup_attributes)
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS:
        _fail(InvalidMaxResults)
    lower, upper = _time_range(start_time, end_time)
    fingerprint = _fingerprint(account_id, attribute, start_time, end_time)
    cursor = _read_token(next_token, fingerprint) if next_token is not None else None
    limit = max_results or MAX_RESULTS
    events = find_events(account_id, attribute, lower, upper, cursor, limit + 1)
    token = None
    if len(events) > limit:
        events = events[:limit]
        token = _make_token(fingerprint, events[-1].event_time, events[-1].pk)
    return events, token


@operation("cloudtrail:LookupEvents", read_only=True)
def lookup_events(
    ctx, lookup_attributes=None, start_time=None, end_time=None, event_category=None, max_results=None, next_token=None
):
    """LookupEvents: the caller's account's events of the last 90 days, newest first."""
    if event_category is not None and event_category != "insight":
        _fail(InvalidEventCategory)
    events, token = lookup(
        ctx.principal.account_id, lookup_attributes, start_time, end_time, max_results, next_token
    )
    if event_category == "insight":
        events, token = [], None  # iamlab has no Insights events
    result = {"Events": [event_shape(e) for e in events]}
    if token:
        result["NextToken"] = token
    return result
