"""S3 console: a bucket's Objects tab (browse by prefix, pages of ListObjectsV2), Upload,
Create folder, Delete objects, Download, and the object's own page."""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from console.actions import run
from s3.forms import PERMANENTLY_DELETE, ConfirmForm, CreateFolderForm, region_label
from s3.views_common import (
    OBJECTS_PAGE_SIZE,
    aws_time,
    bucket_url,
    delete_keys,
    delete_under,
    not_found_on,
    object_type,
    object_url,
    size_label,
)


def crumbs(bucket, prefix):
    """The breadcrumb of a prefix: the bucket, then each folder down to the current one."""
    trail = [(bucket, bucket_url(bucket))]
    so_far = ""
    for part in [p for p in prefix.split("/") if p != ""]:
        so_far += part + "/"
        trail.append((part, bucket_url(bucket, "objects", so_far)))
    return trail


def objects_tab(request, bucket):
    """Folders (CommonPrefixes) and objects at ``prefix``, one page of ListObjectsV2 with
    the "/" delimiter; the next page follows its continuation token. The search box
    finds objects by prefix within the current folder, as on AWS."""
    prefix = request.GET.get("prefix", "")
    query = request.GET.get("q", "")
    token = request.GET.get("token", "")
    params = {"Bucket": bucket, "Prefix": prefix + query, "Delimiter": "/", "MaxKeys": OBJECTS_PAGE_SIZE}
    if token:
        params["ContinuationToken"] = token
    listing, error = run(request, "s3:ListObjectsV2", params)
    not_found_on(error)
    listing = listing or {}
    folders = [
        {"name": p["Prefix"][len(prefix):], "key": p["Prefix"], "url": bucket_url(bucket, "objects", p["Prefix"])}
        for p in listing.get("CommonPrefixes") or []
    ]
    objects = [
        {
            "name": item["Key"][len(prefix):],
            "key": item["Key"],
            "type": object_type(item["Key"]),
            "last_modified": aws_time(item.get("LastModified")),
            "size": size_label(item.get("Size")),
            "storage_class": "Standard",
            "url": object_url(bucket, item["Key"]),
        }
        for item in listing.get("Contents") or []
        # The folder's own zero-byte "name/" object is the folder, not an entry in it.
        if item["Key"] != prefix
    ]
    next_url = None
    if listing.get("IsTruncated") and listing.get("NextContinuationToken"):
        query_string = {"tab": "objects", "prefix": prefix, "q": query, "token": listing["NextContinuationToken"]}
        next_url = "?" + urlencode({k: v for k, v in query_string.items() if v})
    first_url = None
    if token:
        first_url = "?" + urlencode({k: v for k, v in {"tab": "objects", "prefix": prefix, "q": query}.items() if v})
    return {
        "prefix": prefix,
        "query": query,
        "folders": folders,
        "objects": objects,
        "count": len(folders) + len(objects),
        "objects_error": error,
        "next_url": next_url,
        "first_url": first_url,
        "crumbs": crumbs(bucket, prefix),
        "s3_uri": f"s3://{bucket}/{prefix}",
    }


@require_http_methods(["GET", "POST"])
def upload(request, bucket):
    """Upload: one PutObject per chosen file, to the current folder, each file streamed
    from Django's upload (a temporary file when large) in chunks, never read whole. The
    result is AWS's "Upload: status" page, file by file."""
    prefix = request.POST.get("prefix", request.GET.get("prefix", ""))
    files = request.FILES.getlist("files") if request.method == "POST" else []
    if request.method == "POST" and files:
        rows = []
        for uploaded in files:
            params = {"Bucket": bucket, "Key": prefix + uploaded.name, "Body": uploaded.chunks()}
            if uploaded.content_type:
                params["ContentType"] = uploaded.content_type
            _, error = run(request, "s3:PutObject", params)
            rows.append(
                {
                    "name": uploaded.name,
                    "type": uploaded.content_type or "-",
                    "size": size_label(uploaded.size),
                    "bytes": uploaded.size,
                    "error": error.message if error else "",
                    "code": error.code if error else "",
                }
            )
        succeeded = [row for row in rows if not row["error"]]
        failed = [row for row in rows if row["error"]]
        if failed:
            scope = " for some files" if succeeded else ""
            messages.error(request, f"Upload failed{scope}. View details below.")
            for message in dict.fromkeys(row["error"] for row in failed):
                messages.error(request, message)
        else:
            messages.success(request, "Upload succeeded. View details below.")
        return render(
            request,
            "s3/upload_status.html",
            {
                "bucket": bucket,
                "prefix": prefix,
                "rows": rows,
                "succeeded": _summary(succeeded),
                "failed": _summary(failed),
                "back": bucket_url(bucket, "objects", prefix),
                "nav": "buckets",
            },
            status=200 if succeeded else 403 if all(row["code"] == "AccessDenied" for row in failed) else 400,
        )
    return render(
        request,
        "s3/upload.html",
        {
            "bucket": bucket,
            "prefix": prefix,
            "destination": f"s3://{bucket}/{prefix}",
            "no_files": request.method == "POST",
            "crumbs": crumbs(bucket, prefix),
            "back": bucket_url(bucket, "objects", prefix),
            "nav": "buckets",
        },
        status=400 if request.method == "POST" else 200,
    )


def _summary(rows):
    count = len(rows)
    return f"{count} file{'' if count == 1 else 's'}, {size_label(sum(row['bytes'] for row in rows))}"


@require_http_methods(["GET", "POST"])
def create_folder(request, bucket):
    """Create folder: a zero-byte object named "name/", which is what a folder is in S3."""
    prefix = request.POST.get("prefix", request.GET.get("prefix", ""))
    form = CreateFolderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["folder_name"]
        _, error = run(request, "s3:PutObject", {"Bucket": bucket, "Key": f"{prefix}{name}/", "Body": b""})
        not_found_on(error)
        if not error:
            messages.success(request, f'Successfully created folder "{name}".')
            return redirect(bucket_url(bucket, "objects", prefix))
        form.add_error("folder_name", error.message)
    return render(
        request,
        "s3/create_folder.html",
        {
            "bucket": bucket,
            "prefix": prefix,
            "form": form,
            "crumbs": crumbs(bucket, prefix),
            "back": bucket_url(bucket, "objects", prefix),
            "nav": "buckets",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def delete_objects(request, bucket):
    """Delete objects: the chosen objects and folders (everything under a folder), after
    typing "permanently delete", as the AWS console asks."""
    source = request.POST if request.method == "POST" else request.GET
    keys = [key for key in dict.fromkeys(source.getlist("key")) if key]
    prefix = source.get("prefix", "")
    back = bucket_url(bucket, "objects", prefix)
    if not keys:
        messages.info(request, "Choose the objects to delete first.")
        return redirect(back)
    form = ConfirmForm(
        request.POST or None,
        expected=PERMANENTLY_DELETE,
        label=f"To confirm deletion, type {PERMANENTLY_DELETE} in the text input field.",
    )
    if request.method == "POST" and form.is_valid():
        folders = [key for key in keys if key.endswith("/")]
        deleted, failed, error = delete_keys(request, bucket, [key for key in keys if not key.endswith("/")])
        for folder in folders:
            if error:
                break
            more, more_failed, error = delete_under(request, bucket, folder)
            deleted += more
            failed += more_failed
        not_found_on(error)
        if error:
            messages.error(request, error.message)
        for item in failed:
            messages.error(request, f'Failed to delete {item["Key"]}: {item.get("Message") or item.get("Code")}')
        if deleted and not failed and not error:
            messages.success(request, f"Successfully deleted {len(deleted)} object{'' if len(deleted) == 1 else 's'}.")
        return redirect(back)
    rows = [{"key": key, "type": "Folder" if key.endswith("/") else object_type(key)} for key in keys]
    return render(
        request,
        "s3/delete_objects.html",
        {"bucket": bucket, "prefix": prefix, "rows": rows, "form": form, "back": back, "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def download(request, bucket):
    """Download: GetObject's bytes streamed straight to the browser as an attachment."""
    keys = [key for key in request.GET.getlist("key") if key and not key.endswith("/")]
    if len(keys) != 1:
        # The objects table's Download button: one object (not a folder) at a time.
        messages.info(request, "Choose one object to download.")
        return redirect(bucket_url(bucket, "objects", request.GET.get("prefix", "")))
    key = keys[0]
    result, error = run(request, "s3:GetObject", {"Bucket": bucket, "Key": key})
    not_found_on(error)
    if error:
        messages.error(request, error.message)
        return redirect(object_url(bucket, key))
    # StreamingHttpResponse closes the body (and its file) when the response is done.
    response = StreamingHttpResponse(result["Body"], content_type=result.get("ContentType") or "binary/octet-stream")
    response["Content-Length"] = str(result["ContentLength"])
    response["Content-Disposition"] = content_disposition_header(True, key.rstrip("/").rsplit("/", 1)[-1] or "download")
    response["ETag"] = result.get("ETag", "")
    return response


@require_GET
def object_detail(request, bucket):
    """An object's page: Object overview (Owner, Region, Last modified, Size, Type, Key,
    S3 URI, ARN, Entity tag, Object URL) and Download."""
    key = request.GET.get("key", "")
    head, error = run(request, "s3:HeadObject", {"Bucket": bucket, "Key": key})
    not_found_on(error)
    context = {
        "bucket": bucket,
        "key": key,
        "name": key.rstrip("/").rsplit("/", 1)[-1],
        "error": error,
        "crumbs": crumbs(bucket, key.rsplit("/", 1)[0] + "/" if "/" in key else ""),
        "nav": "buckets",
        "s3_uri": f"s3://{bucket}/{key}",
        "arn": f"arn:aws:s3:::{bucket}/{key}",
        # The lab serves S3 path-style on the console's own host: this URL really fetches
        # the object (anonymously, so only when a policy or ACL makes it public).
        "object_url": request.build_absolute_uri(f"/{quote(bucket)}/{quote(key, safe='/')}"),
        "download_url": reverse("s3:download", args=[bucket]) + "?" + urlencode({"key": key}),
    }
    if head:
        location, _ = run(request, "s3:GetBucketLocation", {"Bucket": bucket})
        acl, _ = run(request, "s3:GetObjectAcl", {"Bucket": bucket, "Key": key})
        context.update(
            {
                "owner": (acl or {}).get("Owner", {}).get("ID") or "-",
                "region": region_label(location.get("LocationConstraint") or "us-east-1") if location else "-",
                "last_modified": aws_time(head.get("LastModified")),
                "size": size_label(head.get("ContentLength")),
                "type": object_type(key),
                "etag": (head.get("ETag") or "").strip('"'),
                "content_type": head.get("ContentType") or "-",
            }
        )
    status = 200 if head else 403 if error.code == "AccessDenied" else 400
    return render(request, "s3/object_detail.html", context, status=status)
