"""Model instances from plain SQL rows, and rows inserted by statements compiled once,
for the queries every signed request runs.

Compiling an ORM query (with its joins) cost more than running it — up to a millisecond
per request — so the hot path writes its SQL once and builds instances here, with the
same conversions the ORM applies (SQLite hands back datetimes and JSON as text)."""

import threading
from asyncio import _get_running_loop as _running_loop
from datetime import datetime, timezone
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models.base import ModelState
from django.db.models.sql import InsertQuery


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


@lru_cache(maxsize=256)
def _qmark(sql):
    # Django's SQLite cursor rewrites every statement's %s placeholders by a regex, each
    # time it runs; the hot path's statements are a few fixed strings.
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


class _SQLiteCursor:
    """The driver's cursor, with what Django's own adds that matters here: %s
    placeholders, Django's exception classes, and no statement in a transaction that
    already failed. Django's wrapper cost about 25 µs per statement on top of the ~5 µs
    SQLite takes for a lookup by key, and CreateUser runs five statements while it holds
    the database's one write lock."""

    __slots__ = ("_db", "_cursor")

    def __init__(self, db):
        self._db = db
        self._cursor = db.connection.cursor()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._cursor.close()

    def execute(self, sql, params=()):
        self._db.validate_no_broken_transaction()
        with self._db.wrap_database_errors:
            return self._cursor.execute(_qmark(sql), params)

    def executemany(self, sql, param_list):
        self._db.validate_no_broken_transaction()
        with self._db.wrap_database_errors:
            return self._cursor.executemany(_qmark(sql), param_list)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    @property
    def lastrowid(self):
        return self._cursor.lastrowid

    @property
    def rowcount(self):
        return self._cursor.rowcount


_remembered = threading.local()


def database(alias=DEFAULT_DB_ALIAS):
    """``connections[alias]``, remembered by this thread: the asgiref Local behind
    ``connections`` costs about a microsecond a lookup, and a call makes a dozen. Django
    keeps a thread's connection object for the thread's life (closing one closes its
    database connection only); new settings make a new Local, which is looked up again.
    Where an event loop runs in the thread, each async context has connections of its
    own (asgiref's thread-critical Local): those are looked up every time."""
    if _running_loop() is not None:
        return connections[alias]
    handler_local = connections._connections
    if getattr(_remembered, "handler_local", None) is not handler_local:
        _remembered.handler_local, _remembered.by_alias = handler_local, {}
    try:
        return _remembered.by_alias[alias]
    except KeyError:
        db = _remembered.by_alias[alias] = connections[alias]
        return db


def cursor(alias=DEFAULT_DB_ALIAS):
    """A cursor for the hot path's plain SQL (%s placeholders, as Django's). On SQLite
    it skips Django's wrapper, unless queries are being logged (DEBUG, or a test that
    counts them) or instrumented: those see every statement as before."""
    return _cursor_of(database(alias))


def _cursor_of(db):
    if db.vendor != "sqlite" or db.queries_logged or db.execute_wrappers:
        return db.cursor()
    # Django's cursor() steps, each skipped where it has nothing to do (its guards take
    # an exception or a lock per call).
    if db.connection is not None:
        db.close_if_health_check_failed()
    if db.connection is None:
        db.ensure_connection()
    if db._thread_ident != threading.get_ident():
        db.validate_thread_sharing()  # raises unless sharing was allowed
    return _SQLiteCursor(db)


@lru_cache(maxsize=64)
def _plain(model):
    """Whether an instance of ``model`` is no more than its field values and its state:
    no receiver of its init signals, no ``__init__`` of its own, and fields whose
    descriptors store a value as it is (a foreign key's ID clears a cached object, which
    a new instance does not have)."""
    from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
    from django.db.models.query_utils import DeferredAttribute
    from django.db.models.signals import post_init, pre_init

    return (
        model.__init__ is models.Model.__init__
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
        and all(field.descriptor_class in (DeferredAttribute, ForeignKeyDeferredAttribute)
                for field in model._meta.concrete_fields)
    )


def instance(model, attnames, values):
    """``model`` from a row holding ``attnames`` (a tuple of column attnames) in order; the
    other fields are deferred, as with the ORM's ``only()``."""
    values = list(values)
    db = database()
    for index, column, converters in _converters(model, attnames):
        for convert in converters:
            values[index] = convert(values[index], column, db)
    if not _plain(model):
        return model.from_db(DEFAULT_DB_ALIAS, attnames, values)
    # What from_db() ends with, without Model.__init__'s signals and per-field setattr:
    # a tenth of a small PutObject's CPU went to the six instances it made.
    return _saved(model, zip(attnames, values))


def _saved(model, items):
    made = model.__new__(model)
    made._state = ModelState()
    made._state.adding = False
    made._state.db = DEFAULT_DB_ALIAS
    made.__dict__.update(items)
    return made


def made(model, values, **related):
    """The instance of a row just written from ``values`` (Python values by attname, as
    given to ``insert``), with ``related`` instances by foreign key name (no query to
    reach them), as ``model(...)`` would make it without its per-field work."""
    if not _plain(model):
        fks = {model._meta.get_field(name).attname for name in related}
        made = model(**{k: v for k, v in values.items() if k not in fks}, **related)
        made._state.adding = False
        return made
    made = _saved(model, values.items())
    for name, instance in related.items():
        made._state.fields_cache[name] = instance
    return made


def aware(value):
    """A datetime column's value as the ORM gives it with USE_TZ: SQLite's text comes back
    naive (in UTC), PostgreSQL's already aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Select:
    """The rows of a plain SELECT, sliced as a queryset is (``items[start:stop]``, as
    ``paginate`` does): the slice becomes the query's LIMIT and OFFSET. ``sql`` ends with
    its ORDER BY; ``row`` makes each fetched tuple what the caller lists."""

    def __init__(self, sql, params, row):
        self.sql, self.params, self.row = sql, params, row

    def __getitem__(self, bounds):
        with cursor() as found:
            found.execute(f"{self.sql} LIMIT %s OFFSET %s", [*self.params, bounds.stop - bounds.start, bounds.start])
            return [self.row(*values) for values in found.fetchall()]


def fetchone(sql, params):
    with cursor() as found:
        found.execute(sql, params)
        return found.fetchone()


def fetchall(sql, params):
    with cursor() as found:
        found.execute(sql, params)
        return found.fetchall()


class _Fields(tuple):
    """A compiled statement's fields, the key of their preparers: by identity, as each is
    made once per statement, where hashing a tuple of fields calls each Field's
    ``__hash__`` (Python code, nineteen for a trail event)."""

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other


@lru_cache(maxsize=16)
def insert_statement(model, alias, returning=True):
    """The INSERT of one ``model`` row on connection ``alias``, compiled once: (sql, its
    fields, whether it returns the new ID). Every trail event, new user and new object
    takes it, and compiling the statement cost more than running it."""
    fields = _Fields(f for f in model._meta.concrete_fields if not f.primary_key)
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(using=alias)
    returning = returning and connections[alias].features.can_return_columns_from_insert
    compiler.returning_fields = [model._meta.pk] if returning else None
    ((sql, _),) = compiler.as_sql()
    return sql, fields, returning


# Field types whose value goes to the database as it is (str, int, bool, None): asking
# Django to prepare each of them cost more than the INSERT itself.
_AS_IS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.BigIntegerField)


def _datetime(value, connection):
    # Straight to the backend's adapter: the field's own steps (to_python, and a warning
    # for a naive value) cost as much again, and the hot path's times come from clock.now().
    return connection.ops.adapt_datetimefield_value(value)


def _json(encoder):
    def prepare(value, connection):
        # None is SQL NULL, as JSONField.get_db_prep_save has it.
        return None if value is None else connection.ops.adapt_json_value(value, encoder)

    return prepare


def _preparer(field):
    """How a value of ``field`` becomes a query parameter: None where it goes as it is."""
    if type(field) in _AS_IS:
        return None
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.AutoField):
        return None  # an ID, or None
    if type(field) is models.DateTimeField:
        return _datetime
    if type(field) is models.JSONField:
        return _json(field.encoder)
    return field.get_db_prep_save


@lru_cache(maxsize=16)
def _preparers(fields):
    """(attname, default, prepare) per field; prepare is None where the value goes as is,
    and the default is computed once unless it is a callable (a fresh dict, ...)."""
    found = []
    for field in fields:
        default = field.default if field.has_default() and callable(field.default) else field.get_default()
        found.append((field.attname, default, _preparer(field)))
    return tuple(found)


class Param:
    """A field's value already made a query parameter (``params``): a row whose values are
    known in two steps prepares the first before the transaction that inserts it (a
    trail event is drafted before its call runs)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


@lru_cache(maxsize=64)
def _field_preparer(model, attname):
    return _preparer(model._meta.get_field(attname))


def params(model, values, alias=DEFAULT_DB_ALIAS):
    """``values`` (by attname) of ``model``'s fields as ``insert_params`` would prepare
    them, each a ``Param``."""
    connection = database(alias)
    prepared = {}
    for attname, value in values.items():
        prepare = _field_preparer(model, attname)
        prepared[attname] = Param(value if prepare is None else prepare(value, connection))
    return prepared


def insert_params(fields, values, connection):
    """The parameters of an ``insert_statement`` from field values by attname; a field
    not given takes its default. No ``save()`` runs: the caller sets what it would."""
    params = []
    for attname, default, prepare in _preparers(fields):
        value = values[attname] if attname in values else (default() if callable(default) else default)
        if type(value) is Param:
            params.append(value.value)
        else:
            params.append(value if prepare is None else prepare(value, connection))
    return params


def insert(model, values, alias=DEFAULT_DB_ALIAS, returning=True):
    """Insert one row of ``model`` from field values by attname; its new primary key
    (None without ``returning``)."""
    return insert_prepared(model, prepare_insert(model, values, alias), alias, returning)


def prepare_insert(model, values, alias=DEFAULT_DB_ALIAS):
    """The parameters of ``model``'s INSERT (``insert_statement``) from field values by
    attname, for ``insert_prepared``: made before the transaction, they are not made
    while it holds the database's write lock."""
    _, fields, _ = insert_statement(model, alias)
    return insert_params(fields, values, database(alias))


def insert_prepared(model, params, alias=DEFAULT_DB_ALIAS, returning=True):
    """Insert one row of ``model`` from ``prepare_insert``'s parameters; its new primary
    key (None without ``returning``)."""
    target = database(alias)
    sql, _, returns = insert_statement(model, alias, returning)
    with _cursor_of(target) as inserted:
        inserted.execute(sql, params)
        if returns:
            return inserted.fetchone()[0]
        if returning:
            return target.ops.last_insert_id(inserted, model._meta.db_table, model._meta.pk.column)
        return None


@lru_cache(maxsize=16)
def _update_statement(model, alias, attnames):
    quote = connections[alias].ops.quote_name
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = _Fields(by_attname[attname] for attname in attnames)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    return sql, fields


def update(model, pk, values, alias=DEFAULT_DB_ALIAS):
    """Set the fields ``values`` names (by attname) of the ``model`` row ``pk``, by a
    statement compiled once per set of fields (an overwriting PutObject)."""
    target = database(alias)
    sql, fields = _update_statement(model, alias, tuple(values))
    with _cursor_of(target) as updated:
        updated.execute(sql, [*insert_params(fields, values, target), pk])
