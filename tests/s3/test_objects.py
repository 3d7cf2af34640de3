"""S3 objects and multipart uploads through the dispatcher: what S3 answers, in its words,
and that a refused call leaves nothing behind."""

import base64
import hashlib
import os
import stat

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AWSError
from s3.models import MultipartUpload, Object, Part
from s3.storage import INLINE_MAX, blob_path
from tests.iam.helpers import document
from tests.trail.test_trails import log_data_events

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024


@pytest.fixture
def bucket(alice):
    dispatch(alice, "s3:CreateBucket", {"Bucket": "class-files"})
    return "class-files"


def put(ctx, key, body=b"x", **extra):
    return dispatch(ctx, "s3:PutObject", {"Bucket": "class-files", "Key": key, "Body": body, **extra})


def error_of(ctx, action, params):
    with pytest.raises(AWSError) as caught:
        dispatch(ctx, action, params)
    return caught.value


def keys(result):
    return [item["Key"] for item in result.get("Contents") or []]


def prefixes(result):
    return [item["Prefix"] for item in result.get("CommonPrefixes") or []]


@pytest.fixture
def fresh_var(settings, var_dir, tmp_path):
    """A var dir of the test's own, whose blob files are all the test's."""
    settings.VAR_DIR = tmp_path
    return settings


def blobs_on_disk(settings):
    return sorted(path.name for path in (settings.VAR_DIR / "s3" / "blobs").glob("*/*"))


def test_put_get_overwrite_and_delete(alice, bucket, django_capture_on_commit_callbacks):
    large = os.urandom(INLINE_MAX + 1)
    first = put(alice, "notes.txt", large)
    assert first["ETag"] == '"%s"' % hashlib.md5(large).hexdigest()
    old_blob = Object.objects.get().blob
    with django_capture_on_commit_callbacks(execute=True):
        put(alice, "notes.txt", b"two", ContentType="text/plain", Metadata={"Author": "alice"})
    got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "notes.txt"})
    assert got["Body"].read_all() == b"two"
    assert (got["ContentType"], got["Metadata"], got["ContentLength"]) == ("text/plain", {"author": "alice"}, 3)
    assert not blob_path(old_blob).exists()  # the replaced bytes are gone once the overwrite committed
    dispatch(alice, "s3:DeleteObject", {"Bucket": bucket, "Key": "notes.txt"})
    dispatch(alice, "s3:DeleteObject", {"Bucket": bucket, "Key": "notes.txt"})  # idempotent, as S3
    assert not Object.objects.exists()


def test_a_small_object_is_kept_in_its_row_and_a_larger_one_in_a_file(alice, bucket, fresh_var):
    small, edge, larger = os.urandom(10), os.urandom(INLINE_MAX), os.urandom(INLINE_MAX + 1)
    put(alice, "small", small)
    put(alice, "edge", edge)
    # Pieces as a stream brings them: the one that outgrows a row moves what came before
    # it to the file.
    put(alice, "larger", iter([larger[:100], larger[100:INLINE_MAX - 1], larger[INLINE_MAX - 1:]]))
    stored = {obj.key: obj for obj in Object.objects.all()}
    assert (stored["small"].blob, bytes(stored["small"].inline)) == ("", small)
    assert (stored["edge"].blob, bytes(stored["edge"].inline)) == ("", edge)
    assert stored["larger"].inline is None and blobs_on_disk(fresh_var) == [stored["larger"].blob]
    for key, body in (("small", small), ("edge", edge), ("larger", larger)):
        got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": key})
        assert (got["Body"].read_all(), got["ContentLength"], got["ETag"]) == (
            body, len(body), '"%s"' % hashlib.md5(body).hexdigest())
        ranged = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": key, "Range": "bytes=2-5"})
        assert b"".join(ranged["Body"]) == body[2:6] and ranged["ContentRange"] == f"bytes 2-5/{len(body)}"
        assert dispatch(alice, "s3:HeadObject", {"Bucket": bucket, "Key": key})["ContentLength"] == len(body)
    empty = put(alice, "empty", b"")
    assert empty["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "empty"})["Body"].read_all() == b""


def test_an_overwrite_moves_bytes_between_row_and_file(alice, bucket, fresh_var, django_capture_on_commit_callbacks):
    larger = os.urandom(INLINE_MAX + 1)
    with django_capture_on_commit_callbacks(execute=True):
        put(alice, "k", b"small")
        put(alice, "k", larger)
    assert Object.objects.get().inline is None and len(blobs_on_disk(fresh_var)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        put(alice, "k", b"small again")
    assert bytes(Object.objects.get().inline) == b"small again" and blobs_on_disk(fresh_var) == []
    assert dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "k"})["Body"].read_all() == b"small again"


@pytest.mark.parametrize("size", [10, INLINE_MAX + 1], ids=["inline", "file"])
def test_a_refused_upload_leaves_nothing_behind(alice, bucket, fresh_var, size):
    wrong_md5 = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    error = error_of(alice, "s3:PutObject", {"Bucket": bucket, "Key": "k", "Body": os.urandom(size),
                                             "ContentMD5": wrong_md5})
    assert error.code == "BadDigest" and not Object.objects.exists()
    assert [p for p in (fresh_var.VAR_DIR / "s3").rglob("*") if p.is_file()] == []


def test_a_listing_reads_no_objects_bytes(alice, bucket, django_assert_num_queries):
    put(alice, "a", b"inline bytes")
    with django_assert_num_queries(4) as captured:  # every statement the call makes
        listed = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket})
    assert keys(listed) == ["a"]
    assert not [q["sql"] for q in captured.captured_queries if "inline" in q["sql"] and "SELECT" in q["sql"]]


def test_an_objects_bytes_are_readable_by_the_server_alone(alice, bucket):
    put(alice, "private.txt", b"the users' own" * INLINE_MAX)
    assert stat.S_IMODE(os.stat(blob_path(Object.objects.get().blob)).st_mode) == 0o600


def test_bytes_the_file_system_takes_in_part_are_all_written(alice, bucket, monkeypatch):
    import s3.storage

    real_write = os.write
    monkeypatch.setattr(s3.storage.os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    body = bytes(range(256)) * 40
    put(alice, "partial-writes.bin", body)
    monkeypatch.undo()
    got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "partial-writes.bin"})
    assert got["Body"].read_all() == body


def test_delete_bucket_refuses_while_objects_remain(alice, bucket):
    put(alice, "keep")
    error = error_of(alice, "s3:DeleteBucket", {"Bucket": bucket})
    assert (error.code, error.message, error.status) == (
        "BucketNotEmpty", "The bucket you tried to delete is not empty", 409
    )


def test_list_objects_in_byte_order_with_prefixes_markers_and_pages(alice, bucket):
    for key in ["a/1", "a/2", "a/b/3", "B", "b", "é", "z/9", "zz"]:
        put(alice, key)
    listed = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket})
    assert keys(listed) == ["B", "a/1", "a/2", "a/b/3", "b", "z/9", "zz", "é"]  # UTF-8 byte order
    top = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/"})
    assert keys(top) == ["B", "b", "zz", "é"] and prefixes(top) == ["a/", "z/"] and top["KeyCount"] == 6
    inside = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Prefix": "a/", "Delimiter": "/"})
    assert keys(inside) == ["a/1", "a/2"] and prefixes(inside) == ["a/b/"]
    page = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 2})
    assert page["IsTruncated"] and keys(page) == ["B"] and prefixes(page) == ["a/"]
    rest = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/", "ContinuationToken": page["NextContinuationToken"]})
    assert keys(rest) == ["b", "zz", "é"] and prefixes(rest) == ["z/"] and not rest["IsTruncated"]
    v1 = dispatch(alice, "s3:ListObjects", {"Bucket": bucket, "Marker": "a/2", "MaxKeys": 2})
    assert keys(v1) == ["a/b/3", "b"] and v1["IsTruncated"] and "NextMarker" not in v1
    after = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "StartAfter": "a/1", "Delimiter": "/"})
    assert prefixes(after) == ["z/"] and keys(after)[0] == "b"  # a/ was already passed
    encoded = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Prefix": "é", "EncodingType": "url"})
    assert keys(encoded) == ["%C3%A9"]
    assert error_of(alice, "s3:ListObjectsV2", {"Bucket": bucket, "ContinuationToken": "%%%"}).code == "InvalidArgument"


@pytest.mark.parametrize("size", [3, INLINE_MAX + 1], ids=["inline", "file"])
def test_a_copy_keeps_its_bytes_when_the_source_goes(alice, bucket, size, django_capture_on_commit_callbacks):
    body = os.urandom(size)
    put(alice, "src", body)
    dispatch(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "dst", "CopySource": "class-files/src"})
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(alice, "s3:DeleteObject", {"Bucket": bucket, "Key": "src"})
    assert dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "dst"})["Body"].read_all() == body


def test_copy_object_and_its_rules(alice, bucket):
    put(alice, "src", b"payload", ContentType="text/plain", Metadata={"a": "1"})
    dispatch(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "dst", "CopySource": "class-files/src"})
    copied = Object.objects.get(key="dst")
    assert (copied.content_type, copied.metadata, copied.etag) == ("text/plain", {"a": "1"}, Object.objects.get(key="src").etag)
    error = error_of(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "src", "CopySource": "/class-files/src"})
    assert error.code == "InvalidRequest" and "copy an object to itself" in error.message
    dispatch(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "src", "CopySource": "class-files/src",
                                      "MetadataDirective": "REPLACE", "ContentType": "text/csv"})
    assert Object.objects.get(key="src").content_type == "text/csv"
    dispatch(alice, "s3:DeleteObject", {"Bucket": bucket, "Key": "src"})
    got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "dst"})
    assert got["Body"].read_all() == b"payload"  # the copy keeps its bytes when the source goes
    assert error_of(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "x", "CopySource": "class-files/src"}).code == "NoSuchKey"
    assert error_of(alice, "s3:CopyObject", {"Bucket": bucket, "Key": "x", "CopySource": "nokey"}).code == "InvalidArgument"


def test_conditional_write_refuses_to_overwrite(alice, bucket):
    put(alice, "once", IfNoneMatch="*")
    error = error_of(alice, "s3:PutObject", {"Bucket": bucket, "Key": "once", "Body": b"again", "IfNoneMatch": "*"})
    assert (error.code, error.status) == ("PreconditionFailed", 412)
    got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "once"})
    assert got["Body"].read_all() == b"x"


def test_missing_key_is_403_for_a_caller_who_may_not_list(alice, bob, bob_ctx, bucket):
    policy = document({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::class-files/*"})
    dispatch(alice, "iam:PutUserPolicy", {"UserName": "bob", "PolicyName": "read", "PolicyDocument": policy})
    error = error_of(bob_ctx, "s3:GetObject", {"Bucket": bucket, "Key": "nothing-here"})
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error_of(alice, "s3:GetObject", {"Bucket": bucket, "Key": "nothing-here"}).code == "NoSuchKey"


def start(ctx, key="big"):
    return dispatch(ctx, "s3:CreateMultipartUpload", {"Bucket": "class-files", "Key": key})["UploadId"]


def part(ctx, upload_id, number, body, key="big"):
    return dispatch(ctx, "s3:UploadPart", {"Bucket": "class-files", "Key": key, "UploadId": upload_id,
                                           "PartNumber": number, "Body": body})["ETag"]


def complete(ctx, upload_id, parts, key="big"):
    return dispatch(ctx, "s3:CompleteMultipartUpload", {
        "Bucket": "class-files", "Key": key, "UploadId": upload_id,
        "MultipartUpload": {"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
    })


def test_multipart_upload_end_to_end(alice, bucket):
    upload_id = start(alice)
    one, two = b"1" * (5 * MIB), b"2" * 100
    etag1, etag2 = part(alice, upload_id, 1, one), part(alice, upload_id, 2, two)
    listed = dispatch(alice, "s3:ListParts", {"Bucket": bucket, "Key": "big", "UploadId": upload_id, "MaxParts": 1})
    assert [p["PartNumber"] for p in listed["Parts"]] == [1] and listed["NextPartNumberMarker"] == 1
    uploads = dispatch(alice, "s3:ListMultipartUploads", {"Bucket": bucket})
    assert [u["UploadId"] for u in uploads["Uploads"]] == [upload_id]
    done = complete(alice, upload_id, [(1, etag1), (2, etag2)])
    digest = hashlib.md5(hashlib.md5(one).digest() + hashlib.md5(two).digest()).hexdigest()
    assert done["ETag"] == f'"{digest}-2"'
    got = dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "big", "Range": "bytes=5242878-5242881"})
    assert got["Body"].read_all() == b"1122"
    assert not MultipartUpload.objects.exists() and not Part.objects.exists()
    assert error_of(alice, "s3:UploadPart", {"Bucket": bucket, "Key": "big", "UploadId": upload_id, "PartNumber": 1,
                                             "Body": b"late"}).code == "NoSuchUpload"


def test_a_small_upload_in_one_part_is_kept_in_its_row(alice, bucket, fresh_var):
    upload_id = start(alice)
    etag = part(alice, upload_id, 1, b"just this")
    assert bytes(Part.objects.get().inline) == b"just this" and blobs_on_disk(fresh_var) == []
    done = complete(alice, upload_id, [(1, etag)])
    assert done["ETag"] == '"%s-1"' % hashlib.md5(hashlib.md5(b"just this").digest()).hexdigest()
    assert bytes(Object.objects.get(key="big").inline) == b"just this" and blobs_on_disk(fresh_var) == []
    assert dispatch(alice, "s3:GetObject", {"Bucket": bucket, "Key": "big"})["Body"].read_all() == b"just this"


def test_multipart_refusals(alice, bucket, django_capture_on_commit_callbacks):
    upload_id = start(alice)
    # Parts too small for an upload, yet too large for a row: kept in files.
    small = part(alice, upload_id, 1, b"tiny" * INLINE_MAX)
    last = part(alice, upload_id, 2, b"end" * INLINE_MAX)
    assert error_of(alice, "s3:CompleteMultipartUpload", {
        "Bucket": bucket, "Key": "big", "UploadId": upload_id,
        "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}]},
    }).code == "EntityTooSmall"
    assert error_of(alice, "s3:CompleteMultipartUpload", {
        "Bucket": bucket, "Key": "big", "UploadId": upload_id,
        "MultipartUpload": {"Parts": [{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}]},
    }).code == "InvalidPartOrder"
    assert error_of(alice, "s3:CompleteMultipartUpload", {
        "Bucket": bucket, "Key": "big", "UploadId": upload_id,
        "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": '"00"'}]},
    }).code == "InvalidPart"
    bad_number = error_of(alice, "s3:UploadPart", {"Bucket": bucket, "Key": "big", "UploadId": upload_id,
                                                   "PartNumber": 10001, "Body": b"x"})
    assert bad_number.message == "Part number must be an integer between 1 and 10000, inclusive"
    assert MultipartUpload.objects.count() == 1 and not Object.objects.exists()
    blobs = list(Part.objects.values_list("blob", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(alice, "s3:AbortMultipartUpload", {"Bucket": bucket, "Key": "big", "UploadId": upload_id})
    assert all(blobs) and not Part.objects.exists() and not any(blob_path(b).exists() for b in blobs)
    assert error_of(alice, "s3:AbortMultipartUpload", {"Bucket": bucket, "Key": "big", "UploadId": "nope"}).code == "NoSuchUpload"


def test_object_calls_are_data_events(alice, bucket):
    from trail.models import Event

    put(alice, "unlogged.txt", b"no trail selects it")
    assert not Event.objects.filter(event_name="PutObject").exists()  # as on AWS: no trail, no data event
    log_data_events(alice, f"arn:aws:s3:::{bucket}/")
    put(alice, "secret.txt", b"the bytes themselves")
    event = Event.objects.get(event_name="PutObject")
    assert event.management_event is False
    assert "the bytes themselves" not in str(event.request_parameters)
    assert set(Event.objects.filter(event_name="CreateBucket").values_list("management_event", flat=True)) == {True}


def test_acls_on_upload_follow_object_ownership(alice, charlie, bucket):
    error = error_of(alice, "s3:PutObject", {"Bucket": bucket, "Key": "k", "Body": b"x", "ACL": "public-read"})
    assert (error.code, error.message) == ("AccessControlListNotSupported", "The bucket does not allow ACLs")
    put(alice, "k", ACL="bucket-owner-full-control")  # accepted even with ACLs disabled
    dispatch(alice, "s3:CreateBucket", {"Bucket": "acl-bucket", "ObjectOwnership": "ObjectWriter"})
    dispatch(alice, "s3:DeletePublicAccessBlock", {"Bucket": "acl-bucket"})
    dispatch(alice, "s3:PutObject", {"Bucket": "acl-bucket", "Key": "pub", "Body": b"x", "ACL": "public-read"})
    grants = dispatch(alice, "s3:GetObjectAcl", {"Bucket": "acl-bucket", "Key": "pub"})["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [g["Grantee"] for g in grants]
    error = error_of(alice, "s3:CreateBucket", {"Bucket": "no-acls", "ACL": "public-read"})
    assert error.code == "InvalidBucketAclWithObjectOwnership"
    assert not Object.objects.filter(key="pub", bucket__name="no-acls").exists()
    error = error_of(alice, "s3:CreateBucket", {"Bucket": "bad-own", "ObjectOwnership": "Nobody"})
    assert error.code == "InvalidArgument"


def test_a_folder_longer_than_a_batch_is_one_entry(alice, bucket, django_assert_max_num_queries):
    from s3.models import Bucket

    found = Bucket.objects.get(name=bucket)
    Object.objects.bulk_create([
        Object(bucket=found, key=f"a/{n:03}", size=0, etag="d41d8cd98f00b204e9800998ecf8427e", last_modified=found.create_date,
               owner_account_id="111122223333", blob="none")
        for n in range(130)
    ] + [Object(bucket=found, key=k, size=0, etag="e", last_modified=found.create_date, owner_account_id="111122223333",
                blob="none") for k in ("b/1", "b/2", "c")])
    with django_assert_max_num_queries(8):
        listed = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 3})
    assert prefixes(listed) == ["a/", "b/"] and keys(listed) == ["c"] and not listed["IsTruncated"]
    first = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 1})
    assert prefixes(first) == ["a/"] and first["IsTruncated"]
    rest = dispatch(alice, "s3:ListObjectsV2", {"Bucket": bucket, "Delimiter": "/",
                                                "ContinuationToken": first["NextContinuationToken"]})
    assert prefixes(rest) == ["b/"] and keys(rest) == ["c"]
