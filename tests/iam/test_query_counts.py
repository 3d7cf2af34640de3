"""List actions use a bounded number of queries: the count must not grow with the
number of items listed (no N+1), on the console and the API alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awsapi.dispatch import dispatch
from tests.iam.helpers import ALLOW_S3_READ

pytestmark = pytest.mark.django_db
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def queries(ctx, action, params=None):
    with CaptureQueriesContext(connection) as captured:
        dispatch(ctx, action, params or {})
    return len(captured)


def grow(alice, n, start):
    for i in range(start, start + n):
        dispatch(alice, "iam:CreateUser", {"UserName": f"u{i}", "Tags": [{"Key": "k", "Value": "v"}]})
        dispatch(alice, "iam:CreateGroup", {"GroupName": f"g{i}"})
        dispatch(alice, "iam:AddUserToGroup", {"GroupName": f"g{i}", "UserName": f"u{i}"})
        dispatch(alice, "iam:AddUserToGroup", {"GroupName": "everyone", "UserName": f"u{i}"})
        dispatch(alice, "iam:CreateRole", {"RoleName": f"r{i}", "AssumeRolePolicyDocument": (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
            '"Action":"sts:AssumeRole"}]}')})
        dispatch(alice, "iam:CreatePolicy", {"PolicyName": f"p{i}", "PolicyDocument": ALLOW_S3_READ})
        dispatch(alice, "iam:AttachUserPolicy", {"UserName": "u0", "PolicyArn": f"arn:aws:iam::111122223333:policy/p{i}"})


CASES = [
    ("iam:ListUsers", {}),
    ("iam:ListGroups", {}),
    ("iam:ListRoles", {}),
    ("iam:ListPolicies", {"Scope": "Local"}),
    ("iam:GetGroup", {"GroupName": "everyone"}),
    ("iam:ListAttachedUserPolicies", {"UserName": "u0"}),
    ("iam:ListUserTags", {"UserName": "u0"}),
]


@pytest.mark.parametrize("action,params", CASES, ids=[c[0] for c in CASES])
def test_list_queries_do_not_grow_with_the_items(alice, action, params):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "everyone"})
    grow(alice, 2, 0)
    few = queries(alice, action, params)
    grow(alice, 8, 2)
    many = queries(alice, action, params)
    assert many == few, f"{action}: {few} queries for 2 items, {many} for 10"


def test_authorizing_a_user_costs_the_same_with_more_groups_and_policies(alice, bob, bob_ctx):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": READ_ONLY})
    dispatch(alice, "iam:CreateGroup", {"GroupName": "g0"})
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "g0", "UserName": "bob"})
    few = queries(bob_ctx, "iam:GetUser", {"UserName": "bob"})
    for i in range(1, 6):
        dispatch(alice, "iam:CreateGroup", {"GroupName": f"g{i}"})
        dispatch(alice, "iam:AddUserToGroup", {"GroupName": f"g{i}", "UserName": "bob"})
        dispatch(alice, "iam:PutGroupPolicy", {"GroupName": f"g{i}", "PolicyName": "s3", "PolicyDocument": ALLOW_S3_READ})
    assert queries(bob_ctx, "iam:GetUser", {"UserName": "bob"}) == few


@pytest.mark.parametrize("action,key", [("iam:ListUsers", "Users"), ("iam:ListGroups", "Groups"),
                                        ("iam:ListRoles", "Roles")])
def test_a_page_reads_one_row_past_the_page_not_the_whole_list(alice, action, key):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "everyone"})
    grow(alice, 8, 0)
    everything = [item[key[:-1] + "Name"] for item in dispatch(alice, action)[key]]
    with CaptureQueriesContext(connection) as captured:
        page = dispatch(alice, action, {"MaxItems": 5})
    assert len(page[key]) == 5 and page["IsTruncated"] is True
    listed = [q["sql"] for q in captured if "LIMIT 6" in q["sql"]]
    assert len(listed) == 1, [q["sql"] for q in captured]
    rest = dispatch(alice, action, {"MaxItems": 100, "Marker": page["Marker"]})
    assert [item[key[:-1] + "Name"] for item in page[key] + rest[key]] == everything
    assert rest["IsTruncated"] is False
