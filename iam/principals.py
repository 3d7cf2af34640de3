"""Principals as the request context carries them."""

from awsapi.context import Principal


def root_principal(account):
    return Principal(
        type="Root",
        account_id=account.account_id,
        arn=account.root_arn,
        principal_id=account.account_id,
    )


def user_principal(user):
    return Principal(
        type="IAMUser",
        account_id=user.account.account_id,
        arn=user.arn,
        principal_id=user.user_id,
        user_name=user.user_name,
        user_pk=user.pk,
    )
