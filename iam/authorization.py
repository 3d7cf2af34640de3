"""Authorization of a request before its operation runs.

The policy engine (``iam/policy/``, with identity policies, boundaries and resource
policies) arrives with the IAM console; until then no IAM user can have an identity
policy, so AWS's answer for an IAM user is an implicit deny — except for the grants
IAM makes at account level, which this module already applies as AWS documents them
("PasswordPolicy": AllowUsersToChangePassword gives every IAM user iam:ChangePassword on
their own user and iam:GetAccountPasswordPolicy, without attaching a policy).
"""

from dataclasses import dataclass

from iam.models import PasswordPolicy


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""


ALLOW = Decision(True)


def implicit_deny(principal, action, resource):
    return Decision(
        False,
        f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action",
    )


def account_level_grants(ctx, action, resource):
    if action == "iam:ChangePassword" and resource != ctx.principal.arn:
        return False
    if action not in ("iam:ChangePassword", "iam:GetAccountPasswordPolicy"):
        return False
    if ctx.password_change_required:
        return True
    return PasswordPolicy.objects.filter(
        account__account_id=ctx.principal.account_id, allow_users_to_change_password=True
    ).exists()


def authorize(ctx, action, resource):
    """Decide whether ctx.principal may perform action on resource."""
    principal = ctx.principal
    if principal.is_root:
        # The root user may do everything in its own account; resources of other
        # accounts are not reachable through its account-scoped operations.
        return ALLOW
    if account_level_grants(ctx, action, resource):
        return ALLOW
    return implicit_deny(principal, action, resource)
