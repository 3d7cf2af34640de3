"""iam/validation.py: AWS's ValidationError text and the model patterns. Pure: no database."""

import re

import pytest

from awsapi.errors import ValidationError
from iam.validation import ACCOUNT_ALIAS, PASSWORD, PATH, USER_NAME, Constraints


def message_of(constraints):
    with pytest.raises(ValidationError) as caught:
        constraints.check()
    return caught.value.message


# --- check() ---------------------------------------------------------------------------


def test_no_failures_raise_nothing():
    constraints = Constraints()
    constraints.range("minimumPasswordLength", 6, 6, 128)
    constraints.length("userName", "bob", 1, 64)
    constraints.pattern("userName", "bob", USER_NAME)
    constraints.required("userName", "bob")
    assert constraints.check() is None
    assert constraints.failures == []


def test_single_failure_uses_aws_singular_message():
    constraints = Constraints()
    constraints.range("minimumPasswordLength", 5, 6, 128)
    assert message_of(constraints) == (
        "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6"
    )


def test_two_failures_use_plural_and_semicolon():
    constraints = Constraints()
    constraints.range("minimumPasswordLength", 5, 6, 128)
    constraints.range("maxPasswordAge", 1096, 1, 1095)
    assert message_of(constraints) == (
        "2 validation errors detected: "
        "Value '5' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6; "
        "Value '1096' at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095"
    )


def test_validation_error_has_aws_code_and_status():
    constraints = Constraints()
    constraints.range("passwordReusePrevention", 25, 1, 24)
    with pytest.raises(ValidationError) as caught:
        constraints.check()
    assert caught.value.code == "ValidationError"
    assert caught.value.status == 400


# --- range -----------------------------------------------------------------------------


def test_range_above_high_reports_less_than_or_equal():
    constraints = Constraints()
    constraints.range("passwordReusePrevention", 25, 1, 24)
    assert message_of(constraints).endswith(
        "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24"
    )


def test_range_accepts_both_bounds():
    constraints = Constraints()
    constraints.range("maxPasswordAge", 1, 1, 1095)
    constraints.range("maxPasswordAge", 1095, 1, 1095)
    assert constraints.failures == []


def test_range_ignores_omitted_value():
    constraints = Constraints()
    constraints.range("maxPasswordAge", None, 1, 1095)
    assert constraints.failures == []


# --- length ----------------------------------------------------------------------------


def test_length_below_low_reports_greater_than_or_equal():
    constraints = Constraints()
    constraints.length("accountAlias", "ab", 3, 63)
    assert message_of(constraints) == (
        "1 validation error detected: Value 'ab' at 'accountAlias' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3"
    )


def test_length_above_high_reports_less_than_or_equal():
    name = "u" * 65
    constraints = Constraints()
    constraints.length("userName", name, 1, 64)
    assert message_of(constraints) == (
        f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_length_accepts_both_bounds():
    constraints = Constraints()
    constraints.length("userName", "u", 1, 64)
    constraints.length("userName", "u" * 64, 1, 64)
    assert constraints.failures == []


def test_length_ignores_omitted_value():
    constraints = Constraints()
    constraints.length("path", None, 1, 512)
    assert constraints.failures == []


def test_length_shows_mask_instead_of_secret_value():
    secret = "Sup3r-Secret-" + "x" * 120
    constraints = Constraints()
    constraints.length("password", secret, 1, 128, shown="***")
    message = message_of(constraints)
    assert secret not in message
    assert "Sup3r" not in message
    assert message == (
        "1 validation error detected: Value '***' at 'password' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_length_shows_mask_for_too_short_secret():
    constraints = Constraints()
    constraints.length("newPassword", "", 1, 128, shown="***")
    assert "Value '***' at 'newPassword'" in message_of(constraints)


# --- pattern ---------------------------------------------------------------------------


def test_pattern_mismatch_reports_the_regular_expression():
    constraints = Constraints()
    constraints.pattern("userName", "bad name!", USER_NAME)
    assert message_of(constraints) == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
    )


def test_pattern_must_match_the_whole_value():
    constraints = Constraints()
    constraints.pattern("userName", "bob!", USER_NAME)
    assert len(constraints.failures) == 1


def test_pattern_ignores_omitted_and_empty_values():
    constraints = Constraints()
    constraints.pattern("userName", None, USER_NAME)
    constraints.pattern("userName", "", USER_NAME)
    assert constraints.failures == []


def test_pattern_shows_mask_instead_of_secret_value():
    secret = "Pässwörd-with-\u0100-and-\U0001F600"
    constraints = Constraints()
    constraints.pattern("password", secret, PASSWORD, shown="***")
    message = message_of(constraints)
    assert secret not in message
    assert "Pässwörd" not in message
    assert "Value '***' at 'password'" in message


def test_pattern_and_length_failures_of_one_member_are_both_reported():
    constraints = Constraints()
    constraints.length("accountAlias", "A", 3, 63)
    constraints.pattern("accountAlias", "A", ACCOUNT_ALIAS)
    assert message_of(constraints).startswith("2 validation errors detected: Value 'A' at 'accountAlias'")


# --- required --------------------------------------------------------------------------


def test_required_accepts_present_value():
    constraints = Constraints()
    constraints.required("userName", "")
    assert constraints.failures == []


def test_required_reports_missing_value():
    constraints = Constraints()
    constraints.required("userName", None)
    message = message_of(constraints)
    assert message.startswith("1 validation error detected: ")
    assert message.endswith("at 'userName' failed to satisfy constraint: Member must not be null")


def test_required_uses_aws_unquoted_null():
    constraints = Constraints()
    constraints.required("userName", None)
    assert message_of(constraints) == (
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
        "Member must not be null"
    )


# --- the patterns ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bob", "Bob.Smith", "a+b=c,d.e@f-g_h", "x" * 64, "0"])
def test_user_name_pattern_accepts_aws_characters(name):
    assert USER_NAME.fullmatch(name)


@pytest.mark.parametrize("name", ["bad name!", "É", "bøb", "x'; DROP TABLE iam_user;--", "<script>", "a/b", ""])
def test_user_name_pattern_rejects_other_characters(name):
    assert not USER_NAME.fullmatch(name)


@pytest.mark.parametrize("path", ["/", "/division/", "/a/b/c/", "/~!/"])
def test_path_pattern_accepts_slash_delimited_paths(path):
    assert PATH.fullmatch(path)


@pytest.mark.parametrize("path", ["", "division", "/division", "division/", "/a b/", "/é/", "//x"])
def test_path_pattern_rejects_other_paths(path):
    assert not PATH.fullmatch(path)


@pytest.mark.parametrize("alias", ["abc", "alice-lab", "a1-b2-c3", "a" * 63, "123"])
def test_account_alias_pattern_accepts_aws_aliases(alias):
    assert ACCOUNT_ALIAS.fullmatch(alias)


@pytest.mark.parametrize(
    "alias", ["ab", "a" * 64, "-abc", "abc-", "a--b", "Alice", "a_b", "a.b", "abc\n", "ébc"]
)
def test_account_alias_pattern_rejects_other_aliases(alias):
    assert not ACCOUNT_ALIAS.fullmatch(alias)


def test_password_pattern_accepts_latin1_and_whitespace():
    assert PASSWORD.fullmatch("Pässwörd 1!\t\n\r")


@pytest.mark.parametrize("password", ["\u0100bc", "abc\U0001F600", "abc\x00", "a\x7f\u0101"])
def test_password_pattern_rejects_characters_outside_latin1_or_control(password):
    assert not PASSWORD.fullmatch(password)


def test_patterns_are_the_aws_model_patterns():
    assert USER_NAME.pattern == r"[\w+=,.@-]+"
    assert USER_NAME.flags & re.ASCII
    assert PATH.pattern == r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
    assert ACCOUNT_ALIAS.pattern == r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
    assert PASSWORD.pattern == r"[\u0009\u000A\u000D\u0020-\u00FF]+"


def test_enum_reports_aws_value_set_and_accepts_members_and_absence():
    ok = Constraints()
    ok.enum("status", "Active", ("Active", "Inactive"))
    ok.enum("status", None, ("Active", "Inactive"))
    ok.check()
    bad = Constraints()
    bad.enum("status", "Paused", ("Active", "Inactive"))
    with pytest.raises(ValidationError) as error:
        bad.check()
    assert error.value.message == (
        "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Active, Inactive]"
    )
