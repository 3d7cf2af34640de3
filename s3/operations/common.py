"""What every S3 operation shares: the decorator that puts it under S3's authorization,
ARNs, and finding the bucket a request names."""

from awsapi.operation import operation
from s3.errors import no_such_bucket
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


def find_bucket(name, *, for_update=False):
    """The bucket named ``name`` (authorization has already decided the caller may use
    it), or S3's NoSuchBucket."""
    buckets = Bucket.objects.select_related("account")
    if for_update:
        buckets = buckets.select_for_update()
    bucket = buckets.filter(name=name or "").first()
    if bucket is None:
        raise no_such_bucket(name)
    return bucket
