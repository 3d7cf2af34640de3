"""IAM actions, one function each, named after the AWS action.

The model: an Account (12-digit ID, optional alias, root user) owns IAM Users; a User
may have a LoginProfile (console password) whose earlier hashes are kept in
PasswordHistory; the account may have a custom PasswordPolicy, and without one AWS's
default password policy applies. Every function takes the request context and AWS's
parameters in snake_case, raises ``awsapi.errors`` exceptions, and returns AWS's
response shape. The dispatcher authorizes, wraps it in a transaction and records it.
"""

from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction

from awsapi.errors import (
    EntityAlreadyExists,
    InvalidUserType,
    LimitExceeded,
    NoSuchEntity,
    PasswordPolicyViolation,
    ValidationError,
)
from awsapi.operation import operation
from console import clock
from iam import arns, ids
from iam.models import Account, LoginProfile, PasswordHistory, PasswordPolicy, User
from iam.passwords import PasswordRules, unmet_default_rules, unmet_rules
from iam.validation import ACCOUNT_ALIAS, PASSWORD, PATH, USER_NAME, Constraints

USERS_PER_ACCOUNT = 5000


def _account(ctx):
    return Account.objects.get(account_id=ctx.principal.account_id)


def _validate_user_name(user_name, constraints=None):
    check = constraints or Constraints()
    check.required("userName", user_name)
    check.length("userName", user_name, 1, 64)
    check.pattern("userName", user_name, USER_NAME)
    if constraints is None:
        check.check()


def _user(account, user_name):
    _validate_user_name(user_name)
    try:
        return account.users.select_related("account").get(user_name_key=user_name.lower())
    except User.DoesNotExist:
        raise NoSuchEntity(f"The user with name {user_name} cannot be found.") from None


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


# --- Password policy -------------------------------------------------------------


def password_policy_shape(policy):
    shape = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.expire_passwords,
    }
    if policy.max_password_age:
        shape["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention:
        shape["PasswordReusePrevention"] = policy.password_reuse_prevention
    if policy.hard_expiry:
        shape["HardExpiry"] = True
    return shape


def _no_policy(account):
    return NoSuchEntity(f"The Password Policy with domain name {account.account_id} cannot be found.")


@operation("iam:GetAccountPasswordPolicy", read_only=True)
def get_account_password_policy(ctx):
    """GetAccountPasswordPolicy."""
    account = _account(ctx)
    try:
        return {"PasswordPolicy": password_policy_shape(account.password_policy)}
    except PasswordPolicy.DoesNotExist:
        raise _no_policy(account) from None


@operation("iam:UpdateAccountPasswordPolicy")
def update_account_password_policy(
    ctx,
    minimum_password_length=None,
    require_symbols=None,
    require_numbers=None,
    require_uppercase_characters=None,
    require_lowercase_characters=None,
    allow_users_to_change_password=None,
    max_password_age=None,
    password_reuse_prevention=None,
    hard_expiry=None,
):
    """UpdateAccountPasswordPolicy. As in AWS, an omitted parameter takes its default
    (length 6, everything else off), not its current value."""
    constraints = Constraints()
    constraints.range("minimumPasswordLength", minimum_password_length, 6, 128)
    constraints.range("maxPasswordAge", max_password_age, 1, 1095)
    constraints.range("passwordReusePrevention", password_reuse_prevention, 1, 24)
    constraints.check()
    account = _account(ctx)
    PasswordPolicy.objects.update_or_create(
        account=account,
        defaults=dict(
            minimum_password_length=minimum_password_length or 6,
            require_symbols=bool(require_symbols),
            require_numbers=bool(require_numbers),
            require_uppercase_characters=bool(require_uppercase_characters),
            require_lowercase_characters=bool(require_lowercase_characters),
            allow_users_to_change_password=bool(allow_users_to_change_password),
            max_password_age=max_password_age or None,
            password_reuse_prevention=password_reuse_prevention or None,
            hard_expiry=bool(hard_expiry),
        ),
    )
    return {}


@operation("iam:DeleteAccountPasswordPolicy")
def delete_account_password_policy(ctx):
    """DeleteAccountPasswordPolicy: the account goes back to AWS's default policy."""
    account = _account(ctx)
    deleted, _ = PasswordPolicy.objects.filter(account=account).delete()
    if not deleted:
        raise _no_policy(account)
    return {}


def password_problems(account, password, user=None):
    """Every rule of the account's password policy that ``password`` breaks (AWS's
    default policy when the account has none), including reuse of recent passwords."""
    try:
        policy = account.password_policy
    except PasswordPolicy.DoesNotExist:
        return unmet_default_rules(password, forbidden=(account.alias or "", account.root_email))
    rules = PasswordRules(
        minimum_password_length=policy.minimum_password_length,
        require_uppercase_characters=policy.require_uppercase_characters,
        require_lowercase_characters=policy.require_lowercase_characters,
        require_numbers=policy.require_numbers,
        require_symbols=policy.require_symbols,
    )
    problems = unmet_rules(password, rules)
    if user is not None and policy.password_reuse_prevention:
        # "Prevent password reuse" counts the current password among the last N.
        recent = list(LoginProfile.objects.filter(user=user).values_list("password", flat=True))
        recent += user.password_history.order_by("-create_date", "-pk").values_list("password", flat=True)[
            : policy.password_reuse_prevention - len(recent)
        ]
        if any(check_password(password, encoded) for encoded in recent):
            problems.append(
                f"Password should not be one of your last {policy.password_reuse_prevention} passwords"
            )
    return problems


def enforce_password_policy(account, password, user=None):
    problems = password_problems(account, password, user)
    if problems:
        raise PasswordPolicyViolation("Password does not conform to the account password policy: " + "; ".join(problems) + ".")


def password_expired(login_profile, policy):
    """Whether an IAM user's console password is past the policy's MaxPasswordAge."""
    if policy is None or not policy.max_password_age:
        return False
    return clock.now() >= login_profile.password_changed + timedelta(days=policy.max_password_age)


# --- Account alias ---------------------------------------------------------------


def validate_account_alias(alias):
    constraints = Constraints()
    constraints.required("accountAlias", alias)
    constraints.length("accountAlias", alias, 3, 63)
    constraints.pattern("accountAlias", alias, ACCOUNT_ALIAS)
    constraints.check()
    # An all-digit alias would be indistinguishable from an account ID in the sign-in
    # form's "Account ID (12 digits) or account alias" field.
    if alias.isdigit():
        raise ValidationError("The account alias must contain at least one lowercase letter or hyphen.")


@operation("iam:CreateAccountAlias")
def create_account_alias(ctx, account_alias=None):
    """CreateAccountAlias. An account has at most one alias: a new one replaces it."""
    validate_account_alias(account_alias)
    account = _account(ctx)
    if Account.objects.filter(alias=account_alias).exclude(pk=account.pk).exists():
        raise EntityAlreadyExists(f"The account alias {account_alias} already exists.")
    account.alias = account_alias
    try:
        with transaction.atomic():
            account.save(update_fields=["alias"])
    except IntegrityError:  # another account took it between the check and the save
        raise EntityAlreadyExists(f"The account alias {account_alias} already exists.") from None
    return {}


@operation("iam:DeleteAccountAlias")
def delete_account_alias(ctx, account_alias=None):
    """DeleteAccountAlias."""
    validate_account_alias(account_alias)
    account = _account(ctx)
    if account.alias != account_alias:
        raise NoSuchEntity(f"The account alias {account_alias} cannot be found.")
    account.alias = None
    account.save(update_fields=["alias"])
    return {}


@operation("iam:ListAccountAliases", read_only=True)
def list_account_aliases(ctx):
    """ListAccountAliases."""
    account = _account(ctx)
    return {"AccountAliases": [account.alias] if account.alias else [], "IsTruncated": False}


# --- Users and login profiles ----------------------------------------------------


def user_shape(user):
    return {
        "Path": user.path,
        "UserName": user.user_name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.create_date,
    }


@operation("iam:CreateUser", resource=_new_user_resource)
def create_user(ctx, user_name=None, path=None):
    """CreateUser."""
    path = "/" if path is None else path
    constraints = Constraints()
    _validate_user_name(user_name, constraints)
    constraints.length("path", path, 1, 512)
    constraints.pattern("path", path, PATH)
    constraints.check()
    account = _account(ctx)
    if account.users.filter(user_name_key=user_name.lower()).exists():
        raise EntityAlreadyExists(f"User with name {user_name} already exists.")
    if account.users.count() >= USERS_PER_ACCOUNT:
        raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {USERS_PER_ACCOUNT}")
    try:
        with transaction.atomic():
            user = User.objects.create(
                account=account,
                user_name=user_name,
                user_id=ids.unique_id("AIDA"),
                path=path,
                create_date=clock.now(),
            )
    except IntegrityError:  # created concurrently under the same name
        raise EntityAlreadyExists(f"User with name {user_name} already exists.") from None
    return {"User": user_shape(user)}


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
    login_profile.password = make_password(password)
    login_profile.password_changed = now


def _login_profile(user):
    try:
        return user.login_profile
    except LoginProfile.DoesNotExist:
        raise NoSuchEntity(f"Login Profile for User {user.user_name} cannot be found.") from None


@operation("iam:CreateLoginProfile", resource=_existing_user_resource, secret_params=("Password",))
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


@operation("iam:UpdateLoginProfile", resource=_existing_user_resource, secret_params=("Password",))
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


@operation("iam:ChangePassword", resource=_own_user_resource, secret_params=("OldPassword", "NewPassword"))
def change_password(ctx, old_password=None, new_password=None):
    """ChangePassword: an IAM user changes their own console password."""
    _validate_password("oldPassword", old_password)
    _validate_password("newPassword", new_password)
    if ctx.principal.is_root:
        raise InvalidUserType("Only IAM users can change their own password with ChangePassword.")
    user = User.objects.select_related("account").get(pk=ctx.principal.user_pk)
    profile = _login_profile(user)
    if not check_password(old_password, profile.password):
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
