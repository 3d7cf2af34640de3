"""The console shell: sessions, security headers, CSRF, navigation, account settings."""

import pytest
from django.test import Client

from iam.models import PasswordPolicy
from tests.console.helpers import iam_sign_in, root_sign_in
from trail.models import Event

pytestmark = pytest.mark.django_db

CONSOLE_PAGES = ["/console/home", "/iam/home", "/iam/account-settings", "/iam/security-credentials"]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_send_signed_out_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/signin?redirect_uri=")


def test_site_root_opens_console_home(root_client):
    assert root_client.get("/").url == "/console/home"


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_open_for_the_root_user(root_client, path):
    assert root_client.get(path).status_code == 200


def test_security_headers_are_set(client):
    response = client.get("/signin")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_pages_carry_no_inline_script(root_client):
    for path in CONSOLE_PAGES + ["/iam/account-settings/password-policy/edit"]:
        body = root_client.get(path).content.decode()
        assert "<script>" not in body and "onclick=" not in body, path


def test_session_cookie_is_httponly_and_samesite_lax(client, alice_account):
    response = root_sign_in(client)
    cookie = response.cookies["iamlab-session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain HTTP on loopback


def test_cookies_are_secure_over_https(client, alice_account):
    response = client.post("/signin/root", {"email": "alice@example.com", "password": "x"}, secure=True)
    assert response.status_code == 401
    response = root_sign_in(client, meta={"secure": True})
    assert response.cookies["iamlab-session"]["secure"] is True
    assert response.cookies["iamlab-device"]["secure"] is True


def test_forms_reject_posts_without_a_csrf_token(alice_account):
    client = Client(enforce_csrf_checks=True)
    response = root_sign_in(client)
    assert response.status_code == 403
    assert "Your request was rejected" in response.content.decode()
    assert not Event.objects.exists()


def test_session_ends_after_twelve_hours(root_client, frozen_clock):
    # The sign-in happened before the clock was frozen at a later instant, so sign in again.
    root_client.post("/signout")
    root_sign_in(root_client)
    frozen_clock.advance(hours=11, minutes=59)
    assert root_client.get("/console/home").status_code == 200
    frozen_clock.advance(minutes=2)
    assert root_client.get("/console/home").status_code == 302


def test_sign_out_ends_the_session(root_client):
    response = root_client.post("/signout")
    assert response.url == "/signin"
    assert root_client.get("/console/home").status_code == 302


def test_sign_out_needs_post(root_client):
    assert root_client.get("/signout").status_code == 405
    assert root_client.get("/console/home").status_code == 200


def test_deleted_user_loses_the_session(bob_client, bob):
    bob.delete()
    assert bob_client.get("/console/home").status_code == 302


def test_account_menu_shows_principal_and_account(bob_client):
    body = bob_client.get("/console/home").content.decode()
    assert "bob @ 1111-2222-3333" in body
    assert "Sign out" in body


def test_unknown_page_is_a_console_404(root_client):
    response = root_client.get("/iam/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_iam_dashboard_shows_the_account_sign_in_url(root_client):
    body = root_client.get("/iam/home").content.decode()
    assert "Sign-in URL for IAM users in this account" in body
    assert "http://testserver/signin?account=alice-lab" in body
    assert "111122223333" in body


# --- Account settings: password policy -------------------------------------------


def test_account_settings_shows_the_default_policy(root_client):
    body = root_client.get("/iam/account-settings").content.decode()
    assert "This AWS account uses the following default password policy" in body


def edit(client, **fields):
    data = {"policy_type": "custom", "minimum_password_length": "8"}
    data.update(fields)
    return client.post("/iam/account-settings/password-policy/edit", data)


def test_root_sets_a_custom_password_policy(root_client, alice_account):
    response = edit(
        root_client,
        minimum_password_length="14",
        require_uppercase_characters="on",
        require_symbols="on",
        expire_passwords="on",
        max_password_age="90",
        prevent_reuse="on",
        password_reuse_prevention="24",
        allow_users_to_change_password="on",
    )
    assert response.url == "/iam/account-settings"
    policy = PasswordPolicy.objects.get(account=alice_account)
    assert (policy.minimum_password_length, policy.max_password_age, policy.password_reuse_prevention) == (14, 90, 24)
    assert policy.require_uppercase_characters and policy.require_symbols and policy.allow_users_to_change_password
    assert not policy.require_numbers and not policy.hard_expiry
    body = root_client.get("/iam/account-settings").content.decode()
    assert "Password policy updated." in body
    assert "Password minimum length: 14 characters" in body
    assert "Password expires in 90 day(s)" in body
    event = Event.objects.get(event_name="UpdateAccountPasswordPolicy")
    assert event.request_parameters["minimumPasswordLength"] == 14


def test_edit_form_starts_from_the_current_policy(root_client, alice_account):
    PasswordPolicy.objects.create(account=alice_account, minimum_password_length=20, require_numbers=True)
    body = root_client.get("/iam/account-settings/password-policy/edit").content.decode()
    assert 'value="20"' in body
    assert 'name="require_numbers" id="id_require_numbers" checked' in body


@pytest.mark.parametrize(
    "fields,message",
    [
        (
            {"minimum_password_length": "5"},
            "Value &#x27;5&#x27; at &#x27;minimumPasswordLength&#x27; failed to satisfy constraint: "
            "Member must have value greater than or equal to 6",
        ),
        (
            {"minimum_password_length": "129"},
            "Member must have value less than or equal to 128",
        ),
        ({"expire_passwords": "on", "max_password_age": "1096"}, "Member must have value less than or equal to 1095"),
        ({"prevent_reuse": "on", "password_reuse_prevention": "25"}, "Member must have value less than or equal to 24"),
        ({"minimum_password_length": ""}, "Enter the password minimum length."),
        ({"minimum_password_length": "eight"}, "Enter a whole number."),
    ],
)
def test_bad_policy_values_get_a_form_error_and_change_nothing(root_client, alice_account, fields, message):
    PasswordPolicy.objects.create(account=alice_account, minimum_password_length=10)
    response = edit(root_client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PasswordPolicy.objects.get(account=alice_account).minimum_password_length == 10


def test_choosing_iam_default_removes_the_custom_policy(root_client, alice_account):
    PasswordPolicy.objects.create(account=alice_account, minimum_password_length=10)
    response = root_client.post("/iam/account-settings/password-policy/edit", {"policy_type": "default"})
    assert response.url == "/iam/account-settings"
    assert not PasswordPolicy.objects.filter(account=alice_account).exists()
    assert Event.objects.filter(event_name="DeleteAccountPasswordPolicy", error_code="").count() == 1


DENIED = (
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: {action} on resource: * "
    "because no identity-based policy allows the {action} action"
)


def test_iam_user_without_permission_sees_aws_access_denied(bob_client):
    body = bob_client.get("/iam/account-settings", follow=True).content.decode()
    assert DENIED.format(action="iam:GetAccountPasswordPolicy") in body
    event = Event.objects.get(event_name="GetAccountPasswordPolicy")
    assert event.error_code == "AccessDenied"


def test_iam_user_without_permission_cannot_change_the_policy(bob_client, alice_account):
    response = edit(bob_client, minimum_password_length="6")
    assert response.status_code == 400
    assert DENIED.format(action="iam:UpdateAccountPasswordPolicy") in response.content.decode()
    assert not PasswordPolicy.objects.filter(account=alice_account).exists()


def test_users_see_the_policy_when_allowed_to_change_their_password(bob_client, alice_account):
    PasswordPolicy.objects.create(account=alice_account, minimum_password_length=9, allow_users_to_change_password=True)
    body = bob_client.get("/iam/account-settings").content.decode()
    assert "Password minimum length: 9 characters" in body


# --- My security credentials -------------------------------------------------------


def update_password(client, old, new):
    return client.post(
        "/iam/security-credentials", {"old_password": old, "new_password": new, "confirm_password": new}
    )


def test_user_changes_own_password_when_the_policy_allows(bob_client, alice_account):
    PasswordPolicy.objects.create(account=alice_account, allow_users_to_change_password=True)
    response = update_password(bob_client, "Bob-console-Passw0rd!", "Bob-Newer-Passw0rd!")
    assert response.url == "/iam/security-credentials"
    bob_client.post("/signout")
    assert iam_sign_in(bob_client, password="Bob-Newer-Passw0rd!").status_code == 302


def test_user_cannot_change_own_password_without_permission(bob_client):
    response = update_password(bob_client, "Bob-console-Passw0rd!", "Bob-Newer-Passw0rd!")
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not authorized to perform: iam:ChangePassword on resource: arn:aws:iam::111122223333:user/bob" in body


def test_wrong_old_password_is_a_form_error(bob_client, alice_account):
    PasswordPolicy.objects.create(account=alice_account, allow_users_to_change_password=True)
    response = update_password(bob_client, "Not-my-Passw0rd!", "Bob-Newer-Passw0rd!")
    assert response.status_code == 400
    assert "The old password is incorrect." in response.content.decode()


# --- Account alias -------------------------------------------------------------------


def test_root_changes_the_account_alias_and_the_sign_in_url_follows(root_client, alice_account):
    response = root_client.post("/iam/account-alias", {"alias": "alice-class", "operation": "save"})
    assert response.url == "/iam/home"
    body = root_client.get("/iam/home").content.decode()
    assert "Account alias alice-class created." in body
    assert "http://testserver/signin?account=alice-class" in body
    alice_account.refresh_from_db()
    assert alice_account.alias == "alice-class"


def test_root_deletes_the_account_alias(root_client, alice_account):
    root_client.post("/iam/account-alias", {"operation": "delete"})
    alice_account.refresh_from_db()
    assert alice_account.alias is None
    assert "http://testserver/signin?account=111122223333" in root_client.get("/iam/home").content.decode()


@pytest.mark.parametrize(
    "alias,message",
    [
        ("Bad_Alias", "Member must satisfy regular expression pattern"),
        ("ab", "Member must have length greater than or equal to 3"),
        ("<b>x</b>", "Member must satisfy regular expression pattern"),
    ],
)
def test_bad_alias_shows_aws_error_and_keeps_the_old_one(root_client, alice_account, alias, message):
    body = root_client.post("/iam/account-alias", {"alias": alias, "operation": "save"}, follow=True).content.decode()
    assert message in body and "<b>x</b>" not in body
    alice_account.refresh_from_db()
    assert alice_account.alias == "alice-lab"


def test_alias_of_another_account_is_refused(root_client, alice_account, charlie_account):
    charlie_account.alias = "charlie-lab"
    charlie_account.save()
    body = root_client.post("/iam/account-alias", {"alias": "charlie-lab", "operation": "save"}, follow=True)
    assert "The account alias charlie-lab already exists." in body.content.decode()


def test_iam_user_without_permission_cannot_change_the_alias(bob_client, alice_account):
    body = bob_client.post("/iam/account-alias", {"alias": "bobs-lab", "operation": "save"}, follow=True)
    assert "is not authorized to perform: iam:CreateAccountAlias" in body.content.decode()
    alice_account.refresh_from_db()
    assert alice_account.alias == "alice-lab"
