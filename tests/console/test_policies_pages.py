"""IAM console → Policies: list with type filter, Create policy, policy detail tabs,
Edit (new default version), versions, delete."""

import json
from urllib.parse import quote

import pytest

from awsapi.dispatch import dispatch
from iam.models import ManagedPolicy, PolicyAttachment, PolicyVersion
from trail.models import Event

pytestmark = pytest.mark.django_db

READONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
MINE = "arn:aws:iam::111122223333:policy/s3-read"
DENIED = "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:{action} on resource: {resource}"


def document(action="s3:GetObject", **extra):
    statement = {"Effect": "Allow", "Action": action, "Resource": "*", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def s3_read(alice):
    dispatch(alice, "iam:CreatePolicy", {"PolicyName": "s3-read", "PolicyDocument": document(),
                                         "Description": "Read objects"})
    return MINE


def url(arn, verb=None):
    return f"/iam/policies/{verb}/{arn}" if verb else f"/iam/policies/{arn}"


def events(name):
    return list(Event.objects.filter(event_name=name, error_code="").order_by("id"))


def create(client, **fields):
    data = {"policy_name": "s3-read", "description": "", "policy_document": document()}
    data.update(fields)
    return client.post("/iam/policies/create", data)


# --- List --------------------------------------------------------------------------


def test_policies_page_lists_aws_and_customer_managed_policies(root_client, s3_read):
    body = root_client.get("/iam/policies").content.decode()
    assert f'href="/iam/policies/{READONLY}">IAMReadOnlyAccess</a>' in body
    assert f'href="/iam/policies/{MINE}">s3-read</a>' in body
    row = next(r for r in body.split("<tr>") if ">s3-read</a>" in r)
    assert "<td>Customer managed</td><td>None</td>" in row and "Read objects" in row


@pytest.mark.parametrize("kind,shows,hides", [("customer", "s3-read", "IAMReadOnlyAccess"),
                                              ("aws", "IAMReadOnlyAccess", ">s3-read<")])
def test_policies_page_filters_by_type(root_client, s3_read, kind, shows, hides):
    body = root_client.get(f"/iam/policies?type={kind}").content.decode()
    assert shows in body and hides not in body


def test_policies_page_filters_by_name_and_counts(root_client, s3_read):
    body = root_client.get("/iam/policies?q=S3-R").content.decode()
    assert 'Policies <span class="count">(1)</span>' in body and ">s3-read</a>" in body


def test_used_as_column_counts_attachments_and_boundaries(root_client, alice, bob, s3_read):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": MINE})
    dispatch(alice, "iam:PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": MINE})
    body = root_client.get("/iam/policies?type=customer").content.decode()
    assert "Permissions policy (1), Boundary (1)" in body


def test_policies_page_paginates_and_keeps_the_type(root_client, alice):
    for i in range(52):
        dispatch(alice, "iam:CreatePolicy", {"PolicyName": f"p{i:02d}", "PolicyDocument": document()})
    first = root_client.get("/iam/policies?type=customer").content.decode()
    assert "Page 1 of 2" in first and 'href="?type=customer&amp;page=2"' in first
    second = root_client.get("/iam/policies?type=customer&page=2").content.decode()
    assert second.count('href="/iam/policies/arn:aws:iam::111122223333:policy/p') == 2


def test_policies_page_never_shows_another_accounts_policies(root_client, charlie):
    dispatch(charlie, "iam:CreatePolicy", {"PolicyName": "charlies-secret", "PolicyDocument": document()})
    assert "charlies-secret" not in root_client.get("/iam/policies").content.decode()


def test_iam_user_without_permission_sees_aws_access_denied_not_policies(bob_client, s3_read):
    body = bob_client.get("/iam/policies").content.decode()
    assert DENIED.format(action="ListPolicies", resource="arn:aws:iam::111122223333:policy/") in body
    assert "You don't have permission to list policies." in body
    assert "s3-read" not in body and "IAMReadOnlyAccess" not in body


# --- Create policy -------------------------------------------------------------------


def test_create_policy_page_starts_with_an_empty_statement(root_client):
    body = root_client.get("/iam/policies/create").content.decode()
    assert "Specify permissions" in body and "Review and create" in body and "Policy editor" in body
    assert "&quot;Version&quot;: &quot;2012-10-17&quot;" in body and "&quot;Action&quot;: []" in body


def test_create_policy(root_client, alice_account):
    response = create(root_client, description="Read objects")
    assert response.status_code == 302 and response.url == f"/iam/policies/{MINE}"
    page = root_client.get(response.url).content.decode()
    assert "Policy s3-read created." in page and "Read objects" in page
    policy = ManagedPolicy.objects.get(arn=MINE)
    assert policy.versions.get().document == document()
    assert len(events("CreatePolicy")) == 1


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"policy_name": ""}, "Enter a policy name."),
        ({"policy_name": "x" * 10_000}, "The policy name can have up to 128 characters."),
        ({"policy_name": "<img src=x>"}, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ({"policy_document": ""}, "Enter a policy document."),
        ({"policy_document": '{"Version": "2012-10-17", "Statement": ['}, "Syntax errors in policy."),
        ({"policy_document": document(Sid="x" * 7000)}, "Cannot exceed quota for PolicySize: 6144"),
        ({"policy_document": json.dumps({"Version": "2008-10-17", "Statement": []})}, "Syntax errors in policy."),
        ({"description": "d" * 1001}, "The description can have up to 1,000 characters."),
    ],
)
def test_create_policy_bad_input_is_a_form_error_and_saves_nothing(root_client, fields, message):
    response = create(root_client, **fields)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "<img src=x>" not in body
    assert not ManagedPolicy.objects.filter(account__isnull=False).exists()


def test_create_policy_with_a_taken_name(root_client, s3_read):
    response = create(root_client, policy_name="S3-READ")
    assert response.status_code == 400
    assert "A policy called S3-READ already exists. Duplicate names are not allowed." in response.content.decode()


def test_create_policy_beyond_the_quota(root_client, s3_read, monkeypatch):
    import iam.operations

    monkeypatch.setattr(iam.operations, "POLICIES_PER_ACCOUNT", 1)
    response = create(root_client, policy_name="another")
    assert response.status_code == 400
    assert "Cannot exceed quota for PoliciesPerAccount: 1" in response.content.decode()
    assert not ManagedPolicy.objects.filter(policy_name="another").exists()


def test_iam_user_without_permission_cannot_create_policies(bob_client):
    response = create(bob_client, policy_name="eves")
    assert response.status_code == 400
    assert DENIED.format(action="CreatePolicy", resource="arn:aws:iam::111122223333:policy/eves") in (
        response.content.decode()
    )
    assert not ManagedPolicy.objects.filter(policy_name="eves").exists()


# --- Detail -----------------------------------------------------------------------------


def test_permissions_tab_shows_the_default_version_decoded(root_client, s3_read):
    body = root_client.get(url(MINE)).content.decode()
    assert "&quot;Action&quot;: &quot;s3:GetObject&quot;" in body  # pretty-printed JSON, not %22
    assert quote(document(), safe="")[:20] not in body
    assert ">Edit</a>" in body and ">Delete</a>" in body


def test_aws_managed_policy_is_read_only(root_client):
    body = root_client.get(url(READONLY)).content.decode()
    assert "&quot;iam:Get*&quot;" in body or "iam:Get" in body
    assert ">Edit</a>" not in body and ">Delete</a>" not in body
    response = root_client.get(url(READONLY, "edit"), follow=True)
    assert "AWS managed policies can&#x27;t be edited." in response.content.decode()
    response = root_client.post(url(READONLY, "delete"), {"confirm": "IAMReadOnlyAccess"}, follow=True)
    assert "AWS managed policies can&#x27;t be deleted." in response.content.decode()
    assert ManagedPolicy.objects.filter(arn=READONLY).exists()


def test_entities_attached_tab(root_client, alice, bob, s3_read):
    dispatch(alice, "iam:CreateGroup", {"GroupName": "students"})
    dispatch(alice, "iam:AttachGroupPolicy", {"GroupName": "students", "PolicyArn": MINE})
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": MINE})
    body = root_client.get(url(MINE) + "?tab=entities").content.decode()
    assert 'Entities attached <span class="count">(2)</span>' in body
    assert ">students</a></td><td>User group</td>" in body and ">bob</a></td><td>User</td>" in body


def test_unknown_and_other_accounts_policies_are_404(root_client, charlie):
    dispatch(charlie, "iam:CreatePolicy", {"PolicyName": "secret", "PolicyDocument": document()})
    assert root_client.get(url("arn:aws:iam::444455556666:policy/secret")).status_code == 404
    assert root_client.get(url("arn:aws:iam::111122223333:policy/nothing")).status_code == 404


def test_iam_user_without_permission_cannot_open_a_policy(bob_client, s3_read):
    response = bob_client.get(url(MINE), follow=True)
    body = response.content.decode()
    assert DENIED.format(action="GetPolicy", resource=MINE) in body
    assert "s3:GetObject" not in body


# --- Edit and versions ----------------------------------------------------------------------


def test_edit_creates_a_new_default_version(root_client, s3_read):
    assert "&quot;s3:GetObject&quot;" in root_client.get(url(MINE, "edit")).content.decode()
    response = root_client.post(url(MINE, "edit"), {"policy_document": document("s3:PutObject")})
    assert response.url == url(MINE)
    page = root_client.get(response.url).content.decode()
    assert "Policy s3-read updated." in page and "s3:PutObject" in page and "Version v2 (default)" in page
    assert PolicyVersion.objects.get(policy__arn=MINE, is_default=True).version_id == "v2"
    assert len(events("CreatePolicyVersion")) == 1


def test_edit_with_malformed_json_is_a_form_error(root_client, s3_read):
    response = root_client.post(url(MINE, "edit"), {"policy_document": "{not json"})
    assert response.status_code == 400 and "Syntax errors in policy." in response.content.decode()
    assert PolicyVersion.objects.filter(policy__arn=MINE).count() == 1


def test_a_sixth_version_is_refused_with_aws_message(root_client, alice, s3_read):
    for action in ["s3:A", "s3:B", "s3:C", "s3:D"]:
        dispatch(alice, "iam:CreatePolicyVersion", {"PolicyArn": MINE, "PolicyDocument": document(action)})
    response = root_client.post(url(MINE, "edit"), {"policy_document": document("s3:E")})
    assert response.status_code == 400
    assert "A managed policy can have up to 5 versions." in response.content.decode()


def test_versions_tab_sets_default_and_deletes(root_client, alice, s3_read):
    dispatch(alice, "iam:CreatePolicyVersion", {"PolicyArn": MINE, "PolicyDocument": document("s3:A")})
    body = root_client.get(url(MINE) + "?tab=versions").content.decode()
    assert 'Policy versions <span class="count">(2)</span>' in body and "v1 (Default)" in body
    response = root_client.post(url(MINE, "versions"), {"operation": "set-default", "versions": ["v2"]})
    assert "Version v2 is now the default version." in root_client.get(response.url).content.decode()
    response = root_client.post(url(MINE, "versions"), {"operation": "delete", "versions": ["v2"]})
    assert "Cannot delete the default version of a policy." in root_client.get(response.url).content.decode()
    root_client.post(url(MINE, "versions"), {"operation": "delete", "versions": ["v1"]})
    assert list(PolicyVersion.objects.filter(policy__arn=MINE).values_list("version_id", flat=True)) == ["v2"]
    assert len(events("SetDefaultPolicyVersion")) == 1 and len(events("DeletePolicyVersion")) == 1


def test_iam_user_without_permission_cannot_change_versions(bob_client, alice, s3_read):
    dispatch(alice, "iam:CreatePolicyVersion", {"PolicyArn": MINE, "PolicyDocument": document("s3:A")})
    response = bob_client.post(url(MINE, "versions"), {"operation": "set-default", "versions": ["v2"]}, follow=True)
    assert DENIED.format(action="ListPolicyVersions", resource=MINE) in response.content.decode()
    assert PolicyVersion.objects.get(policy__arn=MINE, is_default=True).version_id == "v1"


# --- Delete ---------------------------------------------------------------------------------


def test_delete_needs_the_typed_policy_name(root_client, s3_read):
    response = root_client.post(url(MINE, "delete"), {"confirm": "nope"})
    assert response.status_code == 400
    assert "To confirm deletion, enter the policy name s3-read." in response.content.decode()
    assert ManagedPolicy.objects.filter(arn=MINE).exists()


def test_delete_detaches_and_removes_versions_first(root_client, alice, bob, s3_read):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": MINE})
    dispatch(alice, "iam:CreatePolicyVersion", {"PolicyArn": MINE, "PolicyDocument": document("s3:A")})
    assert "Delete s3-read?" in root_client.get(url(MINE, "delete")).content.decode()
    response = root_client.post(url(MINE, "delete"), {"confirm": "s3-read"})
    assert response.url == "/iam/policies"
    assert "Policy s3-read deleted." in root_client.get(response.url).content.decode()
    assert not ManagedPolicy.objects.filter(arn=MINE).exists() and not PolicyAttachment.objects.exists()
    names = list(Event.objects.filter(error_code="", read_only=False).values_list("event_name", flat=True).order_by("id"))
    assert names[-3:] == ["DetachUserPolicy", "DeletePolicyVersion", "DeletePolicy"]


def test_delete_refuses_a_policy_used_as_a_boundary_without_detaching_anything(root_client, alice, bob, s3_read):
    dispatch(alice, "iam:AttachUserPolicy", {"UserName": "bob", "PolicyArn": MINE})
    dispatch(alice, "iam:PutUserPermissionsBoundary", {"UserName": "bob", "PermissionsBoundary": MINE})
    response = root_client.post(url(MINE, "delete"), {"confirm": "s3-read"}, follow=True)
    assert "Cannot delete a policy attached to entities." in response.content.decode()
    assert PolicyAttachment.objects.filter(policy__arn=MINE).exists()


def test_iam_user_without_permission_cannot_delete_policies(bob_client, s3_read):
    response = bob_client.post(url(MINE, "delete"), {"confirm": "s3-read"}, follow=True)
    assert DENIED.format(action="GetPolicy", resource=MINE) in response.content.decode()
    assert ManagedPolicy.objects.filter(arn=MINE).exists()


def test_policy_pages_carry_no_inline_script(root_client, s3_read):
    for path in ["/iam/policies", "/iam/policies/create", url(MINE), url(MINE) + "?tab=entities",
                 url(MINE) + "?tab=versions", url(MINE, "edit"), url(MINE, "delete"), url(READONLY)]:
        response = root_client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "<script>" not in body and "onclick=" not in body, path
