"""``dispatch(ctx, "iam:ChangePassword", params)``: the one path every AWS action takes,
from the console or the API — authorize, run the operation in one transaction, and
record exactly one trail event (success, error or denial).

``params`` use AWS's member names (``UserName``), as botocore parses them from the
wire; operations take them as snake_case keyword arguments."""

from contextlib import nullcontext

from botocore import xform_name
from django.db import transaction

from awsapi.errors import AccessDenied, AWSError, InternalFailure
from awsapi.operation import answer_taker
from awsapi.registry import REGISTRY
from console import durable
from iam.authorization import authorize
from trail import record


def operation_for(action):
    service, _, name = action.partition(":")
    return REGISTRY[service][name]


def _authorize(ctx, spec, params):
    if spec.authorizer is not None:
        return spec.authorizer(ctx, spec, params)
    resource_policy = spec.resource_policy(ctx, params) if spec.resource_policy else None
    keys = spec.condition_keys(ctx, params) if spec.condition_keys else None
    return authorize(ctx, spec.authorized_as, spec.resource(ctx, params), resource_policy, keys)


def _require(decision):
    if not decision.allowed:
        raise AccessDenied(decision.message)


def _run_writing(func, ctx, kwargs, spec, params, event):
    """(result, its finished event or None) of an operation that writes: the event is
    finished early when the operation said its answer before its first write."""
    ahead = []

    def take(answer):
        ahead[:] = [answer, record.finish_ahead(ctx, spec, params, answer, event)]

    token = answer_taker.set(None if event is None else take)
    try:
        result = func(ctx, **kwargs)
    finally:
        answer_taker.reset(token)
    # Only the very answer said ahead: an operation that returns another has changed it.
    return result, ahead[1] if ahead and ahead[0] is result else None


def dispatch(ctx, action, params=None):
    params = params or {}
    func = operation_for(action)
    spec = func.spec
    kwargs = {xform_name(key): value for key, value in params.items()}
    # A read-only action changes nothing, so it needs no transaction, and its event may
    # be written behind the answer (trail/writer.py); an action that writes commits its
    # change and its event together.
    atomic = nullcontext() if spec.read_only else transaction.atomic()
    # The event as far as the request tells it, before the transaction: on SQLite every
    # other writer waits while one holds the write lock.
    event = record.draft(ctx, spec, params)
    cleanup = None
    try:
        with durable.deferred():
            # Authorized before the transaction: its reads need no write lock, which on
            # SQLite every other writer waits for while it is held. (IAM is eventually
            # consistent anyway: a policy changed at that moment applies to the next call.)
            _require(_authorize(ctx, spec, params))
            if spec.prepare is not None:
                # An upload is read before the transaction that stores it.
                kwargs, cleanup = spec.prepare(ctx, kwargs)
            with atomic:
                if spec.read_only:
                    result = func(ctx, **kwargs)
                else:
                    result, finished = _run_writing(func, ctx, kwargs, spec, params, event)
                    record.api_call(ctx, spec, params, result, drafted=event, finished=finished)
        if spec.read_only:
            # Nothing to commit with: the event may be written behind the answer.
            record.api_call(ctx, spec, params, result, behind=True, drafted=event)
        return result
    except AWSError as error:
        # The failed transaction rolled back whatever the operation did; the event of
        # the attempt is written on its own.
        record.api_call(ctx, spec, params, None, error=error, behind=True, drafted=event)
        raise
    except Exception:
        # A defect, not a client error: the call is still audited, without the
        # exception's text (it may quote data), and the door answers with a 500.
        record.api_call(ctx, spec, params, None, error=InternalFailure("An internal error occurred."), behind=True,
                        drafted=event)
        raise
    finally:
        if cleanup is not None:
            cleanup()
