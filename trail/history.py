"""What the Event history page shows besides LookupEvents' table: the filter as the
console takes it, and the chart of events over time by event source and errors.

The chart reads the same rows LookupEvents would (same account, attribute and time
range) but only their time, source and error code, and at most CHART_LIMIT of them,
so the page costs the same with a million events stored as with a hundred."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.db.models import Subquery

from trail import record
from trail.models import EventResource
from trail.operations import RESOURCE_COLUMNS, management_events

# The console's lookup attributes, as AWS's Event history labels them.
ATTRIBUTE_LABELS = [
    ("ReadOnly", "Read-only"),
    ("EventName", "Event name"),
    ("Username", "User name"),
    ("ResourceType", "Resource type"),
    ("ResourceName", "Resource name"),
    ("EventSource", "Event source"),
    ("AccessKeyId", "AWS access key"),
    ("EventId", "Event ID"),
]
RANGES = [
    ("30m", "Last 30 minutes", timedelta(minutes=30)),
    ("1h", "Last hour", timedelta(hours=1)),
    ("3h", "Last 3 hours", timedelta(hours=3)),
    ("12h", "Last 12 hours", timedelta(hours=12)),
    ("1d", "Last day", timedelta(days=1)),
    ("1w", "Last week", timedelta(days=7)),
    ("30d", "Last 30 days", timedelta(days=30)),
    ("90d", "Last 90 days", timedelta(days=90)),
    ("custom", "Custom range", None),
]
CHART_LIMIT = 4000
CHART_BUCKETS = 48
CHART_SOURCES = 5  # the busiest sources get a colour each; the rest are "Other"
WIDTH, HEIGHT, ERROR_HEIGHT = 720, 140, 40


@dataclass
class Filters:
    key: str = ""
    value: str = ""
    range: str = "90d"
    start: str = ""  # custom range, "YYYY-MM-DDTHH:MM" in UTC
    end: str = ""
    error: str = ""

    def lookup_params(self, now):
        """LookupEvents' parameters for these filters (AWS member names)."""
        params = {}
        if self.key:
            params["LookupAttributes"] = [{"AttributeKey": self.key, "AttributeValue": self.value}]
        if self.range == "custom":
            start, end = _parse_local(self.start), _parse_local(self.end)
            if start is not None:
                params["StartTime"] = start
            if end is not None:
                params["EndTime"] = end
        else:
            span = dict((code, delta) for code, _, delta in RANGES)[self.range]
            params["StartTime"] = now - span
        return params

    def query(self):
        """The filters as URL parameters (for pagination and download links)."""
        items = {"range": self.range}
        if self.key:
            items.update(key=self.key, value=self.value)
        if self.range == "custom":
            items.update(start=self.start, end=self.end)
        return items


def _parse_local(text):
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def filters_from(query):
    """The page's filters from its query string; ``error`` names what is malformed."""
    keys = dict(ATTRIBUTE_LABELS)
    ranges = {code for code, _, _ in RANGES}
    filters = Filters(
        key=query.get("key", ""),
        value=query.get("value", "").strip(),
        range=query.get("range", "90d"),
        start=query.get("start", ""),
        end=query.get("end", ""),
    )
    if filters.key and filters.key not in keys:
        filters.key, filters.error = "", "Choose a lookup attribute."
    if filters.key and not filters.value:
        filters.key = ""  # an attribute without a value filters nothing, as on AWS
    if filters.range not in ranges:
        filters.range = "90d"
    if filters.range == "custom":
        for label, text in (("start", filters.start), ("end", filters.end)):
            if text and _parse_local(text) is None:
                filters.error = f"Enter a valid {label} date and time."
                filters.start, filters.end, filters.range = "", "", "90d"
    return filters


def _timeline_rows(account_id, attribute, lower, upper, excluding_request):
    key, value = attribute if attribute else (None, None)
    if key in RESOURCE_COLUMNS:
        ids = (
            EventResource.objects.filter(
                account_id=account_id, event_time__gte=lower, event_time__lte=upper, **{RESOURCE_COLUMNS[key]: value}
            )
            .order_by("-event_time", "-event")
            .values("event_id")[:CHART_LIMIT]
        )
        events = management_events(account_id, None, lower, upper).filter(pk__in=Subquery(ids))
    else:
        events = management_events(account_id, attribute, lower, upper)
    if excluding_request:
        events = events.exclude(request_id=excluding_request)
    return list(
        events.order_by("-event_time", "-id").values_list("event_time", "event_source", "error_code")[
            :CHART_LIMIT
        ]
    )


def chart(account_id, attribute, lower, upper, excluding_request=None):
    """The stacked bars (events per interval by source) and the error strip, as SVG
    geometry for the template: a burst of AccessDenied shows as a red spike. Without the
    event of the request ``excluding_request``."""
    record.flush(by_attribute=bool(attribute))
    rows = _timeline_rows(account_id, attribute, lower, upper, excluding_request)
    capped = len(rows) >= CHART_LIMIT
    if capped:
        lower = rows[-1][0]
    span = max((upper - lower).total_seconds(), 60.0)
    step = span / CHART_BUCKETS
    totals = {}
    for _, source, _ in rows:
        totals[source] = totals.get(source, 0) + 1
    sources = [s for s, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:CHART_SOURCES]]
    index = {source: i for i, source in enumerate(sources)}
    other = len(sources)
    counts = [[0] * (other + 1) for _ in range(CHART_BUCKETS)]
    errors = [0] * CHART_BUCKETS
    for event_time, source, error_code in rows:
        bucket = min(int((event_time - lower).total_seconds() / step), CHART_BUCKETS - 1)
        counts[bucket][index.get(source, other)] += 1
        if error_code:
            errors[bucket] += 1
    peak = max((sum(c) for c in counts), default=0) or 1
    error_peak = max(errors) or 1
    width = WIDTH / CHART_BUCKETS
    bars, error_bars = [], []
    for b, series in enumerate(counts):
        x = round(b * width, 2)
        start = lower + timedelta(seconds=b * step)
        y = HEIGHT
        for s, n in enumerate(series):
            if not n:
                continue
            h = round(n / peak * (HEIGHT - 10), 2)
            y = round(y - h, 2)
            name = sources[s] if s < other else "Other"
            bars.append({"x": x, "y": y, "w": round(width - 1, 2), "h": h, "css": f"src-{s}", "title": f"{start:%Y-%m-%d %H:%M} UTC: {n} {name}"})
        if errors[b]:
            h = round(errors[b] / error_peak * (ERROR_HEIGHT - 4), 2)
            error_bars.append({"x": x, "y": round(ERROR_HEIGHT - h, 2), "w": round(width - 1, 2), "h": h, "title": f"{start:%Y-%m-%d %H:%M} UTC: {errors[b]} errors"})
    legend = [{"name": s, "css": f"src-{i}"} for i, s in enumerate(sources)]
    if any(series[other] for series in counts):
        legend.append({"name": "Other", "css": f"src-{other}"})
    return {
        "bars": bars,
        "error_bars": error_bars,
        "legend": legend,
        "total": len(rows),
        "errors": sum(errors),
        "capped": capped,
        "peak": peak,
        "error_peak": max(errors),
        "start": lower,
        "end": upper,
        "width": WIDTH,
        "height": HEIGHT,
        "error_height": ERROR_HEIGHT,
    }
