"""LookupEvents and the Event history page with a million events stored.

Creates a scratch instance (SQLite in a temporary IAMLAB_VAR_DIR), inserts N events
for one account spread over 90 days with raw executemany, then times filtered
LookupEvents pages through the dispatcher (as the API and console call it) for each
lookup attribute, following NextToken for a few pages, and the Event history page's
server time through Django's test client. Prints p50/p95 in milliseconds.

Run: .venv/bin/python bench/lookup_events.py [--events 1000000] [--repeat 40]"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ACCOUNT = "111122223333"
EMAIL, PASSWORD = "bench@example.com", "Bench-root-Passw0rd!"
USERS = [f"user{i}" for i in range(50)]
NAMES = ["ListUsers", "GetUser", "CreateUser", "DeleteUser", "ListRoles", "GetRole", "AttachUserPolicy",
         "CreateAccessKey", "ListAccessKeys", "GetCallerIdentity", "AssumeRole", "ListBuckets", "CreateBucket",
         "ConsoleLogin", "PutUserPolicy", "ListPolicies", "GetPolicy", "UpdateAccessKey", "TagUser", "ListGroups"]
SOURCES = {"GetCallerIdentity": "sts.amazonaws.com", "AssumeRole": "sts.amazonaws.com",
           "ListBuckets": "s3.amazonaws.com", "CreateBucket": "s3.amazonaws.com",
           "ConsoleLogin": "signin.amazonaws.com"}


def setup_django(var_dir):
    os.environ["IAMLAB_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "console.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert_events(count):
    """Raw executemany in chunks: events and their resource rows, newest last."""
    from django.db import connection, transaction

    from trail.models import Event, EventResource

    event_fields = [f for f in Event._meta.concrete_fields]
    resource_fields = [f for f in EventResource._meta.concrete_fields]
    event_sql = "INSERT INTO {} ({}) VALUES ({})".format(
        Event._meta.db_table, ", ".join(f.column for f in event_fields), ", ".join("%s" for _ in event_fields))
    resource_sql = "INSERT INTO {} ({}) VALUES ({})".format(
        EventResource._meta.db_table, ", ".join(f.column for f in resource_fields),
        ", ".join("%s" for _ in resource_fields))
    identities = {u: json.dumps({"type": "IAMUser", "principalId": "AIDA" + u.upper().ljust(17, "X"),
                                 "arn": f"arn:aws:iam::{ACCOUNT}:user/{u}", "accountId": ACCOUNT, "userName": u})
                  for u in USERS}
    identities["root"] = json.dumps({"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                     "accountId": ACCOUNT})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=89, hours=23)
    step = (now - start).total_seconds() / count
    ids = []
    first_pk = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    chunk = 50000
    for base in range(0, count, chunk):
        events, resources = [], []
        for i in range(base, min(base + chunk, count)):
            name = NAMES[i % len(NAMES)]
            user = "root" if i % 7 == 0 else USERS[(i * 31) % len(USERS)]
            target = USERS[(i * 17) % len(USERS)]
            event_id = uuid.uuid4()
            when = start + timedelta(seconds=int(i * step))
            denied = i % 19 == 0
            key = f"AKIABENCH{(i * 13) % 60:011d}"
            res = json.dumps([{"type": "AWS::IAM::User", "name": target, "arn": ""}])
            pk = first_pk + i
            row = {
                "id": pk, "event_id": event_id.hex, "event_time": when.strftime("%Y-%m-%d %H:%M:%S"),
                "event_source": SOURCES.get(name, "iam.amazonaws.com"), "event_name": name,
                "event_type": "AwsApiCall", "aws_region": "us-east-1", "recipient_account_id": ACCOUNT,
                "username": user, "access_key_id": key, "source_ip_address": "198.51.100.7",
                "user_agent": "aws-cli/1.36.0", "user_identity": identities[user],
                "request_parameters": json.dumps({"userName": target}), "response_elements": None,
                "additional_event_data": None, "error_code": "AccessDenied" if denied else "",
                "error_message": "User is not authorized" if denied else "", "request_id": str(uuid.uuid4()),
                "read_only": name.startswith(("Get", "List")), "management_event": True,
                "session_credential_from_console": False, "resources": res, "lookup_indexed": True,
            }
            events.append([row[f.attname] for f in event_fields])
            resource = {"id": pk, "event_id": pk, "account_id": ACCOUNT, "event_time": row["event_time"],
                        "resource_type": "AWS::IAM::User", "resource_name": target}
            resources.append([resource[f.attname] for f in resource_fields])
            if i % 10007 == 0:
                ids.append(str(event_id))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(event_sql, events)
            cursor.executemany(resource_sql, resources)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def bench_api(repeat, event_ids):
    from awsapi.dispatch import dispatch
    from iam.models import Account
    from iam.principals import root_principal
    from awsapi.context import RequestContext

    ctx = RequestContext(principal=root_principal(Account.objects.get(account_id=ACCOUNT)), source_ip="127.0.0.1",
                         user_agent="bench", via_console=False)
    cases = [
        ("(none)", None), ("EventName", "CreateUser"), ("Username", "user7"), ("ReadOnly", "false"),
        ("EventSource", "sts.amazonaws.com"), ("AccessKeyId", "AKIABENCH00000000013"),
        ("ResourceType", "AWS::IAM::User"), ("ResourceName", "user3"), ("EventId", event_ids[len(event_ids) // 2]),
    ]
    rows = []
    for key, value in cases:
        params = {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]} if value else {}
        samples, token, found = [], None, 0
        for i in range(repeat):
            call = dict(params)
            if token and i % 4:
                call["NextToken"] = token  # pages 1-4 in turn, not only the first
            started = time.perf_counter()
            result = dispatch(ctx, "cloudtrail:LookupEvents", call)
            samples.append((time.perf_counter() - started) * 1000)
            token = result.get("NextToken") if i % 4 != 3 else None
            found = max(found, len(result["Events"]))
        rows.append((f"LookupEvents {key}", found, statistics.median(samples), percentile(samples, 95)))
    return rows


def bench_page(repeat):
    from django.test import Client

    client = Client()
    response = client.post("/signin/root", {"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    rows = []
    for label, query in [("page, last 90 days", ""), ("page, last day", "?range=1d"),
                         ("page, User name", "?key=Username&value=user7"),
                         ("page, Resource name", "?key=ResourceName&value=user3&range=1w")]:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get("/cloudtrail/events" + query)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        rows.append((f"Event history {label}", response.content.count(b"/cloudtrail/events/") - 2,
                     statistics.median(samples), percentile(samples, 95)))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iamlab-bench-") as var_dir:
        setup_django(var_dir)
        from iam.accounts import create_account

        create_account(EMAIL, PASSWORD, account_id=ACCOUNT)
        started = time.perf_counter()
        event_ids = insert_events(args.events)
        print(f"inserted {args.events:,} events in {time.perf_counter() - started:.1f} s")
        rows = bench_api(args.repeat, event_ids) + bench_page(max(args.repeat // 2, 5))
        print(f"{'case':<40} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8}")
        for label, found, p50, p95 in rows:
            print(f"{label:<40} {found:>5} {p50:>8.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
