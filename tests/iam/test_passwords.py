"""iam/passwords.py: the custom policy's rules and AWS's default policy. Pure: no database."""

import pytest

from iam.passwords import (
    DEFAULT_POLICY_SYMBOLS,
    MAX_PASSWORD_LENGTH,
    SYMBOLS,
    PasswordRules,
    unmet_default_rules,
    unmet_rules,
)

MIN_LENGTH = "Password should have a minimum length of {}"
MAX_LENGTH = "Password should have a maximum length of 128"
UPPER = "Password should have at least one uppercase letter"
LOWER = "Password should have at least one lowercase letter"
NUMBER = "Password should have at least one number"
SYMBOL = "Password should have at least one symbol"
THREE_KINDS = "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols"
SAME_AS_ACCOUNT = "Password should not be the same as the account name or email address"

ALL_REQUIRED = PasswordRules(
    minimum_password_length=8,
    require_uppercase_characters=True,
    require_lowercase_characters=True,
    require_numbers=True,
    require_symbols=True,
)

AWS_SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


# --- unmet_rules: the custom password policy ---------------------------------------


def test_password_meeting_every_rule_has_no_problems():
    assert unmet_rules("Abcdef1!", ALL_REQUIRED) == []


def test_default_rules_object_only_requires_six_characters():
    assert unmet_rules("abcdef", PasswordRules()) == []
    assert unmet_rules("abcde", PasswordRules()) == [MIN_LENGTH.format(6)]


def test_password_shorter_than_minimum_length_is_reported_with_the_minimum():
    assert unmet_rules("Abc1!", ALL_REQUIRED) == [MIN_LENGTH.format(8)]


def test_password_exactly_minimum_length_is_accepted():
    rules = PasswordRules(minimum_password_length=10)
    assert unmet_rules("a" * 10, rules) == []
    assert unmet_rules("a" * 9, rules) == [MIN_LENGTH.format(10)]


def test_password_of_128_characters_is_accepted():
    assert unmet_rules("a" * MAX_PASSWORD_LENGTH, PasswordRules()) == []


def test_password_longer_than_128_characters_is_reported():
    assert MAX_PASSWORD_LENGTH == 128
    assert unmet_rules("a" * 129, PasswordRules()) == [MAX_LENGTH]


def test_missing_uppercase_is_reported_when_required():
    assert unmet_rules("abcdef1!", ALL_REQUIRED) == [UPPER]


def test_missing_uppercase_is_fine_when_not_required():
    assert unmet_rules("abcdef1!", PasswordRules(minimum_password_length=8)) == []


def test_missing_lowercase_is_reported_when_required():
    assert unmet_rules("ABCDEF1!", ALL_REQUIRED) == [LOWER]


def test_missing_number_is_reported_when_required():
    assert unmet_rules("Abcdefg!", ALL_REQUIRED) == [NUMBER]


def test_missing_symbol_is_reported_when_required():
    assert unmet_rules("Abcdefg1", ALL_REQUIRED) == [SYMBOL]


def test_symbol_set_is_exactly_aws_list():
    assert SYMBOLS == frozenset(AWS_SYMBOLS)


@pytest.mark.parametrize("symbol", list(AWS_SYMBOLS))
def test_each_aws_symbol_satisfies_the_symbol_rule(symbol):
    rules = PasswordRules(require_symbols=True)
    assert unmet_rules("abcdef" + symbol, rules) == []


@pytest.mark.parametrize("character", ["~", "<", ">", "?", "/", "\\", '"', ".", ",", ":", ";", "`", " ", "€"])
def test_character_outside_aws_symbol_set_does_not_count_as_symbol(character):
    rules = PasswordRules(require_symbols=True)
    assert unmet_rules("abcdef" + character, rules) == [SYMBOL]


def test_all_problems_are_listed_at_once_in_policy_order():
    assert unmet_rules("~", ALL_REQUIRED) == [MIN_LENGTH.format(8), UPPER, LOWER, NUMBER, SYMBOL]


def test_too_long_and_missing_kinds_are_listed_together():
    assert unmet_rules("a" * 129, ALL_REQUIRED) == [MAX_LENGTH, UPPER, NUMBER, SYMBOL]


def test_accented_capital_is_not_an_uppercase_letter():
    rules = PasswordRules(require_uppercase_characters=True)
    assert unmet_rules("Éabcdef", rules) == [UPPER]


def test_accented_small_letter_is_not_a_lowercase_letter():
    rules = PasswordRules(require_lowercase_characters=True)
    assert unmet_rules("ÉÀÇéàçß", rules) == [LOWER]


def test_non_ascii_digit_is_not_a_number():
    rules = PasswordRules(require_numbers=True)
    assert unmet_rules("abcdef١٢٣", rules) == [NUMBER]


def test_length_counts_characters_not_bytes():
    # Six two-byte characters are six characters long.
    assert unmet_rules("éééééé", PasswordRules()) == []


# --- unmet_default_rules: AWS's default policy -----------------------------------------


def test_default_policy_accepts_three_kinds_and_eight_characters():
    assert unmet_default_rules("Abcdefg1") == []


def test_default_policy_requires_eight_characters():
    assert unmet_default_rules("Abcdef1") == [MIN_LENGTH.format(8)]


def test_default_policy_rejects_more_than_128_characters():
    password = "Aa1" + "a" * 126
    assert len(password) == 129
    assert unmet_default_rules(password) == [MAX_LENGTH]


def test_default_policy_accepts_128_characters():
    assert unmet_default_rules("Aa1" + "a" * 125) == []


def test_default_policy_rejects_only_two_kinds():
    assert unmet_default_rules("abcdefg1") == [THREE_KINDS]


def test_default_policy_rejects_a_single_kind():
    assert unmet_default_rules("abcdefgh") == [THREE_KINDS]


@pytest.mark.parametrize(
    "password",
    ["abcdef1!", "ABCDEF1!", "Abcdefg!", "Abcdefg1"],
    ids=["no-upper", "no-lower", "no-number", "no-symbol"],
)
def test_default_policy_accepts_any_three_of_four_kinds(password):
    assert unmet_default_rules(password) == []


def test_default_policy_counts_less_than_sign_as_symbol():
    assert "<" in DEFAULT_POLICY_SYMBOLS
    assert unmet_default_rules("abcdefg<1") == []


def test_default_policy_counts_greater_than_sign_as_symbol():
    assert unmet_default_rules("abcdefg>1") == []


def test_default_policy_does_not_count_tilde_as_symbol():
    assert unmet_default_rules("abcdefg~1") == [THREE_KINDS]


def test_default_policy_rejects_password_equal_to_account_name_ignoring_case():
    assert unmet_default_rules("Alice-Lab-2024", forbidden=("alice-lab-2024",)) == [SAME_AS_ACCOUNT]


def test_default_policy_rejects_password_equal_to_email_ignoring_case():
    forbidden = ("alice-lab", "alice1@example.com")
    assert unmet_default_rules("ALICE1@EXAMPLE.COM", forbidden=forbidden) == [SAME_AS_ACCOUNT]


def test_default_policy_allows_password_containing_but_not_equal_to_email():
    assert unmet_default_rules("alice1@example.com!", forbidden=("alice1@example.com",)) == []


def test_default_policy_ignores_empty_forbidden_names():
    # An account without an alias passes "" as its name: "" never matches.
    assert unmet_default_rules("Abcdefg1", forbidden=("", "")) == []


def test_default_policy_empty_password_with_empty_forbidden_name_lists_only_length_and_kinds():
    assert unmet_default_rules("", forbidden=("",)) == [MIN_LENGTH.format(8), THREE_KINDS]


def test_default_policy_lists_every_problem_at_once():
    assert unmet_default_rules("abc", forbidden=("ABC",)) == [MIN_LENGTH.format(8), THREE_KINDS, SAME_AS_ACCOUNT]


def test_default_policy_does_not_count_accented_capital_as_uppercase():
    assert unmet_default_rules("Éabcdefg1") == [THREE_KINDS]


@pytest.mark.parametrize("length", [8, 20, 128])
def test_generated_passwords_meet_the_strictest_policy_of_their_length(length):
    from iam.passwords import generate_password

    strictest = PasswordRules(
        minimum_password_length=length,
        require_uppercase_characters=True,
        require_lowercase_characters=True,
        require_numbers=True,
        require_symbols=True,
    )
    passwords = {generate_password(length) for _ in range(50)}
    assert all(unmet_rules(p, strictest) == [] and len(p) == length for p in passwords)
    assert len(passwords) == 50


def test_generated_password_is_drawn_again_until_every_kind_is_present(monkeypatch):
    import iam.passwords as passwords

    draws = iter("aaaa" + "aB3!")
    monkeypatch.setattr(passwords.secrets, "choice", lambda alphabet: next(draws))
    assert passwords.generate_password(4) == "aB3!"
