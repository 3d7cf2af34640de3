"""The policy grammar: parse a JSON policy document, validate it as IAM does, and
compile it for fast evaluation. Pure: no Django.

Messages are AWS's MalformedPolicyDocument texts. IAM validates identity-based policies
(and boundaries) with one parser and role trust policies with another, so the same
mistake reads differently: a missing Action is "Policy statement must contain actions."
in a user policy and "Missing required field Action" in a trust policy.
"""

import json
import re
from functools import lru_cache

from . import conditions, matching
from . import variables as policy_variables
from .variables import Template

KINDS = ("identity", "boundary", "trust", "resource")
VERSIONS = ("2012-10-17", "2008-10-17")
VARIABLES_VERSION = "2012-10-17"

TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"})

SYNTAX = "Syntax errors in policy."
INVALID_JSON = "This policy contains invalid Json"
LEGACY = "The policy failed legacy parsing"
SID_PATTERN = re.compile(r"^[0-9A-Za-z]*$")
VENDOR_PATTERN = re.compile(r"^[a-zA-Z0-9\-.]+$")
IAM_RESOURCE_TYPES = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)

# Principal match strengths in a resource-based policy (see evaluate.py).
DIRECT, ENTITY, ACCOUNT = 3, 2, 1


class PolicyError(Exception):
    """A policy AWS rejects with MalformedPolicyDocument; the message is AWS's."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class PolicySizeError(Exception):
    """A policy over its size quota; AWS answers LimitExceeded with this message."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def policy_size(text):
    """The size IAM counts against quotas: characters other than white space ("IAM and
    AWS STS quotas")."""
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


def size_message(kind, limit, owner=None):
    """AWS's LimitExceeded text: managed policies and boundaries report PolicySize, a
    role's trust policy ACLSizePerRole, inline policies the aggregate bytes of their
    owner (``owner`` = ("user", "bob"))."""
    if owner is not None:
        return f"Maximum policy size of {limit} bytes exceeded for {owner[0]} {owner[1]}"
    if kind == "trust":
        return f"Cannot exceed quota for ACLSizePerRole: {limit}"
    return f"Cannot exceed quota for PolicySize: {limit}"


def _as_list(value):
    return [value] if isinstance(value, str) else value


def _is_strings(value):
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _condition_value_ok(value):
    return isinstance(value, (str, bool, int, float)) and value is not None


def _condition_strings(value):
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        else:
            out.append(str(item))
    return out


class Principals:
    """A compiled Principal or NotPrincipal element."""

    __slots__ = ("anyone", "arns", "accounts", "services", "federated")

    def __init__(self, element):
        self.anyone = False
        self.arns = set()
        self.accounts = set()
        self.services = set()
        self.federated = set()
        if element == "*":
            self.anyone = True
            return
        for principal_type, values in element.items():
            for value in _as_list(values):
                if principal_type == "AWS":
                    self._add_aws(value)
                elif principal_type == "Service":
                    self.services.add(value.lower())
                elif principal_type == "Federated":
                    self.federated.add(value)

    def _add_aws(self, value):
        if value == "*":
            self.anyone = True
        elif value.isdigit() and len(value) == 12:
            self.accounts.add(value)
        elif value.startswith("arn:") and value.endswith(":root") and value.count(":") == 5:
            self.accounts.add(value.split(":")[4])
        else:
            self.arns.add(value)

    def strength(self, request):
        """How directly this element names the caller: DIRECT (the user, the session,
        the service, or anyone), ENTITY (the role or user behind a session), ACCOUNT
        (the caller's account), or 0."""
        if self.anyone:
            return DIRECT
        arn = request.principal_arn
        if request.principal_type == "AWSService":
            return DIRECT if arn.lower() in self.services else 0
        if arn in self.arns or arn in self.federated:
            return DIRECT
        if request.session_issuer_arn in self.arns:
            return ENTITY
        if request.principal_account in self.accounts:
            return ACCOUNT
        return 0

    def excludes(self, request):
        """For NotPrincipal: True when the element lists the caller. A session is
        listed only when its account, its role (or user) and the session itself all are
        ("IAM JSON policy elements: NotPrincipal")."""
        if self.anyone:
            return True
        if request.principal_type == "AWSService":
            return request.principal_arn.lower() in self.services
        if request.principal_arn in self.federated:
            return True
        if request.principal_account not in self.accounts:
            return False
        issuer = request.session_issuer_arn
        if issuer and issuer not in self.arns:
            return False
        return request.is_account_principal or request.principal_arn in self.arns


class Resources:
    """A compiled Resource or NotResource element."""

    __slots__ = ("anything", "tests", "templates", "negated", "single", "prefixes")

    def __init__(self, values, negated, variables):
        self.negated = negated
        self.anything = False
        tests = []
        templates = []
        prefixes = []
        for value in values:
            parsed = policy_variables.parse(value) if variables else value
            if isinstance(parsed, Template):
                templates.append(parsed)
                prefixes.append(_literal_prefix(parsed.prefix()))
            elif value == "*":
                self.anything = True
            else:
                tests.append(matching.arn_pattern(value))
                prefixes.append(_literal_prefix(value))
        # Every resource a pattern matches starts with its text before the first
        # wildcard: one startswith() rules most statements out.
        self.prefixes = tuple(prefixes)
        self.tests = tuple(tests)
        self.single = tests[0] if len(tests) == 1 and not templates and not self.anything else None
        self.templates = tuple(templates)

    def match(self, resource, context):
        if not self.anything and not resource.startswith(self.prefixes):
            return self.negated
        if self.single is not None:
            return self.single(resource) != self.negated
        hit = self.anything or any(test(resource) for test in self.tests)
        if not hit and self.templates:
            for template in self.templates:
                test = template.matcher(context, _arn_pieces)
                if test is not None and test(resource):
                    hit = True
                    break
        return hit != self.negated


def _literal_prefix(text):
    for position, char in enumerate(text):
        if char in "*?":
            return text[:position]
    return text


def _arn_pieces(pieces):
    return matching.compile_pieces(pieces, arn=True)


class Statement:
    """One compiled statement of a policy."""

    __slots__ = (
        "index",
        "sid",
        "effect",
        "allow",
        "action_test",
        "not_action",
        "resources",
        "principals",
        "not_principal",
        "conditions",
        "checks",
        "resource_prefixes",
        "resource_check",
    )

    def __init__(self, index, raw, variables):
        self.index = index
        self.sid = raw.get("Sid")
        self.effect = raw["Effect"]
        self.allow = self.effect == "Allow"
        self.not_action = "NotAction" in raw
        self.action_test = matching.action_matcher(_as_list(raw.get("NotAction" if self.not_action else "Action")))
        if "Resource" in raw or "NotResource" in raw:
            negated = "NotResource" in raw
            self.resources = Resources(_as_list(raw["NotResource" if negated else "Resource"]), negated, variables)
        else:
            self.resources = None
        # What every resource this statement's Resource matches starts with, checked
        # first: most statements a request's action reaches are ruled out by it alone.
        resources = self.resources
        quick = resources is not None and not resources.negated and not resources.anything
        self.resource_prefixes = resources.prefixes if quick else None
        # "Resource": "*" matches every resource: nothing to test per request.
        everything = resources is not None and resources.anything and not resources.negated
        self.resource_check = None if everything else resources
        self.not_principal = "NotPrincipal" in raw
        element = raw.get("NotPrincipal" if self.not_principal else "Principal")
        self.principals = None if element is None else Principals(element)
        block = raw.get("Condition") or {}
        normalized = {
            operator: {key: _condition_strings(value) for key, value in keys.items()}
            for operator, keys in block.items()
            if conditions.parse_operator(operator)
        }
        self.conditions = conditions.compile_block(normalized, variables)
        self.checks = tuple(condition.check for condition in self.conditions)

    def applies(self, request, context):
        """Resource and Condition of this statement hold for the request (the action
        was matched by the caller, the principal by the resource-policy path)."""
        if self.resource_prefixes is not None and not request.resource.startswith(self.resource_prefixes):
            return False
        if self.resource_check is not None and not self.resource_check.match(request.resource, context):
            return False
        for check in self.checks:
            if not check(context):
                return False
        return True


class Policy:
    """A validated, compiled policy document."""

    __slots__ = ("text", "kind", "version", "document", "statements", "_by_action")

    def __init__(self, text, kind, document):
        self.text = text
        self.kind = kind
        self.document = document
        self.version = document.get("Version")
        raw = document["Statement"]
        raw = [raw] if isinstance(raw, dict) else raw
        variables = self.version == VARIABLES_VERSION
        self.statements = tuple(Statement(i, st, variables) for i, st in enumerate(raw))
        self._by_action = {}

    def statements_for(self, action):
        """The statements whose Action/NotAction covers a lowercased action (memoized)."""
        return self.for_action(action)[0]

    def for_action(self, action):
        """(``statements_for(action)``, their gate): the gate is every text a resource
        those statements can match starts with, when each has one, else None. A resource
        that starts with none of them is matched by none of the statements: one
        startswith() passes over the whole policy."""
        found = self._by_action.get(action)
        if found is None:
            if len(self._by_action) > 4096:
                self._by_action.clear()
            statements = tuple(st for st in self.statements if st.action_test(action) != st.not_action)
            gated = statements and all(st.resource_prefixes is not None for st in statements)
            gate = tuple(p for st in statements for p in st.resource_prefixes) if gated else None
            found = self._by_action[action] = (statements, gate)
        return found

    def __repr__(self):
        return f"<Policy {self.kind} {len(self.statements)} statements>"


def validate_policy(text, kind, size_limit=None, *, owner=None, managed=False):
    """Parse and validate a policy document of ``kind`` ("identity", "boundary", "trust",
    "resource") as IAM does and return the compiled Policy.

    Raises PolicySizeError (AWS LimitExceeded) when ``size_limit`` is given and the
    document's non-white-space characters exceed it, and PolicyError (AWS
    MalformedPolicyDocument) for anything IAM rejects. ``managed`` applies the rule
    for managed policies (CreatePolicy, CreatePolicyVersion): Version must be
    2012-10-17. ``owner`` (("user", "bob")) words the inline-policy size message."""
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}")
    if size_limit is not None and policy_size(text) > size_limit:
        raise PolicySizeError(size_message(kind, size_limit, owner))
    try:
        document = json.loads(text)
    except ValueError:
        raise PolicyError(SYNTAX if kind in ("identity", "boundary") else INVALID_JSON) from None
    if kind in ("identity", "boundary"):
        _validate_identity(document, managed)
    else:
        _validate_principal_policy(document, kind)
    return Policy(text, kind, document)


@lru_cache(maxsize=4096)
def compile_policy(text, kind):
    """The compiled Policy for a stored document, compiled once per (text, kind)."""
    return validate_policy(text, kind)


def _statements(document):
    raw = document.get("Statement")
    return [raw] if isinstance(raw, dict) else raw


# --- identity-based policies and boundaries ------------------------------------------


def _validate_identity(document, managed):
    if not isinstance(document, dict):
        raise PolicyError(SYNTAX)
    _identity_syntax(document)
    statements = _statements(document)
    if any("Principal" in st or "NotPrincipal" in st for st in statements):
        raise PolicyError("Policy document should not specify a principal.")
    if managed and document.get("Version") != VARIABLES_VERSION:
        raise PolicyError("Policy document must be version 2012-10-17 or greater.")
    for st in statements:
        _legacy_parse(st)
    _check_sids(statements, "Statement IDs (SID) in a single policy must be unique.")
    for st in statements:
        if not SID_PATTERN.match(st.get("Sid", "")):
            raise PolicyError(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
                "regular expression [0-9A-Za-z]*"
            )
    for st in statements:
        if not st.get("Action", st.get("NotAction")):
            raise PolicyError("Policy statement must contain actions.")
    for st in statements:
        if not st.get("Resource", st.get("NotResource")):
            raise PolicyError("Policy statement must contain resources.")
    for st in statements:
        for resource in _as_list(st.get("Resource", st.get("NotResource"))):
            _check_resource_format(resource)
    for st in statements:
        for action in _as_list(st.get("Action", st.get("NotAction"))):
            _check_action_format(action)


def _identity_syntax(document):
    if not set(document) <= TOP_ELEMENTS or "Statement" not in document:
        raise PolicyError(SYNTAX)
    if "Version" in document and document["Version"] not in VERSIONS:
        raise PolicyError(SYNTAX)
    if not isinstance(document.get("Id", ""), str):
        raise PolicyError(SYNTAX)
    statements = _statements(document)
    if not isinstance(statements, list) or not statements:
        raise PolicyError(SYNTAX)
    for st in statements:
        if not isinstance(st, dict) or not set(st) <= STATEMENT_ELEMENTS:
            raise PolicyError(SYNTAX)
        for name in ("Action", "Resource", "Principal"):
            if name in st and "Not" + name in st:
                raise PolicyError(SYNTAX)
        effect = st.get("Effect")
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise PolicyError(SYNTAX)
        for name in ("Action", "NotAction", "Resource", "NotResource"):
            if name in st and not _is_strings(st[name]):
                raise PolicyError(SYNTAX)
        if not isinstance(st.get("Sid", ""), str):
            raise PolicyError(SYNTAX)
        if _condition_problem(st.get("Condition")):
            raise PolicyError(SYNTAX)


def _condition_problem(block):
    """None when a Condition element is well formed, else ("syntax", None) or
    ("operator", name) for an operator IAM does not know (an empty block for an unknown
    operator is accepted)."""
    if block is None:
        return None
    if not isinstance(block, dict):
        return ("syntax", None)
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            return ("syntax", None)
        for value in keys.values():
            values = value if isinstance(value, list) else [value]
            if not all(_condition_value_ok(v) for v in values):
                return ("syntax", None)
        if keys and conditions.parse_operator(operator) is None:
            return ("operator", operator)
    return None


def _legacy_parse(statement):
    if statement["Effect"] not in ("Allow", "Deny"):
        raise PolicyError(LEGACY)
    for operator, keys in (statement.get("Condition") or {}).items():
        parsed = conditions.parse_operator(operator)
        if parsed and conditions.OPERATORS[parsed[1]][0] == "date":
            for value in keys.values():
                for text in _condition_strings(value):
                    if conditions.parse_date(text) is None:
                        raise PolicyError(LEGACY)
    for resource in _as_list(statement.get("Resource", statement.get("NotResource", []))):
        if resource != "*" and "::" in resource and resource.count(":") < 5:
            raise PolicyError(LEGACY)


def _check_sids(statements, message):
    seen = set()
    for st in statements:
        sid = st.get("Sid")
        if sid:
            if sid in seen:
                raise PolicyError(message)
            seen.add(sid)


def _check_resource_format(resource):
    if resource == "*":
        return
    if ":" not in resource:
        raise PolicyError(f'Resource {resource} must be in ARN format or "*".')
    parts = resource.split(":", 5)
    partition = parts[1]
    if partition not in PARTITIONS:
        raise PolicyError(_partition_message(resource))
    if len(parts) < 3 or not parts[2] or matching.has_wildcard(parts[2]):
        raise PolicyError("Resource vendor must be fully qualified and cannot contain regexes.")
    service = parts[2]
    region = parts[3] if len(parts) > 3 else ""
    if service == "iam" and region:
        raise PolicyError(f"IAM resource {resource} cannot contain region information.")
    if service == "s3" and region:
        raise PolicyError(f"Resource {resource} can not contain region information.")
    if service == "iam" and len(parts) == 6 and not parts[5].startswith(IAM_RESOURCE_TYPES) and parts[5] != "*":
        raise PolicyError(
            'IAM resource path must either be "*" or start with ' + ", ".join(IAM_RESOURCE_TYPES) + "."
        )


def _partition_message(resource):
    # AWS echoes the ARN back with empty components shown as "*".
    _, partition, *rest = resource.split(":", 2)
    parts = rest[0].split(":") if rest else [""]
    service = parts[0] if parts[0] or len(parts) > 1 else "*"
    region = parts[1] if len(parts) > 1 else "*"
    account = parts[2] if len(parts) > 2 else "*"
    tail = ":".join(parts[3:]) if len(parts) > 3 else "*"
    return f'Partition "{partition}" is not valid for resource "arn:{partition}:{service}:{region}:{account}:{tail}".'


def _check_action_format(action):
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    if len(parts) > 2:
        raise PolicyError("Actions/Condition can contain only one colon.")
    if not VENDOR_PATTERN.match(parts[0]):
        raise PolicyError(f"Vendor {parts[0]} is not valid")


# --- trust policies and resource-based policies --------------------------------------


def _validate_principal_policy(document, kind):
    trust = kind == "trust"
    if not isinstance(document, dict):
        raise PolicyError(INVALID_JSON)
    if not set(document) <= TOP_ELEMENTS:
        raise PolicyError(SYNTAX)
    if "Version" in document and document["Version"] not in VERSIONS:
        raise PolicyError("The policy must contain a valid version string")
    statements = _statements(document)
    if not statements:
        raise PolicyError("Could not parse the policy: Statement is empty!")
    if not isinstance(statements, list):
        raise PolicyError(SYNTAX)
    for st in statements:
        _principal_statement(st, trust)
    if trust:
        _check_sids(statements, "The Statement Ids in the policy are not unique")
    else:
        _check_sids(statements, "Statement IDs (SID) in a single policy must be unique.")


def _principal_statement(st, trust):
    if not isinstance(st, dict) or not set(st) <= STATEMENT_ELEMENTS:
        raise PolicyError(SYNTAX)
    for name in ("Action", "Resource", "Principal"):
        if name in st and "Not" + name in st:
            raise PolicyError(f"Statement/policy already has instance of {name}")
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        if name in st and not _is_strings(st[name]):
            raise PolicyError(SYNTAX)
    if not isinstance(st.get("Sid", ""), str):
        raise PolicyError(SYNTAX)
    effect = st.get("Effect")
    if effect is None:
        raise PolicyError("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Invalid effect: {effect}")
    if "NotPrincipal" in st:
        if trust and effect == "Allow":
            raise PolicyError("Allow with NotPrincipal is not allowed.")
        if trust:
            raise PolicyError("AssumeRole policy must not contain NotPrincipal field.")
        _check_principal(st["NotPrincipal"])
    elif "Principal" not in st:
        raise PolicyError("Missing required field Principal")
    else:
        _check_principal(st["Principal"])
    actions = st.get("Action", st.get("NotAction"))
    if not actions:
        raise PolicyError("Missing required field Action")
    if trust and not all(action.lower().startswith("sts:") for action in _as_list(actions)):
        raise PolicyError("AssumeRole policy may only specify STS AssumeRole actions.")
    if trust and "Resource" in st:
        raise PolicyError("Has prohibited field Resource")
    if trust and "NotResource" in st:
        raise PolicyError("AssumeRole policy must not contain resources.")
    if not trust and not st.get("Resource", st.get("NotResource")):
        raise PolicyError("Missing required field Resource")
    problem = _condition_problem(st.get("Condition"))
    if problem and problem[0] == "operator":
        raise PolicyError(f"Invalid Condition type : {problem[1]}")
    if problem:
        raise PolicyError(SYNTAX)


def _check_principal(element):
    if element == "*":
        return
    if not isinstance(element, dict):
        raise PolicyError(SYNTAX)
    if not element:
        raise PolicyError("Missing required field Principal cannot be empty!")
    for principal_type, values in element.items():
        if principal_type not in PRINCIPAL_TYPES:
            raise PolicyError(f'Invalid principal in policy: "{principal_type}"')
        if not _is_strings(values) or values == []:
            raise PolicyError(SYNTAX)
