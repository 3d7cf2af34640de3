"""Model instances from plain SQL rows, for the queries every signed request runs.

Compiling an ORM query (with its joins) cost more than running it — up to a millisecond
per request — so the hot path writes its SQL once and builds instances here, with the
same conversions the ORM applies (SQLite hands back datetimes and JSON as text)."""

from functools import lru_cache

from django.db import connection


@lru_cache(maxsize=64)
def _converters(model, attnames):
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    found = []
    for index, attname in enumerate(attnames):
        field = by_attname[attname]
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, column, tuple(converters)))
    return tuple(found)


def instance(model, attnames, values):
    """``model`` from a row holding ``attnames`` (a tuple of column attnames) in order; the
    other fields are deferred, as with the ORM's ``only()``."""
    values = list(values)
    for index, column, converters in _converters(model, attnames):
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return model.from_db(connection.alias, attnames, values)


def fetchone(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
