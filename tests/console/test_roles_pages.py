"""IAM console → Roles: list, Create role wizard (each trusted entity type's trust
policy), role detail tabs, trust policy editor, permissions, tags, delete."""

import json
import re
from html import unescape

import pytest

from awsapi.dispatch import dispatch
from iam.models import Role
from tests.conftest import ALICE_ACCOUNT
from tests.iam.helpers import TRUST_EC2, document
from trail.models import Event

pytestmark = pytest.mark.django_db

ALLOW_S3 = document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})


@pytest.fixture
def app_role(alice):
    dispatch(alice, "iam:CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": TRUST_EC2})
    return Role.objects.get(role_name="app")


def create(client, **fields):
    data = {
        "trusted_entity_type": "aws_service",
        "use_case": "ec2",
        "account_option": "this",
        "saml_access": "console",
        "role_name": "web",
        "description": "",
        "max_session_duration": "3600",
    }
    data.update(fields)
    return client.post("/iam/roles/create", data)


def trust_of(name):
    return json.loads(Role.objects.get(role_name=name).assume_role_policy_document)


def statement_of(name):
    document = trust_of(name)
    assert document["Version"] == "2012-10-17" and len(document["Statement"]) == 1
    return document["Statement"][0]


# --- List -----------------------------------------------------------------------------


def test_roles_page_lists_roles_with_trusted_entities(root_client, app_role, alice):
    trust = document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ALICE_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    )
    dispatch(alice, "iam:CreateRole", {"RoleName": "admin", "AssumeRolePolicyDocument": trust})
    body = root_client.get("/iam/roles").content.decode()
    assert 'Roles <span class="count">(2)</span>' in body
    assert ">app</a>" in body and "AWS Service: ec2" in body
    assert f"Account: {ALICE_ACCOUNT}" in body
    assert "<th>Role name</th><th>Trusted entities</th><th>Last activity</th>" in body


def test_roles_page_filters_and_paginates(root_client, alice):
    for i in range(55):
        dispatch(alice, "iam:CreateRole", {"RoleName": f"role{i:02d}", "AssumeRolePolicyDocument": TRUST_EC2})
    first = root_client.get("/iam/roles").content.decode()
    assert "Page 1 of 2" in first and first.count('href="/iam/roles/details/role') == 50
    filtered = root_client.get("/iam/roles?q=ROLE1").content.decode()
    assert filtered.count('href="/iam/roles/details/role') == 10


def test_roles_page_never_shows_another_accounts_roles(root_client, charlie):
    dispatch(charlie, "iam:CreateRole", {"RoleName": "mallory-role", "AssumeRolePolicyDocument": TRUST_EC2})
    assert "mallory-role" not in root_client.get("/iam/roles").content.decode()
    assert root_client.get("/iam/roles/details/mallory-role").status_code == 404


def test_iam_user_without_permission_sees_access_denied_not_roles(bob_client, app_role):
    body = bob_client.get("/iam/roles").content.decode()
    assert (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:ListRoles on resource: "
        "arn:aws:iam::111122223333:role/ because no identity-based policy allows the iam:ListRoles action"
    ) in body
    assert "You don't have permission to list roles." in body and ">app</a>" not in body


def test_iam_user_without_permission_cannot_open_a_role(bob_client, app_role):
    response = bob_client.get("/iam/roles/details/app", follow=True)
    body = response.content.decode()
    assert "is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111122223333:role/app" in body
    assert "AROA" not in body


# --- Create role: the trust policy of each trusted entity type ---------------------------


def test_aws_service_ec2_trust_policy(root_client):
    response = create(root_client)
    assert response.status_code == 302 and response.url == "/iam/roles/details/web"
    assert statement_of("web") == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Principal": {"Service": ["ec2.amazonaws.com"]},
    }
    role = Role.objects.get(role_name="web")
    assert role.description == "Allows EC2 instances to call AWS services on your behalf."
    # The console's JSON editor layout: four-space indentation.
    assert role.assume_role_policy_document.startswith('{\n    "Version": "2012-10-17",')


def test_this_account_trust_policy_has_empty_condition(root_client):
    create(root_client, trusted_entity_type="aws_account")
    assert statement_of("web") == {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ALICE_ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {},
    }


def test_another_account_with_external_id_and_mfa(root_client):
    create(
        root_client,
        trusted_entity_type="aws_account",
        account_option="other",
        other_account_id="444455556666",
        require_external_id="on",
        external_id="lab-partner-42",
        require_mfa="on",
    )
    assert statement_of("web") == {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"sts:ExternalId": "lab-partner-42"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        },
    }


def test_another_account_needs_twelve_digits(root_client):
    response = create(root_client, trusted_entity_type="aws_account", account_option="other", other_account_id="12ab")
    assert response.status_code == 400 and "Account ID must be 12 digits." in response.content.decode()
    assert not Role.objects.exists()


def test_web_identity_trust_policy(root_client):
    create(root_client, trusted_entity_type="web_identity", web_identity_provider="accounts.google.com", audience="my-app-id")
    assert statement_of("web") == {
        "Effect": "Allow",
        "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": "my-app-id"}},
    }


def test_saml_console_access_trust_policy(root_client):
    provider = f"arn:aws:iam::{ALICE_ACCOUNT}:saml-provider/LabIdP"
    create(root_client, trusted_entity_type="saml", saml_provider=provider, saml_access="console")
    assert statement_of("web") == {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }


def test_saml_needs_a_provider_arn(root_client):
    response = create(root_client, trusted_entity_type="saml", saml_provider="LabIdP")
    assert response.status_code == 400 and "Enter the ARN of a SAML 2.0 provider" in response.content.decode()


def test_custom_trust_policy(root_client):
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    create(root_client, trusted_entity_type="custom", custom_trust_policy=policy)
    assert Role.objects.get(role_name="web").assume_role_policy_document == policy


@pytest.mark.parametrize(
    "policy,message",
    [
        ('{"Version": "2012-10-17", "Statement": [', "This policy contains invalid Json"),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Principal": {}, "Action": "sts:AssumeRole"}]}),
            "Principal",
        ),
    ],
)
def test_bad_custom_trust_policy_shows_aws_error_under_the_editor(root_client, policy, message):
    response = create(root_client, trusted_entity_type="custom", custom_trust_policy=policy)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert re.search(r'<p class="field-error">[^<]*' + re.escape(message), unescape(body)) or message in unescape(body)
    assert not Role.objects.exists()


def test_create_role_attaches_policies_boundary_and_tags(root_client):
    response = create(
        root_client,
        policies=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        permissions_boundary="arn:aws:iam::aws:policy/ReadOnlyAccess",
        max_session_duration="7200",
        tag_key=["team", ""],
        tag_value=["blue", ""],
    )
    assert response.status_code == 302
    role = Role.objects.get(role_name="web")
    assert role.max_session_duration == 7200 and role.permissions_boundary.arn.endswith("/ReadOnlyAccess")
    detail = root_client.get("/iam/roles/details/web").content.decode()
    assert "AmazonS3ReadOnlyAccess" in detail and "arn:aws:iam::aws:policy/ReadOnlyAccess" in detail
    assert "2 hours" in detail
    assert "<td>team</td><td>blue</td>" in root_client.get("/iam/roles/details/web?tab=tags").content.decode()
    names = list(Event.objects.filter(error_code="").values_list("event_name", flat=True).order_by("id"))
    assert "CreateRole" in names and "AttachRolePolicy" in names


@pytest.mark.parametrize(
    "name,message",
    [
        ("", "This field is required."),
        ("app", "Role with name app already exists."),
        ("x" * 10000, "Ensure this value has at most 128 characters (it has 10000)."),
        ("x" * 65, "Member must have length less than or equal to 64"),
        ("<script>alert(1)</script>", "Member must satisfy regular expression pattern"),
    ],
)
def test_create_role_bad_names_get_errors_in_the_form(root_client, app_role, name, message):
    response = create(root_client, role_name=name)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "<script>alert(1)</script>" not in body
    assert Role.objects.count() == 1


def test_html_in_description_is_escaped(root_client):
    create(root_client, description="<b>bold</b> & <i>x</i>")
    body = root_client.get("/iam/roles/details/web").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;" in body and "<b>bold</b>" not in body


def test_iam_user_without_permission_cannot_create_roles(bob_client):
    response = create(bob_client, role_name="eve")
    assert response.status_code == 400
    assert "is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111122223333:role/eve" in (
        response.content.decode()
    )
    assert not Role.objects.exists()


def test_create_role_page_shows_the_three_steps(root_client):
    body = root_client.get("/iam/roles/create").content.decode()
    for text in ("Select trusted entity", "Add permissions", "Name, review, and create", "AWS service",
                 "AWS account", "Web identity", "SAML 2.0 federation", "Custom trust policy",
                 f"This account ({ALICE_ACCOUNT})", "Require external ID", "Require MFA",
                 "Allow programmatic and AWS Management Console access", "Maximum session duration"):
        assert text in body, text


# --- Detail -----------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["permissions", "trust_relationships", "tags", "bogus"])
def test_role_detail_tabs_open(root_client, app_role, tab):
    body = root_client.get(f"/iam/roles/details/app?tab={tab}").content.decode()
    assert "arn:aws:iam::111122223333:role/app" in body


def test_role_summary_has_switch_role_link_with_alias(root_client, app_role):
    body = root_client.get("/iam/roles/details/app").content.decode()
    assert "http://testserver/switchrole?roleName=app&amp;account=alice-lab" in body
    assert "1 hour" in body and "Link to switch roles in console" in body


def test_trust_relationships_tab_shows_the_policy(root_client, app_role):
    body = root_client.get("/iam/roles/details/app?tab=trust_relationships").content.decode()
    assert "ec2.amazonaws.com" in body and "Edit trust policy" in body


def test_unknown_role_is_404(root_client):
    assert root_client.get("/iam/roles/details/nobody").status_code == 404


def test_edit_trust_policy(root_client, app_role):
    policy = document({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    page = root_client.get("/iam/roles/details/app/trust-policy/edit").content.decode()
    assert "ec2.amazonaws.com" in page
    response = root_client.post("/iam/roles/details/app/trust-policy/edit", {"policy_document": policy})
    assert response.status_code == 302
    assert trust_of("app")["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_edit_trust_policy_malformed_shows_error_inline(root_client, app_role):
    response = root_client.post("/iam/roles/details/app/trust-policy/edit", {"policy_document": ALLOW_S3})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="field-error"' in body and "Principal" in body
    assert trust_of("app")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_edit_trust_policy_escapes_html(root_client, app_role):
    response = root_client.post("/iam/roles/details/app/trust-policy/edit", {"policy_document": "<script>alert(1)</script>"})
    body = response.content.decode()
    assert response.status_code == 400 and "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_attach_and_detach_policy(root_client, app_role):
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    root_client.post("/iam/roles/details/app/attach-policies", {"policies": [arn]})
    assert app_role.attachments.filter(policy__arn=arn).exists()
    root_client.post("/iam/roles/details/app/detach-policy", {"policy_arn": arn})
    assert not app_role.attachments.exists()


def test_inline_policy_create_and_delete(root_client, app_role):
    response = root_client.post("/iam/roles/details/app/inline-policy/create", {"policy_name": "s3", "policy_document": ALLOW_S3})
    assert response.status_code == 302
    assert ">s3</td>" in root_client.get("/iam/roles/details/app").content.decode()
    bad = root_client.post("/iam/roles/details/app/inline-policy/create", {"policy_name": "bad", "policy_document": "{"})
    assert bad.status_code == 400 and "Syntax errors in policy." in bad.content.decode()
    root_client.post("/iam/roles/details/app/inline-policy/delete", {"policy_name": "s3"})
    assert not app_role.inline_policies.exists()


def test_boundary_set_and_remove(root_client, app_role):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    root_client.post("/iam/roles/details/app/permissions-boundary", {"operation": "set", "permissions_boundary": arn})
    app_role.refresh_from_db()
    assert app_role.permissions_boundary.arn == arn
    root_client.post("/iam/roles/details/app/permissions-boundary", {"operation": "remove"})
    app_role.refresh_from_db()
    assert app_role.permissions_boundary is None


def test_tags_add_and_remove(root_client, app_role):
    root_client.post("/iam/roles/details/app/tags", {"key": "env", "value": "lab"})
    assert "<td>env</td><td>lab</td>" in root_client.get("/iam/roles/details/app?tab=tags").content.decode()
    root_client.post("/iam/roles/details/app/tags", {"operation": "remove", "key": "env"})
    assert not app_role.tags.exists()


def test_iam_user_cannot_edit_trust_policy(bob_client, app_role):
    response = bob_client.post("/iam/roles/details/app/trust-policy/edit", {"policy_document": TRUST_EC2}, follow=True)
    assert "is not authorized to perform: iam:GetRole" in response.content.decode()


# --- Delete -----------------------------------------------------------------------------


def test_delete_needs_the_typed_role_name(root_client, app_role):
    root_client.post("/iam/roles/details/app/delete", {"confirm": "not-app"})
    assert Role.objects.filter(pk=app_role.pk).exists()


def test_delete_role_removes_policies_first(root_client, app_role, alice):
    dispatch(alice, "iam:AttachRolePolicy", {"RoleName": "app", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    dispatch(alice, "iam:PutRolePolicy", {"RoleName": "app", "PolicyName": "s3", "PolicyDocument": ALLOW_S3})
    response = root_client.post("/iam/roles/details/app/delete", {"confirm": "app"})
    assert response.url == "/iam/roles"
    assert not Role.objects.exists()
    names = list(Event.objects.filter(error_code="").values_list("event_name", flat=True).order_by("id"))
    assert names[-3:] == ["DetachRolePolicy", "DeleteRolePolicy", "DeleteRole"]


def test_iam_user_cannot_delete_roles(bob_client, app_role):
    bob_client.post("/iam/roles/details/app/delete", {"confirm": "app"})
    assert Role.objects.filter(pk=app_role.pk).exists()


@pytest.mark.parametrize(
    "provider,key",
    [
        ("www.amazon.com", "www.amazon.com:app_id"),
        ("graph.facebook.com", "graph.facebook.com:app_id"),
        ("cognito-identity.amazonaws.com", "cognito-identity.amazonaws.com:aud"),
    ],
)
def test_web_identity_audience_key_per_provider(root_client, provider, key):
    create(root_client, trusted_entity_type="web_identity", web_identity_provider=provider, audience="aud-1")
    assert statement_of("web")["Condition"] == {"StringEquals": {key: "aud-1"}}


def test_web_identity_needs_provider_and_audience(root_client):
    response = create(root_client, trusted_entity_type="web_identity")
    body = response.content.decode()
    assert response.status_code == 400 and "Choose an identity provider." in body and "Enter an audience." in body


def test_saml_programmatic_access_with_attribute(root_client):
    provider = f"arn:aws:iam::{ALICE_ACCOUNT}:saml-provider/LabIdP"
    create(root_client, trusted_entity_type="saml", saml_provider=provider, saml_access="programmatic",
           saml_attribute="SAML:sub_type", saml_value="persistent")
    statement = statement_of("web")
    assert statement["Action"] == "sts:AssumeRoleWithSAML"
    assert statement["Condition"] == {"StringEquals": {"SAML:sub_type": "persistent"}}


def test_external_id_is_checked(root_client):
    response = create(root_client, trusted_entity_type="aws_account", require_external_id="on", external_id="x")
    assert response.status_code == 400 and "External ID must be 2 to 1224 characters" in response.content.decode()


def test_role_named_create_does_not_collide_with_the_create_page(root_client):
    create(root_client, role_name="create")
    assert "arn:aws:iam::111122223333:role/create" in root_client.get("/iam/roles/details/create").content.decode()
    assert "Select trusted entity" in root_client.get("/iam/roles/create").content.decode()
