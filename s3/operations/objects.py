"""S3 object actions: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
CopyObject, ListObjects and ListObjectsV2. Object-level calls are CloudTrail data
events; keys are listed in UTF-8 byte order, as S3 lists them."""

from datetime import timezone
from urllib.parse import quote, unquote

from django.db import connection

from console import clock
from iam import rows
from s3 import storage
from s3.errors import S3Error, invalid_argument, key_too_long, no_such_key
from s3.models import Object
from s3.operations import bodies, config
from s3.operations.common import (
    bucket_arn,
    continuation_token_after,
    find_authorized_bucket,
    find_bucket,
    object_arn,
    position_of,
    s3_operation,
    still_there,
)

MAX_KEY_BYTES = 1024
MAX_KEYS = 1000
SYSTEM_METADATA = {
    "cache_control": "CacheControl",
    "content_disposition": "ContentDisposition",
    "content_encoding": "ContentEncoding",
    "content_language": "ContentLanguage",
    "expires": "Expires",
}
# A key sorts before every longer key that starts with it and after all of them once
# this is appended (no code point is greater): the end of a common prefix's run.
AFTER_ALL = "\U0010ffff"


def check_key(key):
    if len((key or "").encode("utf-8")) > MAX_KEY_BYTES:
        raise key_too_long(key)


def quoted(etag):
    return f'"{etag}"'


def system_metadata(kwargs):
    found = {}
    for name, member in SYSTEM_METADATA.items():
        value = kwargs.get(name)
        if value is None:
            continue
        if hasattr(value, "strftime"):
            value = value.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        elif name == "content_encoding":
            # aws-chunked is the upload's framing, not the object's encoding.
            value = ",".join(part for part in (p.strip() for p in value.split(",")) if part and part != "aws-chunked")
            if not value:
                continue
        found[member] = value
    return found


def metadata_of(kwargs):
    metadata = kwargs.get("metadata") or {}
    if len(repr(metadata).encode("utf-8")) > 2048:
        raise S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", 400)
    return {str(k).lower(): v for k, v in metadata.items()}


ACL_MEMBERS = {
    "acl": "ACL",
    "grant_full_control": "GrantFullControl",
    "grant_read": "GrantRead",
    "grant_read_acp": "GrantReadACP",
    "grant_write_acp": "GrantWriteACP",
}


def acl_params(key, kwargs):
    """An upload's x-amz-acl and x-amz-grant-* members, as the ACL helpers read them."""
    params = {aws: kwargs[name] for name, aws in ACL_MEMBERS.items() if kwargs.get(name) is not None}
    return {**params, "Key": key}


def new_object_ownership(ctx, bucket, key, kwargs):
    """(owner account, ACL to store) of an object the caller writes, after S3's checks of
    the ACL it asks for (ACLs disabled, Block Public Access)."""
    params = acl_params(key, kwargs)
    owner = config.object_owner_for(bucket, ctx.principal.account_id, params)
    return owner, config.object_acl_from_request(bucket, owner, params, ctx)


_OBJECT_FIELDS = tuple(field.attname for field in Object._meta.concrete_fields)
_OBJECT_SQL = f"SELECT {', '.join(_OBJECT_FIELDS)} FROM {Object._meta.db_table} WHERE bucket_id = %s AND key = %s"


def object_at(bucket, key, *, for_update=False):
    """The object at ``key`` in ``bucket``, or None. Plain SQL, as the bucket's lookup:
    every object call makes it."""
    sql = _OBJECT_SQL
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    row = rows.fetchone(sql, [bucket.pk, key or ""])
    if row is None:
        return None
    found = rows.instance(Object, _OBJECT_FIELDS, row)
    found.bucket = bucket
    return found


def lookup(bucket, key):
    return object_at(bucket, key)


def store(bucket, key, *, blob, inline=None, size, etag, owner_account_id, checksum_algorithm, checksum_value,
          checksum_type="FULL_OBJECT", parts_count=None, content_type=None, system=None, metadata=None, acl=None):
    """Point ``key`` at its bytes (``blob``, or ``inline``: storage.StagedBody.install),
    the previous blob removed once this commits."""
    previous = object_at(bucket, key, for_update=True)
    fields = dict(
        size=size,
        etag=etag,
        last_modified=clock.now(),
        owner_account_id=owner_account_id,
        content_type=content_type or "binary/octet-stream",
        system_metadata=system or {},
        metadata=metadata or {},
        checksum_algorithm=checksum_algorithm,
        checksum_value=checksum_value,
        checksum_type=checksum_type if checksum_algorithm else "",
        parts_count=parts_count,
        blob=blob,
        inline=inline,
        acl=acl,
    )
    if previous is None:
        # Statements compiled once: the ORM's create() and save() cost a small PutObject
        # a fifth of its CPU.
        values = {"bucket_id": bucket.pk, "key": key, **fields}
        pk = rows.insert(Object, values)
        return rows.made(Object, {"id": pk, **values}, bucket=bucket)
    old_blob = previous.blob
    rows.update(Object, previous.pk, fields)
    for name, value in fields.items():
        setattr(previous, name, value)
    storage.remove_after_commit(old_blob)
    return previous


def checksum_members(obj, mode):
    if mode != "ENABLED" or not obj.checksum_algorithm:
        return {}
    return {f"Checksum{obj.checksum_algorithm}": obj.checksum_value, "ChecksumType": obj.checksum_type}


# --- PutObject -------------------------------------------------------------------------


def _stage_put(ctx, kwargs):
    check_key(kwargs.get("key"))
    bucket = find_authorized_bucket(ctx, kwargs.get("bucket"))
    # A refused ACL is refused before the body is read.
    config.check_acl_allowed(bucket, acl_params(kwargs.get("key"), kwargs), ctx)
    kwargs, cleanup = bodies.stage(ctx, kwargs)
    kwargs["body"].bucket = bucket
    return kwargs, cleanup


@s3_operation(
    "s3:PutObject", resource=object_arn, data_event=True, prepare=_stage_put, secret_params=bodies.BODY_SECRETS
)
def put_object(ctx, bucket=None, key=None, body=None, content_type=None, if_none_match=None, if_match=None,
               **kwargs):
    """PutObject: the whole object in one request, streamed in and verified."""
    found = still_there(body.bucket)  # as _stage_put found it
    if if_none_match is not None or if_match is not None:
        _check_write_conditions(found, key, if_match, if_none_match)
    owner, acl = new_object_ownership(ctx, found, key, kwargs)
    obj = store(
        found,
        key,
        **body.install(),
        size=body.size,
        etag=body.etag,
        owner_account_id=owner,
        acl=acl,
        checksum_algorithm=body.checksum_algorithm,
        checksum_value=body.checksum_value,
        content_type=content_type,
        system=system_metadata(kwargs),
        metadata=metadata_of(kwargs),
    )
    return {"ETag": quoted(obj.etag), **body.checksum_result(), "ChecksumType": "FULL_OBJECT"}


def _check_write_conditions(bucket, key, if_match, if_none_match):
    """Conditional writes: If-None-Match: * refuses to overwrite, If-Match needs the ETag."""
    current = lookup(bucket, key)
    if if_none_match is not None:
        if if_none_match != "*":
            raise S3Error("NotImplemented", "A header you provided implies functionality that is not implemented", 501)
        if current is not None:
            raise _precondition_failed("If-None-Match")
    if if_match is not None:
        if current is None:
            raise no_such_key(key)
        if not _etag_matches(if_match, current.etag):
            raise _precondition_failed("If-Match")


# --- GetObject / HeadObject ------------------------------------------------------------


def _precondition_failed(condition):
    error = S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412)
    error.details = {"Condition": condition}
    return error


def _not_modified():
    return S3Error("NotModified", "Not Modified", 304)


def _etag_matches(header, etag):
    wanted = [part.strip() for part in header.split(",")]
    return "*" in wanted or any(part.strip('"') == etag for part in wanted)


def _check_read_conditions(obj, if_match, if_none_match, if_modified_since, if_unmodified_since):
    """RFC 7232's order, as S3 applies it: If-Match decides over If-Unmodified-Since,
    If-None-Match over If-Modified-Since."""
    modified = obj.last_modified.replace(microsecond=0)
    if if_match is not None:
        if not _etag_matches(if_match, obj.etag):
            raise _precondition_failed("If-Match")
    elif if_unmodified_since is not None and modified > if_unmodified_since:
        raise _precondition_failed("If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, obj.etag):
            raise _not_modified()
    elif if_modified_since is not None and modified <= if_modified_since:
        raise _not_modified()


def parse_range(header, size):
    """(start, length) of a ``bytes=`` range, None to send the whole object (S3 ignores a
    range it cannot parse), or InvalidRange when it starts beyond the end."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise ValueError(last)
            start, end = max(size - suffix, 0), size - 1
        else:
            start = int(first)
            end = int(last) if last else max(start, size - 1)
            if end < start:
                return None
    except ValueError:
        return None
    if start >= size:
        error = S3Error("InvalidRange", "The requested range is not satisfiable", 416)
        error.details = {"RangeRequested": header, "ActualObjectSize": str(size)}
        raise error
    end = min(end, size - 1)
    return start, end - start + 1


def _readable(ctx, bucket, key):
    obj = object_at(bucket, key)
    if obj is None:
        from s3 import access

        # Without s3:ListBucket a caller cannot learn whether a key exists (AWS's answer
        # is then 403, not 404).
        if not access.can_list_bucket(ctx, bucket):
            raise S3Error("AccessDenied", "Access Denied", 403)
        raise no_such_key(key)
    return obj


def _object_headers(obj, kwargs):
    result = {
        "LastModified": obj.last_modified,
        "ETag": quoted(obj.etag),
        "ContentType": obj.content_type,
        "AcceptRanges": "bytes",
        "Metadata": obj.metadata or None,
        "StorageClass": None,
        **obj.system_metadata,
        **checksum_members(obj, kwargs.get("checksum_mode")),
    }
    if obj.parts_count:
        result["PartsCount"] = obj.parts_count if kwargs.get("part_number") else None
    # response-content-type and friends: a signed request may override what comes back.
    for name in ("cache_control", "content_disposition", "content_encoding", "content_language", "content_type"):
        override = kwargs.get(f"response_{name}")
        if override:
            result["".join(part.capitalize() for part in name.split("_"))] = override
    if kwargs.get("response_expires"):
        result["Expires"] = kwargs["response_expires"]
    return {key: value for key, value in result.items() if value is not None}


def _read(ctx, bucket, key, kwargs):
    check_key(key)
    obj = _readable(ctx, find_bucket(bucket), key)
    _check_read_conditions(
        obj,
        kwargs.get("if_match"),
        kwargs.get("if_none_match"),
        kwargs.get("if_modified_since"),
        kwargs.get("if_unmodified_since"),
    )
    span = parse_range(kwargs.get("range"), obj.size)
    result = _object_headers(obj, kwargs)
    if span is not None:
        # The object's checksum is not the range's: S3 leaves it out of a ranged read.
        for name in [name for name in result if name.startswith("Checksum")]:
            del result[name]
    if span is None:
        result["ContentLength"] = obj.size
    else:
        start, length = span
        result["ContentLength"] = length
        result["ContentRange"] = f"bytes {start}-{start + length - 1}/{obj.size}"
    return obj, span, result


@s3_operation("s3:GetObject", resource=object_arn, read_only=True, data_event=True,
              secret_params=bodies.BODY_SECRETS)
def get_object(ctx, bucket=None, key=None, **kwargs):
    """GetObject: the bytes (or a range of them), streamed out of the blob."""
    obj, span, result = _read(ctx, bucket, key, kwargs)
    start, length = span or (0, None)
    result["Body"] = storage.body_of(obj, start, length)
    return result


@s3_operation("s3:HeadObject", iam_action="s3:GetObject", resource=object_arn, read_only=True, data_event=True,
              secret_params=bodies.BODY_SECRETS)
def head_object(ctx, bucket=None, key=None, **kwargs):
    """HeadObject: GetObject's headers without the bytes."""
    return _read(ctx, bucket, key, kwargs)[2]


# --- DeleteObject(s) -------------------------------------------------------------------


@s3_operation("s3:DeleteObject", resource=object_arn, data_event=True)
def delete_object(ctx, bucket=None, key=None, **_versioning):
    """DeleteObject: succeeds whether or not the key exists, as on an unversioned bucket."""
    found = find_bucket(bucket)
    obj = object_at(found, key, for_update=True)
    if obj is not None:
        obj.delete()
        storage.remove_after_commit(obj.blob)
    return {}


def _each_key_authorized(ctx, spec, params):
    """DeleteObjects is authorized key by key (s3:DeleteObject on each object), in the
    operation; the request itself only needs the bucket to exist."""
    from iam.authorization import ALLOW

    return ALLOW


@s3_operation(
    "s3:DeleteObjects", iam_action="s3:DeleteObject", resource=bucket_arn, data_event=True,
    authorizer=_each_key_authorized,
)
def delete_objects(ctx, bucket=None, delete=None, **_options):
    """DeleteObjects: up to 1,000 keys, each authorized and reported on its own."""
    from s3 import access

    found = find_bucket(bucket)
    entries = (delete or {}).get("Objects") or []
    if not entries or len(entries) > 1000:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
            400,
        )
    quiet = bool((delete or {}).get("Quiet"))
    deleted, errors, blobs = [], [], []
    for entry in entries:
        key = entry.get("Key") or ""
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            errors.append({"Key": key, "Code": "KeyTooLongError", "Message": "Your key is too long"})
            continue
        decision = access.authorize(ctx, delete_object.spec, {"Bucket": bucket, "Key": key})
        if not decision.allowed:
            errors.append({"Key": key, "Code": "AccessDenied", "Message": "Access Denied"})
            continue
        obj = object_at(found, key, for_update=True)
        if obj is not None:
            blobs.append(obj.blob)
            obj.delete()
        if not quiet:
            deleted.append({"Key": key})
    storage.remove_after_commit(*blobs)
    return {"Deleted": deleted or None, "Errors": errors or None}


# --- CopyObject ------------------------------------------------------------------------


def parse_copy_source(copy_source):
    """``bucket/key`` (URL-encoded, a leading ``/`` allowed, ``?versionId=`` ignored on an
    unversioned bucket) into its parts, or AWS's InvalidArgument."""
    source = (copy_source or "").split("?", 1)[0]
    source = unquote(source.lstrip("/"))
    bucket, _, key = source.partition("/")
    if not bucket or not key:
        raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", copy_source or "")
    return bucket, key


def _check_copy_conditions(source, kwargs):
    modified = source.last_modified.replace(microsecond=0)
    if_match = kwargs.get("copy_source_if_match")
    if if_match is not None and not _etag_matches(if_match, source.etag):
        raise _precondition_failed("x-amz-copy-source-If-Match")
    unmodified = kwargs.get("copy_source_if_unmodified_since")
    if if_match is None and unmodified is not None and modified > unmodified:
        raise _precondition_failed("x-amz-copy-source-If-Unmodified-Since")
    none_match = kwargs.get("copy_source_if_none_match")
    if none_match is not None and _etag_matches(none_match, source.etag):
        raise _precondition_failed("x-amz-copy-source-If-None-Match")
    modified_since = kwargs.get("copy_source_if_modified_since")
    if none_match is None and modified_since is not None and modified <= modified_since:
        raise _precondition_failed("x-amz-copy-source-If-Modified-Since")


def readable_source(ctx, copy_source):
    """The object a copy reads, after checking the caller may read it (s3:GetObject)."""
    from s3 import access

    source_bucket, source_key = parse_copy_source(copy_source)
    check_key(source_key)
    decision = access.authorize(ctx, get_object.spec, {"Bucket": source_bucket, "Key": source_key})
    if not decision.allowed:
        raise S3Error("AccessDenied", "Access Denied", 403)
    return _readable(ctx, find_bucket(source_bucket), source_key)


@s3_operation("s3:CopyObject", iam_action="s3:PutObject", resource=object_arn, data_event=True,
              secret_params=bodies.BODY_SECRETS)
def copy_object(ctx, bucket=None, key=None, copy_source=None, metadata_directive=None, content_type=None,
                **kwargs):
    """CopyObject: the source's bytes under a new key (shared, since blobs never change),
    with its metadata copied or replaced."""
    check_key(key)
    target = find_bucket(bucket)
    source = readable_source(ctx, copy_source)
    _check_copy_conditions(source, kwargs)
    directive = (metadata_directive or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", metadata_directive)
    if source.bucket_id == target.pk and source.key == key and directive == "COPY":
        raise S3Error(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes.",
            400,
        )
    if directive == "REPLACE":
        content, system, metadata = content_type, system_metadata(kwargs), metadata_of(kwargs)
    else:
        content, system, metadata = source.content_type, source.system_metadata, source.metadata
    owner, acl = new_object_ownership(ctx, target, key, kwargs)
    obj = store(
        target,
        key,
        **storage.copy_of(source),
        size=source.size,
        etag=source.etag,
        owner_account_id=owner,
        acl=acl,
        checksum_algorithm=source.checksum_algorithm,
        checksum_value=source.checksum_value,
        checksum_type=source.checksum_type,
        parts_count=source.parts_count,
        content_type=content,
        system=system,
        metadata=metadata,
    )
    copied = {"ETag": quoted(obj.etag), "LastModified": obj.last_modified}
    if obj.checksum_algorithm:
        copied[f"Checksum{obj.checksum_algorithm}"] = obj.checksum_value
        copied["ChecksumType"] = obj.checksum_type
    return {"CopyObjectResult": copied}


# --- ListObjects / ListObjectsV2 -------------------------------------------------------


def _list_condition_keys(ctx, params):
    max_keys = params.get("MaxKeys")
    return {
        "s3:prefix": params.get("Prefix") or "",
        "s3:delimiter": params.get("Delimiter"),
        "s3:max-keys": None if max_keys is None else str(max_keys),
    }


def _max_keys(value):
    if value is None:
        return MAX_KEYS
    if value < 0:
        raise invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", str(value))
    return min(value, MAX_KEYS)


def _walk(bucket, prefix, delimiter, after, limit):
    """Up to ``limit`` entries after ``after`` in key order: objects, and common prefixes
    (each once, for the run of keys it stands for). Returns (entries, truncated), each
    entry ("key", Object) or ("prefix", text). A run of keys under one common prefix is
    skipped within the batch at hand; only a run longer than the batch costs a query."""
    entries = []
    cursor, inclusive = (after, False) if after and after >= prefix else (prefix, True)
    batch = max(limit + 1, 100)
    common = None
    while True:
        # Without the bytes a small object's row holds: a listing never shows them.
        rows = Object.objects.filter(bucket=bucket).defer("inline")
        rows = rows.filter(key__gte=cursor) if inclusive else rows.filter(key__gt=cursor)
        rows = list(rows.order_by("key")[:batch])
        for obj in rows:
            if not obj.key.startswith(prefix):
                return entries, False
            if common is not None and obj.key.startswith(common):
                continue
            if len(entries) == limit:
                return entries, True
            rest = obj.key[len(prefix):]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                if not (after and common <= after):
                    entries.append(("prefix", common))
                continue
            common = None
            entries.append(("key", obj))
        if len(rows) < batch:
            return entries, False
        last = rows[-1].key
        cursor, inclusive = (common + AFTER_ALL if common is not None and last.startswith(common) else last), False


def _encode(value, encoding_type):
    if value is None or encoding_type != "url":
        return value
    return quote(value, safe="/")


def _listing(ctx, bucket, prefix, delimiter, after, max_keys, encoding_type, fetch_owner=True):
    if encoding_type is not None and encoding_type != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", encoding_type)
    found = find_bucket(bucket)
    prefix = prefix or ""
    limit = _max_keys(max_keys)
    entries, truncated = _walk(found, prefix, delimiter, after, limit) if limit else ([], False)
    contents, prefixes = [], []
    from s3.operations.buckets import canonical_user_id

    for kind, value in entries:
        if kind == "prefix":
            prefixes.append({"Prefix": _encode(value, encoding_type)})
            continue
        item = {
            "Key": _encode(value.key, encoding_type),
            "LastModified": value.last_modified,
            "ETag": quoted(value.etag),
            "Size": value.size,
            "StorageClass": "STANDARD",
        }
        if value.checksum_algorithm:
            item["ChecksumAlgorithm"] = [value.checksum_algorithm]
            item["ChecksumType"] = value.checksum_type
        if fetch_owner:
            item["Owner"] = {"ID": canonical_user_id(value.owner_account_id)}
        contents.append(item)
    result = {
        "Name": found.name,
        "Prefix": _encode(prefix, encoding_type),
        "MaxKeys": limit,
        "IsTruncated": truncated,
        "Contents": contents or None,
        "CommonPrefixes": prefixes or None,
    }
    if delimiter:
        result["Delimiter"] = _encode(delimiter, encoding_type)
    if encoding_type:
        result["EncodingType"] = encoding_type
    last = entries[-1] if entries else None
    last_name = None if last is None else (last[1] if last[0] == "prefix" else last[1].key)
    return result, last_name


@s3_operation("s3:ListObjects", iam_action="s3:ListBucket", resource=bucket_arn, read_only=True, data_event=True,
              condition_keys=_list_condition_keys)
def list_objects(ctx, bucket=None, prefix=None, delimiter=None, marker=None, max_keys=None, encoding_type=None,
                 **_options):
    """ListObjects (version 1): Marker, and NextMarker when a delimiter is used."""
    result, last = _listing(ctx, bucket, prefix, delimiter, marker, max_keys, encoding_type)
    result["Marker"] = _encode(marker or "", encoding_type)
    if result["IsTruncated"] and delimiter:
        result["NextMarker"] = _encode(last, encoding_type)
    return result


@s3_operation("s3:ListObjectsV2", iam_action="s3:ListBucket", resource=bucket_arn, read_only=True, data_event=True,
              condition_keys=_list_condition_keys)
def list_objects_v2(ctx, bucket=None, prefix=None, delimiter=None, max_keys=None, encoding_type=None,
                    continuation_token=None, start_after=None, fetch_owner=None, **_options):
    """ListObjectsV2: KeyCount, StartAfter and opaque continuation tokens."""
    after = position_of(continuation_token) if continuation_token else start_after
    result, last = _listing(ctx, bucket, prefix, delimiter, after, max_keys, encoding_type, bool(fetch_owner))
    result["KeyCount"] = len(result["Contents"] or []) + len(result["CommonPrefixes"] or [])
    if continuation_token:
        result["ContinuationToken"] = continuation_token
    if start_after:
        result["StartAfter"] = _encode(start_after, encoding_type)
    if result["IsTruncated"]:
        result["NextContinuationToken"] = continuation_token_after(last)
    return result
