"""Every AWS action iamlab serves, on one screen: service -> action -> operation."""

from iam import operations as iam

REGISTRY = {
    "iam": {
        "ChangePassword": iam.change_password,
        "CreateAccountAlias": iam.create_account_alias,
        "CreateLoginProfile": iam.create_login_profile,
        "CreateUser": iam.create_user,
        "DeleteAccountAlias": iam.delete_account_alias,
        "DeleteAccountPasswordPolicy": iam.delete_account_password_policy,
        "GetAccountPasswordPolicy": iam.get_account_password_policy,
        "ListAccountAliases": iam.list_account_aliases,
        "UpdateAccountPasswordPolicy": iam.update_account_password_policy,
        "UpdateLoginProfile": iam.update_login_profile,
    },
}
