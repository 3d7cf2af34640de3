"""Password rules: the account password policy and AWS's default policy. Pure: no Django.

``unmet_rules`` returns AWS's wording for every rule a password breaks, so the console
form and the API error list the same rules.
"""

from dataclasses import dataclass

# The symbols AWS counts as non-alphanumeric characters in a password policy
# ("IAM: Set an account password policy for IAM users").
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
# AWS's default policy (no custom policy set) counts a wider symbol set, including <>.
DEFAULT_POLICY_SYMBOLS = SYMBOLS | frozenset("<>")
MAX_PASSWORD_LENGTH = 128


@dataclass(frozen=True)
class PasswordRules:
    """The parts of a password policy that judge a password's text."""

    minimum_password_length: int = 6
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    require_numbers: bool = False
    require_symbols: bool = False


def _has_upper(password):
    return any("A" <= c <= "Z" for c in password)


def _has_lower(password):
    return any("a" <= c <= "z" for c in password)


def _has_number(password):
    return any("0" <= c <= "9" for c in password)


def unmet_rules(password, rules):
    """AWS's messages for each rule of a custom password policy the password breaks."""
    problems = []
    if len(password) < rules.minimum_password_length:
        problems.append(f"Password should have a minimum length of {rules.minimum_password_length}")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password should have a maximum length of {MAX_PASSWORD_LENGTH}")
    if rules.require_uppercase_characters and not _has_upper(password):
        problems.append("Password should have at least one uppercase letter")
    if rules.require_lowercase_characters and not _has_lower(password):
        problems.append("Password should have at least one lowercase letter")
    if rules.require_numbers and not _has_number(password):
        problems.append("Password should have at least one number")
    if rules.require_symbols and not any(c in SYMBOLS for c in password):
        problems.append("Password should have at least one symbol")
    return problems


def unmet_default_rules(password, forbidden=()):
    """AWS's default password policy, used when the account has no custom policy:
    8 to 128 characters, at least three of uppercase, lowercase, numbers and symbols,
    and not the same as the account name or email address."""
    problems = []
    if len(password) < 8:
        problems.append("Password should have a minimum length of 8")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password should have a maximum length of {MAX_PASSWORD_LENGTH}")
    kinds = sum(
        (
            _has_upper(password),
            _has_lower(password),
            _has_number(password),
            any(c in DEFAULT_POLICY_SYMBOLS for c in password),
        )
    )
    if kinds < 3:
        problems.append(
            "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols"
        )
    if any(password.lower() == name.lower() for name in forbidden if name):
        problems.append("Password should not be the same as the account name or email address")
    return problems
