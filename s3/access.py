"""Authorization of S3 requests: AWS's S3 evaluation over identity policies and the
bucket's own grants, for the caller's account and for others.

A caller from the bucket owner's account is judged on its identity-based policies (the
owner's root on nothing: it owns the bucket). A caller from another account, or an
anonymous one, gets nothing until the bucket grants it."""

from awsapi.context import Principal
from iam.authorization import Decision, authorize as authorize_identity
from s3.models import Bucket


def bucket_name(params):
    return params.get("Bucket") or ""


def resource_arn(spec, params):
    return spec.resource(None, params)


def _owner_account(params):
    return (
        Bucket.objects.filter(name=bucket_name(params)).values_list("account__account_id", flat=True).first()
    )


def authorize(ctx, spec, params):
    """The decision for one S3 call (``spec.authorizer`` of every S3 operation)."""
    principal: Principal = ctx.principal
    # CreateBucket acts on a bucket the caller's account would own; an existing one of
    # that name is the operation's answer (BucketAlreadyExists), not a refusal.
    owner = None if spec.name in ("CreateBucket", "ListBuckets") else _owner_account(params)
    if owner is not None and owner != principal.account_id:
        return Decision(False, "Access Denied")
    if principal.is_anonymous:
        return Decision(False, "Access Denied")
    keys = spec.condition_keys(ctx, params) if spec.condition_keys else None
    return authorize_identity(ctx, spec.authorized_as, spec.resource(ctx, params), None, keys)
