"""Creating accounts: the installation-level step (an instructor's or ``make run``'s)
that AWS performs at sign-up. Not an IAM action, so it is not dispatched; it raises
``AccountError`` with a message fit for the command line or a form."""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from awsapi.errors import AWSError
from console import clock
from iam import ids
from iam.models import Account
from iam.operations import validate_account_alias
from iam.passwords import unmet_default_rules


class AccountError(Exception):
    pass


def normalize_email(email):
    return (email or "").strip().lower()


def create_account(email, password, account_id=None, alias=None):
    """Create an account and its root user; returns the Account."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except DjangoValidationError:
        raise AccountError(f"{email!r} is not a valid email address.") from None
    if account_id is not None and not ids.is_account_id(account_id):
        raise AccountError("The account ID must be exactly 12 digits.")
    if alias is not None:
        try:
            validate_account_alias(alias)
        except AWSError as error:
            raise AccountError(error.message) from None
    # The root password follows AWS's rules for root passwords, which are the
    # default password policy's.
    problems = unmet_default_rules(password or "", forbidden=(email, alias or ""))
    if problems:
        raise AccountError("The password is too weak: " + "; ".join(problems) + ".")
    if Account.objects.filter(root_email=email).exists():
        raise AccountError(f"An account with the root user email address {email} already exists.")
    if alias is not None and Account.objects.filter(alias=alias).exists():
        raise AccountError(f"The account alias {alias} already exists.")
    if account_id is not None and Account.objects.filter(account_id=account_id).exists():
        raise AccountError(f"An account with ID {account_id} already exists.")
    # Hashed before the transaction: Argon2's 0.1 s must not hold SQLite's write lock,
    # which every other writer waits for.
    encoded = make_password(password)
    for _ in range(10):
        new_id = account_id or ids.account_id()
        try:
            with transaction.atomic():
                return Account.objects.create(
                    account_id=new_id,
                    alias=alias,
                    root_email=email,
                    root_password=encoded,
                    create_date=clock.now(),
                )
        except IntegrityError:
            if account_id is not None:
                break
    raise AccountError("The account could not be created: its email, alias or ID is already taken.")
