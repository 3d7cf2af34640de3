"""Multipart uploads (what ``aws s3 cp`` uses for a large file): CreateMultipartUpload,
UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts and
ListMultipartUploads. Parts are blobs of their own; completing joins them into the
object's blob before the transaction that publishes it."""

import base64
import hashlib
import secrets

from console import clock
from s3 import storage
from s3.errors import S3Error, invalid_argument
from s3.models import MultipartUpload, Part
from s3.operations import bodies
from s3.operations.common import bucket_arn, find_bucket, object_arn, s3_operation
from s3.operations.objects import check_key, metadata_of, new_object_ownership, quoted, store, system_metadata
from s3.payload import new_checksum

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10000
CHECKSUM_TYPES = ("COMPOSITE", "FULL_OBJECT")


def no_such_upload(upload_id):
    error = S3Error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed.",
        404,
    )
    error.details = {"UploadId": upload_id or ""}
    return error


def _upload(bucket, key, upload_id, *, for_update=False):
    uploads = MultipartUpload.objects.filter(bucket=bucket, key=key or "", upload_id=upload_id or "")
    if for_update:
        uploads = uploads.select_for_update()
    upload = uploads.first()
    if upload is None:
        raise no_such_upload(upload_id)
    return upload


@s3_operation("s3:CreateMultipartUpload", iam_action="s3:PutObject", resource=object_arn, data_event=True,
              secret_params=bodies.BODY_SECRETS)
def create_multipart_upload(ctx, bucket=None, key=None, content_type=None, checksum_algorithm=None,
                            checksum_type=None, **kwargs):
    """CreateMultipartUpload: an upload ID the parts are sent under."""
    check_key(key)
    found = find_bucket(bucket)
    algorithm = (checksum_algorithm or "").upper()
    if algorithm and algorithm not in bodies.CHECKSUM_PARAMS:
        raise invalid_argument("Checksum algorithm provided is unsupported.", "x-amz-checksum-algorithm", algorithm)
    if checksum_type and checksum_type not in CHECKSUM_TYPES:
        raise invalid_argument("Value for x-amz-checksum-type header is invalid.", "x-amz-checksum-type",
                               checksum_type)
    kind = checksum_type or ("COMPOSITE" if algorithm and algorithm != "CRC64NVME" else "FULL_OBJECT")
    if kind == "FULL_OBJECT" and algorithm in ("SHA1", "SHA256"):
        raise invalid_argument(f"The FULL_OBJECT checksum type cannot be used with the {algorithm.lower()} "
                               "checksum algorithm.", "x-amz-checksum-type", kind)
    # The object the upload becomes gets the owner and ACL asked for here.
    owner, acl = new_object_ownership(ctx, found, key, kwargs)
    upload = MultipartUpload.objects.create(
        upload_id=secrets.token_urlsafe(48),
        bucket=found,
        key=key,
        initiated=clock.now(),
        initiator_arn=ctx.principal.arn or ctx.principal.account_id,
        initiator_id=ctx.principal.principal_id or ctx.principal.account_id,
        owner_account_id=owner,
        acl=acl,
        content_type=content_type or "binary/octet-stream",
        system_metadata=system_metadata(kwargs),
        metadata=metadata_of(kwargs),
        checksum_algorithm=algorithm,
        checksum_type=kind if algorithm else "",
    )
    result = {"Bucket": found.name, "Key": key, "UploadId": upload.upload_id}
    if algorithm:
        result.update(ChecksumAlgorithm=algorithm, ChecksumType=kind)
    return result


def _part_number(value):
    if value is None or not 1 <= value <= MAX_PARTS:
        raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive", "partNumber",
                               str(value))
    return value


def _stage_part(ctx, kwargs):
    _part_number(kwargs.get("part_number"))
    upload = _upload(find_bucket(kwargs.get("bucket")), kwargs.get("key"), kwargs.get("upload_id"))
    if upload.checksum_algorithm and not kwargs.get("checksum_algorithm"):
        # A part of an upload created with a checksum algorithm is checked with that one.
        kwargs = {**kwargs, "checksum_algorithm": upload.checksum_algorithm}
    return bodies.stage(ctx, kwargs)


@s3_operation("s3:UploadPart", iam_action="s3:PutObject", resource=object_arn, data_event=True,
              prepare=_stage_part, secret_params=bodies.BODY_SECRETS)
def upload_part(ctx, bucket=None, key=None, upload_id=None, part_number=None, body=None, **_options):
    """UploadPart: one part, streamed in and verified; sending a number again replaces it."""
    upload = _upload(find_bucket(bucket), key, upload_id, for_update=True)
    previous = Part.objects.filter(upload=upload, part_number=part_number).first()
    if previous is not None:
        storage.remove_after_commit(previous.blob)
        previous.delete()
    Part.objects.create(
        upload=upload,
        part_number=part_number,
        size=body.size,
        etag=body.etag,
        last_modified=clock.now(),
        checksum_value=body.checksum_value if upload.checksum_algorithm else "",
        **body.install(),
    )
    result = {"ETag": quoted(body.etag)}
    if upload.checksum_algorithm:
        result.update(body.checksum_result())
    return result


# --- CompleteMultipartUpload -------------------------------------------------------------


def _invalid_part():
    return S3Error(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400,
    )


def _chosen_parts(upload, requested):
    """The stored parts the request lists, in its order, each checked as AWS checks them."""
    if not requested:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
            400,
        )
    stored = {part.part_number: part for part in upload.parts.all()}
    chosen, previous = [], 0
    for item in requested:
        number = item.get("PartNumber")
        if number is None or number <= previous:
            raise S3Error(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
                400,
            )
        previous = number
        part = stored.get(number)
        if part is None or (item.get("ETag") or "").strip('"') != part.etag:
            raise _invalid_part()
        sent = item.get(f"Checksum{upload.checksum_algorithm}") if upload.checksum_algorithm else None
        if sent is not None and sent != part.checksum_value:
            raise _invalid_part()
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            error = S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
                            400)
            error.details = {"ProposedSize": str(part.size), "MinSizeAllowed": str(MIN_PART_SIZE),
                             "PartNumber": str(part.part_number), "ETag": quoted(part.etag)}
            raise error
    return chosen


class Joined:
    """The parts joined into one staged body, with the object's ETag and checksum."""

    def __init__(self, upload, parts):
        self.upload, self.parts = upload, parts
        self.staged = storage.StagedBody()
        algorithm = upload.checksum_algorithm or bodies.DEFAULT_CHECKSUM
        full = not upload.checksum_algorithm or upload.checksum_type == "FULL_OBJECT"
        whole = new_checksum(algorithm) if full else None
        self.size = 0
        try:
            for part in parts:
                for piece in storage.body_of(part):
                    self.staged.write(piece)
                    self.size += len(piece)
                    if whole is not None:
                        whole.update(piece)
        except BaseException:
            self.staged.discard()
            raise
        md5s = b"".join(bytes.fromhex(part.etag) for part in parts)
        self.etag = f"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(parts)}"
        self.checksum_algorithm = algorithm
        if full:
            self.checksum_type = "FULL_OBJECT"
            self.checksum_value = base64.b64encode(whole.digest()).decode("ascii")
        else:
            # COMPOSITE: the checksum of the parts' checksums, with their count.
            combined = new_checksum(algorithm)
            for part in parts:
                combined.update(base64.b64decode(part.checksum_value))
            self.checksum_type = "COMPOSITE"
            self.checksum_value = f"{base64.b64encode(combined.digest()).decode('ascii')}-{len(parts)}"


def _join_parts(ctx, kwargs):
    check_key(kwargs.get("key"))
    upload = _upload(find_bucket(kwargs.get("bucket")), kwargs.get("key"), kwargs.get("upload_id"))
    parts = _chosen_parts(upload, (kwargs.get("multipart_upload") or {}).get("Parts"))
    joined = Joined(upload, parts)
    return {**kwargs, "joined": joined}, joined.staged.discard


@s3_operation("s3:CompleteMultipartUpload", iam_action="s3:PutObject", resource=object_arn, data_event=True,
              prepare=_join_parts, secret_params=bodies.BODY_SECRETS)
def complete_multipart_upload(ctx, bucket=None, key=None, upload_id=None, joined=None, mpu_object_size=None,
                              **kwargs):
    """CompleteMultipartUpload: the listed parts become the object; the upload is gone."""
    found = find_bucket(bucket)
    upload = _upload(found, key, upload_id, for_update=True)
    if mpu_object_size is not None and mpu_object_size != joined.size:
        raise invalid_argument("The provided 'x-amz-mp-object-size' header value does not match what was computed.",
                               "x-amz-mp-object-size", str(mpu_object_size))
    algorithm = upload.checksum_algorithm
    if algorithm:
        sent = kwargs.get(bodies.CHECKSUM_PARAMS[algorithm])
        if sent is not None and sent != joined.checksum_value:
            raise S3Error("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)
    obj = store(
        found,
        key,
        **joined.staged.install(),
        size=joined.size,
        etag=joined.etag,
        owner_account_id=upload.owner_account_id,
        acl=upload.acl,
        checksum_algorithm=joined.checksum_algorithm,
        checksum_value=joined.checksum_value,
        checksum_type=joined.checksum_type,
        parts_count=len(joined.parts),
        content_type=upload.content_type,
        system=upload.system_metadata,
        metadata=upload.metadata,
    )
    storage.remove_after_commit(*upload.parts.values_list("blob", flat=True))
    upload.delete()
    result = {"Location": f"/{found.name}/{key}", "Bucket": found.name, "Key": key, "ETag": quoted(obj.etag)}
    if algorithm:
        result.update({f"Checksum{algorithm}": obj.checksum_value, "ChecksumType": obj.checksum_type})
    return result


@s3_operation("s3:AbortMultipartUpload", resource=object_arn, data_event=True)
def abort_multipart_upload(ctx, bucket=None, key=None, upload_id=None, **_options):
    """AbortMultipartUpload: the upload and its parts are deleted."""
    upload = _upload(find_bucket(bucket), key, upload_id, for_update=True)
    storage.remove_after_commit(*upload.parts.values_list("blob", flat=True))
    upload.delete()
    return {}


def _max(value, name):
    if value is None:
        return 1000
    if value < 0:
        raise invalid_argument(f"Argument {name} must be an integer between 0 and 2147483647", name, str(value))
    return min(value, 1000)


@s3_operation("s3:ListParts", iam_action="s3:ListMultipartUploadParts", resource=object_arn, read_only=True,
              data_event=True)
def list_parts(ctx, bucket=None, key=None, upload_id=None, max_parts=None, part_number_marker=None, **_options):
    """ListParts: the parts uploaded so far, by part number."""
    upload = _upload(find_bucket(bucket), key, upload_id)
    limit = _max(max_parts, "max-parts")
    marker = int(part_number_marker or 0)
    parts = list(upload.parts.filter(part_number__gt=marker).order_by("part_number")[: limit + 1])
    truncated = len(parts) > limit
    parts = parts[:limit]
    listed = []
    for part in parts:
        item = {"PartNumber": part.part_number, "LastModified": part.last_modified, "ETag": quoted(part.etag),
                "Size": part.size}
        if upload.checksum_algorithm and part.checksum_value:
            item[f"Checksum{upload.checksum_algorithm}"] = part.checksum_value
        listed.append(item)
    from s3.operations.buckets import canonical_user_id

    result = {
        "Bucket": upload.bucket.name,
        "Key": upload.key,
        "UploadId": upload.upload_id,
        "PartNumberMarker": marker,
        "MaxParts": limit,
        "IsTruncated": truncated,
        "Parts": listed or None,
        "Initiator": {"ID": upload.initiator_arn, "DisplayName": upload.initiator_id},
        "Owner": {"ID": canonical_user_id(upload.owner_account_id)},
        "StorageClass": "STANDARD",
    }
    if truncated:
        result["NextPartNumberMarker"] = parts[-1].part_number
    if upload.checksum_algorithm:
        result.update(ChecksumAlgorithm=upload.checksum_algorithm, ChecksumType=upload.checksum_type)
    return result


@s3_operation("s3:ListMultipartUploads", iam_action="s3:ListBucketMultipartUploads", resource=bucket_arn,
              read_only=True, data_event=True)
def list_multipart_uploads(ctx, bucket=None, prefix=None, key_marker=None, upload_id_marker=None, max_uploads=None,
                           delimiter=None, encoding_type=None, **_options):
    """ListMultipartUploads: uploads in progress, by key then initiation time."""
    from s3.operations.buckets import canonical_user_id

    found = find_bucket(bucket)
    limit = _max(max_uploads, "max-uploads")
    uploads = MultipartUpload.objects.filter(bucket=found).order_by("key", "initiated", "pk")
    if prefix:
        uploads = uploads.filter(key__gte=prefix)
    if key_marker:
        uploads = uploads.filter(key__gte=key_marker)
    listed, prefixes, truncated = [], [], False
    for upload in uploads.iterator():
        if prefix and not upload.key.startswith(prefix):
            break
        if key_marker and upload.key == key_marker and (not upload_id_marker or upload.upload_id <= upload_id_marker):
            continue
        rest = upload.key[len(prefix or ""):]
        if delimiter and delimiter in rest:
            common = (prefix or "") + rest[: rest.index(delimiter) + len(delimiter)]
            if common not in prefixes:
                if len(listed) + len(prefixes) == limit:
                    truncated = True
                    break
                prefixes.append(common)
            continue
        if len(listed) + len(prefixes) == limit:
            truncated = True
            break
        listed.append(upload)
    result = {
        "Bucket": found.name,
        "KeyMarker": key_marker or "",
        "UploadIdMarker": upload_id_marker or "",
        "MaxUploads": limit,
        "IsTruncated": truncated,
        "Prefix": prefix or None,
        "Delimiter": delimiter,
        "Uploads": [
            {
                "UploadId": upload.upload_id,
                "Key": upload.key,
                "Initiated": upload.initiated,
                "StorageClass": "STANDARD",
                "Owner": {"ID": canonical_user_id(upload.owner_account_id)},
                "Initiator": {"ID": upload.initiator_arn, "DisplayName": upload.initiator_id},
                **({"ChecksumAlgorithm": upload.checksum_algorithm, "ChecksumType": upload.checksum_type}
                   if upload.checksum_algorithm else {}),
            }
            for upload in listed
        ] or None,
        "CommonPrefixes": [{"Prefix": common} for common in prefixes] or None,
    }
    if truncated and listed:
        result["NextKeyMarker"] = listed[-1].key
        result["NextUploadIdMarker"] = listed[-1].upload_id
    return result

