"""What every protocol shares: the cached botocore models, the ProtocolError type, the
model constraint checks (AWS's "1 validation error detected: ..." text), scalar
conversions and a small XML writer that follows the shapes' serialization traits."""

import base64
import calendar
import re
from datetime import datetime, timezone
from email.utils import formatdate
from functools import lru_cache

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.utils import parse_timestamp

from awsapi.errors import AWSError, ValidationError

# Query and JSON bodies above this size are refused before parsing. The largest legal
# IAM request (a 131,072-character policy, percent-encoded) stays well below it.
MAX_BODY_BYTES = 1024 * 1024
# Form fields in one query request; the biggest real ones (SimulatePrincipalPolicy
# with many context entries) use a few hundred.
MAX_FIELDS = 5000


class ProtocolError(AWSError):
    """A request the wire layer cannot turn into an operation call: bad syntax, an
    unknown operation, a value of the wrong type or outside the model's constraints."""

    status = 400
    sender_fault = True

    def __init__(self, code, message, status=400, sender_fault=True):
        super().__init__(message, code=code, status=status)
        self.sender_fault = sender_fault


@lru_cache(maxsize=None)
def _session():
    return botocore.session.get_session()


@lru_cache(maxsize=None)
def service_model(service):
    """The botocore ServiceModel for ``service`` ("iam", "s3", ...), loaded once."""
    try:
        return _session().get_service_model(service)
    except UnknownServiceError:
        raise ProtocolError("UnknownService", f"Unknown service: {service}") from None


@lru_cache(maxsize=None)
def operation_model(service, name):
    return service_model(service).operation_model(name)


# --- constraints ---------------------------------------------------------------------


def lower_camel(name):
    return name[:1].lower() + name[1:]


def _shown(shape, value):
    if shape.metadata.get("sensitive"):
        return "***"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(_shown(shape.member, item)) for item in value) + "]"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    return value


class Constraints:
    """Walks parsed parameters against the input shape and collects failures in AWS's
    wording; ``check()`` raises them as one error."""

    def __init__(self, enums=True):
        self.failures = []
        self.enums = enums

    def walk(self, shape, value, path):
        if value is None:
            return
        meta = shape.metadata
        kind = shape.type_name
        if kind == "structure":
            for name, member in shape.members.items():
                child = f"{path}.{lower_camel(name)}" if path else lower_camel(name)
                item = value.get(name)
                if item is None and name in shape.required_members:
                    self.failures.append(
                        f"Value null at '{child}' failed to satisfy constraint: Member must not be null"
                    )
                self.walk(member, item, child)
            return
        if kind in ("string", "list", "map", "blob"):
            self._bounds(shape, value, path, len(value), "length")
        elif kind in ("integer", "long", "float", "double"):
            self._bounds(shape, value, path, value, "value")
        if kind == "string" and self.enums and "enum" in meta and value not in meta["enum"]:
            allowed = ", ".join(meta["enum"])
            self._fail(shape, value, path, f"Member must satisfy enum value set: [{allowed}]")
        if kind == "list":
            for index, item in enumerate(value, 1):
                self.walk(shape.member, item, f"{path}.{index}.member")
        elif kind == "map":
            for key, item in value.items():
                self.walk(shape.key, key, path)
                self.walk(shape.value, item, path)

    def _bounds(self, shape, value, path, measure, what):
        meta = shape.metadata
        if "min" in meta and measure < meta["min"]:
            self._fail(shape, value, path, f"Member must have {what} greater than or equal to {_number(meta['min'])}")
        elif "max" in meta and measure > meta["max"]:
            self._fail(shape, value, path, f"Member must have {what} less than or equal to {_number(meta['max'])}")

    def _fail(self, shape, value, path, constraint):
        self.failures.append(f"Value '{_shown(shape, value)}' at '{path}' failed to satisfy constraint: {constraint}")

    def message(self):
        count = len(self.failures)
        noun = "error" if count == 1 else "errors"
        return f"{count} validation {noun} detected: " + "; ".join(self.failures)


def _number(value):
    return int(value) if float(value).is_integer() else value


def validate(shape, params, code, enums=True):
    """Raise ``code`` (ValidationError for query, ValidationException for json) when
    ``params`` break the input shape's required/min/max/enum constraints."""
    if shape is None:
        return
    constraints = Constraints(enums=enums)
    constraints.walk(shape, params, "")
    if constraints.failures:
        if code == "ValidationError":
            raise ValidationError(constraints.message())
        raise ProtocolError(code, constraints.message())


# --- scalars -------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]{1,25}")
_LIMITS = {"integer": 2**31, "long": 2**63}


def parse_integer(text, kind="integer"):
    """Java's Integer/Long.parseInt rules; raises ValueError."""
    if not isinstance(text, str) or not _INTEGER.fullmatch(text):
        raise ValueError(text)
    value = int(text)
    limit = _LIMITS.get(kind, 2**63)
    if not -limit <= value < limit:
        raise ValueError(text)
    return value


def parse_float(text):
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError(text)
    return float(text)


def parse_datetime(value):
    """ISO 8601, RFC 822 or epoch seconds -> aware UTC datetime; raises ValueError."""
    if isinstance(value, str) and (not value or len(value) > 64):
        raise ValueError(value)
    try:
        parsed = parse_timestamp(value)
    except (ValueError, OverflowError, TypeError, OSError) as exc:
        raise ValueError(value) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def epoch_to_datetime(number):
    try:
        return datetime.fromtimestamp(number, timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(number) from exc


def parse_blob(text):
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc


def _utc(value):
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str):
        return parse_datetime(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    if value.tzinfo is timezone.utc:  # as Django and the databases give it
        return value
    return value.astimezone(timezone.utc)


def format_iso8601(value):
    moment = _utc(value)
    # isoformat, not strftime: a fifth of the time, on every timestamp of a listing.
    text = moment.isoformat(timespec="seconds")[:19]
    micro = moment.microsecond
    if micro % 1000:
        text += f".{micro:06d}"
    elif micro:
        text += f".{micro // 1000:03d}"
    return text + "Z"


def format_epoch(value):
    moment = _utc(value)
    seconds = calendar.timegm(moment.timetuple())
    if moment.microsecond:
        return (seconds * 10**6 + moment.microsecond) / 10**6
    return seconds


def format_rfc822(value):
    return formatdate(calendar.timegm(_utc(value).timetuple()), usegmt=True)


def format_timestamp(value, fmt):
    fmt = (fmt or "iso8601").lower()
    if fmt == "unixtimestamp":
        return format_epoch(value)
    if fmt == "rfc822":
        return format_rfc822(value)
    return format_iso8601(value)


def scalar_text(shape, value, default_timestamp="iso8601"):
    """A scalar as the text XML bodies, headers and query strings carry."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", default_timestamp)))
    if kind == "blob":
        if isinstance(value, str):
            value = value.encode("utf-8")
        return base64.b64encode(value).decode("ascii")
    if kind in ("float", "double"):
        return repr(float(value))
    return str(value)


# --- XML writing ---------------------------------------------------------------------

# Characters XML 1.0 cannot carry (NUL, most C0 controls, lone surrogates) become U+FFFD:
# an error message quoting a hostile value must still parse.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    text = str(value)
    if text.isprintable():
        # No control character, lone surrogate or noncharacter (all are unprintable):
        # nothing XML cannot carry, no CR. The common case, on every value of a list.
        if "&" in text or "<" in text or ">" in text:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text
    text = _NOT_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A bare CR would be normalized to LF by the reader; keep it as the caller sent it.
    return text.replace("\r", "&#13;")


def xml_attr(value):
    return xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def member_xml_name(name, shape):
    """The element name a structure member is written under (botocore's rule)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        inner = shape.member.serialization.get("name")
        if inner:
            return inner
    return shape.serialization.get("name", name)


def _namespace_attr(shape):
    namespace = shape.serialization.get("xmlNamespace")
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{xml_attr(namespace)}"'
    prefix = namespace.get("prefix")
    if prefix:
        return f' xmlns:{prefix}="{xml_attr(namespace["uri"])}"'
    return f' xmlns="{xml_attr(namespace["uri"])}"'


def structure_xml(shape, value, out, namespaces=False):
    """Append the members of a structure (not its own element) to ``out``; returns the
    attribute text (xmlAttribute members) for the enclosing element."""
    return _members_writer(shape, namespaces)(value, out)


def write_xml(name, shape, value, out, namespaces=False):
    _writer(shape, namespaces)(name, value, out)


# Each shape's writer is built once from its serialization traits: reading botocore's
# shape objects again for every value of a 100-user ListUsers cost more than the rest of
# the call. Shapes are the cached service models' own objects, so identity is the key;
# a member's writer is looked up when first used, so recursive shapes are fine.


@lru_cache(maxsize=None)
def _writer(shape, namespaces):
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape, namespaces)
    if kind == "list":
        return _list_writer(shape, namespaces)
    if kind == "map":
        return _map_writer(shape, namespaces)
    return _scalar_writer(shape)


@lru_cache(maxsize=None)
def _members_writer(shape, namespaces):
    members = []  # (member name, attribute name or None, element name, shape)
    for name, member in shape.members.items():
        serialization = member.serialization
        if serialization.get("location"):
            continue
        attribute = serialization.get("name", name) if serialization.get("xmlAttribute") else None
        members.append((name, attribute, member_xml_name(name, member), member))
    entries = None  # members with their writers, looked up on the first value

    def write_members(value, out):
        nonlocal entries
        if not isinstance(value, dict):
            return ""
        if entries is None:
            entries = [(*m, None if m[1] is not None else _writer(m[3], namespaces)) for m in members]
        attrs = ""
        for key, attribute, element, member, write in entries:
            item = value.get(key)
            if item is None:
                continue
            if write is None:
                attrs += f' {attribute}="{xml_attr(scalar_text(member, item))}"'
            else:
                write(element, item, out)
        return attrs

    return write_members


def _structure_writer(shape, namespaces):
    members = _members_writer(shape, namespaces)
    ns = _namespace_attr(shape) if namespaces else ""

    def write_structure(name, value, out):
        inner = []
        attrs = members(value, inner)
        out.append(f"<{name}{ns}{attrs}>{''.join(inner)}</{name}>")

    return write_structure


def _list_writer(shape, namespaces):
    flattened = bool(shape.serialization.get("flattened"))
    element = shape.member.serialization.get("name", "member")
    member = shape.member

    def write_list(name, value, out):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list, not {type(value).__name__}")
        write = _writer(member, namespaces)
        if flattened:
            for item in value:
                write(name, item, out)
            return
        inner = []
        for item in value:
            write(element, item, inner)
        out.append(f"<{name}>{''.join(inner)}</{name}>")

    return write_list


def _map_writer(shape, namespaces):
    flattened = bool(shape.serialization.get("flattened"))
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")

    def write_map(name, value, out):
        write_key, write_value = _writer(shape.key, namespaces), _writer(shape.value, namespaces)
        entries = []
        for key, item in value.items():
            pair = []
            write_key(key_name, key, pair)
            write_value(value_name, item, pair)
            if flattened:
                out.append(f"<{name}>{''.join(pair)}</{name}>")
            else:
                entries.append(f"<entry>{''.join(pair)}</entry>")
        if not flattened:
            out.append(f"<{name}>{''.join(entries)}</{name}>")

    return write_map


def _scalar_writer(shape):
    if shape.type_name in ("string", "integer", "long"):

        def write_text(name, value, out):
            out.append(f"<{name}>{xml_text(value)}</{name}>")

        return write_text

    if shape.type_name == "timestamp":
        timestamp_format = (shape.serialization.get("timestampFormat") or "iso8601").lower()

        def write_timestamp(name, value, out):
            out.append(f"<{name}>{xml_text(format_timestamp(value, timestamp_format))}</{name}>")

        return write_timestamp

    def write_scalar(name, value, out):
        out.append(f"<{name}>{xml_text(scalar_text(shape, value))}</{name}>")

    return write_scalar
