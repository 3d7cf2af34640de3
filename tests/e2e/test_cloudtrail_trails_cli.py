"""Trails with the real aws CLI against a live server: create-trail (with the bucket
policy AWS documents for CloudTrail, and without it), start-logging, get-trail-status,
describe-trails; then a delivery run, the log and digest files seen with `aws s3 ls`
and downloaded with `aws s3 cp`, `validatelogs` (and the CLI's own `validate-logs`)
passing, and a modified, a deleted and a forged log file each named."""

import gzip
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from awsapi.dispatch import dispatch
from console import clock
from tests.trail.test_trails import cloudtrail_policy
from trail import delivery
from trail.models import Event

ACCOUNT = "111122223333"
BUCKET = "alice-cloudtrail-e2e"
REGION = "eu-west-1"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"


class Lines:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def __str__(self):
        return "".join(self.parts)


def validatelogs(*args):
    out, err = Lines(), Lines()
    try:
        call_command("validatelogs", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, str(out), str(err)


@pytest.fixture
def alice_cli(cli, alice, tmp_path):
    key = dispatch(alice, "iam:CreateAccessKey", {})["AccessKey"]
    cli.configure("alice", key["AccessKeyId"], key["SecretAccessKey"])
    cli.ok("s3api", "create-bucket", "--bucket", BUCKET, "--create-bucket-configuration",
           f"LocationConstraint={REGION}", profile="alice")
    return cli


def put_policy(cli, tmp_path):
    path = tmp_path / "cloudtrail-policy.json"
    path.write_text(cloudtrail_policy(bucket=BUCKET, account=ACCOUNT, region=REGION, trail="main"))
    cli.ok("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", f"file://{path}", profile="alice")


def s3(cli, *args):
    """An `aws s3` transfer command (its output is progress text, not JSON)."""
    result = cli.run("s3", *args, profile="alice")
    assert result.returncode == 0, result.stderr


def s3_keys(cli):
    listing = cli.run("s3", "ls", "--recursive", f"s3://{BUCKET}/AWSLogs/", profile="alice")
    # `aws s3 ls` exits with 1 when nothing matches.
    assert listing.returncode == 0 or (listing.returncode == 1 and not listing.stdout), listing.stderr
    return [line.split()[-1] for line in listing.stdout.splitlines() if line.strip()]


def test_a_trail_delivers_and_validates_and_tampering_is_named(alice_cli, tmp_path):
    cli = alice_cli
    put_policy(cli, tmp_path)
    created = cli.ok("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", BUCKET,
                     "--enable-log-file-validation", profile="alice")
    assert created["TrailARN"] == TRAIL_ARN and created["LogFileValidationEnabled"] is True
    cli.ok("cloudtrail", "start-logging", "--name", "main", profile="alice")
    status = cli.ok("cloudtrail", "get-trail-status", "--name", "main", profile="alice")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    trails = cli.ok("cloudtrail", "describe-trails", profile="alice")["trailList"]
    assert [(t["Name"], t["S3BucketName"], t["HomeRegion"]) for t in trails] == [("main", BUCKET, REGION)]
    cli.ok("iam", "create-user", "--user-name", "carol", profile="alice")
    cli.ok("iam", "create-user", "--user-name", "dave", profile="alice")

    start = clock.now()
    assert delivery.deliver(now=start + timedelta(minutes=1)) == 1
    cli.ok("iam", "create-user", "--user-name", "erin", profile="alice")
    assert delivery.deliver(now=start + timedelta(minutes=5)) == 1
    delivery.deliver(now=start + timedelta(minutes=61))  # the hour is up: a digest file
    keys = s3_keys(cli)
    logs = [k for k in keys if "/CloudTrail/" in k]
    digest_files = [k for k in keys if "/CloudTrail-Digest/" in k]
    assert len(logs) == 2 and len(digest_files) == 1
    assert re.fullmatch(rf"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/\d{{4}}/\d\d/\d\d/{ACCOUNT}_CloudTrail_{REGION}_"
                        r"\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz", logs[0])
    assert re.fullmatch(rf"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/\d{{4}}/\d\d/\d\d/{ACCOUNT}_CloudTrail-Digest_"
                        rf"{REGION}_main_{REGION}_\d{{8}}T\d{{6}}Z\.json\.gz", digest_files[0])
    downloaded = tmp_path / "log.json.gz"
    s3(cli, "cp", f"s3://{BUCKET}/{logs[0]}", str(downloaded))
    names = [r["eventName"] for r in json.loads(gzip.decompress(downloaded.read_bytes()))["Records"]]
    assert names.count("CreateUser") == 2 and "StartLogging" in names
    head = cli.ok("s3api", "head-object", "--bucket", BUCKET, "--key", digest_files[0], profile="alice")
    assert head["Metadata"]["signature-algorithm"] == "SHA256withRSA"

    start_text = (start - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end_text = (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = validatelogs("--trail", "main", "--start-time", start_text, "--end-time", end_text)
    assert code == 0, err
    assert f"Validating log files for trail {TRAIL_ARN} between {start_text} and {end_text}" in out
    assert "1/1 digest files valid" in out and "2/2 log files valid" in out

    # The aws CLI's own validator agrees (its S3 client finds the server through
    # AWS_ENDPOINT_URL: validate-logs does not pass --endpoint-url on to it).
    real = cli.run("cloudtrail", "validate-logs", "--trail-arn", TRAIL_ARN, "--start-time", start_text,
                   "--end-time", end_text, "--region", REGION, profile="alice",
                   env={"AWS_ENDPOINT_URL": cli.endpoint})
    assert real.returncode == 0, real.stderr
    assert "1/1 digest files valid" in real.stdout and "2/2 log files valid" in real.stdout

    modified, deleted = logs
    records = json.loads(gzip.decompress(downloaded.read_bytes()))
    records["Records"][0]["sourceIPAddress"] = "203.0.113.66"
    tampered = tmp_path / "tampered.json.gz"
    tampered.write_bytes(gzip.compress(json.dumps(records).encode()))
    s3(cli, "cp", str(tampered), f"s3://{BUCKET}/{modified}")
    s3(cli, "rm", f"s3://{BUCKET}/{deleted}")
    forged = re.sub(r"_[A-Za-z0-9]{16}\.json\.gz$", "_F0RGEDF0RGEDF0RG.json.gz", modified)
    s3(cli, "cp", str(tampered), f"s3://{BUCKET}/{forged}")

    code, out, err = validatelogs("--trail", TRAIL_ARN, "--start-time", start_text, "--end-time", end_text)
    assert code == 1
    assert f"Log file\ts3://{BUCKET}/{modified}\tINVALID: hash value doesn't match" in err
    assert f"Log file\ts3://{BUCKET}/{deleted}\tINVALID: not found" in err
    assert f"Log file\ts3://{BUCKET}/{forged}\tINVALID: not listed in any valid digest file" in err
    assert "0/3 log files valid, 3/3 log files INVALID" in out
    real = cli.run("cloudtrail", "validate-logs", "--trail-arn", TRAIL_ARN, "--start-time", start_text,
                   "--end-time", end_text, "--region", REGION, profile="alice",
                   env={"AWS_ENDPOINT_URL": cli.endpoint})
    assert real.returncode == 1 and "hash value doesn't match" in real.stderr and "INVALID: not found" in real.stderr

    # The event store: the sealed CreateUser of carol, rewritten in the database.
    code, out, err = validatelogs("--event-store", "--account", ACCOUNT)
    assert code == 0, err
    carol = Event.objects.get(event_name="CreateUser", request_parameters__userName="carol")
    Event.objects.filter(pk=carol.pk).update(source_ip_address="198.51.100.99")
    code, out, err = validatelogs("--event-store", "--account", ACCOUNT)
    assert code == 1
    assert f"Event {carol.event_id} (row {carol.pk}) of account {ACCOUNT}\tINVALID: modified" in err


def test_a_bucket_policy_that_does_not_allow_cloudtrail(alice_cli, tmp_path):
    cli = alice_cli
    stderr = cli.fails("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", BUCKET, profile="alice")
    assert ("An error occurred (InsufficientS3BucketPolicyException) when calling the CreateTrail operation: "
            f"Incorrect S3 bucket policy is detected for bucket: {BUCKET}") in stderr
    put_policy(cli, tmp_path)
    cli.ok("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", BUCKET, profile="alice")
    cli.ok("cloudtrail", "start-logging", "--name", "main", profile="alice")
    cli.ok("s3api", "delete-bucket-policy", "--bucket", BUCKET, profile="alice")
    assert delivery.deliver(now=clock.now() + timedelta(minutes=1)) == 0
    status = cli.ok("cloudtrail", "get-trail-status", "--name", "main", profile="alice")
    assert status["LatestDeliveryError"] == "AccessDenied"
    assert "LatestDeliveryTime" not in status
    assert s3_keys(cli) == []


def test_s3_data_events_once_put_event_selectors_selects_them(alice_cli, tmp_path):
    """Trails log no data events by default; `put-event-selectors` with the bucket's ARN
    makes the next object calls reach the trail's log files, and only those."""
    cli = alice_cli
    put_policy(cli, tmp_path)
    cli.ok("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", BUCKET, profile="alice")
    cli.ok("cloudtrail", "start-logging", "--name", "main", profile="alice")
    cli.ok("s3api", "create-bucket", "--bucket", "class-files", "--create-bucket-configuration",
           f"LocationConstraint={REGION}", profile="alice")
    notes = tmp_path / "notes.txt"
    notes.write_text("week 1\n")
    s3(cli, "cp", str(notes), "s3://class-files/before.txt")
    selectors = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
                  "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::class-files/"]}]}]
    put = cli.ok("cloudtrail", "put-event-selectors", "--trail-name", "main", "--event-selectors",
                 json.dumps(selectors), profile="alice")
    assert put["EventSelectors"][0]["DataResources"] == selectors[0]["DataResources"]
    s3(cli, "cp", str(notes), "s3://class-files/after.txt")
    s3(cli, "cp", "s3://class-files/after.txt", str(tmp_path / "back.txt"))  # a read: not selected

    assert delivery.deliver(now=clock.now() + timedelta(minutes=1)) == 1
    records = []
    for key in s3_keys(cli):
        downloaded = tmp_path / "log.json.gz"
        s3(cli, "cp", f"s3://{BUCKET}/{key}", str(downloaded))
        records += json.loads(gzip.decompress(downloaded.read_bytes()))["Records"]
    data = [(r["eventName"], r["requestParameters"]["key"]) for r in records if r["eventCategory"] == "Data"]
    assert data == [("PutObject", "after.txt")]
    assert {"StartLogging", "PutEventSelectors", "CreateBucket"} <= {r["eventName"] for r in records}
