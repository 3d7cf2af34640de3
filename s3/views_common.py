"""What the S3 console pages share: AWS's ways of printing times, sizes and Regions, the
bucket page's URLs, and the walk over every key under a prefix that "Empty" and deleting
a folder both make.

Every read and write goes through ``console.actions.run`` (the dispatcher), so a page
shows exactly what the principal may see and AWS's own error text when it may not."""

from datetime import timezone
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse

from console.actions import run

# What the console asks ListObjectsV2 for per page of the Objects tab.
OBJECTS_PAGE_SIZE = 100
# DeleteObjects takes at most 1,000 keys.
DELETE_BATCH = 1000


def aws_time(value):
    """``November 29, 2026, 15:12:07 (UTC+00:00)``, as the S3 console prints times."""
    if value is None:
        return "-"
    value = value.astimezone(timezone.utc)
    return f"{value:%B} {value.day}, {value:%Y, %H:%M:%S} (UTC+00:00)"


def size_label(size):
    """``6.0 MB``: the S3 console's sizes, in powers of 1,024 with one decimal."""
    if not size:
        return "0 B"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # not reached


def object_type(key):
    """The Type column: the file name's extension, "-" without one."""
    name = key.rstrip("/").rsplit("/", 1)[-1]
    if "." not in name.strip("."):
        return "-"
    return name.rsplit(".", 1)[-1] or "-"


def bucket_url(name, tab="objects", prefix=""):
    query = {"tab": tab}
    if prefix:
        query["prefix"] = prefix
    return reverse("s3:bucket-detail", args=[name]) + "?" + urlencode(query)


def object_url(bucket, key):
    return reverse("s3:object-detail", args=[bucket]) + "?" + urlencode({"key": key})


def not_found_on(error):
    """A bucket or key that does not exist is the console's 404 page, as on AWS."""
    if error is not None and error.code in ("NoSuchBucket", "NoSuchKey"):
        raise Http404(error.message)


def delete_under(request, bucket, prefix):
    """Delete every object whose key starts with ``prefix`` ("" = the whole bucket), a
    page of ListObjectsV2 then one DeleteObjects at a time, as the console's "Empty" and
    folder deletion do. Returns (deleted keys, per-key errors, error that stopped it)."""
    deleted, failed = [], []
    params = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": DELETE_BATCH}
    while True:
        listing, error = run(request, "s3:ListObjectsV2", params)
        if error:
            return deleted, failed, error
        keys = [item["Key"] for item in listing.get("Contents") or []]
        if keys:
            done, more_failed, error = delete_keys(request, bucket, keys)
            deleted += done
            failed += more_failed
            if error:
                return deleted, failed, error
        token = listing.get("NextContinuationToken")
        if not listing.get("IsTruncated") or not token:
            return deleted, failed, None
        # The token names the last key listed, so deleting that page does not move it.
        params["ContinuationToken"] = token


def delete_keys(request, bucket, keys):
    """DeleteObjects on ``keys`` in batches of 1,000: (deleted, per-key errors, error)."""
    deleted, failed = [], []
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        result, error = run(
            request, "s3:DeleteObjects", {"Bucket": bucket, "Delete": {"Objects": [{"Key": k} for k in batch]}}
        )
        if error:
            return deleted, failed, error
        deleted += [item["Key"] for item in result.get("Deleted") or []]
        failed += result.get("Errors") or []
    return deleted, failed, None
