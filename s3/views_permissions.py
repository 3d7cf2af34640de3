"""S3 console: a bucket's Permissions tab — Block public access (bucket settings), Bucket
policy, Object Ownership, Access control list (ACL) — and their editors."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from console.actions import run
from s3.acl import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY
from s3.forms import BLOCK_PUBLIC_ACCESS, BlockPublicAccessForm, BucketPolicyForm, ConfirmForm, ObjectOwnershipForm
from s3.views_common import bucket_url, not_found_on

OWNERSHIP_TEXT = {
    "BucketOwnerEnforced": (
        "Bucket owner enforced",
        "ACLs are disabled. All objects in this bucket are owned by this account. Access to this bucket and its "
        "objects is specified using only policies.",
    ),
    "BucketOwnerPreferred": (
        "Bucket owner preferred",
        "ACLs are enabled. If new objects written to this bucket specify the bucket-owner-full-control canned ACL, "
        "they are owned by the bucket owner. Otherwise, they are owned by the object writer.",
    ),
    "ObjectWriter": (
        "Object writer",
        "ACLs are enabled. The object writer remains the object owner.",
    ),
}
ACL_GROUPS = [
    ("Everyone (public access)", ALL_USERS),
    ("Authenticated users group (anyone with an AWS account)", AUTHENTICATED_USERS),
    ("S3 log delivery group", LOG_DELIVERY),
]


def _public_access_block(request, name):
    """The bucket's four settings; none configured means nothing is blocked."""
    found, error = run(request, "s3:GetPublicAccessBlock", {"Bucket": name})
    if error and error.code == "NoSuchPublicAccessBlockConfiguration":
        return {setting: False for setting, _, _ in BLOCK_PUBLIC_ACCESS}, None
    not_found_on(error)
    return (found or {}).get("PublicAccessBlockConfiguration"), error


def _pretty(policy):
    try:
        return json.dumps(json.loads(policy), indent=4)
    except ValueError:
        return policy


def _acl_rows(acl):
    """The console's ACL table: who, what they may do on Objects (List, Write) and on the
    Bucket ACL (Read, Write)."""
    owner = acl["Owner"]["ID"]
    granted = {}
    for grant in acl.get("Grants") or []:
        grantee = grant["Grantee"]
        granted.setdefault(grantee.get("URI") or grantee.get("ID"), set()).add(grant["Permission"])
    grantees = [("Bucket owner (your AWS account)", f"Canonical ID: {owner}", owner)]
    grantees += [(label, f"Group: {uri}", uri) for label, uri in ACL_GROUPS]
    grantees += [("AWS account", f"Canonical ID: {who}", who) for who in granted if who != owner and "://" not in who]
    rows = []
    for label, detail, who in grantees:
        permissions = granted.get(who, set())
        full = "FULL_CONTROL" in permissions
        objects = [word for word, p in (("List", "READ"), ("Write", "WRITE")) if full or p in permissions]
        bucket_acl = [word for word, p in (("Read", "READ_ACP"), ("Write", "WRITE_ACP")) if full or p in permissions]
        rows.append(
            {
                "grantee": label,
                "detail": detail,
                "objects": ", ".join(objects) or "-",
                "acl": ", ".join(bucket_acl) or "-",
            }
        )
    return rows


def permissions_tab(request, name):
    block, block_error = _public_access_block(request, name)
    policy, policy_error = run(request, "s3:GetBucketPolicy", {"Bucket": name})
    if policy_error and policy_error.code == "NoSuchBucketPolicy":
        policy, policy_error = None, None
    not_found_on(policy_error)
    public = False
    if policy:
        status, _ = run(request, "s3:GetBucketPolicyStatus", {"Bucket": name})
        public = bool(status and status["PolicyStatus"]["IsPublic"])
    controls, ownership_error = run(request, "s3:GetBucketOwnershipControls", {"Bucket": name})
    ownership = None
    if controls:
        ownership = controls["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
    elif ownership_error.code == "OwnershipControlsNotFoundError":
        # No ownership controls: the bucket behaves as ObjectWriter, and AWS shows it so.
        ownership, ownership_error = "ObjectWriter", None
    acl, acl_error = run(request, "s3:GetBucketAcl", {"Bucket": name})
    if public:
        access = "Public"
    elif block and not all(block.values()):
        access = "Objects can be public"
    elif block:
        access = "Bucket and objects not public"
    else:
        access = None
    return {
        "block_settings": [(label, bool(block.get(key))) for key, label, _ in BLOCK_PUBLIC_ACCESS] if block else [],
        "block_all": bool(block) and all(block.values()),
        "block_error": block_error,
        "policy": _pretty(policy["Policy"]) if policy else "",
        "policy_error": policy_error,
        "policy_public": public,
        "access": access,
        "ownership": OWNERSHIP_TEXT.get(ownership),
        "ownership_error": ownership_error,
        "acl_rows": _acl_rows(acl) if acl else [],
        "acl_error": acl_error,
        "arn": f"arn:aws:s3:::{name}",
    }


@require_http_methods(["GET", "POST"])
def edit_block_public_access(request, name):
    """Edit Block public access (bucket settings): the four settings, "Block all public
    access" turning them all on, saved after typing "confirm"."""
    if request.method == "POST":
        form = BlockPublicAccessForm(request.POST)
        if form.is_valid():
            params = {"Bucket": name, "PublicAccessBlockConfiguration": form.configuration()}
            _, error = run(request, "s3:PutPublicAccessBlock", params)
            not_found_on(error)
            if not error:
                messages.success(request, "Successfully edited Block Public Access settings for this bucket.")
                return redirect(bucket_url(name, "permissions"))
            form.add_error(None, error.message)
    else:
        block, error = _public_access_block(request, name)
        if error:
            messages.error(request, error.message)
            return redirect(bucket_url(name, "permissions"))
        form = BlockPublicAccessForm(initial={**block, "block_all": all(block.values())})
    fields = [(form[setting], description) for setting, _, description in BLOCK_PUBLIC_ACCESS]
    return render(
        request,
        "s3/edit_block_public_access.html",
        {"bucket": name, "form": form, "fields": fields, "back": bucket_url(name, "permissions"), "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def edit_policy(request, name):
    """Edit bucket policy: the JSON editor. PutBucketPolicy judges the document and its
    message (MalformedPolicy's "Policy has invalid resource", ...) is shown under it."""
    if request.method == "POST":
        form = BucketPolicyForm(request.POST)
        if form.is_valid():
            _, error = run(request, "s3:PutBucketPolicy", {"Bucket": name, "Policy": form.cleaned_data["policy"]})
            not_found_on(error)
            if not error:
                messages.success(request, "Successfully edited bucket policy.")
                return redirect(bucket_url(name, "permissions"))
            form.add_error("policy", error.message)
    else:
        found, error = run(request, "s3:GetBucketPolicy", {"Bucket": name})
        if error and error.code != "NoSuchBucketPolicy":
            not_found_on(error)
            messages.error(request, error.message)
            return redirect(bucket_url(name, "permissions"))
        form = BucketPolicyForm(initial={"policy": _pretty(found["Policy"]) if found else ""})
    return render(
        request,
        "s3/edit_policy.html",
        {
            "bucket": name,
            "form": form,
            "arn": f"arn:aws:s3:::{name}",
            "back": bucket_url(name, "permissions"),
            "nav": "buckets",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def delete_policy(request, name):
    """Delete bucket policy, after typing "delete"."""
    form = ConfirmForm(
        request.POST or None, expected="delete", label="To confirm deletion, enter delete in the text input field."
    )
    if request.method == "POST" and form.is_valid():
        _, error = run(request, "s3:DeleteBucketPolicy", {"Bucket": name})
        not_found_on(error)
        if not error:
            messages.success(request, "Successfully deleted bucket policy.")
            return redirect(bucket_url(name, "permissions"))
        form.add_error(None, error.message)
    return render(
        request,
        "s3/delete_policy.html",
        {"bucket": name, "form": form, "back": bucket_url(name, "permissions"), "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def edit_ownership(request, name):
    """Edit Object Ownership: ACLs disabled (Bucket owner enforced) or enabled (Bucket
    owner preferred, Object writer)."""
    if request.method == "POST":
        form = ObjectOwnershipForm(request.POST)
        if form.is_valid():
            rules = [{"ObjectOwnership": form.cleaned_data["object_ownership"]}]
            params = {"Bucket": name, "OwnershipControls": {"Rules": rules}}
            _, error = run(request, "s3:PutBucketOwnershipControls", params)
            not_found_on(error)
            if not error:
                messages.success(request, "Successfully edited Object Ownership.")
                return redirect(bucket_url(name, "permissions"))
            form.add_error(None, error.message)
    else:
        found, error = run(request, "s3:GetBucketOwnershipControls", {"Bucket": name})
        if error and error.code != "OwnershipControlsNotFoundError":
            not_found_on(error)
            messages.error(request, error.message)
            return redirect(bucket_url(name, "permissions"))
        current = found["OwnershipControls"]["Rules"][0]["ObjectOwnership"] if found else "ObjectWriter"
        form = ObjectOwnershipForm(initial={"object_ownership": current})
    return render(
        request,
        "s3/edit_ownership.html",
        {"bucket": name, "form": form, "back": bucket_url(name, "permissions"), "nav": "buckets"},
        status=400 if request.method == "POST" else 200,
    )
