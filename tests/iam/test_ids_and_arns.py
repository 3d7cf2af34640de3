"""iam/ids.py and iam/arns.py: AWS-shaped identifiers. Pure: no database."""

import re

import pytest

from iam import arns, ids

UNIQUE_ID = re.compile(r"AIDA[A-Z2-7]{17}")


def test_base32_alphabet_is_rfc4648():
    assert ids.BASE32 == "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def test_account_id_is_twelve_ascii_digits():
    for _ in range(200):
        value = ids.account_id()
        assert re.fullmatch(r"[0-9]{12}", value), value


def test_account_id_never_starts_with_zero():
    assert all(not ids.account_id().startswith("0") for _ in range(500))


def test_account_id_first_digit_comes_from_one_to_nine(monkeypatch):
    choices = []

    def fake_choice(seq):
        choices.append(seq)
        return seq[0]

    monkeypatch.setattr(ids.secrets, "choice", fake_choice)
    assert ids.account_id() == "100000000000"
    assert choices[0] == "123456789"


def test_generated_account_id_passes_is_account_id():
    assert ids.is_account_id(ids.account_id())


def test_account_ids_are_random():
    assert len({ids.account_id() for _ in range(50)}) > 45


def test_unique_id_is_prefix_and_17_base32_characters():
    value = ids.unique_id("AIDA")
    assert len(value) == 21
    assert UNIQUE_ID.fullmatch(value), value


def test_unique_id_keeps_any_prefix():
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", ids.unique_id("AROA"))


def test_unique_ids_do_not_repeat():
    assert len({ids.unique_id("AIDA") for _ in range(200)}) == 200


def test_unique_id_never_uses_digits_outside_base32():
    sample = "".join(ids.unique_id("") for _ in range(200))
    assert not set(sample) & set("0189")


def test_is_account_id_accepts_twelve_digits():
    assert ids.is_account_id("123456789012") is True


@pytest.mark.parametrize(
    "value",
    [
        "12345678901",  # 11 digits
        "1234567890123",  # 13 digits
        "",
        "12345678901a",
        "1234-5678-90",
        " 12345678901",
        "12345678901\n",
        "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits: str.isdigit() but not ASCII
        "１２３４５６７８９０１２",  # fullwidth digits
        "¹²³⁴⁵⁶⁷⁸⁹⁰¹²",  # superscripts
    ],
)
def test_is_account_id_rejects_strings_that_are_not_twelve_ascii_digits(value):
    assert ids.is_account_id(value) is False


@pytest.mark.parametrize("value", [123456789012, None, b"123456789012", ["123456789012"]])
def test_is_account_id_rejects_non_strings(value):
    assert ids.is_account_id(value) is False


def test_root_arn():
    assert arns.root_arn("111122223333") == "arn:aws:iam::111122223333:root"


def test_user_arn_at_root_path():
    assert arns.user_arn("111122223333", "/", "bob") == "arn:aws:iam::111122223333:user/bob"


def test_role_arn_includes_path():
    assert arns.role_arn("111122223333", "/service-role/", "Lab") == "arn:aws:iam::111122223333:role/service-role/Lab"


def test_user_arn_includes_path():
    assert (
        arns.user_arn("111122223333", "/division_abc/subdivision_xyz/", "Bob")
        == "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob"
    )


def test_access_key_ids_look_like_aws_keys():
    import re

    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", ids.access_key_id())
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", ids.access_key_id(temporary=True))
    assert len({ids.access_key_id() for _ in range(100)}) == 100


def test_secret_access_keys_are_forty_characters_of_aws_alphabet():
    import re

    secret = ids.secret_access_key()
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", secret)
    assert secret != ids.secret_access_key()
