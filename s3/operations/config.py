"""S3 actions that configure a bucket: its policy, ACLs (and objects' ACLs), Block
Public Access, Object Ownership and tags. One function each, named after the action.

New buckets are as AWS makes them since April 2023: all four Block Public Access
settings on and ACLs disabled (BucketOwnerEnforced), so making anything public takes
DeletePublicAccessBlock (or PutPublicAccessBlock) first, and an ACL takes
PutBucketOwnershipControls first."""

from s3 import acl as acls
from s3.access import MalformedPolicy, is_public_policy, validate_bucket_policy
from s3.errors import S3Error, access_denied, no_such_key
from s3.models import Object
from s3.operations.common import bucket_arn, find_bucket, object_arn, s3_operation

OWNERSHIP_VALUES = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")
PUBLIC_ACCESS_BLOCK_MEMBERS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
MAX_TAGS = 50
TAG_PUNCTUATION = frozenset(" _.:/=+-@")


def _bucket(ctx, name, expected_bucket_owner=None, *, for_update=False):
    bucket = find_bucket(name, for_update=for_update)
    # x-amz-expected-bucket-owner: a request meant for someone else's bucket fails.
    if expected_bucket_owner and expected_bucket_owner != bucket.account.account_id:
        raise access_denied()
    return bucket


def _owner_only(ctx, bucket, method):
    """Bucket policy actions belong to the owner's account: "If you have the correct
    permissions, but you're not using an identity that belongs to the bucket owner's
    account, Amazon S3 returns a 405 Method Not Allowed error." """
    if ctx.principal.account_id != bucket.account.account_id:
        error = S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        error.details = {"Method": method, "ResourceType": "BUCKETPOLICY"}
        raise error


def _blocked(ctx, action, resource, reason):
    """A request Block Public Access refuses. Within the owner's account AWS says why
    (its enhanced AccessDenied message); elsewhere only "Access Denied"."""
    principal = ctx.principal
    if principal.is_anonymous or not principal.arn:
        return access_denied()
    message = f'User: {principal.arn} is not authorized to perform: {action} on resource: "{resource}" because {reason}'
    return S3Error("AccessDenied", message, 403)


POLICY_BLOCKED = "public policies are blocked by the BlockPublicPolicy block public access setting."
ACLS_BLOCKED = "public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting."


def _acl_params(acl, access_control_policy, grants):
    params = {"ACL": acl, "AccessControlPolicy": access_control_policy}
    params.update(grants)
    return params


def _grant_kwargs(grant_full_control, grant_read, grant_read_acp, grant_write, grant_write_acp):
    return {
        "GrantFullControl": grant_full_control,
        "GrantRead": grant_read,
        "GrantReadACP": grant_read_acp,
        "GrantWrite": grant_write,
        "GrantWriteACP": grant_write_acp,
    }


def _acls_enabled(bucket):
    return bucket.object_ownership != "BucketOwnerEnforced"


def _accepted_when_enforced(params, grants, owner_account_id):
    return params.get("ACL") in acls.ENFORCED_ACCEPTS or acls.only_owner_full_control(grants, owner_account_id)


def _check_new_acl(ctx, bucket, params, grants, owner_account_id, action, resource, *, ownership_first):
    """Block Public Access and Object Ownership on an ACL being set. PutObject reports a
    bucket without ACLs first; PutBucketAcl/PutObjectAcl report a public ACL first."""

    def ownership():
        if not _acls_enabled(bucket) and not _accepted_when_enforced(params, grants, owner_account_id):
            raise S3Error(*acls.ACL_NOT_SUPPORTED)

    if ownership_first:
        ownership()
    if (bucket.public_access_block or {}).get("BlockPublicAcls") and acls.is_public(grants):
        raise _blocked(ctx, action, resource, ACLS_BLOCKED)
    ownership()


def _stored(bucket, grants, owner_account_id):
    # With ACLs disabled, or when the ACL is the default one, nothing needs storing.
    if not _acls_enabled(bucket) or acls.only_owner_full_control(grants, owner_account_id):
        return None
    return grants


# --- helpers for PutObject, CopyObject, CreateMultipartUpload --------------------------


def check_acl_allowed(bucket, acl_headers, ctx=None, owner_account_id=None):
    """Refuse an upload's ACL (``acl_headers``: the request's ACL and Grant* members) as
    S3 does: AccessControlListNotSupported when the bucket has ACLs disabled, AccessDenied
    when Block Public Access blocks public ACLs."""
    owner_account_id = owner_account_id or (ctx.principal.account_id if ctx else bucket.account.account_id)
    grants = acls.grants_from_request(acl_headers, owner_account_id, bucket.account.account_id, required=False)
    if grants is None:
        return
    resource = f"{bucket.arn}/{acl_headers.get('Key') or ''}"
    if ctx is None:
        if not _acls_enabled(bucket) and not _accepted_when_enforced(acl_headers, grants, owner_account_id):
            raise S3Error(*acls.ACL_NOT_SUPPORTED)
        if (bucket.public_access_block or {}).get("BlockPublicAcls") and acls.is_public(grants):
            raise access_denied()
        return
    _check_new_acl(ctx, bucket, acl_headers, grants, owner_account_id, "s3:PutObject", resource, ownership_first=True)


def object_acl_from_request(bucket, owner_account_id, params, ctx=None):
    """The ACL to store on a new object (``Object.acl``) from an upload's ACL and
    Grant* members, after ``check_acl_allowed``; None for the default ACL."""
    check_acl_allowed(bucket, params, ctx, owner_account_id)
    grants = acls.grants_from_request(params, owner_account_id, bucket.account.account_id, required=False)
    if grants is None:
        return None
    return _stored(bucket, grants, owner_account_id)


def object_owner_for(bucket, writer_account_id, params=None):
    """Who owns an object a writer uploads ("Controlling ownership of objects"): the
    bucket owner under BucketOwnerEnforced, or under BucketOwnerPreferred when the
    upload grants it bucket-owner-full-control; the writer otherwise."""
    if bucket.object_ownership == "BucketOwnerEnforced":
        return bucket.account.account_id
    if bucket.object_ownership == "BucketOwnerPreferred" and (params or {}).get("ACL") == "bucket-owner-full-control":
        return bucket.account.account_id
    return writer_account_id


def apply_creation_acl(ctx, bucket, params):
    """CreateBucket's x-amz-acl / x-amz-grant-* on the new bucket: refused under
    BucketOwnerEnforced unless it grants the owner alone, and by Block Public Access."""
    owner = bucket.account.account_id
    grants = acls.grants_from_request(params, owner, required=False)
    if grants is None:
        return
    if not _acls_enabled(bucket) and not _accepted_when_enforced(params, grants, owner):
        raise S3Error(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            400,
        )
    _check_new_acl(ctx, bucket, params, grants, owner, "s3:PutBucketAcl", bucket.arn, ownership_first=False)
    bucket.acl = _stored(bucket, grants, owner)
    bucket.save(update_fields=["acl"])


# --- bucket policy ------------------------------------------------------------------------


def _no_such_bucket_policy(bucket):
    return S3Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, bucket)


@s3_operation("s3:GetBucketPolicy", resource=bucket_arn, read_only=True)
def get_bucket_policy(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketPolicy: the policy as it was put."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    _owner_only(ctx, found, "GET")
    if not found.policy:
        raise _no_such_bucket_policy(found.name)
    return {"Policy": found.policy}


@s3_operation("s3:PutBucketPolicy", resource=bucket_arn)
def put_bucket_policy(
    ctx, bucket=None, policy=None, confirm_remove_self_bucket_access=None, expected_bucket_owner=None, **_integrity
):
    """PutBucketPolicy: validated as S3 does; refused while BlockPublicPolicy is on if
    it is public."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    _owner_only(ctx, found, "PUT")
    try:
        validate_bucket_policy(policy, found.name)
    except MalformedPolicy as error:
        raise S3Error(error.code, error.message, 400) from None
    if (found.public_access_block or {}).get("BlockPublicPolicy") and is_public_policy(policy):
        raise _blocked(ctx, "s3:PutBucketPolicy", found.arn, POLICY_BLOCKED)
    found.policy = policy
    found.save(update_fields=["policy"])
    return {}


@s3_operation("s3:DeleteBucketPolicy", resource=bucket_arn)
def delete_bucket_policy(ctx, bucket=None, expected_bucket_owner=None):
    """DeleteBucketPolicy: succeeds whether or not there was one, as on AWS."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    _owner_only(ctx, found, "DELETE")
    found.policy = ""
    found.save(update_fields=["policy"])
    return {}


@s3_operation("s3:GetBucketPolicyStatus", resource=bucket_arn, read_only=True)
def get_bucket_policy_status(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketPolicyStatus: whether the bucket policy is public (AWS's meaning)."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    if not found.policy:
        raise _no_such_bucket_policy(found.name)
    return {"PolicyStatus": {"IsPublic": is_public_policy(found.policy)}}


# --- ACLs -----------------------------------------------------------------------------------


@s3_operation("s3:GetBucketAcl", resource=bucket_arn, read_only=True)
def get_bucket_acl(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketAcl: the owner's full control alone while ACLs are disabled."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    owner = found.account.account_id
    return acls.as_aws(found.acl if _acls_enabled(found) else None, owner)


@s3_operation("s3:PutBucketAcl", resource=bucket_arn)
def put_bucket_acl(
    ctx,
    bucket=None,
    acl=None,
    access_control_policy=None,
    grant_full_control=None,
    grant_read=None,
    grant_read_acp=None,
    grant_write=None,
    grant_write_acp=None,
    expected_bucket_owner=None,
    **_integrity,
):
    """PutBucketAcl: a canned ACL, grant headers or an AccessControlPolicy."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    owner = found.account.account_id
    grants_asked = _grant_kwargs(grant_full_control, grant_read, grant_read_acp, grant_write, grant_write_acp)
    params = _acl_params(acl, access_control_policy, grants_asked)
    grants = acls.grants_from_request(params, owner)
    _check_new_acl(ctx, found, params, grants, owner, "s3:PutBucketAcl", found.arn, ownership_first=False)
    found.acl = _stored(found, grants, owner)
    found.save(update_fields=["acl"])
    return {}


def _object(bucket, key, *, for_update=False):
    objects = Object.objects.filter(bucket=bucket, key=key or "")
    if for_update:
        objects = objects.select_for_update()
    found = objects.first()
    if found is None:
        raise no_such_key(key)
    return found


def _object_owner(bucket, obj):
    return bucket.account.account_id if not _acls_enabled(bucket) else obj.owner_account_id


@s3_operation("s3:GetObjectAcl", resource=object_arn, read_only=True, data_event=True)
def get_object_acl(ctx, bucket=None, key=None, version_id=None, request_payer=None, expected_bucket_owner=None):
    """GetObjectAcl."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    obj = _object(found, key)
    return acls.as_aws(obj.acl if _acls_enabled(found) else None, _object_owner(found, obj))


@s3_operation("s3:PutObjectAcl", resource=object_arn, data_event=True)
def put_object_acl(
    ctx,
    bucket=None,
    key=None,
    acl=None,
    access_control_policy=None,
    grant_full_control=None,
    grant_read=None,
    grant_read_acp=None,
    grant_write=None,
    grant_write_acp=None,
    version_id=None,
    request_payer=None,
    expected_bucket_owner=None,
    **_integrity,
):
    """PutObjectAcl: a canned ACL, grant headers or an AccessControlPolicy."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    obj = _object(found, key, for_update=True)
    owner = _object_owner(found, obj)
    grants_asked = _grant_kwargs(grant_full_control, grant_read, grant_read_acp, grant_write, grant_write_acp)
    params = _acl_params(acl, access_control_policy, grants_asked)
    grants = acls.grants_from_request(params, owner, found.account.account_id)
    _check_new_acl(ctx, found, params, grants, owner, "s3:PutObjectAcl", obj.arn, ownership_first=False)
    obj.acl = _stored(found, grants, owner)
    obj.save(update_fields=["acl"])
    return {}


# --- Block Public Access ---------------------------------------------------------------------


@s3_operation(
    "s3:GetPublicAccessBlock", iam_action="s3:GetBucketPublicAccessBlock", resource=bucket_arn, read_only=True
)
def get_public_access_block(ctx, bucket=None, expected_bucket_owner=None):
    """GetPublicAccessBlock (bucket level)."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    if found.public_access_block is None:
        message = "The public access block configuration was not found"
        raise S3Error("NoSuchPublicAccessBlockConfiguration", message, 404, found.name)
    return {"PublicAccessBlockConfiguration": dict(found.public_access_block)}


@s3_operation("s3:PutPublicAccessBlock", iam_action="s3:PutBucketPublicAccessBlock", resource=bucket_arn)
def put_public_access_block(
    ctx, bucket=None, public_access_block_configuration=None, expected_bucket_owner=None, **_integrity
):
    """PutPublicAccessBlock: the four settings; one left out is off."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    configuration = public_access_block_configuration or {}
    found.public_access_block = {name: bool(configuration.get(name, False)) for name in PUBLIC_ACCESS_BLOCK_MEMBERS}
    found.save(update_fields=["public_access_block"])
    return {}


@s3_operation("s3:DeletePublicAccessBlock", iam_action="s3:PutBucketPublicAccessBlock", resource=bucket_arn)
def delete_public_access_block(ctx, bucket=None, expected_bucket_owner=None):
    """DeletePublicAccessBlock: nothing is blocked any more."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    found.public_access_block = None
    found.save(update_fields=["public_access_block"])
    return {}


# --- Object Ownership ----------------------------------------------------------------------------


def _malformed_xml():
    return S3Error(
        "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400
    )


@s3_operation("s3:GetBucketOwnershipControls", resource=bucket_arn, read_only=True)
def get_bucket_ownership_controls(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketOwnershipControls."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    if not found.object_ownership:
        raise S3Error(
            "OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404, found.name
        )
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": found.object_ownership}]}}


@s3_operation("s3:PutBucketOwnershipControls", resource=bucket_arn)
def put_bucket_ownership_controls(ctx, bucket=None, ownership_controls=None, expected_bucket_owner=None, **_integrity):
    """PutBucketOwnershipControls: one rule. Disabling ACLs needs a bucket ACL that
    grants only the owner."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    rules = (ownership_controls or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIP_VALUES:
        raise _malformed_xml()
    ownership = rules[0]["ObjectOwnership"]
    if ownership == "BucketOwnerEnforced" and _acls_enabled(found) and found.acl is not None:
        raise S3Error(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            400,
        )
    found.object_ownership = ownership
    found.save(update_fields=["object_ownership"])
    return {}


@s3_operation("s3:DeleteBucketOwnershipControls", iam_action="s3:PutBucketOwnershipControls", resource=bucket_arn)
def delete_bucket_ownership_controls(ctx, bucket=None, expected_bucket_owner=None):
    """DeleteBucketOwnershipControls: the bucket behaves as ObjectWriter (ACLs enabled)."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    found.object_ownership = ""
    found.save(update_fields=["object_ownership"])
    return {}


# --- tagging -----------------------------------------------------------------------------------------


def _invalid_tag(message):
    return S3Error("InvalidTag", message, 400)


def _tag_text_ok(text):
    # Letters, numbers, spaces and + - = . _ : / @ ("Tagging your S3 resources").
    return all(char.isalnum() or char in TAG_PUNCTUATION for char in text)


def _validated_tags(tag_set):
    if len(tag_set) > MAX_TAGS:
        raise _invalid_tag("Bucket tag count cannot be greater than 50")
    seen = set()
    for tag in tag_set:
        key, value = tag.get("Key"), tag.get("Value")
        if key is None or value is None:
            raise _malformed_xml()
        if len(key) > 128:
            raise _invalid_tag("The TagKey you have provided is too long, max 128")
        if len(value) > 256:
            raise _invalid_tag("The TagValue you have provided is too long, max 256")
        if not key or not _tag_text_ok(key):
            raise _invalid_tag("The TagKey you have provided is invalid")
        if not _tag_text_ok(value):
            raise _invalid_tag("The TagValue you have provided is invalid")
        if key.lower().startswith("aws:"):
            raise _invalid_tag("Your TagKey cannot be prefixed with aws:")
        if key in seen:
            raise _invalid_tag("Cannot provide multiple Tags with the same key")
        seen.add(key)
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tag_set]


@s3_operation("s3:GetBucketTagging", resource=bucket_arn, read_only=True)
def get_bucket_tagging(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketTagging."""
    found = _bucket(ctx, bucket, expected_bucket_owner)
    if not found.tags:
        raise S3Error("NoSuchTagSet", "The TagSet does not exist", 404, found.name)
    return {"TagSet": list(found.tags)}


@s3_operation("s3:PutBucketTagging", resource=bucket_arn)
def put_bucket_tagging(ctx, bucket=None, tagging=None, expected_bucket_owner=None, **_integrity):
    """PutBucketTagging: replaces the whole TagSet."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    if not isinstance(tagging, dict) or "TagSet" not in tagging:
        raise _malformed_xml()
    found.tags = _validated_tags(tagging.get("TagSet") or []) or None
    found.save(update_fields=["tags"])
    return {}


@s3_operation("s3:DeleteBucketTagging", iam_action="s3:PutBucketTagging", resource=bucket_arn)
def delete_bucket_tagging(ctx, bucket=None, expected_bucket_owner=None):
    """DeleteBucketTagging (authorized as s3:PutBucketTagging, as AWS documents it)."""
    found = _bucket(ctx, bucket, expected_bucket_owner, for_update=True)
    found.tags = None
    found.save(update_fields=["tags"])
    return {}
