"""CloudTrail console: Event history — the table with a lookup attribute and time
range, the chart, an event's whole record, and the filtered events as CSV or JSON.

Every read goes through ``console.actions.run(request, "cloudtrail:LookupEvents")``, so
a user without the permission sees AWS's own AccessDenied text, as ``aws cloudtrail
lookup-events`` prints it."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console import clock
from console.actions import run
from console.session import request_context
from trail import history
from trail.operations import HISTORY_DAYS, event_shape, lookup

DOWNLOAD_LIMIT = 10000
CSV_COLUMNS = [
    "Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
    "AWS access key", "Event source", "AWS region", "Error code", "Source IP address", "Resources",
]


def _row(event):
    """One table row from LookupEvents' Event (the record for what the table adds)."""
    record = json.loads(event["CloudTrailEvent"])
    resources = event.get("Resources") or []
    first = resources[0] if resources else {}
    return {
        "id": event["EventId"],
        "name": event["EventName"],
        "time": event["EventTime"],
        "user": event.get("Username", ""),
        "source": event["EventSource"],
        "resource_type": first.get("ResourceType", ""),
        "resource_name": first.get("ResourceName", ""),
        "more_resources": len(resources) - 1 if len(resources) > 1 else 0,
        "error_code": record.get("errorCode", ""),
        "access_key": event.get("AccessKeyId", ""),
        "region": record.get("awsRegion", ""),
        "source_ip": record.get("sourceIPAddress", ""),
        "resources": resources,
        "record": record,
    }


def _pages_now(query):
    """The time the first page was asked at, which every next page reuses. A relative
    range ("last hour") starts at that time less the span, and LookupEvents refuses a
    NextToken whose StartTime moved, as AWS does; so a page asked a second later than
    the one before must still ask for the same range. Never later than now."""
    now = clock.now()
    try:
        at = datetime.fromtimestamp(int(query.get("at", "")), timezone.utc)
    except (ValueError, OverflowError, OSError):
        return now
    return min(at, now)


@require_GET
def event_history(request):
    """Event history: LookupEvents' page for the filters, and the chart."""
    filters = history.filters_from(request.GET)
    token = request.GET.get("token")
    now = _pages_now(request.GET) if token else clock.now()
    params = filters.lookup_params(now)
    if token:
        params["NextToken"] = token
    ctx = request_context(request)
    result, error = run(request, "cloudtrail:LookupEvents", params, ctx=ctx)
    rows = [_row(e) for e in result["Events"]] if result else []
    chart = None
    if result is not None:
        attribute = (filters.key, filters.value) if filters.key else None
        oldest = now - timedelta(days=HISTORY_DAYS)
        lower = max(params.get("StartTime") or oldest, oldest)
        # Without this page's own LookupEvents event: the table was listed before it.
        chart = history.chart(request.principal.account_id, attribute, lower, min(params.get("EndTime") or now, now),
                              excluding_request=ctx.request_id)
    query = filters.query()
    try:
        page_number = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page_number = 1
    next_url = None
    if result and result.get("NextToken"):
        pages = {"at": int(now.timestamp()), "token": result["NextToken"], "page": page_number + 1}
        next_url = "?" + urlencode({**query, **pages})
    return render(request, "trail/event_history.html", {
        "rows": rows,
        "error": error,
        "filters": filters,
        "attributes": history.ATTRIBUTE_LABELS,
        "ranges": [(code, label) for code, label, _ in history.RANGES],
        "chart": chart,
        "page_number": page_number,
        "next_url": next_url,
        "first_url": "?" + urlencode(query) if token else None,
        "download_query": urlencode(query),
        "nav": "events",
    })


@require_GET
def event_detail(request, event_id):
    """One event: its summary and the whole CloudTrail record."""
    params = {"LookupAttributes": [{"AttributeKey": "EventId", "AttributeValue": str(event_id)}]}
    result, error = run(request, "cloudtrail:LookupEvents", params)
    if result is not None and not result["Events"]:
        raise Http404("No such event")
    row = _row(result["Events"][0]) if result else None
    return render(request, "trail/event_detail.html", {
        "row": row,
        "error": error,
        "record_json": json.dumps(row["record"], indent=2) if row else "",
        "nav": "events",
    })


@require_GET
def download(request, file_format):
    """The filtered events (every page, newest first) as AWS's CSV or JSON download.

    The first page is a LookupEvents call like any other (authorized and recorded);
    the pages after it read the same filter for the principal it authorized."""
    if file_format not in ("csv", "json"):
        raise Http404("No such format")
    filters = history.filters_from(request.GET)
    params = filters.lookup_params(clock.now())
    result, error = run(request, "cloudtrail:LookupEvents", params)
    if error:
        response = render(request, "trail/event_history.html", {
            "rows": [], "error": error, "filters": filters, "attributes": history.ATTRIBUTE_LABELS,
            "ranges": [(code, label) for code, label, _ in history.RANGES], "nav": "events",
        })
        response.status_code = error.status
        return response
    events = list(result["Events"])
    token = result.get("NextToken")
    while token and len(events) < DOWNLOAD_LIMIT:
        page, token = lookup(
            request.principal.account_id,
            params.get("LookupAttributes"),
            params.get("StartTime"),
            params.get("EndTime"),
            None,
            token,
        )
        events.extend(event_shape(e) for e in page)
    rows = [_row(e) for e in events[:DOWNLOAD_LIMIT]]
    stamp = clock.now().strftime("%Y-%m-%dT%H%M%SZ")
    if file_format == "json":
        body = json.dumps({"Records": [row["record"] for row in rows]}, indent=2)
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event_history_{stamp}.{file_format}"'
    return response


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([
            row["id"],
            row["time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            _safe(row["user"]),
            row["name"],
            row["resource_type"],
            _safe(row["resource_name"]),
            row["access_key"],
            row["source"],
            row["region"],
            row["error_code"],
            row["source_ip"],
            _safe(json.dumps(row["resources"])),
        ])
    return out.getvalue()


def _safe(text):
    # A spreadsheet runs a cell that starts with = + - @ as a formula; user names and
    # resource names are chosen by whoever made the call (OWASP "CSV Injection").
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
