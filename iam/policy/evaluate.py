"""AWS's policy evaluation logic for requests within one account. Pure: no Django.

From "Policy evaluation logic" and "How AWS enforcement code logic evaluates requests to
allow or deny access":

1. An applicable Deny statement in any policy (identity-based, resource-based,
   permissions boundary, session) is an explicit deny: final.
2. The account's root user is allowed everything else in its own account.
3. A resource-based policy that names the caller directly (the IAM user, the role
   session, the federated user session, the service, or ``*``) allows the request even
   when identity-based policies, the boundary or the session policy do not.
4. Otherwise an identity-based policy must allow, or a resource-based policy that names
   the role (or the IAM user behind a federated session); then a permissions boundary,
   if set, and a session policy, if passed, must also allow. A resource-based policy
   that names only the account delegates to identity-based policies.
5. A role trust policy must allow AssumeRole itself, even when an identity-based policy
   allows it; if it names the account, an identity-based policy must also allow.
"""

from dataclasses import dataclass, field

from .document import ACCOUNT, DIRECT, ENTITY
from .messages import settles_message

ALLOWED = "allowed"
EXPLICIT_DENY = "explicitDeny"
IMPLICIT_DENY = "implicitDeny"


def _normalize(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_normalize(item) for item in value]
    return value


@dataclass
class Request:
    """What is asked: the action, the resource ARN, who asks, and the request context
    (condition keys, looked up case-insensitively; str, list of str, bool or number).

    ``principal_type`` is "Root", "IAMUser", "AssumedRole", "FederatedUser",
    "AWSService" (``principal_arn`` is then the service name, "ec2.amazonaws.com"),
    "Anonymous", or for AssumeRoleWithSAML/WebIdentity "SAMLUser"/"WebIdentityUser"
    with ``principal_arn`` the identity provider (matched by a Federated principal).
    The context gains ``aws:PrincipalArn`` (the role ARN for a role session) and
    ``aws:PrincipalAccount`` when the caller does not set them."""

    action: str
    resource: str = "*"
    principal_arn: str = ""
    principal_account: str = ""
    principal_type: str = "IAMUser"
    context: dict = field(default_factory=dict)
    # The role behind a role session, or the IAM user behind a federated user session
    # (CloudTrail's sessionContext.sessionIssuer.arn).
    session_issuer_arn: str | None = None
    action_key: str = field(init=False, repr=False, compare=False)
    lowered_context: dict = field(init=False, repr=False, compare=False)
    is_account_principal: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.action_key = self.action.lower()
        lowered = {key.lower(): _normalize(value) for key, value in self.context.items() if value is not None}
        if self.session_issuer_arn is None and self.principal_type == "AssumedRole":
            self.session_issuer_arn = lowered.get("aws:principalarn")
        if self.principal_arn:
            role = self.session_issuer_arn if self.principal_type == "AssumedRole" else None
            lowered.setdefault("aws:principalarn", role or self.principal_arn)
        if self.principal_account:
            lowered.setdefault("aws:principalaccount", self.principal_account)
        self.lowered_context = lowered
        self.is_account_principal = self.principal_type in ("Root", "Account") or self.principal_arn.endswith(":root")


@dataclass
class Decision:
    """The answer and why: the statements that decided it, and for a deny which policy
    type denied (explicit) or failed to allow (implicit)."""

    decision: str
    matched: list = field(default_factory=list)
    denied_by: str | None = None

    @property
    def allowed(self):
        return self.decision == ALLOWED


def _record(label, statement):
    return {"label": label, "sid": statement.sid, "statement_index": statement.index, "effect": statement.effect}


class _Denies(list):
    """The Deny matches, in the order the policies are scanned, as (policy type, match).
    ``settled``: the decision is an explicit deny and its AccessDenied message can no
    longer change (messages.py names the first deny's policy type, and for identity and
    boundary denies the first such policy with an ARN), so the scan may stop: AWS's
    evaluation logic ends at an explicit deny. Never settled with ``every_match`` (the
    policy simulator lists every matching statement)."""

    # Class attributes, not __init__: a list subclass without one is made at C speed,
    # and every decision makes one.
    every_match = False
    settled = False

    def add(self, policy_type, match):
        self.append((policy_type, match))
        # Every earlier deny left the message open, so this one is the first that can
        # settle it: the one messages.py would pick.
        self.settled = not self.every_match and settles_message(self[0][0], match)
        return self.settled


def _scan(policies, request, policy_type, denies):
    """Allow matches of ``policies``; Deny matches are added to ``denies``, and the scan
    ends when they settle the decision."""
    allows = []
    action = request.action_key
    context = request.lowered_context
    resource = request.resource
    for label, policy in policies:
        statements, gate = policy.for_action(action)
        if gate is not None and not resource.startswith(gate):
            continue
        for statement in statements:
            if statement.applies(request, context):
                if statement.allow:
                    allows.append(_record(label, statement))
                elif denies.add(policy_type, _record(label, statement)):
                    return allows
    return allows


def _scan_resource(policies, request, denies):
    """Allow matches of resource-based policies with the strength of their principal
    match; Deny matches are added to ``denies``, and the scan ends when they settle the
    decision."""
    allows = []
    action = request.action_key
    context = request.lowered_context
    for label, policy in policies:
        for statement in policy.statements_for(action):
            if statement.not_principal:
                strength = 0 if statement.principals.excludes(request) else DIRECT
            else:
                strength = statement.principals.strength(request)
            if strength and statement.applies(request, context):
                if statement.allow:
                    allows.append((strength, _record(label, statement)))
                elif denies.add("resource", _record(label, statement)):
                    return allows
    return allows


def evaluate(
    request,
    *,
    identity_policies=(),
    resource_policy=None,
    boundary_policies=None,
    session_policies=None,
    is_root=False,
    every_match=False,
):
    """Decide a request as AWS does. Each policy argument is a sequence of
    ``(label, Policy)``; ``boundary_policies=None`` means no boundary is set (an empty
    sequence is a boundary that allows nothing), and likewise for ``session_policies``.
    An explicit deny ends the evaluation once its message is settled, so ``matched``
    then holds the denies found until then; ``every_match`` evaluates every statement."""
    denies = _Denies()
    if every_match:
        denies.every_match = True
    resource_policies = resource_policy or ()
    identity_allows = _scan(identity_policies, request, "identity", denies)
    resource_allows = [] if denies.settled else _scan_resource(resource_policies, request, denies)
    boundary_allows = [] if denies.settled else _scan(boundary_policies or (), request, "boundary", denies)
    session_allows = [] if denies.settled else _scan(session_policies or (), request, "session", denies)
    if denies:
        return Decision(EXPLICIT_DENY, [match for _, match in denies], denies[0][0])
    if is_root:
        return Decision(ALLOWED, identity_allows + [match for _, match in resource_allows])
    direct = [match for strength, match in resource_allows if strength == DIRECT]
    if direct:
        return Decision(ALLOWED, direct)
    strongest = max((strength for strength, _ in resource_allows), default=0)
    if strongest < ACCOUNT and any(policy.kind == "trust" for _, policy in resource_policies):
        return Decision(IMPLICIT_DENY, [], "resource")
    if not identity_allows and strongest != ENTITY:
        return Decision(IMPLICIT_DENY, [], "identity")
    if boundary_policies is not None and not boundary_allows:
        return Decision(IMPLICIT_DENY, [], "boundary")
    if session_policies is not None and not session_allows:
        return Decision(IMPLICIT_DENY, [], "session")
    matched = identity_allows + [match for _, match in resource_allows] + boundary_allows + session_allows
    return Decision(ALLOWED, matched)
