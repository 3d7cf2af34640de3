"""IAM console → User groups: list, Create user group, group detail, members, policies,
inline policies, delete."""

import json

import pytest

from awsapi.dispatch import dispatch
from iam.models import Group, GroupMembership, InlinePolicy, PolicyAttachment
from tests.conftest import make_user
from trail.models import Event

pytestmark = pytest.mark.django_db

READONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
DENIED = "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:{action} on resource: {resource}"
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


@pytest.fixture
def students(alice, bob):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "students"})
    return "students"


def events(name):
    return list(Event.objects.filter(event_name=name, error_code="").order_by("id"))


def denied_events(name):
    return list(Event.objects.filter(event_name=name, error_code="AccessDenied"))


# --- List --------------------------------------------------------------------------


def test_groups_page_lists_groups_with_user_count_and_permissions(root_client, alice, students):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "teachers"})
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "students", "UserName": "bob"})
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "students", "PolicyArn": READONLY})
    body = root_client.get("/iam/groups").content.decode()
    assert 'User groups <span class="count">(2)</span>' in body
    rows = body.split("<tr>")
    students_row = next(r for r in rows if ">students</a>" in r)
    teachers_row = next(r for r in rows if ">teachers</a>" in r)
    assert "<td>1</td>" in students_row and "Defined" in students_row and "Not defined" not in students_row
    assert "<td>0</td>" in teachers_row and "Not defined" in teachers_row


def test_groups_page_filters_by_name(root_client, alice, students):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "teachers"})
    body = root_client.get("/iam/groups?q=TEACH").content.decode()
    assert ">teachers</a>" in body and ">students</a>" not in body


def test_groups_page_paginates_fifty_at_a_time(root_client, alice):
    for i in range(55):
        dispatch(alice, "iam:CreateGroup", {"GroupName": f"class{i:02d}"})
    first = root_client.get("/iam/groups").content.decode()
    second = root_client.get("/iam/groups?page=2").content.decode()
    assert "Page 1 of 2" in first and first.count('href="/iam/groups/details/class') == 50
    assert second.count('href="/iam/groups/details/class') == 5


def test_groups_page_never_shows_another_accounts_groups(root_client, charlie):
    dispatch(charlie, "iam:CreateGroup", {"GroupName": "mallory-group"})
    assert "mallory-group" not in root_client.get("/iam/groups").content.decode()


def test_iam_user_without_permission_sees_aws_access_denied_not_groups(bob_client, students):
    body = bob_client.get("/iam/groups").content.decode()
    assert DENIED.format(action="ListGroups", resource="arn:aws:iam::111122223333:group/") in body
    assert "You don't have permission to list user groups." in body
    assert ">students</a>" not in body


# --- Create user group --------------------------------------------------------------


def test_create_group_page_offers_users_and_policies(root_client, bob):
    body = root_client.get("/iam/groups/create").content.decode()
    assert "User group name" in body and "Add users to the group - <em>Optional</em>" in body
    assert "Attach permissions policies - <em>Optional</em>" in body and "Create user group" in body
    assert 'value="bob"' in body and f'value="{READONLY}"' in body


def test_create_group_with_users_and_policies(root_client, bob):
    response = root_client.post(
        "/iam/groups/create", {"group_name": "students", "users": ["bob"], "policies": [READONLY]}
    )
    assert response.status_code == 302 and response.url == "/iam/groups/details/students"
    page = root_client.get(response.url).content.decode()
    assert "students user group created." in page and ">bob</a>" in page
    group = Group.objects.get(group_name="students")
    assert GroupMembership.objects.filter(group=group, user=bob).exists()
    assert PolicyAttachment.objects.filter(group=group, policy__arn=READONLY).exists()
    assert [len(events(n)) for n in ("CreateGroup", "AddUserToGroup", "AttachGroupPolicy")] == [1, 1, 1]


@pytest.mark.parametrize(
    "name,message",
    [
        ("", "Enter a user group name."),
        ("x" * 10_000, "The user group name can have up to 128 characters."),
        ("bad name!", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ("<b>bold</b>", "Member must satisfy regular expression pattern"),
    ],
)
def test_create_group_bad_names_are_form_errors(root_client, name, message):
    response = root_client.post("/iam/groups/create", {"group_name": name})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "<b>bold</b>" not in body
    assert not Group.objects.exists()


def test_create_group_duplicate_name_is_aws_error(root_client, students):
    response = root_client.post("/iam/groups/create", {"group_name": "STUDENTS"})
    assert response.status_code == 400
    assert "Group with name STUDENTS already exists." in response.content.decode()
    assert Group.objects.count() == 1


def test_iam_user_without_permission_cannot_create_groups(bob_client):
    response = bob_client.post("/iam/groups/create", {"group_name": "eves"})
    assert response.status_code == 400
    assert DENIED.format(action="CreateGroup", resource="arn:aws:iam::111122223333:group/eves") in (
        response.content.decode()
    )
    assert not Group.objects.exists()
    assert len(denied_events("CreateGroup")) == 1


# --- Detail -------------------------------------------------------------------------


def test_group_detail_shows_summary_and_members(root_client, alice, students):
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "students", "UserName": "bob"})
    body = root_client.get("/iam/groups/details/students").content.decode()
    assert "arn:aws:iam::111122223333:group/students" in body and "Creation time" in body
    assert 'Users in this group <span class="count">(1)</span>' in body and ">bob</a>" in body


def test_group_detail_permissions_tab_shows_managed_and_inline_policies(root_client, alice, students):
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "students", "PolicyArn": READONLY})
    dispatch(alice, "iam:PutGroupPolicy", {"GroupName": "students", "PolicyName": "s3-read", "PolicyDocument": ALLOW_S3})
    body = root_client.get("/iam/groups/details/students?tab=permissions").content.decode()
    assert ">IAMReadOnlyAccess</a>" in body and "AWS managed" in body
    assert "s3-read" in body and "Customer inline" in body
    assert "&quot;Action&quot;: &quot;s3:GetObject&quot;" in body  # decoded and pretty-printed


def test_unknown_group_is_404(root_client):
    assert root_client.get("/iam/groups/details/nobody").status_code == 404


def test_another_accounts_group_is_404(root_client, charlie):
    dispatch(charlie, "iam:CreateGroup", {"GroupName": "charlies"})
    assert root_client.get("/iam/groups/details/charlies").status_code == 404


def test_iam_user_without_permission_cannot_open_a_group(bob_client, students):
    response = bob_client.get("/iam/groups/details/students", follow=True)
    body = response.content.decode()
    assert DENIED.format(action="GetGroup", resource="arn:aws:iam::111122223333:group/students") in body
    assert "arn:aws:iam::111122223333:group/students</code>" not in body


# --- Members --------------------------------------------------------------------------


def test_add_users_page_offers_only_non_members(root_client, alice, alice_account, students):
    make_user(alice_account, "carol")
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "students", "UserName": "bob"})
    body = root_client.get("/iam/groups/details/students/add-users").content.decode()
    assert 'value="carol"' in body and 'value="bob"' not in body


def test_add_and_remove_users(root_client, alice_account, bob, students):
    carol = make_user(alice_account, "carol")
    response = root_client.post("/iam/groups/details/students/add-users", {"users": ["bob", "carol"]})
    assert response.url == "/iam/groups/details/students?tab=users"
    assert "2 users added to this group." in root_client.get(response.url).content.decode()
    assert GroupMembership.objects.filter(group__group_name="students").count() == 2
    response = root_client.post("/iam/groups/details/students/remove-users", {"users": ["carol"]})
    assert "1 user removed from this group." in root_client.get(response.url).content.decode()
    assert not GroupMembership.objects.filter(user=carol).exists()
    assert len(events("AddUserToGroup")) == 2 and len(events("RemoveUserFromGroup")) == 1


def test_add_users_needs_a_choice(root_client, students):
    response = root_client.post("/iam/groups/details/students/add-users", {})
    assert response.status_code == 400 and "Select at least one user." in response.content.decode()


def test_iam_user_without_permission_cannot_remove_users(bob_client, alice, students):
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "students", "UserName": "bob"})
    response = bob_client.post("/iam/groups/details/students/remove-users", {"users": ["bob"]}, follow=True)
    assert DENIED.format(action="RemoveUserFromGroup", resource="arn:aws:iam::111122223333:group/students") in (
        response.content.decode()
    )
    assert GroupMembership.objects.count() == 1


# --- Policies ---------------------------------------------------------------------------


def test_attach_and_detach_policies(root_client, students):
    page = root_client.get("/iam/groups/details/students/attach-policies").content.decode()
    assert f'value="{READONLY}"' in page and "Attach permission policies to students" in page
    response = root_client.post("/iam/groups/details/students/attach-policies", {"policies": [READONLY]})
    assert "1 policy attached to this group." in root_client.get(response.url).content.decode()
    assert PolicyAttachment.objects.filter(group__group_name="students").count() == 1
    assert f'value="{READONLY}"' not in root_client.get("/iam/groups/details/students/attach-policies").content.decode()
    response = root_client.post("/iam/groups/details/students/detach-policies", {"policies": [READONLY]})
    assert "1 policy removed from this group." in root_client.get(response.url).content.decode()
    assert not PolicyAttachment.objects.exists()
    assert len(events("AttachGroupPolicy")) == 1 and len(events("DetachGroupPolicy")) == 1


def test_iam_user_without_permission_cannot_attach_policies(bob_client, students):
    response = bob_client.post("/iam/groups/details/students/attach-policies", {"policies": [READONLY]}, follow=True)
    assert DENIED.format(action="GetGroup", resource="arn:aws:iam::111122223333:group/students") in (
        response.content.decode()
    )
    assert not PolicyAttachment.objects.exists()


def test_create_and_delete_inline_policy(root_client, students):
    page = root_client.get("/iam/groups/details/students/inline-policies/create").content.decode()
    assert "&quot;Version&quot;: &quot;2012-10-17&quot;" in page  # the skeleton
    response = root_client.post(
        "/iam/groups/details/students/inline-policies/create", {"policy_name": "s3-read", "policy_document": ALLOW_S3}
    )
    assert response.url == "/iam/groups/details/students?tab=permissions"
    assert InlinePolicy.objects.filter(group__group_name="students", policy_name="s3-read").exists()
    response = root_client.post("/iam/groups/details/students/inline-policies/s3-read/delete")
    assert "Policy s3-read deleted." in root_client.get(response.url).content.decode()
    assert not InlinePolicy.objects.exists()
    assert len(events("PutGroupPolicy")) == 1 and len(events("DeleteGroupPolicy")) == 1


@pytest.mark.parametrize(
    "document,message",
    [
        ('{"Version": "2012-10-17", "Statement": [', "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                            "Sid": "x" * 6000}]}),
         "Maximum policy size of 5120 bytes exceeded for group students"),
    ],
)
def test_bad_inline_policy_is_a_form_error(root_client, students, document, message):
    response = root_client.post(
        "/iam/groups/details/students/inline-policies/create", {"policy_name": "bad", "policy_document": document}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not InlinePolicy.objects.exists()


# --- Delete -------------------------------------------------------------------------------


def test_delete_needs_the_typed_group_name(root_client, students):
    response = root_client.post("/iam/groups/details/students/delete", {"confirm": "not-students"})
    assert response.status_code == 400
    assert "To confirm deletion, enter the user group name students." in response.content.decode()
    assert Group.objects.filter(group_name="students").exists()


def test_delete_group_removes_members_and_policies_first(root_client, alice, students):
    dispatch(alice, "iam:AddUserToGroup", {"GroupName": "students", "UserName": "bob"})
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "students", "PolicyArn": READONLY})
    dispatch(alice, "iam:PutGroupPolicy", {"GroupName": "students", "PolicyName": "s3-read", "PolicyDocument": ALLOW_S3})
    assert "Delete students?" in root_client.get("/iam/groups/details/students/delete").content.decode()
    response = root_client.post("/iam/groups/details/students/delete", {"confirm": "students"})
    assert response.url == "/iam/groups"
    assert "User group students deleted." in root_client.get("/iam/groups").content.decode()
    assert not Group.objects.exists()
    names = list(Event.objects.filter(error_code="", read_only=False).values_list("event_name", flat=True).order_by("id"))
    assert names[-4:] == ["RemoveUserFromGroup", "DetachGroupPolicy", "DeleteGroupPolicy", "DeleteGroup"]


def test_iam_user_without_permission_cannot_delete_groups(bob_client, students):
    response = bob_client.post("/iam/groups/details/students/delete", {"confirm": "students"}, follow=True)
    assert "is not authorized to perform: iam:GetGroup" in response.content.decode()
    assert Group.objects.filter(group_name="students").exists()


def test_group_pages_carry_no_inline_script(root_client, students):
    for path in ["/iam/groups", "/iam/groups/create", "/iam/groups/details/students", "/iam/groups/details/students?tab=permissions",
                 "/iam/groups/details/students/add-users", "/iam/groups/details/students/attach-policies",
                 "/iam/groups/details/students/inline-policies/create", "/iam/groups/details/students/delete"]:
        response = root_client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "<script>" not in body and "onclick=" not in body, path


def test_a_group_named_create_has_its_own_page(root_client, alice):
    from awsapi.dispatch import dispatch

    dispatch(alice, "iam:CreateGroup", {"GroupName": "create"})
    body = root_client.get("/iam/groups/details/create").content.decode()
    assert "arn:aws:iam::111122223333:group/create" in body
