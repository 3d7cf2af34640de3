"""STS actions, one function each, named after the AWS action.

The model: temporary security credentials (sts.models.Session) are an ``ASIA`` access
key, its secret and a session token, valid until ``expiration``. GetSessionToken gives
them to an IAM user (or root) for their own identity; AssumeRole gives a role session
whose permissions are the role's, narrowed by any session policies. Either, given an
MFA device's SerialNumber and a TokenCode that iam.mfa accepts, makes the session
MFA-authenticated. The secret and the
token are returned once and never stored in the clear."""

import hashlib
import re
import secrets
from datetime import timedelta

from awsapi.errors import AccessDenied, AWSError, ValidationError
from awsapi.operation import operation
from console import clock
from iam import crypto, ids
from iam.models import AccessKey, Role
from iam.operations.common import policy_at
from iam.policy import PolicyError, PolicySizeError, validate_policy
from iam.validation import Constraints
from sts.models import Session

SESSION_NAME = re.compile(r"[\w+=,.@-]*")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*")
ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]+)")
SESSION_POLICY_SIZE = 2048
ROLE_CHAINING_MAX = 3600


class PackedPolicyTooLarge(AWSError):
    code = "PackedPolicyTooLarge"
    status = 400
    sender_fault = True


def _token():
    # Long and random like AWS's session tokens; only its hash is kept.
    return secrets.token_urlsafe(264)


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _credentials(account, expiration, **fields):
    """Create a Session; returns (session, the Credentials member of the response)."""
    key_id = ids.access_key_id(temporary=True)
    secret = ids.secret_access_key()
    token = _token()
    session = Session.objects.create(
        account=account,
        access_key_id=key_id,
        secret_encrypted=crypto.encrypt(secret, key_id),
        session_token_sha256=token_digest(token),
        create_date=clock.now(),
        expiration=expiration,
        **fields,
    )
    return session, {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": token, "Expiration": expiration}


SERIAL_NUMBER = re.compile(r"[\w+=/:,.@-]+", re.ASCII)
TOKEN_CODE = re.compile(r"[\d]*", re.ASCII)
# AWS's two answers: a serial number that is not an MFA device of the caller, and a
# code that does not verify.
MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MFA_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def _check_mfa_parameters(constraints, serial_number, token_code):
    constraints.length("serialNumber", serial_number, 9, 256)
    constraints.pattern("serialNumber", serial_number, SERIAL_NUMBER)
    constraints.length("tokenCode", token_code, 6, 6)
    constraints.pattern("tokenCode", token_code, TOKEN_CODE)


def check_mfa(account, user, serial_number, token_code):
    """Check SerialNumber and TokenCode: an enabled MFA device of ``user`` (None: the
    root user) and a code it accepts now (iam.mfa: drift, replay, throttling)."""
    from iam import mfa

    device = mfa.devices_of(account, user).filter(serial_number=serial_number or "").first()
    if device is None:
        raise AccessDenied(MFA_UNKNOWN_DEVICE)
    if not mfa.verify_code(device, token_code or ""):
        raise AccessDenied(MFA_INVALID_CODE)


@operation("sts:GetCallerIdentity", read_only=True)
def get_caller_identity(ctx):
    """GetCallerIdentity: who is calling. Needs no permission, as in AWS."""
    principal = ctx.principal
    return {"UserId": principal.principal_id, "Account": principal.account_id, "Arn": principal.arn}


@operation("sts:GetSessionToken", read_only=True, secret_params=("SecretAccessKey", "SessionToken", "TokenCode"))
def get_session_token(ctx, duration_seconds=None, serial_number=None, token_code=None):
    """GetSessionToken: temporary credentials for the caller's own identity. 15 minutes to
    36 hours (one hour at most for the root user), 12 hours by default. With SerialNumber
    and TokenCode (one of the caller's MFA devices and its current code) the session is
    MFA-authenticated: its requests carry aws:MultiFactorAuthPresent and ...AuthAge."""
    principal = ctx.principal
    if principal.session_pk is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    constraints = Constraints()
    constraints.range("durationSeconds", duration_seconds, 900, 129600)
    _check_mfa_parameters(constraints, serial_number, token_code)
    constraints.check()
    duration = duration_seconds or 43200
    if principal.is_root:
        duration = min(duration, 3600)
    from iam.models import Account, User

    account = Account.objects.get(account_id=principal.account_id)
    user = None if principal.is_root else User.objects.get(pk=principal.user_pk)
    mfa_used = serial_number is not None or token_code is not None
    if mfa_used:
        check_mfa(account, user, serial_number, token_code)
    _, credentials = _credentials(
        account, clock.now() + timedelta(seconds=duration), user=user, mfa_authenticated=mfa_used
    )
    return {"Credentials": credentials}


def role_for_arn(role_arn):
    """The role an AssumeRole RoleArn names, in any account on this installation."""
    match = ROLE_ARN.fullmatch(role_arn or "")
    if not match:
        return None
    account_id, path, name = match.groups()
    return (
        Role.objects.select_related("account", "permissions_boundary")
        .filter(account__account_id=account_id, role_name_key=name.lower(), path=path)
        .first()
    )


def _role_resource(ctx, params):
    return params.get("RoleArn") or "*"


def _trust_policy(ctx, params):
    """AssumeRole's resource-based policy: the role's trust policy."""
    role = role_for_arn(params.get("RoleArn"))
    if role is None:
        return None
    label = {"type": "resource", "name": "AssumeRolePolicyDocument", "arn": role.arn}
    return [(label, role.assume_role_policy_document)]


def _session_policy(policy, policy_arns, account):
    """Validate the session policies; returns (inline document text, [policy ARNs])."""
    arns = [item.get("arn") for item in (policy_arns or [])]
    for arn in arns:
        policy_at(account, arn, member="policyArns")
    if policy is not None:
        try:
            validate_policy(policy, "identity", None)
        except PolicyError as error:
            raise AWSError(error.message, code="MalformedPolicyDocument", status=400) from None
        except PolicySizeError as error:
            raise PackedPolicyTooLarge(error.message) from None
        size = len(re.sub(r"\s", "", policy))
        if size > SESSION_POLICY_SIZE:
            raise PackedPolicyTooLarge(
                f"Packed policy consumes {size * 100 // SESSION_POLICY_SIZE}% of allotted space, "
                "please use smaller policy."
            )
    return policy or "", arns


def _assume_role_mfa(ctx, params):
    """AssumeRole's SerialNumber and TokenCode, checked before the trust policy is
    evaluated, since the trust policy may require aws:MultiFactorAuthPresent (AWS's
    "Configuring MFA-protected API access"). Returns the MFA condition keys."""
    serial_number, token_code = params.get("SerialNumber"), params.get("TokenCode")
    if serial_number is None and token_code is None:
        return {}
    constraints = Constraints()
    _check_mfa_parameters(constraints, serial_number, token_code)
    constraints.check()
    principal = ctx.principal
    if principal.is_root:
        return {}  # root may not assume roles at all: authorization refuses the call
    if principal.is_role_session:
        raise AccessDenied(MFA_UNKNOWN_DEVICE)  # a role has no MFA devices
    from iam.models import Account, User

    user = User.objects.select_related("account").get(pk=principal.user_pk)
    check_mfa(Account.objects.get(pk=user.account_id), user, serial_number, token_code)
    return {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0"}


def _assume_role_keys(ctx, params):
    tags = params.get("Tags") or []
    keys = {
        "sts:ExternalId": params.get("ExternalId"),
        "sts:RoleSessionName": params.get("RoleSessionName"),
        "sts:SourceIdentity": params.get("SourceIdentity"),
        "aws:TagKeys": [t.get("Key") for t in tags] or None,
    }
    for tag in tags:
        keys[f"aws:RequestTag/{tag.get('Key')}"] = tag.get("Value")
    keys.update(_assume_role_mfa(ctx, params))
    return keys


@operation(
    "sts:AssumeRole",
    resource=_role_resource,
    resource_policy=_trust_policy,
    condition_keys=_assume_role_keys,
    read_only=False,
    secret_params=("SecretAccessKey", "SessionToken", "TokenCode"),
)
def assume_role(
    ctx,
    role_arn=None,
    role_session_name=None,
    duration_seconds=None,
    external_id=None,
    policy=None,
    policy_arns=None,
    tags=None,
    serial_number=None,
    token_code=None,
    source_identity=None,
    transitive_tag_keys=None,
    provided_contexts=None,
):
    """AssumeRole: a role session whose permissions are the role's, narrowed by the
    session policies. The trust policy was evaluated by the dispatcher with the caller
    as principal (``resource_policy``)."""
    constraints = Constraints()
    constraints.required("roleArn", role_arn)
    constraints.length("roleArn", role_arn, 20, 2048)
    constraints.required("roleSessionName", role_session_name)
    constraints.length("roleSessionName", role_session_name, 2, 64)
    constraints.pattern("roleSessionName", role_session_name, SESSION_NAME)
    constraints.range("durationSeconds", duration_seconds, 900, 43200)
    constraints.length("externalId", external_id, 2, 1224)
    constraints.pattern("externalId", external_id, EXTERNAL_ID)
    constraints.check()
    role = role_for_arn(role_arn)
    if role is None:  # the dispatcher's trust check already refused it
        raise AccessDenied(f"User: {ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    maximum = ROLE_CHAINING_MAX if ctx.principal.is_role_session else role.max_session_duration
    duration = duration_seconds or 3600
    if duration > maximum:
        raise ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            if not ctx.principal.is_role_session
            else "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    session_policy, session_policy_arns = _session_policy(policy, policy_arns, role.account)
    session, credentials = _credentials(
        role.account,
        clock.now() + timedelta(seconds=duration),
        role=role,
        role_session_name=role_session_name,
        source_arn=ctx.principal.arn,
        session_policy=session_policy,
        session_policy_arns=session_policy_arns,
        tags=[{"Key": t["Key"], "Value": t["Value"]} for t in (tags or [])],
        # The dispatcher computed the condition keys, and so checked SerialNumber and
        # TokenCode (_assume_role_mfa), before this runs: given, they passed.
        mfa_authenticated=ctx.mfa_authenticated or serial_number is not None or token_code is not None,
    )
    response = {
        "Credentials": credentials,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.role_id}:{role_session_name}",
            "Arn": session.assumed_role_arn,
        },
    }
    if session_policy or session_policy_arns:
        size = len(re.sub(r"\s", "", session_policy)) + 100 * len(session_policy_arns)
        response["PackedPolicySize"] = min(100, size * 100 // SESSION_POLICY_SIZE)
    if source_identity:
        response["SourceIdentity"] = source_identity
    return response


@operation("sts:GetAccessKeyInfo", read_only=True)
def get_access_key_info(ctx, access_key_id=None):
    """GetAccessKeyInfo: the account an access key ID (long-term or temporary) belongs to."""
    constraints = Constraints()
    constraints.required("accessKeyId", access_key_id)
    constraints.length("accessKeyId", access_key_id, 16, 128)
    constraints.check()
    key = AccessKey.objects.select_related("account").filter(access_key_id=access_key_id).first()
    account = key.account if key else None
    if account is None:
        session = Session.objects.select_related("account").filter(access_key_id=access_key_id).first()
        account = session.account if session else None
    if account is None:
        raise ValidationError(f"The access key ID {access_key_id} is not valid.")
    return {"Account": account.account_id}


def session_policy_documents(session):
    """The session policies of a role session as (label, document text) pairs."""
    found = []
    if session.session_policy:
        found.append(({"type": "session", "name": "Policy", "kind": "inline"}, session.session_policy))
    for arn in session.session_policy_arns:
        policy = policy_at(session.account, arn)
        version = policy.versions.filter(is_default=True).first()
        if version is not None:
            found.append(({"type": "session", "name": policy.policy_name, "arn": arn, "kind": "managed"}, version.document))
    return found
