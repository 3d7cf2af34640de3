"""How often a PutObject reads its bucket, and what it does when the bucket changes
between its authorization (and the reading of its body) and its transaction."""

import dataclasses

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsapi.dispatch import dispatch, operation_for
from awsapi.errors import AWSError
from s3.models import Bucket, Object
from s3.operations.common import authorized_bucket_named, find_authorized_bucket
from tests.trail.test_trails import log_data_events
from trail.models import Event

pytestmark = pytest.mark.django_db
BUCKET = "class-files"


@pytest.fixture
def bucket(alice):
    dispatch(alice, "s3:CreateBucket", {"Bucket": BUCKET})
    return BUCKET


@pytest.fixture
def between(monkeypatch):
    """``between(f)``: f() runs once, after the next PutObject's body is read and before
    its transaction."""
    spec = operation_for("s3:PutObject").spec

    def install(meanwhile):
        pending = [meanwhile]

        def prepare(ctx, kwargs):
            prepared = spec.prepare(ctx, kwargs)
            while pending:
                pending.pop()()
            return prepared

        monkeypatch.setattr(operation_for("s3:PutObject"), "spec", dataclasses.replace(spec, prepare=prepare))

    return install


def put(ctx, key="notes.txt", body=b"hello"):
    return dispatch(ctx, "s3:PutObject", {"Bucket": BUCKET, "Key": key, "Body": body})


def left_on_disk():
    root = settings.VAR_DIR / "s3"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_put_object_reads_its_bucket_once_and_in_its_transaction_only_its_id(alice, bucket):
    with CaptureQueriesContext(connection) as captured:
        put(alice)
    reads = [q["sql"] for q in captured if "s3_bucket" in q["sql"]]
    assert len(reads) == 2, reads
    assert "JOIN" in reads[0]  # the whole bucket with its account, for authorization
    assert reads[1].startswith('SELECT id FROM s3_bucket WHERE name') or reads[1].startswith(
        'SELECT id FROM "s3_bucket" WHERE name')
    assert Object.objects.get().size == 5


def test_a_bucket_deleted_while_the_body_was_read_takes_nothing(alice, bucket, between):
    log_data_events(alice)
    before = left_on_disk()
    between(lambda: Bucket.objects.filter(name=BUCKET).delete())
    with pytest.raises(AWSError) as caught:
        put(alice)
    assert (caught.value.code, caught.value.status) == ("NoSuchBucket", 404)
    assert not Object.objects.exists()
    assert left_on_disk() == before  # the staged body is gone too
    event = Event.objects.get(event_name="PutObject")
    assert event.error_code == "NoSuchBucket"


def test_a_bucket_deleted_and_created_again_meanwhile_is_not_the_one_authorized(alice, bucket, between):
    def recreate():
        Bucket.objects.filter(name=BUCKET).delete()
        dispatch(alice, "s3:CreateBucket", {"Bucket": BUCKET})

    between(recreate)
    with pytest.raises(AWSError) as caught:
        put(alice)
    assert caught.value.code == "NoSuchBucket"
    assert not Object.objects.exists()
    put(alice)  # the next call is authorized for the new bucket
    assert Object.objects.get().bucket.name == BUCKET


def test_the_bucket_authorization_read_serves_only_its_own_call(alice, bob_ctx, bucket):
    assert authorized_bucket_named(alice, BUCKET).name == BUCKET
    Bucket.objects.filter(name=BUCKET).delete()
    with pytest.raises(AWSError):  # another call reads the bucket afresh
        find_authorized_bucket(bob_ctx, BUCKET)
    authorized_bucket_named(alice, BUCKET)
    with pytest.raises(AWSError):  # a bucket that was missing stays missing
        find_authorized_bucket(alice, BUCKET)
    dispatch(alice, "s3:CreateBucket", {"Bucket": BUCKET})
    authorized_bucket_named(alice, BUCKET)
    assert find_authorized_bucket(alice, BUCKET).name == BUCKET
    Bucket.objects.filter(name=BUCKET).delete()
    with pytest.raises(AWSError):  # taken once: a second look reads again
        find_authorized_bucket(alice, BUCKET)
