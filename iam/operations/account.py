"""Account-level settings: the password policy and the account alias."""

from datetime import timedelta

from django.db import IntegrityError, transaction

from awsapi.errors import EntityAlreadyExists, NoSuchEntity, PasswordPolicyViolation, ValidationError
from awsapi.operation import operation
from console import clock
from iam.hashing import password_matches
from iam.models import Account, LoginProfile, PasswordPolicy
from iam.operations.common import account_of as _account
from iam.passwords import PasswordRules, unmet_default_rules, unmet_rules
from iam.validation import ACCOUNT_ALIAS, Constraints


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
    if user is not None and any(password_matches(password, encoded) for encoded in recent_passwords(user, policy)):
        problems.append(f"Password should not be one of your last {policy.password_reuse_prevention} passwords")
    return problems


def recent_passwords(user, policy):
    """The hashes a new password of ``user`` must not match: "Prevent password reuse"
    counts the current password among the last N."""
    if policy is None or not policy.password_reuse_prevention:
        return []
    recent = list(LoginProfile.objects.filter(user=user).values_list("password", flat=True))
    recent += user.password_history.order_by("-create_date", "-pk").values_list("password", flat=True)[
        : policy.password_reuse_prevention - len(recent)
    ]
    return recent


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
