"""AWS-shaped identifiers. Pure: no Django.

Unique IDs are a four-letter type prefix (AIDA user, AROA role, AGPA group, ANPA
policy, AIPA instance profile) and 17 characters of base32; access key IDs are
AKIA/ASIA and 16 characters of base32, as AWS issues them.
"""

import base64
import secrets

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _base32(length):
    # RFC 4648's base32 alphabet is BASE32: each character is 5 random bits, from one
    # read of the system's CSPRNG (a choice() per character read it 17 times).
    return base64.b32encode(secrets.token_bytes((length * 5 + 7) // 8)).decode("ascii")[:length]


def account_id():
    """A random 12-digit account ID that does not start with 0."""
    return str(secrets.choice("123456789")) + "".join(secrets.choice("0123456789") for _ in range(11))


def unique_id(prefix):
    """A unique ID such as ``AIDA`` + 17 base32 characters (21 in all)."""
    return prefix + _base32(17)


def access_key_id(temporary=False):
    """``AKIA`` (long-term) or ``ASIA`` (temporary) and 16 base32 characters."""
    return ("ASIA" if temporary else "AKIA") + _base32(16)


SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def secret_access_key():
    """40 characters of AWS's secret key alphabet (240 bits of randomness)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))


def is_account_id(value):
    return isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit()
