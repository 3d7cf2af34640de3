"""IAM users: their lifecycle, console passwords (login profiles) and tags."""

from django.db import IntegrityError, transaction

from awsapi.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidUserType,
    LimitExceeded,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from awsapi.operation import answer_ahead, operation
from console import clock
from iam import arns, ids, rows
from iam.hashing import hash_password, password_matches, work_ahead
from iam.models import Account, LoginProfile, PasswordHistory, PasswordPolicy, User, UserCount
from iam.operations.account import enforce_password_policy, password_expired, recent_passwords
from iam.operations.common import (
    listing_resource,
    account_of as _account,
    account_ref,
    apply_tags,
    attachable_policy,
    boundary_shape,
    check_arn,
    check_name,
    check_path,
    check_path_prefix,
    paginate,
    quota,
    remove_tags,
    tags_shape,
    user_named,
    user_resource,
    validate_tag_keys,
    validate_tags,
    validated,
)
from iam.validation import PASSWORD, PATH, USER_NAME, Constraints


def _validate_user_name(user_name, constraints=None):
    check = constraints or Constraints()
    check.required("userName", user_name)
    check.length("userName", user_name, 1, 64)
    check.pattern("userName", user_name, USER_NAME)
    if constraints is None:
        check.check()


def _user(account, user_name):
    return user_named(account, user_name)


def _new_user_resource(ctx, params):
    account_id = ctx.principal.account_id
    return arns.user_arn(account_id, params.get("Path") or "/", params.get("UserName") or "")


def _existing_user_resource(ctx, params):
    """The user's ARN with its path, as policies match it; the bare name if no such user."""
    user_name = params.get("UserName") or ""
    path = (
        User.objects.filter(account__account_id=ctx.principal.account_id, user_name_key=user_name.lower())
        .values_list("path", flat=True)
        .first()
    )
    return arns.user_arn(ctx.principal.account_id, path or "/", user_name)


def _own_user_resource(ctx, params):
    return ctx.principal.arn


LISTED_FIELDS = ("path", "user_name", "user_id", "create_date", "password_last_used")


def _listed_shape(account_id, path, user_name, user_id, create_date, password_last_used):
    """The User structure ListUsers returns, from a user's LISTED_FIELDS."""
    shape = {"Path": path, "UserName": user_name, "UserId": user_id,
             "Arn": arns.user_arn(account_id, path, user_name), "CreateDate": create_date}
    if password_last_used:
        shape["PasswordLastUsed"] = password_last_used
    return shape


def user_shape(user, details=False):
    """AWS's User structure; ``details`` adds what only GetUser and CreateUser return
    (the permissions boundary and tags)."""
    shape = _listed_shape(user.account.account_id, user.path, user.user_name, user.user_id, user.create_date,
                          user.password_last_used)
    if details:
        if user.permissions_boundary_id:
            shape["PermissionsBoundary"] = boundary_shape(user.permissions_boundary)
        tags = tags_shape(user.tags)
        if tags:
            shape["Tags"] = tags
    return shape


# The account's users, the new one included: the row iam_user's triggers keep. On
# PostgreSQL the new user's trigger locked that row until commit, so concurrent creates
# in one account each read a count that includes the others'.
_USERS_IN_ACCOUNT = f"SELECT users FROM {UserCount._meta.db_table} WHERE account_id = %s"


@operation("iam:CreateUser", resource=_new_user_resource)
def create_user(ctx, user_name=None, path=None, permissions_boundary=None, tags=None):
    """CreateUser."""
    path = "/" if path is None else path
    constraints = Constraints()
    _validate_user_name(user_name, constraints)
    constraints.length("path", path, 1, 512)
    constraints.pattern("path", path, PATH)
    if permissions_boundary is not None:
        check_arn(constraints, "permissionsBoundary", permissions_boundary)
    constraints.check()
    if tags:
        validate_tags(tags)
    account = account_ref(ctx)
    boundary = None
    if permissions_boundary is not None:
        boundary = attachable_policy(account, permissions_boundary, "permissionsBoundary")
    fields = {
        "user_name": user_name,
        "user_name_key": user_name.lower(),  # as User.save() sets it
        "user_id": ids.unique_id("AIDA"),
        "path": path,
        "create_date": clock.now(),
    }
    answer = None
    if not tags:
        # A new user without tags: its shape needs no query, and is made (with the
        # call's event) before the insert begins the transaction (console/sqlite/base.py).
        shape = _listed_shape(account.account_id, path, user_name, fields["user_id"], fields["create_date"], None)
        if boundary is not None:
            shape["PermissionsBoundary"] = boundary_shape(boundary)
        answer = answer_ahead({"User": shape})
    values = {**fields, "account_id": account.pk, "permissions_boundary_id": boundary and boundary.pk}
    limit = quota("USERS_PER_ACCOUNT")
    # Inserted first, checked after: the unique index finds a taken name and the trigger
    # counts the new user, so neither needs a query of its own. A failure here leaves
    # nothing: dispatch's transaction rolls the whole action back.
    try:
        # A statement compiled once: the ORM's create() was a fifth of CreateUser's CPU.
        # Only the tags need the new row's ID.
        pk = rows.insert(User, values, returning=answer is None)
    except IntegrityError:  # the name is taken (ignoring case), maybe by a concurrent call
        raise EntityAlreadyExists(f"User with name {user_name} already exists.") from None
    if rows.fetchone(_USERS_IN_ACCOUNT, [account.pk])[0] > limit:
        raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {limit}")
    if answer is not None:
        return answer
    user = User(pk=pk, account=account, permissions_boundary=boundary, **fields)
    apply_tags(user.tags, tags)
    return {"User": user_shape(user, details=True)}


def _validate_password(member, password):
    constraints = Constraints()
    constraints.required(member, password)
    constraints.length(member, password, 1, 128, shown="***")
    constraints.pattern(member, password, PASSWORD, shown="***")
    constraints.check()


def _set_password(login_profile, password):
    """Store a new console password, remembering the old hash for reuse prevention."""
    now = clock.now()
    if login_profile.pk:
        PasswordHistory.objects.create(user=login_profile.user, password=login_profile.password, create_date=now)
    login_profile.password = hash_password(password)
    login_profile.password_changed = now


def _login_profile(user):
    try:
        return user.login_profile
    except LoginProfile.DoesNotExist:
        raise NoSuchEntity(f"Login Profile for User {user.user_name} cannot be found.") from None


def _well_formed(password):
    try:
        _validate_password("password", password)
    except ValidationError:
        return False
    return True


def _policy(account_id):
    return PasswordPolicy.objects.filter(account__account_id=account_id).first()


def _set_password_ahead(creating):
    """The ``prepare`` of CreateLoginProfile (``creating``) or UpdateLoginProfile: the new
    password's hash and reuse checks, before the transaction (iam/hashing.py). Only where
    the operation will get that far (a well-formed password, the user there, without or
    with a login profile as the action needs), so that a refused call costs no hash."""

    def prepare(ctx, kwargs):
        password, user_name = kwargs.get("password"), kwargs.get("user_name")
        if not _well_formed(password) or not isinstance(user_name, str):
            return kwargs, None
        account_id = ctx.principal.account_id
        user = User.objects.filter(account__account_id=account_id, user_name_key=user_name.lower()).first()
        if user is None or LoginProfile.objects.filter(user=user).exists() == creating:
            return kwargs, None
        reused = [(password, encoded) for encoded in recent_passwords(user, _policy(account_id))]
        return kwargs, work_ahead([password], reused)

    return prepare


def _change_password_ahead(ctx, kwargs):
    """ChangePassword's Argon2 work, before the transaction (iam/hashing.py): the old
    password's check first, and only when it matches the new password's hash and reuse
    checks, as the operation does them."""
    old, new = kwargs.get("old_password"), kwargs.get("new_password")
    if ctx.principal.is_root or not (_well_formed(old) and _well_formed(new)):
        return kwargs, None
    profile = LoginProfile.objects.filter(user_id=ctx.principal.user_pk).select_related("user").first()
    if profile is None:
        return kwargs, None
    known = {(old, profile.password): password_matches(old, profile.password)}
    if not known[(old, profile.password)] or old == new:
        return kwargs, work_ahead(known=known)
    reused = [(new, encoded) for encoded in recent_passwords(profile.user, _policy(ctx.principal.account_id))]
    return kwargs, work_ahead([new], reused, known=known)


@operation("iam:CreateLoginProfile", resource=_existing_user_resource, secret_params=("Password",),
           prepare=_set_password_ahead(creating=True))
def create_login_profile(ctx, user_name=None, password=None, password_reset_required=False):
    """CreateLoginProfile: give an IAM user a console password."""
    _validate_password("password", password)
    user = _user(_account(ctx), user_name)
    if LoginProfile.objects.filter(user=user).exists():
        raise EntityAlreadyExists(f"Login Profile for user {user.user_name} already exists.")
    enforce_password_policy(user.account, password, user)
    profile = LoginProfile(user=user, password_reset_required=bool(password_reset_required), create_date=clock.now())
    _set_password(profile, password)
    profile.save()
    return {
        "LoginProfile": {
            "UserName": user.user_name,
            "CreateDate": profile.create_date,
            "PasswordResetRequired": profile.password_reset_required,
        }
    }


@operation("iam:UpdateLoginProfile", resource=_existing_user_resource, secret_params=("Password",),
           prepare=_set_password_ahead(creating=False))
def update_login_profile(ctx, user_name=None, password=None, password_reset_required=None):
    """UpdateLoginProfile: an administrator resets an IAM user's console password."""
    if password is not None:
        _validate_password("password", password)
    user = _user(_account(ctx), user_name)
    profile = _login_profile(user)
    if password is not None:
        enforce_password_policy(user.account, password, user)
        _set_password(profile, password)
    if password_reset_required is not None:
        profile.password_reset_required = bool(password_reset_required)
    profile.save()
    return {}


@operation("iam:ChangePassword", resource=_own_user_resource, secret_params=("OldPassword", "NewPassword"),
           prepare=_change_password_ahead)
def change_password(ctx, old_password=None, new_password=None):
    """ChangePassword: an IAM user changes their own console password."""
    _validate_password("oldPassword", old_password)
    _validate_password("newPassword", new_password)
    if ctx.principal.is_root:
        raise InvalidUserType("Only IAM users can change their own password with ChangePassword.")
    user = User.objects.select_related("account").get(pk=ctx.principal.user_pk)
    profile = _login_profile(user)
    if not password_matches(old_password, profile.password):
        raise InvalidUserType("The old password is incorrect.")
    policy = PasswordPolicy.objects.filter(account=user.account).first()
    if ctx.via_console and policy and policy.hard_expiry and password_expired(profile, policy):
        raise InvalidUserType(
            "Your password has expired and the password policy requires an administrator to reset it."
        )
    if old_password == new_password:
        raise PasswordPolicyViolation("The new password must be different from the old password.")
    enforce_password_policy(user.account, new_password, user)
    _set_password(profile, new_password)
    profile.password_reset_required = False
    profile.save()
    return {}


# --- Reading, renaming and deleting users --------------------------------------------


def _root_user_shape(account):
    # GetUser without a user name, called by the root user: AWS answers with the
    # account's root identity, which has no user name or path.
    shape = {"UserId": account.account_id, "Arn": account.root_arn, "CreateDate": account.create_date}
    if account.root_password_last_used:
        shape["PasswordLastUsed"] = account.root_password_last_used
    return shape


def _named_or_caller(ctx, account, user_name):
    """The named user, or the calling IAM user when the name is omitted."""
    if user_name is None:
        return User.objects.select_related("account", "permissions_boundary").get(pk=ctx.principal.user_pk)
    return user_named(account, user_name)


@operation("iam:GetUser", resource=user_resource, read_only=True)
def get_user(ctx, user_name=None):
    """GetUser: the named user, or the caller when UserName is omitted."""
    account = _account(ctx)
    if user_name is None and ctx.principal.is_root:
        return {"User": _root_user_shape(account)}
    user = _named_or_caller(ctx, account, user_name)
    return {"User": user_shape(user, details=True)}


@operation("iam:ListUsers", resource=listing_resource("user"), read_only=True)
def list_users(ctx, path_prefix=None, marker=None, max_items=None):
    """ListUsers."""
    check_path_prefix(path_prefix)
    account_id = ctx.principal.account_id
    if path_prefix:
        listed = rows.Select(_LISTED_UNDER_PATH, [account_id, len(path_prefix), path_prefix], _listed_row(account_id))
    else:
        listed = rows.Select(_LISTED, [account_id], _listed_row(account_id))
    return paginate(listed, marker, max_items, "Users")


# ListUsers' page by plain SQL, not a queryset: compiling the ORM query and converting
# its rows cost more than the query and the XML together on a page of 50. The path
# prefix is compared exactly (IAM paths are case-sensitive; SQLite's LIKE is not).
_LISTED = (
    f"SELECT {', '.join(f'u.{column}' for column in LISTED_FIELDS)} FROM {User._meta.db_table} u"
    f" JOIN {Account._meta.db_table} a ON a.id = u.account_id WHERE a.account_id = %s"
)
_LISTED_UNDER_PATH = _LISTED + " AND substr(u.path, 1, %s) = %s ORDER BY u.user_name_key"
_LISTED += " ORDER BY u.user_name_key"


def _listed_row(account_id):
    def row(path, user_name, user_id, create_date, password_last_used):
        return _listed_shape(account_id, path, user_name, user_id, rows.aware(create_date),
                             rows.aware(password_last_used))

    return row


@operation("iam:UpdateUser", resource=user_resource)
def update_user(ctx, user_name=None, new_path=None, new_user_name=None):
    """UpdateUser: rename a user or move it to another path."""

    def checks(constraints):
        check_name(constraints, "userName", user_name, 128)
        check_name(constraints, "newUserName", new_user_name, required=False)
        check_path(constraints, "newPath", new_path)

    validated(checks)
    account = _account(ctx)
    user = user_named(account, user_name, high=128)
    if new_user_name is not None and new_user_name.lower() != user.user_name_key:
        if account.users.filter(user_name_key=new_user_name.lower()).exists():
            raise EntityAlreadyExists(f"User with name {new_user_name} already exists.")
    if new_user_name is not None:
        user.user_name = new_user_name
    if new_path is not None:
        user.path = new_path
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise EntityAlreadyExists(f"User with name {new_user_name} already exists.") from None
    return {}


@operation("iam:DeleteUser", resource=user_resource)
def delete_user(ctx, user_name=None):
    """DeleteUser. As in AWS, everything attached to the user must be removed first."""
    user = user_named(_account(ctx), user_name, high=128)
    if LoginProfile.objects.filter(user=user).exists():
        raise DeleteConflict("Cannot delete entity, must delete login profile first.")
    if user.access_keys.exists():
        raise DeleteConflict("Cannot delete entity, must delete access keys first.")
    if user.inline_policies.exists():
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if user.attachments.exists():
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    if user.memberships.exists():
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")
    if user.mfa_devices.exists():
        raise DeleteConflict("Cannot delete entity, must delete MFA device first.")
    user.delete()
    return {}


# --- Login profiles -----------------------------------------------------------------


@operation("iam:GetLoginProfile", resource=user_resource, read_only=True)
def get_login_profile(ctx, user_name=None):
    """GetLoginProfile: whether the user has a console password (never the password)."""
    account = _account(ctx)
    if user_name is None and ctx.principal.is_root:
        raise NoSuchEntity(f"Login Profile for User {account.account_id} cannot be found.")
    user = _named_or_caller(ctx, account, user_name)
    profile = _login_profile(user)
    return {
        "LoginProfile": {
            "UserName": user.user_name,
            "CreateDate": profile.create_date,
            "PasswordResetRequired": profile.password_reset_required,
        }
    }


@operation("iam:DeleteLoginProfile", resource=user_resource)
def delete_login_profile(ctx, user_name=None):
    """DeleteLoginProfile: remove the user's console password (console access off)."""
    account = _account(ctx)
    if user_name is None and ctx.principal.is_root:
        raise NoSuchEntity(f"Login Profile for User {account.account_id} cannot be found.")
    user = _named_or_caller(ctx, account, user_name)
    profile = _login_profile(user)
    profile.delete()
    return {}


# --- Tags ---------------------------------------------------------------------------


@operation("iam:TagUser", resource=user_resource)
def tag_user(ctx, user_name=None, tags=None):
    """TagUser: add or overwrite tags."""
    validated(lambda c: check_name(c, "userName", user_name, 128))
    validate_tags(tags)
    user = user_named(_account(ctx), user_name, high=128)
    apply_tags(user.tags, tags)
    return {}


@operation("iam:UntagUser", resource=user_resource)
def untag_user(ctx, user_name=None, tag_keys=None):
    """UntagUser: remove tags by key; unknown keys are ignored."""
    validated(lambda c: check_name(c, "userName", user_name, 128))
    validate_tag_keys(tag_keys)
    user = user_named(_account(ctx), user_name, high=128)
    remove_tags(user.tags, tag_keys)
    return {}


@operation("iam:ListUserTags", resource=user_resource, read_only=True)
def list_user_tags(ctx, user_name=None, marker=None, max_items=None):
    """ListUserTags."""
    user = user_named(_account(ctx), user_name, high=128)
    return paginate(tags_shape(user.tags), marker, max_items, "Tags")
