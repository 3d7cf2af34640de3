"""Authorization of S3 requests: AWS's S3 evaluation ("How Amazon S3 authorizes a
request") over identity policies, the bucket policy, the bucket and object ACLs and
Block Public Access.

- User context: an IAM user or role session needs its own account's permission — its
  identity-based policies, permissions boundary and session policies. When that
  account also owns the bucket (and the object), the bucket policy and ACLs are
  evaluated together with them, so either may allow (explicit deny wins). The root
  user of the bucket owner's account is allowed except where the bucket policy
  explicitly denies it — and it can always Get/Put/DeleteBucketPolicy, so an owner
  cannot lock itself out.
- Bucket context: a caller from another account, or an anonymous one, also needs the
  bucket owner's grant: a bucket policy or ACL that allows it. The root user of
  another account is allowed by its own account.
- Object context: an object another account owns (ACLs enabled, written by that
  account) is readable only as its object ACL allows; the bucket owner can still deny.
- ACLs are evaluated as the policy statements they map to (s3.acl), and not at all
  when the bucket enforces ownership (ACLs disabled). IgnorePublicAcls drops public
  grants; RestrictPublicBuckets keeps a public bucket policy from allowing anyone
  outside the owner's account.

Same-account denials carry AWS's enhanced message (the caller, the action, the
resource, and which policy type denied); other callers get the bare "Access Denied"
S3 answers across accounts."""

import ipaddress
import json
import re
from functools import lru_cache

from console import clock
from iam.authorization import ALLOW, Decision, authorize as authorize_identity, caller_policies, request_keys
from iam.policy import Request, compile_policy, denial_message, evaluate
from s3 import acl as acls
from s3.models import Object

ACCESS_DENIED = "Access Denied"
# PutBucketPolicy and friends: the owner's root can always use them ("To ensure that
# bucket owners don't inadvertently lock themselves out of their own buckets").
POLICY_ACTIONS = frozenset({"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"})
# Object actions the bucket owner decides even for an object another account owns:
# writing a new object, deleting one, the uploads in its bucket.
BUCKET_OWNER_OBJECT_ACTIONS = frozenset(
    {
        "s3:putobject",
        "s3:deleteobject",
        "s3:deleteobjectversion",
        "s3:abortmultipartupload",
        "s3:listmultipartuploadparts",
    }
)
IDENTITY_ONLY = ("ListBuckets", "CreateBucket")
BUCKET_POLICY_LABEL = {"type": "resource", "name": "bucket policy"}


# --- condition keys ------------------------------------------------------------------


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _global_context(ctx):
    """The global keys for a request by a root user or an anonymous caller (an IAM
    principal's come from iam.authorization with its tags and session)."""
    principal = ctx.principal
    context = request_keys(ctx, clock.now())
    if principal.is_anonymous:
        context["aws:PrincipalType"] = "Anonymous"
        context["aws:userid"] = "anonymous"
    else:
        context["aws:PrincipalType"] = "Account"
        context["aws:userid"] = principal.account_id
    return context


def request_condition_keys(ctx, action, params):
    """The S3 condition keys a request sets ("Condition keys for Amazon S3"): the ACL it
    asks for, what a listing asks for, how it was signed."""
    keys = {}
    if ctx.access_key_id:
        keys["s3:signatureversion"] = "AWS4-HMAC-SHA256"
    if params.get("ACL"):
        keys["s3:x-amz-acl"] = params["ACL"]
    for member, (_, header) in acls.GRANT_MEMBERS.items():
        if params.get(member):
            keys[f"s3:{header}"] = params[member]
    if action.lower() in ("s3:listbucket", "s3:listbucketversions"):
        # A listing without a prefix lists from the top: s3:prefix is "" then, which
        # is how AWS's examples allow only the bucket's top level.
        keys["s3:prefix"] = params.get("Prefix") or ""
        if params.get("Delimiter") is not None:
            keys["s3:delimiter"] = params["Delimiter"]
        if params.get("MaxKeys") is not None:
            keys["s3:max-keys"] = str(params["MaxKeys"])
    return keys


# --- what is public ------------------------------------------------------------------

# "The meaning of 'public'" (Blocking public access to your Amazon S3 storage): a
# statement for everyone is not public when a condition pins one of these keys to
# fixed values.
FIXING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:userid",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    )
)
FIXING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _everyone(statement):
    if "NotPrincipal" in statement:
        return True  # Allow with NotPrincipal: everyone but a few
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS", []))
    return False


def _fixed_source_ip(values):
    # A set of CIDRs limits who can call; AWS still treats a range as wide as an IPv4
    # /0-/7 (or IPv6 /0-/31) as everyone.
    try:
        networks = [ipaddress.ip_network(str(value), strict=False) for value in values]
    except ValueError:
        return False
    return bool(networks) and all(n.prefixlen >= (8 if n.version == 4 else 32) for n in networks)


def _condition_fixes(condition):
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        name = operator.lower()
        if name.endswith("ifexists") or not isinstance(block, dict):
            continue  # a key that may be missing pins nothing
        if name.startswith("foranyvalue:"):
            name = name.split(":", 1)[1]
        for key, values in block.items():
            values = _as_list(values)
            if key.lower() == "aws:sourceip" and name == "ipaddress" and _fixed_source_ip(values):
                return True
            if key.lower() in FIXING_KEYS and name in FIXING_OPERATORS:
                if values and all(isinstance(v, str) and "*" not in v and "?" not in v for v in values):
                    return True
    return False


@lru_cache(maxsize=1024)
def is_public_policy(text):
    """AWS's "public" for a bucket policy: an Allow for everyone that no condition pins
    to fixed values. Cached by text: decide() asks on every request to a bucket with a
    policy while RestrictPublicBuckets is on (the default)."""
    if not text:
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in _as_list(statements):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow" and _everyone(statement):
            if not _condition_fixes(statement.get("Condition")):
                return True
    return False


# --- evaluation ----------------------------------------------------------------------


def _resource_scan(policies, request):
    """(allowed, denied) by resource-based policies alone, whatever the strength of the
    principal match — for the bucket and object contexts of another account's caller."""
    allowed = denied = False
    context = request.lowered_context
    for _label, policy in policies:
        for statement in policy.statements_for(request.action_key):
            if statement.principals is None:
                continue
            if statement.not_principal:
                matches = not statement.principals.excludes(request)
            else:
                matches = bool(statement.principals.strength(request))
            if matches and statement.applies(request, context):
                if statement.allow:
                    allowed = True
                else:
                    denied = True
    return allowed, denied


def _bucket_policy(bucket):
    if not bucket.policy:
        return []
    return [(BUCKET_POLICY_LABEL, compile_policy(bucket.policy, "resource"))]


def _acl_policies(grants, bucket, key, owner_account_id, ignore_public):
    found = acls.grants_policy(
        acls.owner_grants(owner_account_id) if grants is None else grants, bucket.name, key, ignore_public=ignore_public
    )
    return [found] if found else []


def decide(ctx, action, bucket, key=None, *, resource=None, condition_keys=None):
    """Whether ctx.principal may perform ``action`` on ``bucket`` (or the object ``key``
    in it), as S3 decides; an ``iam.authorization.Decision``. DeleteObjects and
    CopyObject call this once per key and for the source."""
    principal = ctx.principal
    owner = bucket.account.account_id
    caller = "" if principal.is_anonymous else principal.account_id
    resource = resource or (bucket.arn if key is None else f"{bucket.arn}/{key}")
    action_key = action.lower()
    if principal.is_root and caller == owner and action_key in POLICY_ACTIONS:
        return ALLOW

    block = bucket.public_access_block or {}
    acls_enabled = bucket.object_ownership != "BucketOwnerEnforced"
    ignore_public_acls = bool(block.get("IgnorePublicAcls"))
    bucket_policy = _bucket_policy(bucket)
    bucket_acl = _acl_policies(bucket.acl, bucket, None, owner, ignore_public_acls) if acls_enabled else []
    object_acl = []
    object_owner = owner
    if key is not None and acls_enabled:
        found = next(iter(Object.objects.filter(bucket=bucket, key=key).values_list("owner_account_id", "acl")[:1]), None)
        if found is not None:
            object_acl = _acl_policies(found[1], bucket, key, found[0], ignore_public_acls)
            if action_key not in BUCKET_OWNER_OBJECT_ACTIONS:
                object_owner = found[0]

    if principal.is_anonymous or principal.is_root:
        pieces = None
        context = _global_context(ctx)
    else:
        pieces = caller_policies(ctx)
        context = dict(pieces.context)
    context.update({k: v for k, v in (condition_keys or {}).items() if v is not None})
    request = Request(
        action=action,
        resource=resource,
        principal_arn=principal.arn,
        principal_account=caller,
        principal_type="Anonymous" if principal.is_anonymous else principal.type,
        context=context,
        session_issuer_arn=principal.issuer_arn or None,
    )

    if caller == owner:
        # User and bucket context at once: the caller's account owns the bucket.
        resource_policies = bucket_policy + bucket_acl + (object_acl if object_owner == owner else [])
        decision = evaluate(
            request,
            identity_policies=pieces.identity if pieces else (),
            resource_policy=resource_policies,
            boundary_policies=pieces.boundary if pieces else None,
            session_policies=pieces.session if pieces else None,
            is_root=principal.is_root,
        )
        if not decision.allowed:
            return Decision(False, denial_message(principal.arn, action, resource, decision), detail=decision)
        if object_owner != owner and not _resource_scan(object_acl, request)[0]:
            return Decision(False, ACCESS_DENIED)
        return Decision(True, detail=decision)

    # User context: the caller's own account must allow (its root user is allowed).
    if pieces is not None:
        decision = evaluate(
            request,
            identity_policies=pieces.identity,
            resource_policy=object_acl if object_owner == caller else None,
            boundary_policies=pieces.boundary,
            session_policies=pieces.session,
        )
        if not decision.allowed:
            return Decision(False, ACCESS_DENIED, detail=decision)
    # Bucket context: the bucket owner's grants. A public policy under
    # RestrictPublicBuckets allows no one outside the owner's account.
    policy_allows, policy_denies = _resource_scan(bucket_policy, request)
    if policy_denies:
        return Decision(False, ACCESS_DENIED)
    if block.get("RestrictPublicBuckets") and is_public_policy(bucket.policy):
        policy_allows = False
    if object_owner == owner:
        if not (policy_allows or _resource_scan(bucket_acl + object_acl, request)[0]):
            return Decision(False, ACCESS_DENIED)
    elif object_owner != caller and not _resource_scan(object_acl, request)[0]:
        # Object context: another account's object, readable as its ACL says.
        return Decision(False, ACCESS_DENIED)
    return ALLOW


def _key_of(bucket, resource):
    prefix = f"{bucket.arn}/"
    return resource[len(prefix) :] if resource.startswith(prefix) else None


def authorize(ctx, spec, params):
    """The decision for one S3 call (``spec.authorizer`` of every S3 operation)."""
    principal = ctx.principal
    action = spec.authorized_as
    keys = request_condition_keys(ctx, action, params)
    if spec.condition_keys:
        keys.update(spec.condition_keys(ctx, params) or {})
    resource = spec.resource(ctx, params)
    if spec.name in IDENTITY_ONLY:
        # ListBuckets lists the caller's own buckets; CreateBucket acts on a bucket the
        # caller's account would own (an existing name is the operation's answer).
        if principal.is_anonymous:
            return Decision(False, ACCESS_DENIED)
        return authorize_identity(ctx, action, resource, None, keys)
    from s3.operations.common import authorized_bucket_named

    bucket = authorized_bucket_named(ctx, params.get("Bucket"))
    if bucket is None:
        # NoSuchBucket is the operation's answer, for anyone allowed to ask.
        if principal.is_anonymous:
            return ALLOW
        return authorize_identity(ctx, action, resource, None, keys)
    return decide(ctx, action, bucket, _key_of(bucket, resource), resource=resource, condition_keys=keys)


def can_list_bucket(ctx, bucket):
    """Whether the caller has s3:ListBucket on ``bucket``: without it S3 answers a
    missing key with 403 AccessDenied rather than 404 NoSuchKey."""
    keys = request_condition_keys(ctx, "s3:ListBucket", {})
    return decide(ctx, "s3:ListBucket", bucket, condition_keys=keys).allowed


# --- bucket policy validation ----------------------------------------------------------

POLICY_SIZE_LIMIT = 20 * 1024  # "Bucket policies are limited to 20 KB in size."
VERSIONS = ("2012-10-17", "2008-10-17")
# Object-level actions ("Amazon S3 actions" by resource type): they need an object
# ARN in the statement's Resource; the others act on the bucket.
OBJECT_ACTION = re.compile(
    r"s3:(getobject\w*|putobject\w*|deleteobject\w*|abortmultipartupload|listmultipartuploadparts"
    r"|restoreobject|replicate(object|delete|tags)|bypassgovernanceretention|objectowneroverridetobucketowner"
    r"|initiatereplication)",
    re.IGNORECASE,
)
ACTION = re.compile(r"s3:[A-Za-z*?]+|\*", re.IGNORECASE)
IAM_PRINCIPAL = re.compile(r"arn:aws:iam::(\d{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)")
CANONICAL_ID = re.compile(r"[0-9a-f]{64}")


class MalformedPolicy(Exception):
    def __init__(self, message, code="MalformedPolicy"):
        super().__init__(message)
        self.message = message
        self.code = code


def _glob(pattern):
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _principal_exists(arn):
    """AWS resolves the IAM principals a bucket policy names when it is saved."""
    from iam.models import Role, User

    found = IAM_PRINCIPAL.fullmatch(arn)
    if not found:
        return False
    account_id, rest = found.groups()
    kind, _, path = rest.partition("/")
    name = path.rsplit("/", 1)[-1]
    if kind == "user":
        return User.objects.filter(account__account_id=account_id, user_name_key=name.lower()).exists()
    if kind == "role":
        return Role.objects.filter(account__account_id=account_id, role_name_key=name.lower()).exists()
    return True


def _check_principal(element):
    if element == "*":
        return
    if not isinstance(element, dict) or not element:
        raise MalformedPolicy("Invalid principal in policy")
    for kind, values in element.items():
        values = _as_list(values)
        if kind not in ("AWS", "Service", "CanonicalUser", "Federated") or not values:
            raise MalformedPolicy("Invalid principal in policy")
        for value in values:
            if not isinstance(value, str):
                raise MalformedPolicy("Invalid principal in policy")
            if kind == "AWS" and not (
                value == "*" or re.fullmatch(r"\d{12}", value) or _principal_exists(value)
            ):
                raise MalformedPolicy("Invalid principal in policy")
            if kind == "CanonicalUser" and not CANONICAL_ID.fullmatch(value):
                raise MalformedPolicy("Invalid principal in policy")


def _check_resources(values, bucket_name):
    """Every resource must be this bucket or objects in it."""
    object_level = bucket_level = False
    for value in values:
        if not isinstance(value, str) or not value.startswith("arn:aws:s3:::"):
            raise MalformedPolicy("Policy has invalid resource")
        rest = value[len("arn:aws:s3:::") :]
        name, slash, _ = rest.partition("/")
        if not name or not _glob(name).fullmatch(bucket_name):
            raise MalformedPolicy("Policy has invalid resource")
        if slash:
            object_level = True
        else:
            bucket_level = True
            if "*" in name:
                object_level = True  # "arn:aws:s3:::bucket*" also covers "bucket/key"
    return object_level, bucket_level


def validate_bucket_policy(text, bucket_name):
    """Validate a bucket policy as PutBucketPolicy does; MalformedPolicy with S3's
    message (or code PolicyTooLarge) when it is refused."""
    if text is None or not text.strip():
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    if len(text.encode("utf-8")) > POLICY_SIZE_LIMIT:
        raise MalformedPolicy("Policy exceeds the maximum allowed document size.", "PolicyTooLarge")
    if not text.lstrip().startswith("{"):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedPolicy("This policy contains invalid Json") from None
    if "Version" in document and document["Version"] not in VERSIONS:
        raise MalformedPolicy("The policy must contain a valid version string")
    if "Statement" not in document:
        raise MalformedPolicy("Missing required field Statement")
    statements = document["Statement"]
    if not statements:
        raise MalformedPolicy("Could not parse the policy: Statement is empty!")
    for statement in _as_list(statements):
        if not isinstance(statement, dict):
            raise MalformedPolicy("This policy contains invalid Json")
        if "Effect" not in statement:
            raise MalformedPolicy("Missing required field Effect")
        if statement["Effect"] not in ("Allow", "Deny"):
            raise MalformedPolicy(f"Invalid effect: {statement['Effect']}")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicy("Missing required field Principal")
        _check_principal(statement.get("Principal", statement.get("NotPrincipal")))
        actions = statement.get("Action", statement.get("NotAction"))
        if not actions:
            raise MalformedPolicy("Missing required field Action")
        actions = _as_list(actions)
        if not all(isinstance(a, str) and ACTION.fullmatch(a) for a in actions):
            raise MalformedPolicy("Policy has invalid action")
        resources = statement.get("Resource", statement.get("NotResource"))
        if not resources:
            raise MalformedPolicy("Missing required field Resource")
        object_level, bucket_level = _check_resources(_as_list(resources), bucket_name)
        if "Action" in statement and "Resource" in statement:
            for action in actions:
                if "*" in action or "?" in action:
                    continue
                if OBJECT_ACTION.fullmatch(action) and not object_level:
                    raise MalformedPolicy("Action does not apply to any resource(s) in statement")
                if not OBJECT_ACTION.fullmatch(action) and not bucket_level:
                    raise MalformedPolicy("Action does not apply to any resource(s) in statement")
        condition = statement.get("Condition") or {}
        if not isinstance(condition, dict):
            raise MalformedPolicy("This policy contains invalid Json")
        for block in condition.values():
            for key in block if isinstance(block, dict) else ():
                if key.split(":", 1)[0].lower() not in ("aws", "s3"):
                    raise MalformedPolicy("Policy has an invalid condition key")
    # The engine's grammar (condition operators, Sids, element shapes) has the last word,
    # so whatever is stored also evaluates.
    from iam.policy import PolicyError, validate_policy

    try:
        validate_policy(text, "resource")
    except PolicyError as error:
        raise MalformedPolicy(error.message) from None
    return document



def service_may(bucket, action, resource, *, service="cloudtrail.amazonaws.com", context=None):
    """Whether the bucket policy lets an AWS service principal (``{"Service":
    "cloudtrail.amazonaws.com"}``) perform ``action`` on ``resource``: how CloudTrail's
    deliveries are authorized. A service acts under the bucket policy alone — no
    identity policy and no ACL grants it anything — and ``context`` carries the keys
    the service's request sets (``s3:x-amz-acl``, ``aws:SourceArn``,
    ``aws:SourceAccount``). Block Public Access does not stop AWS service principals."""
    now = clock.now()
    keys = {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true",
        "aws:PrincipalType": "AWSService",
        "aws:PrincipalServiceName": service,
        **(context or {}),
    }
    request = Request(
        action=action, resource=resource, principal_arn=service, principal_type="AWSService", context=keys
    )
    return evaluate(request, resource_policy=_bucket_policy(bucket)).allowed
