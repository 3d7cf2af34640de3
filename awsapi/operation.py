"""The ``@operation`` decorator: what the dispatcher needs to know about an AWS action
besides its code — the resource it acts on, whether it only reads, which parameters
are secret (never recorded), and where CloudTrail says it happened."""

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Callable

# Set by the dispatcher while an operation that writes runs: what becomes of an answer
# the operation knows before its first write (``answer_ahead``).
answer_taker = ContextVar("answer_taker", default=None)


def answer_ahead(answer):
    """Say, before the first write, that ``answer`` is what the operation returns if its
    writes succeed; returns it. The call's event is then made from it at once, while
    another call may hold SQLite's one write lock, instead of between this call's writes
    and its commit, where every other writer waits. The answer must not change after."""
    take = answer_taker.get()
    if take is not None:
        take(answer)
    return answer


@dataclass(frozen=True)
class OperationSpec:
    action: str  # "iam:ChangePassword"
    resource: Callable  # (ctx, params) -> resource ARN the action is authorized on
    read_only: bool
    event_source: str
    secret_params: frozenset = field(default_factory=frozenset)
    # (ctx, params) -> [(label, document text)] of the resource-based policy that also
    # decides the call (a role's trust policy for sts:AssumeRole), or None.
    resource_policy: Callable | None = None
    # (ctx, params) -> the action's own condition keys ("sts:ExternalId", ...), or None.
    condition_keys: Callable | None = None
    # The IAM action policies name, when it differs from the API operation
    # (S3's ListBuckets is authorized as s3:ListAllMyBuckets).
    iam_action: str = ""
    # (ctx, spec, params) -> iam.authorization.Decision, for a service whose evaluation
    # is its own (S3: bucket policies, ACLs, Block Public Access, anonymous callers).
    authorizer: Callable | None = None
    # S3 object-level actions are CloudTrail data events, not management events.
    data_event: bool = False
    # (ctx, kwargs) -> (kwargs, cleanup): work done after authorization and before the
    # transaction — streaming an upload's body to a verified temporary file — since a
    # SQLite write transaction locks the whole database. cleanup() runs afterwards.
    prepare: Callable | None = None

    @property
    def authorized_as(self):
        return self.iam_action or self.action

    @property
    def name(self):
        return self.action.split(":", 1)[1]


def any_resource(ctx, params):
    return "*"


def operation(
    action,
    *,
    resource=any_resource,
    read_only=False,
    secret_params=(),
    event_source=None,
    resource_policy=None,
    condition_keys=None,
    iam_action="",
    authorizer=None,
    data_event=False,
    prepare=None,
):
    service = action.split(":", 1)[0]

    def decorate(func):
        func.spec = OperationSpec(
            action=action,
            resource=resource,
            read_only=read_only,
            event_source=event_source or f"{service}.amazonaws.com",
            secret_params=frozenset(secret_params),
            resource_policy=resource_policy,
            condition_keys=condition_keys,
            iam_action=iam_action,
            authorizer=authorizer,
            data_event=data_event,
            prepare=prepare,
        )
        return func

    return decorate
