"""Events read for what is computed from many of them at once (the event store's seals,
trail log files), straight from the database's rows: the ORM's per-field converters and
model instances were half the CPU of a seal (64 of 125 µs an event), and the seal run
after a busy few minutes reads a few hundred thousand events."""

import json
import uuid
from collections import namedtuple
from datetime import datetime
from functools import partial

from django.db import connections

from trail.models import Event

# Every column but the lookup flag, which the writer thread sets after the commit.
_FIELDS = tuple(f for f in Event._meta.concrete_fields if f.attname != "lookup_indexed")


class StoredEvent(namedtuple("StoredEvent", ["pk" if f.primary_key else f.attname for f in _FIELDS])):
    """An Event row, read only: the attributes of an Event instance, with the values the
    ORM would give them, and Event's own ``as_record``, so that a record built from it
    is the one an instance gives, byte for byte (a seal's hash depends on it)."""

    __slots__ = ()
    as_record = Event.as_record

    @classmethod
    def select(cls, rows):
        """The events of the queryset ``rows``, in its order."""
        connection = connections[rows.db]
        query = rows.values_list(*(f.attname for f in _FIELDS)).query
        sql, params = query.get_compiler(rows.db).as_sql()
        # A text decodes once per call: most events of a batch share their caller's
        # userIdentity, and many their resources. The values are shared: read only.
        decoded = {}
        conversions = [(i, convert) for i, convert in enumerate(_converter(f, connection, decoded) for f in _FIELDS)
                       if convert]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        events = []
        for row in fetched:
            row = list(row)
            for i, convert in conversions:
                if row[i] is not None:
                    row[i] = convert(row[i])
            events.append(cls._make(row))
        return events


def _converter(field, connection, decoded):
    """What the ORM would make of a value of ``field`` as the database returns it
    (SQLite: text for UUIDs and JSON, naive datetimes; PostgreSQL: JSON as text, since
    Django decodes it itself), or None to keep it. Booleans need nothing: Django has
    SQLite's driver convert them."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        return partial(_json_value, decoded)
    if kind == "UUIDField":
        return _uuid_text
    if kind == "DateTimeField":
        return partial(_aware, connection.timezone)
    return None


def _uuid_text(value):
    # What str() of the ORM's UUID gives, all that is made of an event ID here: SQLite
    # keeps UUID.hex, 32 lowercase digits.
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def _aware(zone, value):
    # SQLite's driver parses the column into a naive datetime (Django registers that
    # converter for its declared type), in the connection's time zone.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _json_value(decoded, text):
    try:
        return decoded[text]
    except KeyError:
        pass
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text  # as Django's JSONField.from_db_value: text that is not JSON stays text
    decoded[text] = value
    return value
