"""What every S3 operation shares: the decorator that puts it under S3's authorization,
ARNs, and finding the bucket a request names."""

import base64
from contextvars import ContextVar

from django.db import connection

from awsapi.operation import operation
from iam import rows
from iam.models import Account
from s3.errors import invalid_argument, no_such_bucket
from s3.models import Bucket


def _authorize(ctx, spec, params):
    from s3 import access

    return access.authorize(ctx, spec, params)


def s3_operation(action, **options):
    """``@operation`` for S3: S3's own authorization (bucket policies, ACLs, Block Public
    Access, anonymous callers) instead of IAM's."""
    options.setdefault("authorizer", _authorize)
    return operation(action, **options)


def bucket_arn(ctx, params):
    return f"arn:aws:s3:::{params.get('Bucket') or ''}"


def object_arn(ctx, params):
    return f"arn:aws:s3:::{params.get('Bucket') or ''}/{params.get('Key') or ''}"


_BUCKET_FIELDS = tuple(field.attname for field in Bucket._meta.concrete_fields)
_BUCKET_SQL = (
    f"SELECT {', '.join('b.' + name for name in _BUCKET_FIELDS)}, a.id, a.account_id"
    f" FROM {Bucket._meta.db_table} b JOIN {Account._meta.db_table} a ON a.id = b.account_id WHERE b.name = %s"
)


def bucket_named(name, *, for_update=False):
    """The bucket called ``name`` with its account, or None. Plain SQL: every S3 call
    looks its bucket up, and compiling the ORM query cost more than the rest of a
    small PutObject."""
    sql = _BUCKET_SQL
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    row = rows.fetchone(sql, [name or ""])
    if row is None:
        return None
    bucket = rows.instance(Bucket, _BUCKET_FIELDS, row[: len(_BUCKET_FIELDS)])
    bucket.account = rows.instance(Account, ("id", "account_id"), row[len(_BUCKET_FIELDS) :])
    return bucket


def find_bucket(name, *, for_update=False):
    """The bucket named ``name`` (authorization has already decided the caller may use
    it), or S3's NoSuchBucket."""
    bucket = bucket_named(name, for_update=for_update)
    if bucket is None:
        raise no_such_bucket(name)
    return bucket


# The bucket a call's authorization read, for the same call's upload staging, which
# runs next, still before the transaction (PutObject's prepare): one lookup fewer per
# upload. Each authorization in the thread replaces it, and staging takes it only for
# the call (RequestContext) and name it was read for.
_AUTHORIZED = ContextVar("s3_authorized_bucket", default=None)


def authorized_bucket_named(ctx, name):
    """``bucket_named(name)`` for ``ctx``'s authorization, kept for its staging."""
    bucket = bucket_named(name)
    _AUTHORIZED.set((ctx, name, bucket))
    return bucket


def find_authorized_bucket(ctx, name):
    """``find_bucket(name)``, as the call's authorization read it a moment ago."""
    seen = _AUTHORIZED.get()
    _AUTHORIZED.set(None)
    if seen is None or seen[0] is not ctx or seen[1] != name:
        return find_bucket(name)
    if seen[2] is None:
        raise no_such_bucket(name)
    return seen[2]


_BUCKET_ID_SQL = f"SELECT id FROM {Bucket._meta.db_table} WHERE name = %s"


def still_there(bucket):
    """``bucket``, read before the transaction, if it is still the bucket of its name,
    else NoSuchBucket: in the transaction only that is read again. S3's bucket
    configurations are eventually consistent (AWS's consistency model), so settings read
    a moment before apply; but a bucket deleted meanwhile, or deleted and created again
    (by anyone: what was authorized was the old one), takes nothing."""
    row = rows.fetchone(_BUCKET_ID_SQL, [bucket.name])
    if row is None or row[0] != bucket.pk:
        raise no_such_bucket(bucket.name)
    return bucket


def continuation_token_after(name):
    """An opaque continuation token for a listing that goes on after ``name``."""
    return base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii")


def position_of(token):
    """Where a continuation token says a listing goes on, or S3's InvalidArgument."""
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token) from None
