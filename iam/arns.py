"""Amazon Resource Names for IAM principals. Pure: no Django."""


def root_arn(account_id):
    return f"arn:aws:iam::{account_id}:root"


def user_arn(account_id, path, user_name):
    return f"arn:aws:iam::{account_id}:user{path}{user_name}"


def role_arn(account_id, path, role_name):
    return f"arn:aws:iam::{account_id}:role{path}{role_name}"
