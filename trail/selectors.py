"""Which events a trail logs: its event selectors and its regions.

CloudTrail evaluates every trail's selectors when an event occurs, so a data event
(S3 object-level calls) that no logging trail selects is never recorded: trails log no
data events by default, and one that starts selecting them does not get earlier ones.
Delivery evaluates them again for each trail it writes to."""

import json

from iam import rows
from iam.models import Account
from trail.models import Trail

# Services whose events CloudTrail calls global: a single-region trail receives them
# when IncludeGlobalServiceEvents is on.
GLOBAL_SOURCES = frozenset({"iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com"})
S3_SOURCE = "s3.amazonaws.com"


def _read_write_matches(selector, read_only):
    kind = selector.get("ReadWriteType") or "All"
    return kind == "All" or (kind == "ReadOnly") == read_only


def object_arn(bucket, key):
    """The ARN a DataResources value is matched against; a bucket-level call (ListObjects,
    DeleteObjects) has no key."""
    return f"arn:aws:s3:::{bucket or ''}/{key or ''}"


def _data_resource_matches(resource, event_source, arn):
    if resource.get("Type") != "AWS::S3::Object" or event_source != S3_SOURCE:
        return False
    for value in resource.get("Values") or ():
        # "arn:aws:s3" (every bucket), "arn:aws:s3:::bucket/" (its objects) or
        # "arn:aws:s3:::bucket/prefix" (the objects under a prefix).
        if value in ("arn:aws:s3", "arn:aws:s3:::") or arn.startswith(value):
            return True
    return False


def selects(event_selectors, *, management_event, read_only, event_source, arn=""):
    """Whether any of a trail's event selectors picks the event; ``arn``: a data event's
    object ARN."""
    for selector in event_selectors or ():
        if not _read_write_matches(selector, read_only):
            continue
        if management_event:
            excluded = selector.get("ExcludeManagementEventSources") or ()
            if selector.get("IncludeManagementEvents", True) and event_source not in excluded:
                return True
        elif any(_data_resource_matches(r, event_source, arn) for r in selector.get("DataResources") or ()):
            return True
    return False


def in_regions(home_region, is_multi_region, include_global, region, event_source):
    """Whether a trail of ``home_region`` receives an event of ``region``."""
    if is_multi_region or region == home_region:
        return True
    return include_global and event_source in GLOBAL_SOURCES


# Only trails with selectors of their own can select a data event: the default ones
# select none.
_DATA_TRAILS = (
    "SELECT t.event_selectors, t.home_region, t.is_multi_region_trail, t.include_global_service_events "
    f"FROM {Trail._meta.db_table} t JOIN {Account._meta.db_table} a ON a.id = t.account_id "
    "WHERE a.account_id = %s AND t.is_logging = %s AND t.has_custom_event_selectors = %s"
)


def data_event_logged(account_id, region, *, read_only, bucket, key):
    """Whether a logging trail of the account selects an S3 data event on ``bucket``
    (and ``key``) in ``region`` now: one indexed query for every data call, recorded or
    not."""
    arn = object_arn(bucket, key)
    for selectors, home_region, multi_region, include_global in rows.fetchall(_DATA_TRAILS, [account_id, True, True]):
        if isinstance(selectors, str):
            selectors = json.loads(selectors)
        if in_regions(home_region, multi_region, include_global, region, S3_SOURCE) and selects(
            selectors, management_event=False, read_only=read_only, event_source=S3_SOURCE, arn=arn
        ):
            return True
    return False
