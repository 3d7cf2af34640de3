"""S3 access control lists: a canned ACL, ``x-amz-grant-*`` headers or an
AccessControlPolicy body turned into stored grants, grants turned back into AWS's
shapes, and grants turned into the policy statements S3 evaluates them as.

Stored grants name an account (a CanonicalUser grantee; S3 shows the account's
canonical user ID) or a predefined group by URI:
``[{"account": "111122223333", "permission": "FULL_CONTROL"}, {"group": ALL_USERS,
"permission": "READ"}]``. ``None`` stands for the default ACL: the owner's
FULL_CONTROL.

Object Ownership: with BucketOwnerEnforced (AWS's default since April 2023) ACLs are
disabled — they no longer affect permissions, and setting any ACL other than the
owner's full control fails with AccessControlListNotSupported."""

import json
import re

from iam.policy import compile_policy
from s3.errors import S3Error

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
PUBLIC_GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
# Request members carrying explicit grants, with the header each travels in.
GRANT_MEMBERS = {
    "GrantFullControl": ("FULL_CONTROL", "x-amz-grant-full-control"),
    "GrantRead": ("READ", "x-amz-grant-read"),
    "GrantReadACP": ("READ_ACP", "x-amz-grant-read-acp"),
    "GrantWrite": ("WRITE", "x-amz-grant-write"),
    "GrantWriteACP": ("WRITE_ACP", "x-amz-grant-write-acp"),
}
CANNED = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
# What a bucket that enforces ownership still accepts: ACLs that only say the bucket
# owner has full control ("Controlling ownership of objects and disabling ACLs").
ENFORCED_ACCEPTS = ("private", "bucket-owner-full-control")

# "Mapping of ACL permissions and access policy permissions" (Access control list
# (ACL) overview): each permission as the policy actions it stands for. WRITE on a
# bucket acts on the objects in it.
BUCKET_ACTIONS = {
    "READ": ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"],
    "READ_ACP": ["s3:GetBucketAcl"],
    "WRITE_ACP": ["s3:PutBucketAcl"],
}
BUCKET_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
OBJECT_ACTIONS = {
    "READ": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"],
    "READ_ACP": ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
    "WRITE_ACP": ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
}
ACL_NOT_SUPPORTED = ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)


def _error(code, message, status=400, **details):
    error = S3Error(code, message, status)
    error.details = {key: value for key, value in details.items() if value is not None}
    return error


def malformed_acl():
    return _error(
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def invalid_argument(message, name, value):
    return _error("InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def canonical_user_id(account_id):
    from s3.operations.buckets import canonical_user_id as canonical  # the operations package imports this module

    return canonical(account_id)


def owner_grants(owner_account_id):
    return [{"account": owner_account_id, "permission": "FULL_CONTROL"}]


def canned_grants(acl, owner_account_id, bucket_owner_account_id=None):
    """The grants of a canned ACL ("Canned ACL" in Access control list (ACL) overview).
    ``bucket_owner_account_id`` is the bucket's owner for an object's ACL."""
    grants = owner_grants(owner_account_id)
    if acl in ("public-read", "public-read-write"):
        grants.append({"group": ALL_USERS, "permission": "READ"})
    if acl == "public-read-write":
        grants.append({"group": ALL_USERS, "permission": "WRITE"})
    if acl == "authenticated-read":
        grants.append({"group": AUTHENTICATED_USERS, "permission": "READ"})
    if acl == "log-delivery-write":
        grants.append({"group": LOG_DELIVERY, "permission": "WRITE"})
        grants.append({"group": LOG_DELIVERY, "permission": "READ_ACP"})
    # bucket-owner-* name the bucket's owner; on a bucket, or when the writer owns the
    # bucket, AWS ignores them and the owner alone has full control.
    if bucket_owner_account_id and bucket_owner_account_id != owner_account_id:
        if acl == "bucket-owner-read":
            grants.append({"account": bucket_owner_account_id, "permission": "READ"})
        if acl == "bucket-owner-full-control":
            grants.append({"account": bucket_owner_account_id, "permission": "FULL_CONTROL"})
    # aws-exec-read also lets EC2 read an AMI bundle; there is no EC2 reading buckets here.
    return grants


def _account_for_canonical_id(canonical_id):
    from iam.models import Account

    if not re.fullmatch(r"[0-9a-f]{64}", canonical_id or ""):
        return None
    for account_id in Account.objects.values_list("account_id", flat=True):
        if canonical_user_id(account_id) == canonical_id:
            return account_id
    return None


def _account_for_email(email):
    from iam.models import Account

    return Account.objects.filter(root_email=(email or "").lower()).values_list("account_id", flat=True).first()


def _unresolvable_email(email):
    return _error(
        "UnresolvableGrantByEmailAddress",
        "The e-mail address you provided does not match any account on record.",
        EmailAddress=email,
    )


def _header_grants(member, value):
    """The grants of one x-amz-grant-* header: ``id="..."``, ``uri="..."`` or
    ``emailAddress="..."`` separated by commas."""
    permission, header = GRANT_MEMBERS[member]
    grants = []
    for item in value.split(","):
        item = item.strip()
        kind, sep, raw = item.partition("=")
        kind = kind.strip()
        grantee = raw.strip().strip('"')
        if not sep or kind not in ("id", "uri", "emailAddress"):
            raise invalid_argument("Argument format not recognized", header, item)
        if kind == "uri":
            if grantee not in GROUPS:
                raise invalid_argument("Invalid group uri", "uri", grantee)
            grants.append({"group": grantee, "permission": permission})
        elif kind == "id":
            account_id = _account_for_canonical_id(grantee)
            if account_id is None:
                raise invalid_argument("Invalid id", "id", grantee)
            grants.append({"account": account_id, "permission": permission})
        else:
            account_id = _account_for_email(grantee)
            if account_id is None:
                raise _unresolvable_email(grantee)
            grants.append({"account": account_id, "permission": permission})
    return grants


def _body_grants(policy):
    """The grants of an AccessControlPolicy body (its Owner is required, as S3's schema
    has it)."""
    if not isinstance(policy, dict) or not isinstance(policy.get("Owner"), dict) or not policy["Owner"].get("ID"):
        raise malformed_acl()
    grants = []
    for grant in policy.get("Grants") or []:
        grantee = grant.get("Grantee") or {}
        permission = grant.get("Permission")
        kind = grantee.get("Type")
        if permission not in PERMISSIONS or kind not in ("CanonicalUser", "Group", "AmazonCustomerByEmail"):
            raise malformed_acl()
        if kind == "Group":
            if grantee.get("URI") not in GROUPS:
                raise invalid_argument("Invalid group uri", "uri", grantee.get("URI") or "")
            grants.append({"group": grantee["URI"], "permission": permission})
        elif kind == "CanonicalUser":
            account_id = _account_for_canonical_id(grantee.get("ID"))
            if account_id is None:
                raise invalid_argument("Invalid id", "CanonicalUser/ID", grantee.get("ID") or "")
            grants.append({"account": account_id, "permission": permission})
        else:
            account_id = _account_for_email(grantee.get("EmailAddress"))
            if account_id is None:
                raise _unresolvable_email(grantee.get("EmailAddress") or "")
            grants.append({"account": account_id, "permission": permission})
    return grants


def grants_from_request(params, owner_account_id, bucket_owner_account_id=None, *, required=True):
    """The grants a PutBucketAcl/PutObjectAcl (or PutObject, CreateBucket) request
    asks for: its canned ACL, its grant headers or its AccessControlPolicy body — one
    of them. Returns None when the request names no ACL and ``required`` is False."""
    canned = params.get("ACL")
    headers = {member: params[member] for member in GRANT_MEMBERS if params.get(member)}
    body = params.get("AccessControlPolicy")
    if not (canned or headers or body):
        if not required:
            return None
        raise _error(
            "MissingSecurityHeader", "Your request was missing a required header", MissingHeaderName="x-amz-acl"
        )
    if canned and headers:
        raise _error("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
    if (canned or headers) and body:
        raise _error("UnexpectedContent", "This request does not support content")
    if canned:
        if canned not in CANNED:
            raise invalid_argument("", "x-amz-acl", canned)
        return canned_grants(canned, owner_account_id, bucket_owner_account_id)
    if headers:
        grants = []
        for member, value in headers.items():
            grants.extend(_header_grants(member, value))
        return grants
    return _body_grants(body)


def is_public(grants):
    """AWS's "public" for an ACL: it grants anything to AllUsers or AuthenticatedUsers."""
    return any(grant.get("group") in PUBLIC_GROUPS for grant in grants or ())


def only_owner_full_control(grants, owner_account_id):
    return list(grants) == owner_grants(owner_account_id)


def as_aws(grants, owner_account_id):
    """Owner and Grants as GetBucketAcl/GetObjectAcl answer them."""
    grants = owner_grants(owner_account_id) if grants is None else grants
    shown = []
    for grant in grants:
        if "group" in grant:
            grantee = {"Type": "Group", "URI": grant["group"]}
        else:
            grantee = {"ID": canonical_user_id(grant["account"]), "Type": "CanonicalUser"}
        shown.append({"Grantee": grantee, "Permission": grant["permission"]})
    return {"Owner": {"ID": canonical_user_id(owner_account_id)}, "Grants": shown}


def _principal(grant):
    """The policy principal of a grantee, and the condition it needs: AllUsers is
    anyone, AuthenticatedUsers anyone who signed the request."""
    group = grant.get("group")
    if group == ALL_USERS:
        return "*", None
    if group == AUTHENTICATED_USERS:
        # An anonymous request has no principal ARN; every signed one has.
        return "*", {"Null": {"aws:PrincipalArn": "false"}}
    if group is not None:
        return None, None  # LogDelivery: S3's log delivery, which never calls here
    return {"AWS": grant["account"]}, None


def _actions(permission, table):
    if permission == "FULL_CONTROL":
        return [action for actions in table.values() for action in actions]
    return table.get(permission, [])


def grants_policy(grants, bucket_name, key=None, *, ignore_public=False):
    """The compiled policy a bucket ACL (``key`` None) or an object ACL stands for, as
    ``(label, Policy)``, or None when it grants nothing evaluable. ``ignore_public``
    drops the public grants (Block Public Access's IgnorePublicAcls)."""
    statements = []
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    for grant in grants:
        if ignore_public and grant.get("group") in PUBLIC_GROUPS:
            continue
        principal, condition = _principal(grant)
        if principal is None:
            continue
        permission = grant["permission"]
        targets = []
        if key is None:
            targets.append((_actions(permission, BUCKET_ACTIONS), bucket_arn))
            if permission in ("WRITE", "FULL_CONTROL"):
                targets.append((BUCKET_WRITE_ACTIONS, f"{bucket_arn}/*"))
        else:
            # An object's ACL is only ever evaluated for requests on that object, so its
            # statements cover the bucket's objects: the key (which may hold "*" or
            # "${") never becomes policy text.
            targets.append((_actions(permission, OBJECT_ACTIONS), f"{bucket_arn}/*"))
        for actions, resource in targets:
            if not actions:
                continue
            statement = {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": resource}
            if condition:
                statement["Condition"] = condition
            statements.append(statement)
    if not statements:
        return None
    label = {"type": "resource", "name": "object ACL" if key is not None else "bucket ACL"}
    return label, _compile(json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True))


def _compile(text):
    # compile_policy caches by text: the same ACL costs one compilation per process.
    return compile_policy(text, "resource")
