"""The IAM policy simulator: SimulatePrincipalPolicy (the policies of a user, its groups,
a group or a role, plus optional extra ones) and SimulateCustomPolicy (policies given as
text). Both evaluate with the same engine as authorization and answer with AWS's
EvaluationResults: the decision, the statements that made it (with their line and
column in the policy text) and the condition keys the simulation lacked.

As AWS's simulator does, only the context entries the caller passes are known: a
condition on a key nobody supplied fails and the key is listed in MissingContextValues.
"""

import json
import re

from awsapi.errors import InvalidInput, NoSuchEntity
from awsapi.operation import operation
from iam.effective import identity_policies, permissions_boundary
from iam.operations.common import account_of, paginate, validate_policy_document, validated
from iam.policy import Request, compile_policy, evaluate
from iam.validation import Constraints

CONTEXT_KEY_TYPES = (
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
)
_ENTITY_ARN = re.compile(r"arn:aws:iam::(\d{12}):(user|group|role)(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]+)", re.ASCII)
_VARIABLE = re.compile(r"\$\{([^}*?$][^},]*)(?:,[^}]*)?\}")


# --- where a statement sits in the policy text -----------------------------------------


class _Spans:
    """A minimal JSON scanner that finds where each element of the top-level
    ``Statement`` sits in a document already known to be valid JSON."""

    def __init__(self, text):
        self.text = text
        self.i = 0

    def _ws(self):
        text, i = self.text, self.i
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        self.i = i

    def _string(self):
        text, i = self.text, self.i + 1
        while text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        self.i = i + 1

    def value(self):
        """Skip one value; return (start, end_inclusive, members) where members are the
        object's ``[(key, span)]`` or the array's ``[span]``."""
        self._ws()
        start = self.i
        char = self.text[start]
        members = None
        if char == "{":
            members = []
            self.i += 1
            self._ws()
            if self.text[self.i] == "}":
                self.i += 1
            else:
                while True:
                    self._ws()
                    key_start = self.i
                    self._string()
                    key = json.loads(self.text[key_start : self.i])
                    self._ws()
                    self.i += 1  # ':'
                    members.append((key, self.value()))
                    self._ws()
                    closing = self.text[self.i]
                    self.i += 1
                    if closing == "}":
                        break
        elif char == "[":
            members = []
            self.i += 1
            self._ws()
            if self.text[self.i] == "]":
                self.i += 1
            else:
                while True:
                    members.append(self.value())
                    self._ws()
                    closing = self.text[self.i]
                    self.i += 1
                    if closing == "]":
                        break
        elif char == '"':
            self._string()
        else:
            while self.i < len(self.text) and self.text[self.i] not in ",}] \t\r\n":
                self.i += 1
        return (start, self.i - 1, members)


def statement_spans(text):
    """``[(start, end)]`` character offsets (end inclusive) of each statement of a
    policy, in document order; empty when the text cannot be scanned."""
    try:
        _, _, members = _Spans(text).value()
        found = None
        for key, span in members or ():
            if key == "Statement":
                found = span  # the last one wins, as with Python's json
        if found is None:
            return []
        start, end, inner = found
        if text[start] == "{":
            return [(start, end)]
        return [(s, e) for s, e, _ in inner or ()]
    except (IndexError, ValueError, RecursionError):
        return []


def _position(text, offset):
    """AWS's Position of a brace: the line, and the column just past it (both
    1-based), as SimulateCustomPolicy reports them ("simulate-custom-policy" example:
    a statement starting at the 37th character is reported at Column 38)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return {"Line": text.count("\n", 0, offset) + 1, "Column": offset - line_start + 2}


def statement_positions(text, index):
    spans = statement_spans(text)
    if index >= len(spans):
        return {}
    start, end = spans[index]
    return {"StartPosition": _position(text, start), "EndPosition": _position(text, end)}


def position_offsets(text, start, end):
    """The character offsets (end inclusive) of a statement from AWS's positions."""
    lines = text.split("\n")

    def offset(position):
        line = position["Line"] - 1
        return sum(len(item) + 1 for item in lines[:line]) + position["Column"] - 2

    return offset(start), offset(end)


# --- inputs ----------------------------------------------------------------------------


def _check_actions(action_names):
    constraints = Constraints()
    constraints.required("actionNames", action_names)
    for index, name in enumerate(action_names or [], start=1):
        constraints.length(f"actionNames.{index}.member", name, 3, 128)
    constraints.check()
    for name in action_names:
        if ":" not in name:
            raise InvalidInput(f"Action {name} is not valid. Actions must be of the form service:action.")


def _context(context_entries):
    """ContextEntries as the engine's request context: list types stay lists."""
    context = {}
    constraints = Constraints()
    for index, entry in enumerate(context_entries or [], start=1):
        name = entry.get("ContextKeyName")
        kind = entry.get("ContextKeyType")
        constraints.length(f"contextEntries.{index}.member.contextKeyName", name, 5, 256)
        constraints.enum(f"contextEntries.{index}.member.contextKeyType", kind, CONTEXT_KEY_TYPES)
        if not name:
            continue
        values = list(entry.get("ContextKeyValues") or [])
        if kind and kind.endswith("List"):
            context[name] = values
        elif values:
            context[name] = values[0] if len(values) == 1 else values
    constraints.check()
    return context


def _inputs(texts, member, kind, label_type):
    """Policies passed as text, labelled ``PolicyInputList.1`` and so on."""
    policies = []
    for index, text in enumerate(texts or [], start=1):
        validated(lambda c: c.length(f"{member[0].lower()}{member[1:]}.{index}.member", text, 1, 131072))
        validate_policy_document(text, kind, None)
        name = f"{member}.{index}"
        label = {"type": label_type, "id": name, "source_type": "none", "name": name, "text": text}
        policies.append((label, text, compile_policy(text, kind)))
    return policies


def _boundary_inputs(texts):
    if len(texts) > 1:
        raise InvalidInput("Only one permissions boundary policy can be specified.")
    return _inputs(texts, "PermissionsBoundaryPolicyInputList", "boundary", "boundary")


def _stored(label, text, kind):
    """A stored policy (from ``iam.effective``) labelled as SimulatePrincipalPolicy
    reports it: inline policies by name with the owner's type, managed policies by name
    as aws-managed or user-managed."""
    if label["kind"] == "inline":
        source_type = label["attached_to"].split("/", 1)[0]
    else:
        source_type = "aws-managed" if ":aws:policy/" in label["arn"] else "user-managed"
    shown = {
        "type": kind,
        "id": label["name"],
        "source_type": source_type,
        "name": label["name"],
        "arn": label.get("arn"),
        "attached_to": label["attached_to"],
        "text": text,
    }
    return shown, text, compile_policy(text, kind)


def _excluded(label, exclusions):
    for exclusion in exclusions or ():
        if exclusion.get("PolicyArn") and exclusion["PolicyArn"] == label.get("arn"):
            return True
        inline = exclusion.get("InlinePolicyIdentifier")
        if inline and label.get("source_type") in ("user", "group", "role"):
            owner = f"{inline.get('AttachmentType')}/{inline.get('AttachmentName')}"
            if inline.get("PolicyName") == label["name"] and owner.lower() == label["attached_to"].lower():
                return True
    return False


# --- evaluation ------------------------------------------------------------------------


def _missing_keys(policies, request):
    """Condition keys (and policy variables in Resource) of the statements that cover
    the action, which the simulation was not given."""
    missing = []
    known = request.lowered_context
    for _, text, policy in policies:
        raw = policy.document["Statement"]
        raw = [raw] if isinstance(raw, dict) else raw
        for statement in policy.statements_for(request.action_key):
            source = raw[statement.index]
            keys = [key for block in (source.get("Condition") or {}).values() for key in block]
            for element in ("Resource", "NotResource"):
                values = source.get(element) or []
                for value in [values] if isinstance(values, str) else values:
                    keys += [match.group(1).strip() for match in _VARIABLE.finditer(value)]
            for key in keys:
                if key.lower() not in known and key not in missing:
                    missing.append(key)
    return missing


def _matched(decision):
    statements = []
    for match in decision.matched:
        label = match["label"]
        shape = {"SourcePolicyId": label["id"], "SourcePolicyType": label["source_type"]}
        shape.update(statement_positions(label["text"], match["statement_index"]))
        statements.append(shape)
    return statements


def _simulate(ctx, identity, boundary, resource_policy, principal, *, action_names, resource_arns, context_entries,
              max_items, marker):
    """EvaluationResults for each action and resource the request names (ActionNames,
    ResourceArns, ContextEntries), a page of MaxItems after Marker."""
    context = _context(context_entries)
    everything = identity + (boundary or []) + (resource_policy or [])
    pairs = lambda items: [(label, policy) for label, _, policy in items]  # noqa: E731
    results = []
    for action in action_names:
        for resource in resource_arns or ["*"]:
            request = Request(
                action,
                resource,
                principal_arn=principal.get("arn", ""),
                principal_account=ctx.principal.account_id,
                principal_type=principal.get("type", "IAMUser"),
                context=context,
                session_issuer_arn=principal.get("issuer"),
            )
            decision = evaluate(
                request,
                identity_policies=pairs(identity),
                resource_policy=pairs(resource_policy) if resource_policy else None,
                boundary_policies=pairs(boundary) if boundary is not None else None,
                every_match=True,
            )
            detail = {
                "EvalDecision": decision.decision,
                "MatchedStatements": _matched(decision),
                "MissingContextValues": _missing_keys(everything, request),
            }
            if boundary is not None:
                alone = evaluate(request, identity_policies=pairs(boundary))
                detail["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": alone.allowed}
            result = {"EvalActionName": action, "EvalResourceName": resource, **detail}
            if resource_arns:
                specific = {"EvalResourceName": resource, "EvalResourceDecision": detail["EvalDecision"]}
                specific.update({k: v for k, v in detail.items() if k != "EvalDecision"})
                result["ResourceSpecificResults"] = [specific]
            results.append(result)
    return paginate(results, marker, max_items, "EvaluationResults")


def _resource_policy(text):
    if text is None:
        return None
    validate_policy_document(text, "resource", None)
    label = {"type": "resource", "id": "ResourcePolicy", "source_type": "resource", "name": "ResourcePolicy"}
    label["text"] = text
    return [(label, text, compile_policy(text, "resource"))]


def _caller(ctx, caller_arn):
    if caller_arn is None:
        return None
    validated(lambda c: c.length("callerArn", caller_arn, 1, 2048))
    match = _ENTITY_ARN.fullmatch(caller_arn)
    if not match or match.group(2) != "user":
        raise InvalidInput(f"Invalid caller arn: {caller_arn}")
    return {"arn": caller_arn, "type": "IAMUser"}


def _entity(ctx, policy_source_arn):
    """The user, group or role a PolicySourceArn names, in the caller's account."""
    def checks(constraints):
        constraints.required("policySourceArn", policy_source_arn)
        constraints.length("policySourceArn", policy_source_arn, 20, 2048)

    validated(checks)
    match = _ENTITY_ARN.fullmatch(policy_source_arn)
    if not match:
        raise InvalidInput(f"Invalid Entity Arn: {policy_source_arn}")
    account_id, kind, path, name = match.groups()
    noun = {"user": "user", "group": "group", "role": "role"}[kind]
    missing = NoSuchEntity(f"The {noun} with name {name} cannot be found.")
    if account_id != ctx.principal.account_id:
        raise missing
    account = account_of(ctx)
    manager = {"user": account.users, "group": account.groups, "role": account.roles}[kind]
    entity = manager.filter(**{f"{kind}_name_key": name.lower(), "path": path}).first()
    if entity is None:
        raise missing
    return kind, entity


def _group_policies(group):
    """A group's own policies, labelled as for a user's groups (``iam.effective`` has no
    public helper for a group alone)."""
    from iam.effective import _attachments, _inline, _managed

    where = f"group/{group.group_name}"
    return _inline(group.inline_policies.all(), where) + _managed(_attachments().filter(group=group), where)


def _source_arn(ctx, params):
    return params.get("PolicySourceArn") or ""


@operation("iam:SimulatePrincipalPolicy", resource=_source_arn, read_only=True)
def simulate_principal_policy(
    ctx,
    policy_source_arn=None,
    policy_input_list=None,
    permissions_boundary_policy_input_list=None,
    policy_exclusion_list=None,
    action_names=None,
    resource_arns=None,
    resource_policy=None,
    resource_owner=None,
    caller_arn=None,
    context_entries=None,
    resource_handling_option=None,
    max_items=None,
    marker=None,
):
    """SimulatePrincipalPolicy: a user's (with its groups'), a group's or a role's
    policies, plus PolicyInputList; a boundary passed in replaces the entity's own."""
    _check_actions(action_names)
    kind, entity = _entity(ctx, policy_source_arn)
    caller = _caller(ctx, caller_arn)
    if kind == "group":
        stored = _group_policies(entity)
        own_boundary = None
        principal = caller or {}
    else:
        stored = identity_policies(entity)
        own_boundary = permissions_boundary(entity)
        if kind == "user":
            principal = caller or {"arn": entity.arn, "type": "IAMUser"}
        else:
            principal = caller or {"arn": entity.arn, "type": "AssumedRole", "issuer": entity.arn}
    identity = [_stored(label, text, "identity") for label, text in stored]
    identity = [item for item in identity if not _excluded(item[0], policy_exclusion_list)]
    identity += _inputs(policy_input_list, "PolicyInputList", "identity", "identity")
    if permissions_boundary_policy_input_list:
        boundary = _boundary_inputs(permissions_boundary_policy_input_list)
    elif own_boundary is not None:
        boundary = [_stored(own_boundary[0], own_boundary[1], "boundary")]
    else:
        boundary = None
    if resource_policy is not None and not principal.get("arn"):
        raise InvalidInput(
            "CallerArn is required when a ResourcePolicy is specified and PolicySourceArn is not a user."
        )
    return _simulate(
        ctx,
        identity,
        boundary,
        _resource_policy(resource_policy),
        principal,
        action_names=action_names,
        resource_arns=resource_arns,
        context_entries=context_entries,
        max_items=max_items,
        marker=marker,
    )


@operation("iam:SimulateCustomPolicy", read_only=True)
def simulate_custom_policy(
    ctx,
    policy_input_list=None,
    permissions_boundary_policy_input_list=None,
    ordered_organization_policy_input_list=None,
    action_names=None,
    resource_arns=None,
    resource_policy=None,
    resource_owner=None,
    caller_arn=None,
    context_entries=None,
    resource_handling_option=None,
    max_items=None,
    marker=None,
):
    """SimulateCustomPolicy: policies given as text, none of them stored."""
    validated(lambda c: c.required("policyInputList", policy_input_list))
    _check_actions(action_names)
    identity = _inputs(policy_input_list, "PolicyInputList", "identity", "identity")
    boundary = None
    if permissions_boundary_policy_input_list:
        boundary = _boundary_inputs(permissions_boundary_policy_input_list)
    principal = _caller(ctx, caller_arn) or {}
    if resource_policy is not None and not principal:
        raise InvalidInput("CallerArn is required when a ResourcePolicy is specified.")
    return _simulate(
        ctx,
        identity,
        boundary,
        _resource_policy(resource_policy),
        principal,
        action_names=action_names,
        resource_arns=resource_arns,
        context_entries=context_entries,
        max_items=max_items,
        marker=marker,
    )
