"""Writing trail events. Every API call and every console sign-in attempt writes
exactly one; secret parameters never reach an event."""

import json
import uuid

from django.db import router, transaction

from console import clock
from iam import rows
from trail.models import Event, EventResource
from trail.resources import resources_of
from trail.selectors import data_event_logged
from trail.writer import Writer, enabled as write_behind

SIGNIN_SOURCE = "signin.amazonaws.com"
# What CloudTrail records as the userAgent of a call the console made for a signed-in
# user (AWS's "CloudTrail record contents": "AWS Internal").
CONSOLE_USER_AGENT = "AWS Internal"


def _has_resource_rows(values):
    # Resource rows serve LookupEvents, which shows management events only.
    return bool(values.get("resources") and values.get("recipient_account_id") and values.get("management_event", True))


def _in_lookup_now(values):
    # LookupEvents shows management events only: a data event never enters its indexes.
    return values.get("management_event", True)


def _row(resources=(), lookup_later=False, **values):
    """One event ready to insert, from its field values: (its values as stored, its
    INSERT's parameters). ``lookup_later``: the event enters the lookup attributes'
    indexes and gets its resource rows after the commit, from the writer thread
    (``_index_pending``)."""
    values["resources"] = list(resources) or None
    values["lookup_indexed"] = _in_lookup_now(values) and not lookup_later
    return values, rows.prepare_insert(Event, values, router.db_for_write(Event))


def _insert(values, params):
    """Insert an event ``_row`` made, and its resource rows for LookupEvents unless they
    come later (no model instances: this is the hot path)."""
    alias = router.db_for_write(Event)
    resource_rows_now = values["lookup_indexed"] and _has_resource_rows(values)
    # Only resource rows need the event's ID.
    event_pk = rows.insert_prepared(Event, params, alias, returning=resource_rows_now)
    if resource_rows_now:
        _insert_resource_rows(alias, [(event_pk, values["recipient_account_id"], values["event_time"],
                                       values["resources"])])


def _save(**values):
    _insert(*_row(**values))


def _insert_resource_rows(alias, events):
    """EventResource rows of ``events``: (event ID, account ID, event time, resources)."""
    connection = rows.database(alias)
    sql, fields, _ = rows.insert_statement(EventResource, alias, returning=False)
    params = [
        rows.insert_params(fields, {"event_id": pk, "account_id": account_id, "event_time": event_time,
                                    "resource_type": r["type"], "resource_name": r["name"]}, connection)
        for pk, account_id, event_time, resources in events
        for r in resources
    ]
    if params:
        with rows.cursor(alias) as cursor:
            cursor.executemany(sql, params)


# The oldest management events not yet in the lookup (the "lookup pending" partial index
# holds exactly these), whichever process wrote them: a process that died before its
# writer got to its events leaves them for the next.
_PENDING_TERMS = "management_event AND NOT lookup_indexed"  # the partial index's own condition
_PENDING_IDS = "SELECT id FROM {event} WHERE " + _PENDING_TERMS + " ORDER BY id LIMIT %s"
# NOT lookup_indexed again on the updated rows: on PostgreSQL a concurrent follow-up's
# subquery may have picked the same rows, and only this term is checked again on the row
# as the other one committed it (its resource rows would be doubled).
_PENDING = (
    "UPDATE {event} SET lookup_indexed = %s WHERE id IN (" + _PENDING_IDS + ") AND NOT lookup_indexed "
    "RETURNING id, recipient_account_id, event_time, resources"
)
# Whether a lookup by an attribute must enter pending events first (the index above).
_ANY_PENDING = "SELECT 1 FROM {event} WHERE " + _PENDING_TERMS + " LIMIT 1"
# On SQLite, the same in two statements that run wholly inside SQLite: the resource rows
# made from each event's JSON (json_each), then the flags. The driver lets go of the GIL
# for each row it steps through, and each time a request thread of this process may take
# it and run until its own next statement while this one holds the write lock that every
# writer waits for: the RETURNING rows and one INSERT per resource row did that some 150
# times a batch, and the lock was held 3.1 ms a batch for 1.8 ms of this thread's CPU.
# The write lock keeps the pending set the same across the two statements.
_RESOURCES_OF_PENDING = (
    "INSERT INTO {resource} (event_id, account_id, event_time, resource_type, resource_name) "
    "SELECT e.id, e.recipient_account_id, e.event_time, json_extract(r.value, '$.type'), "
    "json_extract(r.value, '$.name') FROM {event} e, json_each(e.resources) r "
    "WHERE e.id IN (" + _PENDING_IDS + ") AND e.recipient_account_id <> '' ORDER BY e.id, r.key"
)
_ENTER_PENDING = "UPDATE {event} SET lookup_indexed = %s WHERE id IN (" + _PENDING_IDS + ")"
# At most this many a transaction, so that a backlog never holds the write lock long.
PENDING_CHUNK = 1000


def _tables(connection):
    quote = connection.ops.quote_name
    return {"event": quote(Event._meta.db_table), "resource": quote(EventResource._meta.db_table)}


def _index_pending(alias):
    """Enter up to a chunk of pending events in the lookup: the five attribute indexes (by
    flipping ``lookup_indexed``) and their resource rows. True when the chunk was full:
    more may be pending."""
    connection = rows.database(alias)
    tables = _tables(connection)
    with rows.cursor(alias) as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(_RESOURCES_OF_PENDING.format(**tables), [PENDING_CHUNK])
            cursor.execute(_ENTER_PENDING.format(**tables), [True, PENDING_CHUNK])
            return cursor.rowcount == PENDING_CHUNK
        cursor.execute(_PENDING.format(**tables), [True, PENDING_CHUNK])
        entered = cursor.fetchall()
    _insert_resource_rows(alias, [
        (pk, account_id, event_time, json.loads(resources) if isinstance(resources, str) else resources)
        for pk, account_id, event_time, resources in entered
        if account_id and resources
    ])
    return len(entered) == PENDING_CHUNK


def _follow_up():
    """The writer's follow-up: a chunk of pending events, and another soon if it was full."""
    if _index_pending(router.db_for_write(Event)):
        _writer.request_follow_up(more=True)


def _save_many(batch):
    """The writer's batch: the events without resource rows in one executemany (most are
    reads, which name no resource), the others one by one for their IDs."""
    alias = router.db_for_write(Event)
    sql, _, _ = rows.insert_statement(Event, alias, returning=False)
    plain = []
    for values in batch:
        if _has_resource_rows(values):
            _save(**values)
        else:
            plain.append(_row(**values)[1])
    if plain:
        with rows.cursor(alias) as cursor:
            cursor.executemany(sql, plain)


# After a commit that wrote events with ``lookup_later``, the writer enters the pending
# events in the lookup, once per batch however many commits asked.
_writer = Writer(_save_many, _follow_up)


def flush(by_attribute=False):
    """Write the events this process has queued (trail/writer.py) before reading them;
    ``by_attribute``: before a lookup by an attribute, enter every event still pending,
    whichever process committed it (its writer enters it at most
    ``TRAIL_LOOKUP_INDEX_SECONDS`` later), a chunk a transaction."""
    if not write_behind():
        return
    _writer.flush()
    if by_attribute:
        alias = router.db_for_write(Event)
        with rows.cursor(alias) as cursor:
            cursor.execute(_ANY_PENDING.format(**_tables(rows.database(alias))))
            pending = cursor.fetchone() is not None
        while pending:
            with transaction.atomic(using=alias):
                pending = _index_pending(alias)


def lower_camel(name):
    return name[:1].lower() + name[1:]


def clean_text(value):
    # PostgreSQL cannot store NUL in text or jsonb; an attempt that carried one must
    # still be recorded, so the character is replaced rather than the event lost.
    return value.replace("\x00", "\ufffd")


def _camelize(value, secret=frozenset()):
    """CloudTrail's lowerCamel form of AWS members, without the secret ones (at any depth:
    CreateAccessKey's SecretAccessKey sits inside its response)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {lower_camel(k): _camelize(v, secret) for k, v in value.items() if k not in secret}
    if isinstance(value, list):
        return [_camelize(v, secret) for v in value]
    if hasattr(value, "isoformat"):
        return value.strftime("%b %d, %Y %-I:%M:%S %p")
    return value


def user_identity(ctx):
    """CloudTrail's userIdentity: Root, IAMUser or AssumedRole (with the role as
    sessionContext.sessionIssuer); sessionContext for temporary credentials and for
    console sessions (whose calls AWS signs with the console's session credentials)."""
    principal = ctx.principal
    identity = {
        "type": principal.type,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if ctx.access_key_id:
        identity["accessKeyId"] = ctx.access_key_id
    if principal.user_name:
        identity["userName"] = principal.user_name
    if ctx.session_issued is not None:
        context = {}
        if principal.is_role_session:
            context["sessionIssuer"] = {
                "type": "Role",
                "principalId": principal.issuer_principal_id,
                "arn": principal.issuer_arn,
                "accountId": principal.account_id,
                "userName": principal.issuer_name,
            }
        elif ctx.via_console:
            context["sessionIssuer"] = {}
            context["webIdFederationData"] = {}
        context["attributes"] = {
            "creationDate": ctx.session_issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mfaAuthenticated": "true" if ctx.mfa_authenticated else "false",
        }
        identity["sessionContext"] = context
    return identity


def username_of(principal):
    """LookupEvents' User name: the IAM user, "root", or a role session's name."""
    if principal.is_root:
        return "root"
    return principal.user_name or principal.session_name


def _recipient(ctx, params):
    """The account whose trail receives the event: the caller's, and for an anonymous S3
    request the bucket owner's, as CloudTrail delivers it."""
    if not ctx.principal.is_anonymous:
        return ctx.principal.account_id
    from s3.models import Bucket

    owner = Bucket.objects.filter(name=params.get("Bucket") or "").values_list("account__account_id", flat=True)
    return owner.first()


def draft(ctx, spec, params):
    """What an API call's event says before the call runs (who, from where, what was
    asked): built before the call's transaction, so that a write holds SQLite's write lock
    only for what its result adds. None when no account receives the event, or when it
    is a data event that no logging trail of that account selects."""
    recipient = _recipient(ctx, params)
    if recipient is None:
        # An unsigned request for a bucket that does not exist concerns no account: it is
        # not recorded, so nobody can grow the event store without credentials.
        return None
    if getattr(spec, "data_event", False) and not data_event_logged(
        recipient, ctx.region, read_only=spec.read_only, bucket=params.get("Bucket"), key=params.get("Key")
    ):
        # As on CloudTrail, a data event exists only for the trails that select it.
        return None
    return dict(
        # Already query parameters (JSON text on SQLite): encoded here, not under the lock.
        **rows.params(Event, {
            "event_id": uuid.uuid4(),
            "user_identity": user_identity(ctx),
            "request_parameters": _camelize(params, spec.secret_params) or None,
        }, router.db_for_write(Event)),
        event_time=clock.now(),
        event_source=spec.event_source,
        event_name=spec.name,
        event_type="AwsApiCall",
        aws_region=ctx.region,
        recipient_account_id=recipient,
        username=username_of(ctx.principal),
        access_key_id=ctx.access_key_id,
        source_ip_address=ctx.source_ip,
        user_agent=CONSOLE_USER_AGENT if ctx.via_console else clean_text(ctx.user_agent[:1024]),
        request_id=ctx.request_id,
        read_only=spec.read_only,
        management_event=not getattr(spec, "data_event", False),
        session_credential_from_console=ctx.via_console,
    )


def finish(ctx, spec, params, result, drafted, error=None):
    """The values of the event of a call whose outcome is known, from its ``draft``: the
    call's answer (or error) and the resources it names."""
    response_elements = None
    if error is None and not spec.read_only and result:
        response_elements = _camelize(result, spec.secret_params)
    service = spec.action.split(":", 1)[0]
    return dict(
        drafted,
        response_elements=response_elements,
        error_code=error.code if error else "",
        error_message=clean_text(error.message) if error else "",
        resources=[
            {name: clean_text(value) if isinstance(value, str) else value for name, value in resource.items()}
            for resource in resources_of(service, params, result if error is None else None)
        ],
    )


def _in_call(values):
    """The row of an event that commits with its call's change (not behind the answer)."""
    # Written behind, an event enters the lookup after the commit (the writer thread).
    return _row(lookup_later=write_behind() and values["management_event"], **values)


def _follow_up_after_commit(values):
    # An event that enters the lookup later asks the writer thread, once its call commits.
    if values["management_event"] and not values["lookup_indexed"]:
        transaction.on_commit(_writer.request_follow_up, using=router.db_for_write(Event))


def finish_ahead(ctx, spec, params, answer, drafted):
    """The row of the event of a call that writes, made from the answer it said before its
    first write (``awsapi.operation.answer_ahead``), for ``api_call``'s ``finished``. Its
    follow-up is asked for now too: it runs after the commit, or not at all on a rollback."""
    row = _in_call(finish(ctx, spec, params, answer, drafted))
    _follow_up_after_commit(row[0])
    return row


_UNDRAFTED = object()


def api_call(ctx, spec, params, result, error=None, behind=False, drafted=_UNDRAFTED, finished=None):
    """Record one API call (console or API door), successful or not. ``behind``: the
    event commits with no change of the call's, so it may be written behind the answer.
    ``drafted``: the call's ``draft``, when it was made before the call; ``finished``:
    its ``finish_ahead``, when that was made before the call's writes."""
    if finished is not None:
        _insert(*finished)
        return
    if drafted is _UNDRAFTED:
        drafted = draft(ctx, spec, params)
    if drafted is None:
        return
    values = finish(ctx, spec, params, result, drafted, error)
    if behind and write_behind():
        _writer.submit(values)
        return
    values, insert_params = _in_call(values)
    _insert(values, insert_params)
    _follow_up_after_commit(values)


def console_login(*, identity, recipient_account_id, username, success, source_ip, user_agent,
                  login_to, mfa_used=False, error_message="Failed authentication"):
    """Record one console sign-in attempt (CloudTrail's ConsoleLogin event)."""
    _save(
        event_id=uuid.uuid4(),
        event_time=clock.now(),
        event_source=SIGNIN_SOURCE,
        event_name="ConsoleLogin",
        event_type="AwsConsoleSignIn",
        aws_region="us-east-1",
        recipient_account_id=recipient_account_id,
        username=username,
        source_ip_address=source_ip,
        user_agent=clean_text(user_agent[:1024]),
        user_identity=identity,
        request_parameters=None,
        response_elements={"ConsoleLogin": "Success" if success else "Failure"},
        additional_event_data={
            "LoginTo": login_to,
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa_used else "No",
        },
        error_message="" if success else error_message,
        read_only=False,
    )
