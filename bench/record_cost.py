"""What recording a CloudTrail event adds to a request (issue #7: at most 0.3 ms).

Times trail.record.api_call — building the record and its INSERT (plus the resource rows
when the call names resources), a read-only call's autocommitted, a write call's inside the
call's open transaction — on a
scratch SQLite instance (WAL, synchronous=NORMAL, as `make run`), first on an empty event
table and then with --preload events already stored. Prints CPU and wall time per event.

Run: .venv/bin/python bench/record_cost.py [--events 5000] [--preload 200000]"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lookup_events import insert_events, setup_django  # noqa: E402


def cases():
    from awsapi.context import Principal, RequestContext
    from awsapi.dispatch import operation_for

    principal = Principal(
        type="IAMUser", account_id="111122223333", arn="arn:aws:iam::111122223333:user/bob",
        principal_id="AIDAEXAMPLEBOB000001", user_name="bob", user_pk=1,
    )
    ctx = RequestContext(principal=principal, source_ip="127.0.0.1", user_agent="aws-cli/1.36 Python/3.11",
                         via_console=False, access_key_id="AKIAEXAMPLEBOB000001")
    identity = operation_for("sts:GetCallerIdentity").spec
    create = operation_for("iam:CreateUser").spec
    created = {"User": {"UserName": "eve", "Arn": "arn:aws:iam::111122223333:user/eve", "Path": "/",
                        "UserId": "AIDAEXAMPLEEVE000001"}}
    return [
        ("GetCallerIdentity (read-only, no resources)", ctx, identity, {}, {"Account": "111122223333"}),
        ("CreateUser (write, one resource)", ctx, create, {"UserName": "eve"}, created),
    ]


def measure(count):
    from contextlib import nullcontext

    from django.db import transaction

    from trail import record

    rows = []
    for label, ctx, spec, params, result in cases():
        walls = []
        cpu = 0.0
        for _ in range(count):
            # As the dispatcher runs it: a write call's event joins the transaction the call
            # has open anyway (its BEGIN/COMMIT are not the event's cost); a read-only
            # call's event is a statement of its own, autocommitted.
            with nullcontext() if spec.read_only else transaction.atomic():
                cpu_start, start = time.process_time(), time.perf_counter()
                record.api_call(ctx, spec, params, result)
                walls.append(time.perf_counter() - start)
                cpu += time.process_time() - cpu_start
        cpu /= count
        walls.sort()
        rows.append((label, cpu * 1000, statistics.median(walls) * 1000, walls[int(len(walls) * 0.99)] * 1000))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--preload", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        print(f"{'case':48} {'CPU ms':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for title, preload in (("empty event table", 0), (f"{args.preload:,} events stored", args.preload)):
            if preload:
                insert_events(preload)
            print(f"-- {title}")
            for label, cpu, p50, p99 in measure(args.events):
                print(f"{label:48} {cpu:8.3f} {p50:8.3f} {p99:8.3f}")


if __name__ == "__main__":
    main()
