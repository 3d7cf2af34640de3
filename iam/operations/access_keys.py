"""Access keys: CreateAccessKey, UpdateAccessKey, DeleteAccessKey, ListAccessKeys,
GetAccessKeyLastUsed. Without a UserName each acts on the caller's own keys (the root
user's, for root). The secret is returned by CreateAccessKey only, stored encrypted."""

from awsapi.errors import LimitExceeded, NoSuchEntity
from awsapi.operation import operation
from console import clock
from iam import crypto, ids
from iam.models import AccessKey, User
from iam.operations.common import account_of, paginate, user_named, user_resource
from iam.validation import Constraints

ACCESS_KEYS_PER_USER = 2
ACCESS_KEY_ID = r"[\w]+"


def _owner(ctx, account, user_name):
    """The user whose keys are meant: the named one, else the caller (None for root)."""
    if user_name is not None:
        return user_named(account, user_name)
    if ctx.principal.is_root:
        return None
    return User.objects.select_related("account").get(pk=ctx.principal.user_pk)


def _keys_of(account, owner):
    return AccessKey.objects.filter(account=account, user=owner).order_by("create_date", "pk")


def _check_key_id(constraints, access_key_id):
    import re

    constraints.required("accessKeyId", access_key_id)
    constraints.length("accessKeyId", access_key_id, 16, 128)
    constraints.pattern("accessKeyId", access_key_id, re.compile(ACCESS_KEY_ID))


def _key(account, owner, access_key_id):
    key = _keys_of(account, owner).filter(access_key_id=access_key_id).first()
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
    return key


def _owner_name(ctx, owner):
    return owner.user_name if owner else ctx.principal.account_id


def metadata(key, user_name):
    return {"UserName": user_name, "AccessKeyId": key.access_key_id, "Status": key.status, "CreateDate": key.create_date}


def issue_access_key(account, owner):
    """Create and store a new active key for ``owner`` (None: the root user); returns
    the AccessKey row and its secret, which exists in plaintext only in this return."""
    secret = ids.secret_access_key()
    key_id = ids.access_key_id()
    key = AccessKey.objects.create(
        account=account,
        user=owner,
        access_key_id=key_id,
        secret_encrypted=crypto.encrypt(secret, key_id),
        create_date=clock.now(),
    )
    return key, secret


@operation("iam:CreateAccessKey", resource=user_resource, secret_params=("SecretAccessKey",))
def create_access_key(ctx, user_name=None):
    """CreateAccessKey: at most two keys per user (and for the root user)."""
    constraints = Constraints()
    constraints.length("userName", user_name, 1, 128)
    constraints.check()
    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    if _keys_of(account, owner).count() >= ACCESS_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
    key, secret = issue_access_key(account, owner)
    shape = metadata(key, _owner_name(ctx, owner))
    shape["SecretAccessKey"] = secret
    return {"AccessKey": shape}


@operation("iam:UpdateAccessKey", resource=user_resource)
def update_access_key(ctx, access_key_id=None, status=None, user_name=None):
    """UpdateAccessKey: make a key Active or Inactive."""
    constraints = Constraints()
    _check_key_id(constraints, access_key_id)
    constraints.required("status", status)
    constraints.enum("status", status, ("Active", "Inactive", "Expired"))
    constraints.check()
    account = account_of(ctx)
    key = _key(account, _owner(ctx, account, user_name), access_key_id)
    key.status = "Inactive" if status == "Expired" else status
    key.save(update_fields=["status"])
    return {}


@operation("iam:DeleteAccessKey", resource=user_resource)
def delete_access_key(ctx, access_key_id=None, user_name=None):
    """DeleteAccessKey."""
    constraints = Constraints()
    _check_key_id(constraints, access_key_id)
    constraints.check()
    account = account_of(ctx)
    _key(account, _owner(ctx, account, user_name), access_key_id).delete()
    return {}


@operation("iam:ListAccessKeys", resource=user_resource, read_only=True)
def list_access_keys(ctx, user_name=None, marker=None, max_items=None):
    """ListAccessKeys: metadata only; secrets are never listed."""
    account = account_of(ctx)
    owner = _owner(ctx, account, user_name)
    page = paginate(_keys_of(account, owner), marker, max_items, "AccessKeyMetadata")
    name = _owner_name(ctx, owner)
    page["AccessKeyMetadata"] = [metadata(key, name) for key in page["AccessKeyMetadata"]]
    return page


def _key_owner_resource(ctx, params):
    key = (
        AccessKey.objects.select_related("user")
        .filter(account__account_id=ctx.principal.account_id, access_key_id=params.get("AccessKeyId") or "")
        .first()
    )
    if key is None or key.user is None:
        return ctx.principal.arn if key is None else f"arn:aws:iam::{ctx.principal.account_id}:root"
    return key.user.arn


@operation("iam:GetAccessKeyLastUsed", resource=_key_owner_resource, read_only=True)
def get_access_key_last_used(ctx, access_key_id=None):
    """GetAccessKeyLastUsed: when, where and with which service the key was last used."""
    constraints = Constraints()
    _check_key_id(constraints, access_key_id)
    constraints.check()
    key = (
        AccessKey.objects.select_related("user")
        .filter(account__account_id=ctx.principal.account_id, access_key_id=access_key_id)
        .first()
    )
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
    last_used = {"ServiceName": key.last_used_service or "N/A", "Region": key.last_used_region or "N/A"}
    if key.last_used_date:
        last_used["LastUsedDate"] = key.last_used_date
    return {"UserName": key.user.user_name if key.user else ctx.principal.account_id, "AccessKeyLastUsed": last_used}
