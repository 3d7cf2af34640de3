"""The Event history console pages: table, filters, chart, detail, downloads, and
AWS's AccessDenied text for a user without cloudtrail:LookupEvents."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from tests.trail.helpers import CLOUDTRAIL_READ_ONLY
from trail.models import Event

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"
DENIED = (
    f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: cloudtrail:LookupEvents "
    "on resource: * because no identity-based policy allows the cloudtrail:LookupEvents action"
)


def page(client, query=""):
    response = client.get("/cloudtrail/events" + query)
    assert response.status_code == 200
    return response.content.decode()


def table_rows(html):
    body = html.split('data-testid="events-table"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/cloudtrail/events/[0-9a-f-]+">([A-Za-z]+)</a>', body)


def test_event_history_lists_the_sign_in_and_calls(root_client, alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    html = page(root_client)
    assert table_rows(html) == ["CreateUser", "ConsoleLogin"]
    assert "<th>Event name</th><th>Event time</th><th>User name</th><th>Event source</th><th>Resource type</th><th>Resource name</th>" in html
    assert "AWS::IAM::User" in html and "carol" in html and "signin.amazonaws.com" in html
    assert 'data-testid="event-chart"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # CSP: no inline script


def test_the_chart_counts_the_events_the_table_lists(root_client, alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    html = page(root_client)
    assert table_rows(html) == ["CreateUser", "ConsoleLogin"]
    assert "Event history <span class=\"count\">(2)</span>" in html
    assert "2 events, 0 with errors" in html
    # The page's own LookupEvents call is recorded, and the next page lists and charts it.
    html = page(root_client)
    assert table_rows(html) == ["LookupEvents", "CreateUser", "ConsoleLogin"]
    assert "3 events, 0 with errors" in html


def test_filter_by_an_attribute(root_client, alice, bob, bob_ctx):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    with pytest.raises(AccessDenied):
        dispatch(bob_ctx, "iam:CreateUser", {"UserName": "eve"})
    html = page(root_client, "?key=Username&value=bob&range=1d")
    assert table_rows(html) == ["CreateUser"]
    assert "AccessDenied" in html
    assert table_rows(page(root_client, "?key=ResourceName&value=carol")) == ["CreateUser"]
    assert table_rows(page(root_client, "?key=ReadOnly&value=false")) == ["CreateUser", "CreateUser", "ConsoleLogin"]


def test_access_denied_spike_shows_in_the_error_strip(root_client, alice, bob, bob_ctx):
    for i in range(5):
        with pytest.raises(AccessDenied):
            dispatch(bob_ctx, "iam:CreateUser", {"UserName": f"eve{i}"})
    html = page(root_client, "?range=1h")
    strip = html.split('data-testid="error-strip"', 1)[1].split("</svg>", 1)[0]
    assert re.search(r'<rect class="error-bar"[^>]*><title>[^<]*: 5 errors</title>', strip)
    assert "5 with errors" in html


def test_event_detail_shows_the_whole_record(root_client, alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "carol"})
    event = Event.objects.get(event_name="CreateUser")
    response = root_client.get(f"/cloudtrail/events/{event.event_id}")
    assert response.status_code == 200
    html = response.content.decode()
    record = re.search(r'data-testid="event-record" data-record>(.*?)</pre>', html, re.S).group(1)
    parsed = json.loads(record.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&"))
    assert parsed == event.as_record() | {"eventTime": parsed["eventTime"]}
    assert root_client.get("/cloudtrail/events/00000000-0000-4000-8000-000000000000").status_code == 404


def next_page_url(html):
    return re.search(r'<a href="([^"]+)" aria-label="Next page"', html).group(1).replace("&amp;", "&")


def test_pagination_follows_next_token(root_client, alice, frozen_clock):
    for i in range(55):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    html = page(root_client, "?key=EventName&value=CreateUser")
    assert len(table_rows(html)) == 50
    # The user reads the first page before asking for the next: the range "last 12
    # hours" must stay the one the token was issued for.
    frozen_clock.advance(seconds=7)
    second = page(root_client, next_page_url(html))
    assert len(table_rows(second)) == 5 and "Page 2" in second and "Next page" not in second


def test_a_next_page_asked_with_a_moved_time_is_refused_not_shifted(root_client, alice, frozen_clock):
    for i in range(55):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    next_url = next_page_url(page(root_client, "?key=EventName&value=CreateUser"))
    at = re.search(r"[?&]at=(\d+)", next_url).group(1)
    frozen_clock.advance(seconds=3)
    for moved in (str(int(at) - 60), "soon", "9" * 30):  # an unreadable time is now's
        second = page(root_client, next_url.replace(f"at={at}", f"at={moved}"))
        assert table_rows(second) == [] and "No matches" in second
        assert "A token that is not valid, or a token that was previously used" in second


def test_downloads_are_the_filtered_events(root_client, alice):
    dispatch(alice, "iam:CreateUser", {"UserName": "=1+1"})
    dispatch(alice, "iam:GetUser", {"UserName": "=1+1"})
    response = root_client.get("/cloudtrail/events/download.csv?key=ReadOnly&value=false")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="event_history_')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name"]
    assert [r[3] for r in rows[1:]] == ["CreateUser", "ConsoleLogin"]
    assert rows[1][5] == "'=1+1"  # never a spreadsheet formula
    response = root_client.get("/cloudtrail/events/download.json?key=EventName&value=GetUser")
    records = json.loads(response.content)["Records"]
    assert [r["eventName"] for r in records] == ["GetUser"]
    assert records[0]["requestParameters"] == {"userName": "=1+1"}
    assert root_client.get("/cloudtrail/events/download.xml").status_code == 404


def test_a_user_without_permission_sees_aws_access_denied(bob_client):
    html = page(bob_client)
    assert DENIED in html and "You don't have permission to look up events." in html
    assert table_rows(html) == []
    response = bob_client.get("/cloudtrail/events/download.csv")
    assert response.status_code == 403 and DENIED in response.content.decode()
    response = bob_client.get(f"/cloudtrail/events/{Event.objects.first().event_id}")
    assert DENIED in response.content.decode()
    assert Event.objects.filter(event_name="LookupEvents", error_code="AccessDenied").count() == 3


def test_a_user_with_cloudtrail_read_only_access_sees_events(alice, bob_client):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": CLOUDTRAIL_READ_ONLY})
    assert "ConsoleLogin" in table_rows(page(bob_client, "?key=Username&value=bob"))


@pytest.mark.parametrize("query,message", [
    ("?key=ReadOnly&value=maybe", "Occurs when a lookup attribute is specified that is not valid."),
    ("?token=forged", "A token that is not valid"),
    ("?range=custom&start=2026-11-29T10:00&end=2026-11-28T10:00", "Either the start time occurs after the end time"),
    ("?range=custom&start=yesterday", "Enter a valid start date and time."),
    ("?key=Colour&value=red", "Choose a lookup attribute."),
])
def test_bad_filters_show_a_message_never_a_500(root_client, query, message):
    assert message in page(root_client, query)


def test_page_queries_do_not_grow_with_the_events(root_client, alice):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            page(root_client, "?range=1d")
        return len(captured)

    dispatch(alice, "iam:CreateUser", {"UserName": "u0"})
    few = queries()
    for i in range(1, 40):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}"})
    assert queries() == few <= 12
