"""What every IAM operation module shares: the caller's account, name and path
validation, entity lookups with AWS's NoSuchEntity texts, pagination, tags, policy
document checks, and AWS's quotas."""

import base64
import re
from urllib.parse import quote

from django.db.models.functions import Substr

from awsapi.errors import (
    AccessDenied,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from iam import rows
from iam.models import Account, Group, ManagedPolicy, Role, User
from iam.validation import PATH, USER_NAME, Constraints

# AWS's default quotas ("IAM and AWS STS quotas"). The operations read them through the
# ``iam.operations`` package (see ``quota``), so one assignment there changes them.
USERS_PER_ACCOUNT = 5000
GROUPS_PER_ACCOUNT = 300
ROLES_PER_ACCOUNT = 1000
POLICIES_PER_ACCOUNT = 1500
GROUPS_PER_USER = 10
MANAGED_POLICIES_PER_ENTITY = 10
VERSIONS_PER_POLICY = 5
TAGS_PER_ENTITY = 50

# Policy size quotas, in characters other than white space.
MANAGED_POLICY_SIZE = 6144
USER_INLINE_SIZE = 2048
GROUP_INLINE_SIZE = 5120
ROLE_INLINE_SIZE = 10240
TRUST_POLICY_SIZE = 2048

NAME = USER_NAME  # user, group, role and policy names share AWS's pattern [\w+=,.@-]+

PATH_PREFIX = re.compile(r"\u002F[\u0021-\u007F]*")
POLICY_PATH = re.compile(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")
MARKER = re.compile(r"[\u0020-\u00FF]+")
POLICY_DOCUMENT = re.compile(r"[\u0009\u000A\u000D\u0020-\u00FF]+")
DESCRIPTION = re.compile(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*")
VERSION_ID = re.compile(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")


class _ShownPattern:
    r"""A pattern Python's ``re`` cannot spell as AWS does (``\p{L}``): matched with an
    equivalent regex, shown in errors with AWS's own text."""

    def __init__(self, shown, regex):
        self.pattern = shown
        self._regex = re.compile(regex)

    def fullmatch(self, value):
        return self._regex.fullmatch(value)


# \p{L}\p{N} are the word characters other than "_" (listed anyway); \p{Z} the separators.
_TAG_CHARS = r"[^\W]|[_.:/=+\-@ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
TAG_KEY = _ShownPattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", rf"(?:{_TAG_CHARS})+")
TAG_VALUE = _ShownPattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", rf"(?:{_TAG_CHARS})*")


def quota(name):
    import iam.operations

    return getattr(iam.operations, name)


_ACCOUNT_FIELDS = tuple(field.attname for field in Account._meta.concrete_fields)
_ACCOUNT_SQL = f"SELECT {', '.join(_ACCOUNT_FIELDS)} FROM {Account._meta.db_table} WHERE account_id = %s"


def account_of(ctx):
    """The caller's account. Plain SQL: nearly every IAM action starts here, and
    compiling the ORM's query cost a third of a millisecond each time."""
    row = rows.fetchone(_ACCOUNT_SQL, [ctx.principal.account_id])
    if row is None:
        raise Account.DoesNotExist("Account matching query does not exist.")
    return rows.instance(Account, _ACCOUNT_FIELDS, row)


def account_ref(ctx):
    """The caller's account with its ID and account ID only (any other field loads on
    use), and without a query when the credentials' lookup found its row: CreateUser
    needs no more, and runs while every other write waits for SQLite's write lock."""
    principal = ctx.principal
    if principal.account_pk is None:
        return account_of(ctx)
    return rows.instance(Account, ("id", "account_id"), (principal.account_pk, principal.account_id))


# --- validation ---------------------------------------------------------------------


def check_name(constraints, member, value, high=64, required=True):
    if required:
        constraints.required(member, value)
    constraints.length(member, value, 1, high)
    constraints.pattern(member, value, NAME)


def check_path(constraints, member, value, pattern=PATH):
    constraints.length(member, value, 1, 512)
    constraints.pattern(member, value, pattern)


def check_document(constraints, member, value):
    constraints.required(member, value)
    constraints.length(member, value, 1, 131072)
    constraints.pattern(member, value, POLICY_DOCUMENT)


def check_arn(constraints, member, value):
    constraints.required(member, value)
    constraints.length(member, value, 20, 2048)


def validated(*checks):
    """Run checks (callables taking a ``Constraints``) and raise their failures together,
    as AWS reports every broken constraint of a request in one ValidationError."""
    constraints = Constraints()
    for check in checks:
        check(constraints)
    constraints.check()


def validate_policy_document(text, kind, size_limit, *, managed=False, owner=None, others=()):
    """The policy engine's grammar and size checks, as AWS's errors. ``owner``
    (("user", "bob")) and ``others`` (the owner's other inline documents) apply IAM's
    quota on the aggregate size of an entity's inline policies."""
    from iam.policy import PolicyError, PolicySizeError, policy_size, size_message, validate_policy

    try:
        validate_policy(text, kind, size_limit, owner=owner, managed=managed)
    except PolicySizeError as error:
        raise LimitExceeded(error.message) from None
    except PolicyError as error:
        raise MalformedPolicyDocument(error.message) from None
    if others and policy_size(text) + sum(policy_size(other) for other in others) > size_limit:
        raise LimitExceeded(size_message(kind, size_limit, owner))


def url_encoded(document):
    """Policy documents leave IAM URL-encoded (RFC 3986), as AWS returns them from
    GetRole, GetUserPolicy, GetPolicyVersion and the like; SDKs decode them."""
    return quote(document, safe="")


# --- pagination -------------------------------------------------------------------


def paginate(items, marker, max_items, key):
    """AWS's Marker/MaxItems paging over a list or queryset already in order: returns the
    page and the response's ``IsTruncated`` and ``Marker`` members under ``key``."""
    constraints = Constraints()
    constraints.length("marker", marker, 1, 320)
    constraints.pattern("marker", marker, MARKER)
    constraints.range("maxItems", max_items, 1, 1000)
    constraints.check()
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode("ascii")).decode("ascii"))
        except ValueError:
            raise ValidationError("Invalid Marker.") from None
        if not 0 <= start < 2**31:  # an OFFSET the database takes
            raise ValidationError("Invalid Marker.")
    limit = max_items or 100
    # One row past the page says whether there is more; on a queryset the slice is the
    # query's LIMIT/OFFSET, so a page of 100 users reads 101 rows, not the account's all.
    rows = list(items[start : start + limit + 1])
    page = rows[:limit]
    response = {key: page, "IsTruncated": len(rows) > limit}
    if response["IsTruncated"]:
        response["Marker"] = base64.urlsafe_b64encode(str(start + limit).encode("ascii")).decode("ascii")
    return response


def by_path_prefix(queryset, path_prefix, field="path"):
    """The rows whose ``field`` starts with ``path_prefix``, compared exactly: IAM paths
    are case-sensitive, and ``%`` and ``_`` are path characters (``startswith`` is a
    case-insensitive LIKE on SQLite). ListUsers' plain SQL compares the same way."""
    if path_prefix:
        return queryset.alias(_path_head=Substr(field, 1, len(path_prefix))).filter(_path_head=path_prefix)
    return queryset


def check_path_prefix(path_prefix, pattern=PATH_PREFIX):
    constraints = Constraints()
    constraints.length("pathPrefix", path_prefix, 1, 512)
    constraints.pattern("pathPrefix", path_prefix, pattern)
    constraints.check()


# --- lookups ----------------------------------------------------------------------


def user_named(account, user_name, member="userName", high=64):
    validated(lambda c: check_name(c, member, user_name, high))
    try:
        return account.users.select_related("account").get(user_name_key=user_name.lower())
    except User.DoesNotExist:
        raise NoSuchEntity(f"The user with name {user_name} cannot be found.") from None


def group_named(account, group_name):
    validated(lambda c: check_name(c, "groupName", group_name, 128))
    try:
        return account.groups.select_related("account").get(group_name_key=group_name.lower())
    except Group.DoesNotExist:
        raise NoSuchEntity(f"The group with name {group_name} cannot be found.") from None


def role_named(account, role_name):
    validated(lambda c: check_name(c, "roleName", role_name))
    try:
        return account.roles.select_related("account", "permissions_boundary").get(role_name_key=role_name.lower())
    except Role.DoesNotExist:
        raise NoSuchEntity(f"The role with name {role_name} cannot be found.") from None


def visible_policies(account):
    """The managed policies an account sees: its own and AWS's."""
    from django.db.models import Q

    return ManagedPolicy.objects.filter(Q(account=account) | Q(account__isnull=True))


def policy_at(account, policy_arn, member="policyArn", message="Policy {arn} was not found."):
    validated(lambda c: check_arn(c, member, policy_arn))
    policy = visible_policies(account).filter(arn=policy_arn).first()
    if policy is None:
        raise NoSuchEntity(message.format(arn=policy_arn))
    return policy


def attachable_policy(account, policy_arn, member="policyArn"):
    return policy_at(account, policy_arn, member, "Policy {arn} does not exist or is not attachable.")


def customer_policy(ctx, account, policy_arn, action):
    """A policy the caller may change: AWS managed policies are read-only."""
    policy = policy_at(account, policy_arn)
    if policy.is_aws_managed:
        # AWS answers changes to its own policies with AccessDenied, whoever asks.
        raise AccessDenied(
            f"User: {ctx.principal.arn} is not authorized to perform: {action} on resource: "
            f"policy {policy_arn}"
        )
    return policy


# --- resources for authorization -----------------------------------------------------


def _existing(model, key_field, ctx, params, member, kind):
    name = params.get(member) or ""
    path = (
        model.objects.filter(account__account_id=ctx.principal.account_id, **{key_field: name.lower()})
        .values_list("path", flat=True)
        .first()
    )
    return f"arn:aws:iam::{ctx.principal.account_id}:{kind}{path or '/'}{name}"


def user_resource(ctx, params):
    """The user's ARN with its path, as policies match it; the bare name if no such user.
    Without a UserName, the caller's own user (AWS's default for these actions)."""
    if not params.get("UserName"):
        return ctx.principal.arn
    return _existing(User, "user_name_key", ctx, params, "UserName", "user")


def group_resource(ctx, params):
    return _existing(Group, "group_name_key", ctx, params, "GroupName", "group")


def role_resource(ctx, params):
    return _existing(Role, "role_name_key", ctx, params, "RoleName", "role")


def listing_resource(kind):
    """ListUsers, ListGroups, ListRoles and ListPolicies are authorized on the path they
    list: AWS's denial reads "... iam:ListRoles on resource: arn:aws:iam::123456789012:role/"."""

    def resource(ctx, params):
        return f"arn:aws:iam::{ctx.principal.account_id}:{kind}{params.get('PathPrefix') or '/'}"

    return resource


def new_group_resource(ctx, params):
    return f"arn:aws:iam::{ctx.principal.account_id}:group{params.get('Path') or '/'}{params.get('GroupName') or ''}"


def new_role_resource(ctx, params):
    return f"arn:aws:iam::{ctx.principal.account_id}:role{params.get('Path') or '/'}{params.get('RoleName') or ''}"


def new_policy_resource(ctx, params):
    return f"arn:aws:iam::{ctx.principal.account_id}:policy{params.get('Path') or '/'}{params.get('PolicyName') or ''}"


def policy_resource(ctx, params):
    return params.get("PolicyArn") or ""


# --- tags ---------------------------------------------------------------------------


def validate_tags(tags):
    constraints = Constraints()
    constraints.required("tags", tags)
    if tags is not None and len(tags) > TAGS_PER_ENTITY:
        constraints.failures.append(
            f"Value '{tags}' at 'tags' failed to satisfy constraint: "
            f"Member must have length less than or equal to {TAGS_PER_ENTITY}"
        )
    for index, tag in enumerate(tags or [], start=1):
        key, value = tag.get("Key"), tag.get("Value")
        constraints.required(f"tags.{index}.member.key", key)
        constraints.length(f"tags.{index}.member.key", key, 1, 128)
        constraints.pattern(f"tags.{index}.member.key", key, TAG_KEY)
        constraints.required(f"tags.{index}.member.value", value)
        constraints.length(f"tags.{index}.member.value", value, 0, 256)
        if value:
            constraints.pattern(f"tags.{index}.member.value", value, TAG_VALUE)
    constraints.check()
    keys = [tag["Key"].lower() for tag in tags]
    if len(set(keys)) != len(keys):
        raise ValidationError("Duplicate tag keys found. Please note that Tag keys are case insensitive.")


def validate_tag_keys(tag_keys):
    constraints = Constraints()
    constraints.required("tagKeys", tag_keys)
    for index, key in enumerate(tag_keys or [], start=1):
        constraints.length(f"tagKeys.{index}.member", key, 1, 128)
        constraints.pattern(f"tagKeys.{index}.member", key, TAG_KEY)
    constraints.check()


def apply_tags(manager, tags):
    """Add or overwrite tags (keys match ignoring case, as IAM's do), within the quota.
    ``manager`` is the entity's related manager of tags (``user.tags``, ``device.tags``...),
    whose ``create`` sets the owner whatever table the tags live in."""
    existing = {tag.key.lower(): tag for tag in manager.all()}
    new_keys = {tag["Key"].lower() for tag in tags} - set(existing)
    if len(existing) + len(new_keys) > TAGS_PER_ENTITY:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {TAGS_PER_ENTITY}.")
    for tag in tags:
        current = existing.get(tag["Key"].lower())
        if current is None:
            manager.create(key=tag["Key"], value=tag["Value"])
        else:
            current.key, current.value = tag["Key"], tag["Value"]
            current.save(update_fields=["key", "value"])


def remove_tags(manager, tag_keys):
    lowered = {key.lower() for key in tag_keys}
    for tag in manager.all():
        if tag.key.lower() in lowered:
            tag.delete()


def tags_shape(manager):
    return [{"Key": tag.key, "Value": tag.value} for tag in sorted(manager.all(), key=lambda t: t.key)]


def boundary_shape(policy):
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": policy.arn}
