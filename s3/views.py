"""S3 console: General purpose buckets (list, Create bucket, Empty, Delete) and the bucket
page with its Objects, Properties and Permissions tabs.

Objects live in ``views_objects``, the Permissions tab's editors in
``views_permissions``; every call goes through ``console.actions.run``."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from console.actions import run
from s3.forms import PERMANENTLY_DELETE, CreateBucketForm, ConfirmForm, region_label
from s3.views_common import aws_time, bucket_url, delete_under, not_found_on
from s3.views_objects import objects_tab
from s3.views_permissions import permissions_tab

TABS = ("objects", "properties", "permissions")
MAX_TAGS = 50


def index(request):
    return redirect("s3:buckets")


@require_GET
def buckets(request):
    """General purpose buckets: every bucket of the account, filtered by name."""
    result, error = run(request, "s3:ListBuckets")
    if error:
        messages.error(request, error.message)
    rows = [
        {
            "name": b["Name"],
            "region": region_label(b.get("BucketRegion")),
            "created": aws_time(b.get("CreationDate")),
        }
        for b in (result or {}).get("Buckets") or []
    ]
    query = request.GET.get("q", "").strip()
    if query:
        rows = [row for row in rows if query.lower() in row["name"].lower()]
    return render(request, "s3/buckets.html", {"rows": rows, "query": query, "denied": error, "nav": "buckets"})


@require_GET
def bucket_actions(request):
    """The buckets table's Empty and Delete buttons act on the bucket chosen by its radio
    button; without one chosen they do nothing, as on AWS."""
    name = request.GET.get("bucket", "")
    if not name:
        messages.info(request, "Choose a bucket first.")
        return redirect("s3:buckets")
    target = "s3:empty-bucket" if request.GET.get("action") == "empty" else "s3:delete-bucket"
    return redirect(target, name=name)


@require_http_methods(["GET", "POST"])
def create_bucket(request):
    """Create bucket: General configuration (AWS Region, Bucket name). The name rules are
    CreateBucket's; its error is shown under the name, as the CLI would print it."""
    form = CreateBucketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["bucket_name"]
        region = form.cleaned_data["region"]
        params = {"Bucket": name}
        # us-east-1 is the one Region S3 wants no LocationConstraint for.
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        _, error = run(request, "s3:CreateBucket", params)
        if not error:
            messages.success(request, f'Successfully created bucket "{name}"')
            return redirect("s3:buckets")
        form.add_error("bucket_name", error.message)
    return render(
        request,
        "s3/create_bucket.html",
        {"form": form, "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )


def _is_empty(request, name):
    """Whether the bucket holds no objects (None when the caller may not list it): the
    Delete page says so before the user tries, as the AWS console does."""
    listing, error = run(request, "s3:ListObjectsV2", {"Bucket": name, "MaxKeys": 1})
    not_found_on(error)
    return None if error else not listing.get("KeyCount")


@require_http_methods(["GET", "POST"])
def delete_bucket(request, name):
    """Delete bucket, after typing the bucket's name, as the AWS console asks."""
    form = ConfirmForm(
        request.POST or None,
        expected=name,
        label="To confirm deletion, enter the name of the bucket in the text input field.",
    )
    not_empty = False
    if request.method == "POST" and form.is_valid():
        _, error = run(request, "s3:DeleteBucket", {"Bucket": name})
        if not error:
            messages.success(request, f'Successfully deleted bucket "{name}".')
            return redirect("s3:buckets")
        not_found_on(error)
        not_empty = error.code == "BucketNotEmpty"
        if not not_empty:
            form.add_error(None, error.message)
    elif request.method == "GET":
        not_empty = _is_empty(request, name) is False
    return render(
        request,
        "s3/delete_bucket.html",
        {"bucket": name, "form": form, "not_empty": not_empty, "nav": "buckets"},
        status=200 if request.method == "GET" else 400,
    )


@require_http_methods(["GET", "POST"])
def empty_bucket(request, name):
    """Empty bucket: delete every object, after typing "permanently delete"."""
    form = ConfirmForm(
        request.POST or None,
        expected=PERMANENTLY_DELETE,
        label=f"To confirm deletion, type {PERMANENTLY_DELETE} in the text input field.",
    )
    if request.method == "POST" and form.is_valid():
        deleted, failed, error = delete_under(request, name, "")
        not_found_on(error)
        if error:
            form.add_error(None, error.message)
        else:
            for item in failed:
                messages.error(request, f'{item["Key"]}: {item.get("Message") or item.get("Code")}')
            if failed:
                messages.error(request, f"Failed to delete {len(failed)} objects.")
            else:
                messages.success(request, f'Successfully emptied bucket "{name}".')
            return redirect(bucket_url(name))
    return render(
        request,
        "s3/empty_bucket.html",
        {"bucket": name, "form": form, "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def bucket_detail(request, name):
    """A bucket's page: Objects, Properties and Permissions tabs."""
    tab = request.GET.get("tab", "objects")
    if tab not in TABS:
        tab = "objects"
    context = {"bucket": name, "tab": tab, "nav": "buckets"}
    if tab == "objects":
        context.update(objects_tab(request, name))
    elif tab == "properties":
        context.update(_properties_tab(request, name))
    else:
        context.update(permissions_tab(request, name))
    return render(request, "s3/bucket_detail.html", context)


def _properties_tab(request, name):
    """Bucket overview (AWS Region, ARN, Creation date) and Tags."""
    head, error = run(request, "s3:HeadBucket", {"Bucket": name})
    not_found_on(error)
    # The creation date is ListBuckets' to tell, as on the AWS console.
    listed, list_error = run(request, "s3:ListBuckets", {"Prefix": name})
    created = next((b.get("CreationDate") for b in (listed or {}).get("Buckets") or [] if b["Name"] == name), None)
    tags, tags_error = run(request, "s3:GetBucketTagging", {"Bucket": name})
    if tags_error and tags_error.code == "NoSuchTagSet":
        tags, tags_error = {"TagSet": []}, None
    not_found_on(tags_error)
    return {
        "overview_error": error,
        "region": region_label(head["BucketRegion"]) if head else "-",
        "arn": f"arn:aws:s3:::{name}",
        "created": aws_time(created) if created else "-",
        "tags": (tags or {}).get("TagSet") or [],
        "tags_error": tags_error,
    }


@require_http_methods(["GET", "POST"])
def edit_tags(request, name):
    """Edit bucket tagging: key/value rows; saving an empty set removes the tag set."""
    back = bucket_url(name, "properties")
    if request.method == "POST":
        keys, values = request.POST.getlist("key"), request.POST.getlist("value")
        tags = [{"Key": k.strip(), "Value": v.strip()} for k, v in zip(keys, values) if k.strip() or v.strip()]
        if tags:
            _, error = run(request, "s3:PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}})
        else:
            _, error = run(request, "s3:DeleteBucketTagging", {"Bucket": name})
        not_found_on(error)
        if not error:
            messages.success(request, "Successfully edited bucket tagging.")
            return redirect(back)
        rows, status = tags, 400
    else:
        found, error = run(request, "s3:GetBucketTagging", {"Bucket": name})
        if error and error.code == "NoSuchTagSet":
            found, error = {"TagSet": []}, None
        not_found_on(error)
        rows, status = (found or {}).get("TagSet") or [], 200
    blanks = max(1, min(5, MAX_TAGS - len(rows)))
    return render(
        request,
        "s3/edit_tags.html",
        {"bucket": name, "rows": rows, "blanks": range(blanks), "error": error, "back": back, "nav": "buckets"},
        status=status,
    )
