"""Condition operators: String, Numeric, Date, Bool, Binary, IpAddress, Arn and Null, each
with ``...IfExists`` and the ``ForAllValues:``/``ForAnyValue:`` set qualifiers. Pure: no
Django. Facts from "IAM JSON policy elements: Condition operators", "IAM JSON policy
elements: Condition" and "Single-valued vs. multivalued context keys":

- Key names are case-insensitive; values are case-sensitive except the IgnoreCase ops.
- Keys in one operator block AND, operators AND, values of one key OR; a negated
  operator (StringNotEquals, ...) is true when the request value matches none of them.
- A key missing from the request makes the condition false, except that negated
  operators are then true, ``...IfExists`` is true, and Null tests presence itself.
- ``ForAllValues`` is true when every request value matches (and when the key is missing
  or empty); ``ForAnyValue`` is true when one does (false when missing or empty).
"""

import base64
import binascii
import ipaddress
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from . import matching
from . import variables as policy_variables
from .variables import Template

# base operator -> (family, negated, comparison)
OPERATORS = {
    "StringEquals": ("string", False, "eq"),
    "StringNotEquals": ("string", True, "eq"),
    "StringEqualsIgnoreCase": ("string", False, "ieq"),
    "StringNotEqualsIgnoreCase": ("string", True, "ieq"),
    "StringLike": ("string", False, "like"),
    "StringNotLike": ("string", True, "like"),
    "NumericEquals": ("numeric", False, "eq"),
    "NumericNotEquals": ("numeric", True, "eq"),
    "NumericLessThan": ("numeric", False, "lt"),
    "NumericLessThanEquals": ("numeric", False, "le"),
    "NumericGreaterThan": ("numeric", False, "gt"),
    "NumericGreaterThanEquals": ("numeric", False, "ge"),
    "DateEquals": ("date", False, "eq"),
    "DateNotEquals": ("date", True, "eq"),
    "DateLessThan": ("date", False, "lt"),
    "DateLessThanEquals": ("date", False, "le"),
    "DateGreaterThan": ("date", False, "gt"),
    "DateGreaterThanEquals": ("date", False, "ge"),
    "Bool": ("bool", False, "eq"),
    "BinaryEquals": ("binary", False, "eq"),
    "IpAddress": ("ip", False, "in"),
    "NotIpAddress": ("ip", True, "in"),
    "ArnEquals": ("arn", False, "like"),
    "ArnLike": ("arn", False, "like"),
    "ArnNotEquals": ("arn", True, "like"),
    "ArnNotLike": ("arn", True, "like"),
    "Null": ("null", False, "eq"),
}

# Policy variables work with the String, ARN and Boolean operators only
# ("IAM JSON policy elements: Condition operators").
VARIABLE_FAMILIES = frozenset({"string", "arn", "bool"})

_COMPARE = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def parse_operator(name):
    """``(qualifier, base, if_exists)`` for an operator name, or None if IAM does not
    know it. ``IfExists`` may end any operator except Null."""
    qualifier = None
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if name.startswith(prefix):
            qualifier = prefix[:-1]
            name = name[len(prefix) :]
            break
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    if name not in OPERATORS or (if_exists and name == "Null"):
        return None
    return qualifier, name, if_exists


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(text):
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    return float(text)


_ISO = re.compile(
    r"^(-?\d{4,9})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def parse_date(text):
    """Seconds since the epoch for a W3C ISO 8601 date/time or an epoch number, or None
    ("IAM JSON policy elements: Condition operators", Date)."""
    text = text.strip()
    if text.isdigit():
        return float(text)
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    seconds = (moment - _EPOCH).total_seconds()
    if fraction:
        seconds += float("0." + fraction)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        seconds -= sign * offset.total_seconds()
    return seconds


@lru_cache(maxsize=4096)
def parse_network(text):
    """A network for a CIDR or a bare address (a bare address means /32, or /128)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def decode_binary(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _string_predicate(comparison, text):
    if comparison == "eq":
        return text.__eq__
    lowered = text.lower()
    return lambda value: value.lower() == lowered


def _predicate_from_pieces(family, comparison, pieces):
    if family == "string" and comparison == "like":
        return matching.compile_pieces(pieces)
    if family == "arn":
        return matching.compile_pieces(pieces, arn=True)
    text = "".join(text for text, _ in pieces)
    if family == "bool":
        return _any_bool([text])
    return _string_predicate(comparison, text)


def _any_of(predicates):
    predicates = tuple(predicates)
    if len(predicates) == 1:
        return predicates[0]
    return lambda value: any(predicate(value) for predicate in predicates)


def _any_bool(texts):
    allowed = frozenset(text.lower() for text in texts) & {"true", "false"}
    return lambda value: value.lower() in allowed


@lru_cache(maxsize=4096)
def _address_key(text):
    address = parse_address(text)
    return None if address is None else (address.version, int(address))


def _any_network(texts):
    networks = []
    for text in texts:
        network = parse_network(text)
        if network is not None:
            networks.append((network.version, int(network.network_address), int(network.netmask)))
    networks = tuple(networks)

    def predicate(value):
        key = _address_key(value) if isinstance(value, str) else None
        if key is None:
            return False
        version, number = key
        for net_version, base, mask in networks:
            if net_version == version and number & mask == base:
                return True
        return False

    return predicate


def _any_ordered(parse, comparison, texts):
    expected = tuple(v for v in (parse(text) for text in texts) if v is not None)
    compare = _COMPARE[comparison]

    def predicate(value):
        actual = parse(value) if isinstance(value, str) else None
        return actual is not None and any(compare(actual, e) for e in expected)

    return predicate


def _any_binary(texts):
    expected = frozenset(v for v in (decode_binary(text) for text in texts) if v is not None)
    return lambda value: decode_binary(value) in expected


def any_value_predicate(family, comparison, texts):
    """A predicate ``request value -> bool``: does it match any of the policy values."""
    if family == "string":
        if comparison == "eq":
            return frozenset(texts).__contains__
        if comparison == "ieq":
            lowered = frozenset(text.lower() for text in texts)
            return lambda value: value.lower() in lowered
        return _any_of(matching.wildcard(text) for text in texts)
    if family == "arn":
        return _any_of(matching.arn_pattern(text) for text in texts)
    if family == "bool":
        return _any_bool(texts)
    if family == "numeric":
        return _any_ordered(parse_number, comparison, texts)
    if family == "date":
        return _any_ordered(parse_date, comparison, texts)
    if family == "binary":
        return _any_binary(texts)
    return _any_network(texts)


class KeyCondition:
    """One operator applied to one condition key with its policy values. ``check`` is
    the compiled test ``lowercased context -> bool``."""

    __slots__ = ("key", "family", "comparison", "negated", "qualifier", "if_exists", "flags", "fixed", "templates", "check")

    def __init__(self, operator, key, values, variables):
        qualifier, base, if_exists = parse_operator(operator)
        self.family, self.negated, self.comparison = OPERATORS[base]
        self.key = key.lower()
        self.qualifier = qualifier
        self.if_exists = if_exists
        texts = []
        templates = []
        for text in values:
            if variables and self.family in VARIABLE_FAMILIES:
                parsed = policy_variables.parse(text)
                if isinstance(parsed, Template):
                    templates.append(parsed)
                    continue
            texts.append(text)
        self.flags = frozenset(text.lower() for text in texts)
        self.fixed = None if self.family == "null" else any_value_predicate(self.family, self.comparison, texts)
        self.templates = tuple(templates)
        if self.family == "null":
            self.check = self._null
        elif self.templates or self.qualifier:
            self.check = self.evaluate
        else:
            self.check = self._plain()

    def _plain(self):
        # The common case, compiled without attribute lookups: no set qualifier, no
        # policy variables.
        key = self.key
        test = self.fixed
        negated = self.negated
        missing = self.if_exists or negated

        def check(context):
            values = context.get(key)
            if values is None:
                return missing
            if isinstance(values, (str, bytes)):
                return test(values) != negated
            return any(test(value) for value in values) != negated

        return check

    def _null(self, context):
        values = context.get(self.key)
        present = values is not None and values != [] and values != ""
        return ("false" if present else "true") in self.flags

    def _build(self, pieces):
        return _predicate_from_pieces(self.family, self.comparison, pieces)

    def _test(self, context):
        if not self.templates:
            return self.fixed
        tests = [self.fixed]
        for template in self.templates:
            test = template.matcher(context, self._build)
            if test is not None:
                tests.append(test)
        return _any_of(tests)

    def evaluate(self, context):
        """True when this key's condition holds for the lowercased request context."""
        values = context.get(self.key)
        if values is None or (self.qualifier and not values):
            if self.if_exists:
                return True
            if self.qualifier == "ForAllValues":
                return True
            if self.qualifier == "ForAnyValue":
                return False
            return self.negated
        if isinstance(values, (str, bytes)):
            values = (values,)
        test = self._test(context)
        negated = self.negated
        if self.qualifier == "ForAllValues":
            return all(test(v) != negated for v in values)
        if self.qualifier == "ForAnyValue":
            return any(test(v) != negated for v in values)
        return any(test(v) for v in values) != negated


def compile_block(block, variables):
    """The KeyConditions of a statement's Condition element (already validated)."""
    compiled = []
    for operator, keys in block.items():
        for key, values in keys.items():
            compiled.append(KeyCondition(operator, key, values, variables))
    return tuple(compiled)
