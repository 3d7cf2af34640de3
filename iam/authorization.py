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

from console import clock
from iam import effective
from iam.models import PasswordPolicy, User
from iam.policy import Request, compile_policy, denial_message, evaluate


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""
    detail: object = None  # iam.policy.Decision, when the engine decided


ALLOW = Decision(True)

ACCOUNT_PASSWORD_GRANT = {"type": "identity", "name": "AllowUsersToChangePassword", "kind": "account"}


def _account_password_grant(user):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": user.arn},
                {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
            ],
        }
    )
    return ACCOUNT_PASSWORD_GRANT, compile_policy(document, "identity")


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def condition_context(ctx, user):
    """The global condition keys AWS sets for a request by an IAM user."""
    now = clock.now()
    context = {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SourceIp": ctx.source_ip,
        "aws:UserAgent": ctx.user_agent,
        "aws:SecureTransport": "true" if ctx.secure_transport else "false",
        "aws:RequestedRegion": ctx.region,
        "aws:username": user.user_name,
        "aws:userid": user.user_id,
        "aws:PrincipalType": "User",
        "aws:ViaAWSService": "false",
        "aws:PrincipalIsAWSService": "false",
    }
    if ctx.session_issued is not None:
        # A console session is a temporary-credential session: AWS sets these keys for
        # it, and leaves aws:MultiFactorAuthPresent out for long-term access keys.
        context["aws:TokenIssueTime"] = _iso(ctx.session_issued)
        context["aws:MultiFactorAuthPresent"] = "true" if ctx.mfa_authenticated else "false"
        if ctx.mfa_authenticated:
            context["aws:MultiFactorAuthAge"] = str(int((now - ctx.session_issued).total_seconds()))
    for key, value in user.tags.values_list("key", "value"):
        context[f"aws:PrincipalTag/{key}"] = value
    return context


def authorize(ctx, action, resource):
    """Decide whether ctx.principal may perform action on resource."""
    principal = ctx.principal
    if principal.is_root:
        return ALLOW
    if ctx.password_change_required and action == "iam:ChangePassword" and resource == principal.arn:
        return ALLOW
    user = User.objects.select_related("account").get(pk=principal.user_pk)
    identity = [(label, compile_policy(text, "identity")) for label, text in effective.identity_policies(user)]
    if PasswordPolicy.objects.filter(account=user.account, allow_users_to_change_password=True).exists():
        identity.append(_account_password_grant(user))
    boundary = effective.permissions_boundary(user)
    boundary_policies = None if boundary is None else [(boundary[0], compile_policy(boundary[1], "boundary"))]
    request = Request(
        action=action,
        resource=resource,
        principal_arn=principal.arn,
        principal_account=principal.account_id,
        principal_type="IAMUser",
        context=condition_context(ctx, user),
    )
    decision = evaluate(request, identity_policies=identity, boundary_policies=boundary_policies)
    if decision.allowed:
        return Decision(True, detail=decision)
    return Decision(False, denial_message(principal.arn, action, resource, decision), detail=decision)
