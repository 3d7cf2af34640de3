"""How long one trail delivery holds SQLite's write lock (every other write of the
instance waits meanwhile), and what the whole delivery takes.

On a scratch SQLite instance (WAL, as `make run`): an account with a bucket whose policy
lets CloudTrail write, a logging trail, then --events settled events (bench/lookup_events'
rows); delivers them in batches of trail.delivery.BATCH and prints, per batch, the wall
time of the whole delivery and of its transaction (from taking the lock to COMMIT).

Run: .venv/bin/python bench/trail_delivery.py [--events 10000]"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lookup_events import ACCOUNT, insert_events, setup_django  # noqa: E402

REGION = "us-east-1"
BUCKET = "bench-trail-logs"


def bucket_policy():
    source = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/bench"
    service = {"Service": "cloudtrail.amazonaws.com"}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": service, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{BUCKET}",
         "Condition": {"StringEquals": {"aws:SourceArn": source}}},
        {"Effect": "Allow", "Principal": service, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source}}},
    ]})


def setup():
    from awsapi.context import RequestContext
    from awsapi.dispatch import dispatch
    from iam.accounts import create_account
    from iam.principals import root_principal
    from trail.models import Trail

    account = create_account("bench@example.com", "Bench-Passw0rd!2026", account_id=ACCOUNT)
    ctx = RequestContext(principal=root_principal(account), via_console=False, access_key_id="AKIAEXAMPLEEXAMPLE22",
                         region=REGION, user_agent="bench", source_ip="127.0.0.1")
    dispatch(ctx, "s3:CreateBucket", {"Bucket": BUCKET})
    dispatch(ctx, "s3:PutBucketPolicy", {"Bucket": BUCKET, "Policy": bucket_policy()})
    dispatch(ctx, "cloudtrail:CreateTrail", {"Name": "bench", "S3BucketName": BUCKET})
    dispatch(ctx, "cloudtrail:StartLogging", {"Name": "bench"})
    return Trail.objects.get(name="bench").pk


def measure(trail_pk, events):
    from types import SimpleNamespace

    from django.db import transaction

    from console import clock
    from trail import delivery

    locked = []
    real_atomic = transaction.atomic

    class Timed:
        # The delivery's transaction, timed from BEGIN (which takes the lock) to COMMIT.
        def __init__(self, *args, **kwargs):
            self.inner = real_atomic(*args, **kwargs)

        def __enter__(self):
            self.start = time.perf_counter()
            return self.inner.__enter__()

        def __exit__(self, *exc):
            try:
                return self.inner.__exit__(*exc)
            finally:
                locked.append(time.perf_counter() - self.start)

    delivery.transaction = SimpleNamespace(atomic=Timed)  # only the delivery's own
    whole, files = [], 0
    now = clock.now() + timedelta(minutes=1)
    for _ in range((events + delivery.BATCH - 1) // delivery.BATCH + 1):
        start = time.perf_counter()
        files += delivery.deliver_trail(trail_pk, now)
        whole.append(time.perf_counter() - start)
    delivery.transaction = transaction
    return whole, locked, files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iamlab-trail-delivery-") as var:
        setup_django(var)
        trail_pk = setup()
        insert_events(args.events)
        whole, locked, files = measure(trail_pk, args.events)
    ms = lambda values: f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"  # noqa: E731
    full = whole[:-1]  # the last run finds nothing new
    print(f"{args.events} events delivered as {files} log files, {len(full)} runs of up to 2,000 events")
    print(f"  whole delivery per run:      {ms(full)}")
    print(f"  write transaction per run:   {ms(locked[:len(full)])}")


if __name__ == "__main__":
    main()
