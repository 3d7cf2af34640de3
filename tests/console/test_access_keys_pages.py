"""Access keys in the console: create (use case, Retrieve access keys), deactivate, delete."""

import re

import pytest

from iam.models import AccessKey, User
from trail.models import Event

pytestmark = pytest.mark.django_db
CREATE = "/iam/users/details/bob/access-keys/create"


def created_key(page):
    key_id = re.search(r'data-testid="access-key-id" data-csv-field>([A-Z0-9]+)<', page).group(1)
    secret = re.search(r'data-testid="secret-access-key" hidden>([^<]+)<', page).group(1)
    return key_id, secret.replace("&#x2B;", "+").replace("&#x2F;", "/")


def test_create_access_key_page_offers_aws_use_cases_and_alternatives(root_client, bob):
    body = root_client.get(CREATE).content.decode()
    for words in ("Command Line Interface (CLI)", "Local code", "Third-party service",
                  "Use AWS CloudShell, a browser-based CLI, to run commands.",
                  "I understand the above recommendation and want to proceed to create an access key."):
        assert words in body


def test_the_recommendation_must_be_acknowledged(root_client, bob):
    response = root_client.post(CREATE, {"use_case": "cli"})
    assert response.status_code == 400
    assert "Confirm that you understand the recommendation to continue." in response.content.decode()
    assert not AccessKey.objects.exists()


def test_retrieve_access_keys_shows_the_secret_once(root_client, bob):
    page = root_client.post(CREATE, {"use_case": "cli", "confirm": "on", "description": "laptop"}).content.decode()
    assert "Retrieve access keys" in page
    assert 'data-csv-filename="bob_accessKeys.csv"' in page
    key_id, secret = created_key(page)
    key = AccessKey.objects.get(access_key_id=key_id)
    assert key.secret_access_key() == secret
    detail = root_client.get("/iam/users/details/bob?tab=security_credentials").content.decode()
    assert key_id in detail and secret not in detail and "Never used" in detail
    tags = root_client.get("/iam/users/details/bob?tab=tags").content.decode()
    assert f"<td>{key_id}</td><td>laptop</td>" in tags


def test_a_third_key_shows_the_quota_error(root_client, bob):
    for _ in range(2):
        root_client.post(CREATE, {"use_case": "cli", "confirm": "on"})
    response = root_client.post(CREATE, {"use_case": "cli", "confirm": "on"})
    assert response.status_code == 400
    assert "Cannot exceed quota for AccessKeysPerUser: 2" in response.content.decode()
    assert AccessKey.objects.count() == 2


def test_deactivate_activate_and_delete_with_confirmation(root_client, bob):
    key_id, _ = created_key(root_client.post(CREATE, {"use_case": "cli", "confirm": "on"}).content.decode())
    base = "/iam/users/details/bob/access-keys"
    root_client.post(f"{base}/update", {"access_key_id": key_id, "status": "Inactive"})
    assert AccessKey.objects.get().status == "Inactive"
    root_client.post(f"{base}/update", {"access_key_id": key_id, "status": "Active"})
    assert AccessKey.objects.get().status == "Active"
    body = root_client.post(f"{base}/delete", {"access_key_id": key_id, "confirm": "wrong"}, follow=True)
    assert "To confirm deletion, enter the access key ID" in body.content.decode()
    assert AccessKey.objects.exists()
    root_client.post(f"{base}/delete", {"access_key_id": key_id, "confirm": key_id})
    assert not AccessKey.objects.exists()
    assert Event.objects.filter(event_name="DeleteAccessKey", error_code="").count() == 1


def test_root_sees_the_warning_and_gets_rootkey_csv(root_client):
    body = root_client.get("/iam/security-credentials/access-keys/create").content.decode()
    assert "Root user access keys are not recommended" in body
    page = root_client.post("/iam/security-credentials/access-keys/create", {"use_case": "cli", "confirm": "on"})
    assert 'data-csv-filename="rootkey.csv"' in page.content.decode()
    assert AccessKey.objects.get().user is None
    own = root_client.get("/iam/security-credentials").content.decode()
    assert "Root user access keys provide unrestricted access to your entire AWS account." in own


def test_iam_user_without_permission_sees_aws_access_denied(bob_client, alice_account):
    response = bob_client.post("/iam/security-credentials/access-keys/create", {"use_case": "cli", "confirm": "on"})
    assert response.status_code == 400
    assert (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:CreateAccessKey on resource: "
        "arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateAccessKey action"
    ) in response.content.decode()


def test_deleting_a_user_deletes_its_access_keys_first(root_client, bob):
    root_client.post(CREATE, {"use_case": "cli", "confirm": "on"})
    root_client.post("/iam/users/details/bob/delete", {"confirm": "bob"})
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not AccessKey.objects.exists()
