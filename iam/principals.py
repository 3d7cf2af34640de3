"""Principals as the request context carries them."""

from awsapi.context import Principal


def root_principal(account):
    return Principal(
        type="Root",
        account_id=account.account_id,
        arn=account.root_arn,
        principal_id=account.account_id,
        account_pk=account.pk,
    )


def user_principal(user):
    return Principal(
        type="IAMUser",
        account_id=user.account.account_id,
        arn=user.arn,
        principal_id=user.user_id,
        user_name=user.user_name,
        user_pk=user.pk,
        account_pk=user.account_id,
    )


def role_session_principal(session):
    """The principal of a role session: arn:aws:sts::<account>:assumed-role/<role>/<name>."""
    role = session.role
    return Principal(
        type="AssumedRole",
        account_id=session.account.account_id,
        arn=session.assumed_role_arn,
        principal_id=f"{role.role_id}:{session.role_session_name}",
        role_pk=role.pk,
        session_name=session.role_session_name,
        session_pk=session.pk,
        issuer_arn=role.arn,
        issuer_principal_id=role.role_id,
        issuer_name=role.role_name,
        account_pk=session.account_id,
    )
