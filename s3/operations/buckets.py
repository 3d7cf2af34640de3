"""S3 actions, one function each, named after the AWS action.

Buckets: names are global across the installation as on AWS. Path-style requests only;
the console's own top-level paths are names nobody may take."""

import hashlib
import ipaddress
import re

from console import clock
from iam import rows
from iam.models import Account
from s3.errors import S3Error, invalid_argument, invalid_bucket_name
from s3 import storage
from s3.models import Bucket, Part
from s3.operations.common import bucket_arn, continuation_token_after, find_bucket, position_of, s3_operation
from s3.operations.config import OWNERSHIP_VALUES, apply_creation_acl

# The console's top-level pages: a bucket with one of these names could never be
# reached path-style, so they are taken, as a name someone else owns would be.
RESERVED_NAMES = frozenset(
    {"signin", "signout", "console", "iam", "cloudtrail", "ec2", "s3", "billing", "static", "favicon.ico"}
)
NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def valid_bucket_name(name):
    """AWS's general purpose bucket naming rules."""
    if not name or not NAME.fullmatch(name) or ".." in name:
        return False
    if name.startswith(FORBIDDEN_PREFIXES) or name.endswith(FORBIDDEN_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def canonical_user_id(account_id):
    """A stable 64-hex-digit canonical user ID for the account, shaped like AWS's."""
    return hashlib.sha256(f"iamlab-canonical:{account_id}".encode()).hexdigest()


_LIST_FIELDS = ("name", "region", "create_date")
_LIST_SQL = (
    f"SELECT b.name, b.region, b.create_date FROM {Bucket._meta.db_table} b"
    f" JOIN {Account._meta.db_table} a ON a.id = b.account_id WHERE a.account_id = %s AND b.name > %s"
)


@s3_operation("s3:ListBuckets", iam_action="s3:ListAllMyBuckets", read_only=True)
def list_buckets(ctx, max_buckets=None, continuation_token=None, prefix=None, bucket_region=None):
    """ListBuckets: the caller's account's buckets by name, a page of MaxBuckets at a
    time when asked. Plain SQL: `aws s3 ls` is the course's first command, and the ORM's
    query cost more to compile than to run."""
    if max_buckets is not None and not 1 <= max_buckets <= 10000:
        raise invalid_argument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets",
                               str(max_buckets))
    after = position_of(continuation_token) if continuation_token else ""
    sql, params = _LIST_SQL, [ctx.principal.account_id, after]
    if prefix:
        sql, params = sql + " AND b.name >= %s", params + [prefix]
    if bucket_region:
        sql, params = sql + " AND b.region = %s", params + [bucket_region]
    found = [rows.instance(Bucket, _LIST_FIELDS, row) for row in rows.fetchall(sql + " ORDER BY b.name", params)]
    found = [bucket for bucket in found if bucket.name.startswith(prefix or "")]
    result = {
        "Buckets": [{"Name": b.name, "CreationDate": b.create_date, "BucketRegion": b.region} for b in found],
        "Owner": {"ID": canonical_user_id(ctx.principal.account_id)},
    }
    if max_buckets is not None and len(found) > max_buckets:
        result["Buckets"] = result["Buckets"][:max_buckets]
        result["ContinuationToken"] = continuation_token_after(found[max_buckets - 1].name)
    if prefix:
        result["Prefix"] = prefix
    return result


@s3_operation("s3:CreateBucket", resource=bucket_arn)
def create_bucket(ctx, bucket=None, create_bucket_configuration=None, object_ownership=None, acl=None,
                  grant_full_control=None, grant_read=None, grant_read_acp=None, grant_write=None,
                  grant_write_acp=None, **_options):
    """CreateBucket: AWS's naming rules; names are unique across the installation. New
    buckets have ACLs disabled and Block Public Access on, unless the request says
    otherwise (x-amz-object-ownership, x-amz-acl)."""
    if not valid_bucket_name(bucket):
        raise invalid_bucket_name(bucket)
    if object_ownership is not None and object_ownership not in OWNERSHIP_VALUES:
        raise invalid_argument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", object_ownership)
    existing = Bucket.objects.select_related("account").filter(name=bucket).first()
    if existing is not None and existing.account.account_id == ctx.principal.account_id:
        raise S3Error(
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            409,
            bucket,
        )
    if existing is not None or bucket in RESERVED_NAMES:
        raise S3Error(
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the "
            "system. Please select a different name and try again.",
            409,
            bucket,
        )
    region = (create_bucket_configuration or {}).get("LocationConstraint") or ctx.region
    created = Bucket.objects.create(
        account=Account.objects.get(account_id=ctx.principal.account_id),
        name=bucket,
        region=region,
        create_date=clock.now(),
        object_ownership=object_ownership or "BucketOwnerEnforced",
    )
    grants = {"GrantFullControl": grant_full_control, "GrantRead": grant_read, "GrantReadACP": grant_read_acp,
              "GrantWrite": grant_write, "GrantWriteACP": grant_write_acp}
    apply_creation_acl(ctx, created, {"ACL": acl, **{k: v for k, v in grants.items() if v}})
    return {"Location": f"/{bucket}", "BucketArn": f"arn:aws:s3:::{bucket}"}


@s3_operation("s3:HeadBucket", iam_action="s3:ListBucket", resource=bucket_arn, read_only=True)
def head_bucket(ctx, bucket=None, expected_bucket_owner=None):
    """HeadBucket: whether the bucket exists and the caller may use it."""
    found = find_bucket(bucket)
    return {"BucketRegion": found.region, "BucketArn": found.arn}


@s3_operation("s3:GetBucketLocation", resource=bucket_arn, read_only=True)
def get_bucket_location(ctx, bucket=None, expected_bucket_owner=None):
    """GetBucketLocation: us-east-1 reads as an empty constraint, as on AWS."""
    found = find_bucket(bucket)
    return {"LocationConstraint": "" if found.region == "us-east-1" else found.region}


@s3_operation("s3:DeleteBucket", resource=bucket_arn)
def delete_bucket(ctx, bucket=None, expected_bucket_owner=None):
    """DeleteBucket."""
    found = find_bucket(bucket, for_update=True)
    if found.stored_objects.exists():
        raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, bucket)
    # Unfinished multipart uploads go with the bucket, their parts' bytes after commit.
    storage.remove_after_commit(*Part.objects.filter(upload__bucket=found).values_list("blob", flat=True))
    found.delete()
    return {}
