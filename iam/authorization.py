"""Authorization of a request before its operation runs: AWS's policy evaluation logic
(``iam.policy``) over the policies that apply to the caller.

- The root user may do everything in its own account (its operations only ever reach
  its own account's resources).
- An IAM user is judged on its identity-based policies (its own, inline and attached,
  and its groups'), limited by its permissions boundary if it has one.
- IAM's account-level grants count as an identity-based policy, as AWS documents them
  ("PasswordPolicy": AllowUsersToChangePassword gives every IAM user iam:ChangePassword
  on their own user and iam:GetAccountPasswordPolicy, without attaching a policy), so an
  explicit deny still wins over them.
- During the forced "Change password" step after signing in with a password that must
  be reset or has expired, AWS lets the user change their own password whatever their
  policies say; that one call is allowed outright.
"""

import json
from dataclasses import dataclass

from django.db import connection

from console import clock
from iam import arns, effective, rows
from iam.models import PasswordPolicy, Role, Tag, User
from iam.policy import Request, compile_policy, denial_message, evaluate


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""
    detail: object = None  # iam.policy.Decision, when the engine decided


ALLOW = Decision(True)

ACCOUNT_PASSWORD_GRANT = {"type": "identity", "name": "AllowUsersToChangePassword", "kind": "account"}


def _account_password_grant(user, account_id):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:ChangePassword",
                 "Resource": arns.user_arn(account_id, user.path, user.user_name)},
                {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
            ],
        }
    )
    return ACCOUNT_PASSWORD_GRANT, compile_policy(document, "identity")


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def request_keys(ctx, now):
    """The global condition keys of the request itself, whoever makes it."""
    return {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SourceIp": ctx.source_ip,
        "aws:UserAgent": ctx.user_agent,
        "aws:SecureTransport": "true" if ctx.secure_transport else "false",
        "aws:RequestedRegion": ctx.region,
    }


def condition_context(ctx, caller, session=None):
    """The global condition keys AWS sets for a request by an IAM user or a role session."""
    now = clock.now()
    context = {
        **request_keys(ctx, now),
        "aws:userid": ctx.principal.principal_id,
        "aws:PrincipalType": "AssumedRole" if ctx.principal.is_role_session else "User",
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if ctx.session_issued is not None:
        # A console session is a temporary-credential session: AWS sets these keys for
        # it, and leaves aws:MultiFactorAuthPresent out for long-term access keys.
        context["aws:TokenIssueTime"] = _iso(ctx.session_issued)
        context["aws:MultiFactorAuthPresent"] = "true" if ctx.mfa_authenticated else "false"
        if ctx.mfa_authenticated:
            mfa_time = ctx.mfa_time or ctx.session_issued
            context["aws:MultiFactorAuthAge"] = str(int((now - mfa_time).total_seconds()))
    if isinstance(caller, User):
        context["aws:username"] = caller.user_name
    for key, value in _rows(_TAGS_SQL["role_id" if isinstance(caller, Role) else "user_id"], [caller.pk]):
        context[f"aws:PrincipalTag/{key}"] = value
    if session is not None:
        # Session tags override the role's tags with the same key.
        for tag in session.tags:
            context[f"aws:PrincipalTag/{tag['Key']}"] = tag["Value"]
    return context


def _compiled(pairs, kind):
    return [(label, compile_policy(text, kind)) for label, text in pairs]


# Every request an IAM user or role signs runs the queries below, so they are plain SQL:
# compiling the equivalent ORM queries cost more than the rest of the decision.
_rows = rows.fetchall


_TAGS_SQL = {
    column: "SELECT {}, {} FROM {} WHERE {} = %s".format(
        connection.ops.quote_name("key"), connection.ops.quote_name("value"), Tag._meta.db_table, column
    )
    for column in ("user_id", "role_id")
}
# What a decision reads of the caller; its other fields are loaded if something asks.
_CALLER_FIELDS = {
    User: ("id", "account_id", "user_name", "path", "permissions_boundary_id"),
    Role: ("id", "account_id", "role_name", "path", "permissions_boundary_id"),
}
_CALLER_SQL = {
    model: f"SELECT {', '.join(fields)} FROM {model._meta.db_table} WHERE id = %s"
    for model, fields in _CALLER_FIELDS.items()
}
_PASSWORD_GRANT_SQL = (
    f"SELECT 1 FROM {PasswordPolicy._meta.db_table}"
    " WHERE account_id = %s AND allow_users_to_change_password = %s"
)


def _load(model, pk):
    """The row of ``model`` as the ORM's ``only(...)`` would give it (the rest deferred)."""
    rows = _rows(_CALLER_SQL[model], [pk])
    if not rows:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return model.from_db(connection.alias, _CALLER_FIELDS[model], rows[0])


def _caller(ctx):
    """The IAM entity whose policies apply: the user, or the role of a role session."""
    principal = ctx.principal
    if principal.is_role_session:
        return _load(Role, principal.role_pk)
    return _load(User, principal.user_pk)


def _role_session(ctx):
    """The role session a request was signed with (its tags and session policies), or None."""
    if not ctx.principal.is_role_session:
        return None
    from sts.models import Session

    row = rows.fetchone(_SESSION_SQL, [ctx.principal.session_pk])
    if row is None:
        raise Session.DoesNotExist("Session matching query does not exist.")
    return rows.instance(Session, _SESSION_FIELDS, row)


# What a decision reads of a role session: its tags and session policies.
_SESSION_FIELDS = ("id", "account_id", "session_policy", "session_policy_arns", "tags")
_SESSION_SQL = f"SELECT {', '.join(_SESSION_FIELDS)} FROM sts_session WHERE id = %s"


def _session_policies(session):
    if session is None or not (session.session_policy or session.session_policy_arns):
        return None
    from sts.operations import session_policy_documents

    return _compiled(session_policy_documents(session), "identity")




# Authentication operations: AWS lets every principal call them and policies cannot
# control them ("GetSessionToken: No permissions are required").
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity", "sts:GetSessionToken"})


def authorize(ctx, action, resource, resource_policy=None, condition_keys=None):
    """Decide whether ctx.principal may perform action on resource. ``resource_policy``
    is the resource-based policy that also decides the call ([(label, text)], or None);
    ``condition_keys`` are the action's own keys (``sts:ExternalId``...)."""
    principal = ctx.principal
    if action in ALWAYS_ALLOWED:
        return ALLOW
    if principal.is_root:
        if action.lower() == "sts:assumerole":
            # AWS refuses root credentials here whatever the trust policy says.
            return Decision(False, "Roles may not be assumed by root accounts.")
        return ALLOW
    if ctx.password_change_required and action == "iam:ChangePassword" and resource == principal.arn:
        return ALLOW
    caller = _caller(ctx)
    identity = _compiled(effective.identity_policies(caller), "identity")
    if not principal.is_role_session and _rows(_PASSWORD_GRANT_SQL, [caller.account_id, True]):
        identity.append(_account_password_grant(caller, principal.account_id))
    boundary = effective.permissions_boundary(caller)
    resource_policies = None
    if resource_policy:
        kind = "trust" if action.lower().startswith("sts:assumerole") else "resource"
        resource_policies = _compiled(resource_policy, kind)
    session = _role_session(ctx)
    context = condition_context(ctx, caller, session)
    context.update({key: value for key, value in (condition_keys or {}).items() if value is not None})
    request = Request(
        action=action,
        resource=resource,
        principal_arn=principal.arn,
        principal_account=principal.account_id,
        principal_type=principal.type,
        context=context,
        session_issuer_arn=principal.issuer_arn or None,
    )
    decision = evaluate(
        request,
        identity_policies=identity,
        resource_policy=resource_policies,
        boundary_policies=None if boundary is None else _compiled([boundary], "boundary"),
        session_policies=_session_policies(session),
    )
    if decision.allowed:
        return Decision(True, detail=decision)
    return Decision(False, denial_message(principal.arn, action, resource, decision), detail=decision)


@dataclass(frozen=True)
class CallerPolicies:
    """What the policy engine needs about an IAM user or role session, for a service
    that combines it with its own resource grants (S3: bucket policies and ACLs)."""

    identity: list  # [(label, Policy)]
    boundary: list | None  # None: no permissions boundary
    session: list | None  # None: no session policy
    context: dict  # the request's global condition keys


def caller_policies(ctx):
    """The compiled identity-based policies, permissions boundary and session policies
    of ctx.principal (an IAM user or a role session, not root), and the global
    condition keys of its request — the pieces ``authorize`` evaluates."""
    caller = _caller(ctx)
    boundary = effective.permissions_boundary(caller)
    session = _role_session(ctx)
    return CallerPolicies(
        identity=_compiled(effective.identity_policies(caller), "identity"),
        boundary=None if boundary is None else _compiled([boundary], "boundary"),
        session=_session_policies(session),
        context=condition_context(ctx, caller, session),
    )
