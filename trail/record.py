"""Writing trail events. Every API call and every console sign-in attempt writes
exactly one; secret parameters never reach an event."""

import uuid
from functools import lru_cache

from django.db import connections, router
from django.db.models.sql import InsertQuery

from console import clock
from trail.models import Event

SIGNIN_SOURCE = "signin.amazonaws.com"


@lru_cache(maxsize=4)
def _insert_statement(alias):
    """The INSERT for one Event on a connection, compiled once: every API call and
    sign-in writes an event, and compiling the statement cost more than running it."""
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    query = InsertQuery(Event)
    query.insert_values(fields, [Event()])
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = None
    ((sql, _),) = compiler.as_sql()
    return sql, fields


def _save(**values):
    """Insert one event from its field values (no model instance: this is the hot path)."""
    alias = router.db_for_write(Event)
    connection = connections[alias]
    sql, fields = _insert_statement(alias)
    params = [field.get_db_prep_save(values.get(field.attname, field.get_default()), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
        identity["sessionContext"] = {
            "attributes": {
                "creationDate": ctx.session_issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mfaAuthenticated": "true" if ctx.mfa_authenticated else "false",
            }
        }
        if principal.is_role_session:
            identity["sessionContext"]["sessionIssuer"] = {
                "type": "Role",
                "principalId": principal.issuer_principal_id,
                "arn": principal.issuer_arn,
                "accountId": principal.account_id,
                "userName": principal.issuer_name,
            }
    return identity


def api_call(ctx, spec, params, result, error=None):
    """Record one API call (console or API door), successful or not."""
    request_parameters = _camelize(params, spec.secret_params)
    response_elements = None
    if error is None and not spec.read_only and result:
        response_elements = _camelize(result, spec.secret_params)
    _save(
        event_id=uuid.uuid4(),
        event_time=clock.now(),
        event_source=spec.event_source,
        event_name=spec.name,
        event_type="AwsApiCall",
        aws_region=ctx.region,
        recipient_account_id=ctx.principal.account_id,
        username=ctx.principal.user_name or ("root" if ctx.principal.is_root else ""),
        source_ip_address=ctx.source_ip,
        user_agent=clean_text(ctx.user_agent[:1024]),
        user_identity=user_identity(ctx),
        request_parameters=request_parameters or None,
        response_elements=response_elements,
        error_code=error.code if error else "",
        error_message=clean_text(error.message) if error else "",
        read_only=spec.read_only,
    )


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
