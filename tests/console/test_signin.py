"""Console sign-in as AWS's sign-in pages behave, attacked as an attacker would."""

import json
from unittest import mock

import pytest

from console import signin
from iam.models import PasswordPolicy
from tests.conftest import ALICE_EMAIL, BOB_PASSWORD, make_user
from tests.console.helpers import FAILED, iam_sign_in, root_sign_in
from trail.models import Event

pytestmark = pytest.mark.django_db


def login_events():
    return list(Event.objects.filter(event_name="ConsoleLogin").order_by("id"))


def all_event_text():
    return json.dumps([e.as_record() for e in Event.objects.all()])


# --- The pages ----------------------------------------------------------------


def test_signin_page_offers_root_user_and_iam_user(client):
    page = client.get("/signin").content.decode()
    assert "Root user" in page and "IAM user" in page
    assert "Root user email address" in page
    assert "Account ID (12 digits) or account alias" in page


def test_account_signin_url_prefills_the_account(client, alice_account):
    page = client.get("/signin?account=alice-lab").content.decode()
    assert "Sign in as IAM user" in page
    assert 'value="alice-lab"' in page
    assert "IAM username" in page


def test_root_email_step_leads_to_password_step_for_any_email(client, alice_account):
    known = client.post("/signin", {"user_type": "root", "email": ALICE_EMAIL}).content.decode()
    unknown = client.post("/signin", {"user_type": "root", "email": "nobody@example.com"}).content.decode()
    assert "Root user sign in" in known and "Root user sign in" in unknown


def test_iam_user_choice_leads_to_iam_user_form(client):
    page = client.post("/signin", {"user_type": "iam", "account": "alice-lab"}).content.decode()
    assert "Sign in as IAM user" in page and 'value="alice-lab"' in page


def test_empty_chooser_fields_get_a_form_error(client):
    response = client.post("/signin", {"user_type": "root", "email": ""})
    assert response.status_code == 400
    assert "Enter your root user email address." in response.content.decode()
    response = client.post("/signin", {"user_type": "iam", "account": ""})
    assert "Enter your account ID or account alias." in response.content.decode()


def test_empty_password_gets_a_form_error_and_no_session(client, alice_account):
    response = root_sign_in(client, password="")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert client.get("/console/home").status_code == 302


# --- Root user ----------------------------------------------------------------


def test_root_user_signs_in_with_email_and_password(client, alice_account):
    response = root_sign_in(client)
    assert response.status_code == 302 and response.url == "/console/home"
    home = client.get("/console/home").content.decode()
    assert "Console Home" in home and "Root user" in home and "1111-2222-3333" in home


def test_root_email_is_case_insensitive(client, alice_account):
    assert root_sign_in(client, email="  ALICE@Example.COM ").status_code == 302


def test_root_sign_in_writes_a_console_login_success_event(client, alice_account):
    root_sign_in(client, meta={"HTTP_USER_AGENT": "Mozilla/5.0 test", "REMOTE_ADDR": "203.0.113.9"})
    (event,) = login_events()
    record = event.as_record()
    assert record["eventSource"] == "signin.amazonaws.com"
    assert record["eventType"] == "AwsConsoleSignIn"
    assert record["responseElements"] == {"ConsoleLogin": "Success"}
    assert record["additionalEventData"]["MFAUsed"] == "No"
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::111122223333:root"
    assert record["sourceIPAddress"] == "203.0.113.9"
    assert record["userAgent"] == "Mozilla/5.0 test"
    assert record["recipientAccountId"] == "111122223333"
    assert "errorMessage" not in record


def test_wrong_root_password_and_unknown_email_get_the_same_answer(client, alice_account):
    wrong = root_sign_in(client, password="Not-the-passw0rd")
    unknown = root_sign_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert FAILED in wrong.content.decode() and FAILED in unknown.content.decode()
    assert client.get("/console/home").status_code == 302


def test_failed_root_sign_in_records_failure_without_the_password(client, alice_account):
    root_sign_in(client, password="Secret-Guess-123")
    root_sign_in(client, email="nobody@example.com", password="Another-Secret-456")
    known, unknown = login_events()
    assert known.response_elements == {"ConsoleLogin": "Failure"}
    assert known.error_message == "Failed authentication"
    assert known.user_identity["arn"] == "arn:aws:iam::111122223333:root"
    # An email that matches no account is not echoed (it may be a mistyped password).
    assert unknown.user_identity["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert unknown.recipient_account_id is None
    text = all_event_text()
    assert "Secret-Guess-123" not in text and "Another-Secret-456" not in text
    assert "nobody@example.com" not in text


# --- IAM users ----------------------------------------------------------------


@pytest.mark.parametrize("account", ["111122223333", "alice-lab", "ALICE-LAB"])
def test_iam_user_signs_in_with_account_id_or_alias(client, bob, account):
    response = iam_sign_in(client, account=account)
    assert response.status_code == 302 and response.url == "/console/home"
    assert "bob" in client.get("/console/home").content.decode()


def test_iam_user_name_is_case_insensitive(client, bob):
    assert iam_sign_in(client, username="BOB").status_code == 302


def test_iam_sign_in_event_names_the_user(client, bob):
    iam_sign_in(client)
    (event,) = login_events()
    assert event.user_identity["type"] == "IAMUser"
    assert event.user_identity["userName"] == "bob"
    assert event.user_identity["principalId"] == bob.user_id
    assert event.response_elements == {"ConsoleLogin": "Success"}


@pytest.mark.parametrize(
    "account,username,password",
    [
        ("111122223333", "bob", "Wrong-passw0rd!"),  # wrong password
        ("111122223333", "nobody", BOB_PASSWORD),  # unknown user
        ("999999999999", "bob", BOB_PASSWORD),  # unknown account
        ("no-such-alias", "bob", BOB_PASSWORD),  # unknown alias
        ("444455556666", "bob", BOB_PASSWORD),  # another account's ID
    ],
)
def test_every_iam_sign_in_failure_gets_the_same_answer(client, bob, charlie_account, account, username, password):
    response = iam_sign_in(client, account=account, username=username, password=password)
    assert response.status_code == 401
    assert FAILED in response.content.decode()
    assert client.get("/console/home").status_code == 302
    (event,) = login_events()
    assert event.response_elements == {"ConsoleLogin": "Failure"}
    assert password not in all_event_text()


def test_user_without_console_password_cannot_sign_in(client, alice_account):
    make_user(alice_account, "dave")  # console access disabled: no login profile
    response = iam_sign_in(client, username="dave", password="Any-Passw0rd!")
    assert response.status_code == 401 and FAILED in response.content.decode()


def test_unknown_user_name_is_hidden_in_the_event(client, bob):
    iam_sign_in(client, username="Bob-Passw0rd-typed-here")
    (event,) = login_events()
    assert event.user_identity["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert event.recipient_account_id == "111122223333"
    assert "Bob-Passw0rd-typed-here" not in all_event_text()


def test_every_failure_path_runs_exactly_one_password_verification(client, bob):
    # Equal work on every path is what makes the answer take the same time whether or
    # not the name exists.
    cases = [
        dict(password="Wrong-passw0rd!"),
        dict(username="nobody"),
        dict(account="999999999999"),
        dict(username="x" * 10_000),
    ]
    for case in cases:
        with mock.patch("console.signin.check_password", wraps=signin.check_password) as check:
            iam_sign_in(client, **case)
        assert check.call_count == 1, case
    with mock.patch("console.signin.check_password", wraps=signin.check_password) as check:
        root_sign_in(client, email="nobody@example.com")
    assert check.call_count == 1


@pytest.mark.parametrize(
    "value",
    [
        "x" * 10_000,
        "Ünïcødé-用户-🙂",
        "bob' OR '1'='1",
        "'; DROP TABLE iam_user; --",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_input_is_a_plain_failed_sign_in(client, bob, value):
    for response in (
        iam_sign_in(client, username=value),
        iam_sign_in(client, account=value),
        iam_sign_in(client, password=value),
        root_sign_in(client, email=value, password=value),
    ):
        assert response.status_code == 401
        body = response.content.decode()
        assert FAILED in body
        assert "<script>alert(1)</script>" not in body
    assert len(login_events()) == 4
    assert client.get("/console/home").status_code == 302


def test_hostile_input_in_the_chooser_is_escaped(client):
    body = client.post("/signin", {"user_type": "iam", "account": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- Throttling ---------------------------------------------------------------


def fail_times(client, n, **kwargs):
    for _ in range(n):
        iam_sign_in(client, password="Wrong-passw0rd!", **kwargs)


def test_five_failures_lock_out_even_the_right_password(client, bob, frozen_clock):
    fail_times(client, 5)
    response = iam_sign_in(client)
    assert response.status_code == 401 and FAILED in response.content.decode()


def test_the_lock_looks_the_same_for_a_user_that_does_not_exist(client, bob, frozen_clock):
    fail_times(client, 5, username="ghost")
    response = iam_sign_in(client, username="ghost")
    assert response.status_code == 401 and FAILED in response.content.decode()


def test_lock_ends_fifteen_minutes_after_the_failures(client, bob, frozen_clock):
    fail_times(client, 5)
    frozen_clock.advance(minutes=15, seconds=1)
    assert iam_sign_in(client).status_code == 302


def test_attempts_during_the_lock_do_not_extend_it(client, bob, frozen_clock):
    fail_times(client, 5)
    for _ in range(10):
        frozen_clock.advance(minutes=1)
        fail_times(client, 1)  # an attacker keeps trying while locked
    frozen_clock.advance(minutes=5, seconds=1)  # 15 minutes after the first five
    assert iam_sign_in(client).status_code == 302


def test_a_browser_that_signed_in_before_is_not_locked_out_by_an_attacker(client, bob, frozen_clock):
    from django.test import Client

    assert iam_sign_in(client).status_code == 302  # bob's own browser, now trusted
    client.post("/signout")
    attacker = Client()
    fail_times(attacker, 8)
    assert iam_sign_in(attacker).status_code == 401  # the attacker's browser is locked
    assert iam_sign_in(client).status_code == 302  # bob's is not


def test_failures_for_one_user_do_not_lock_another(client, bob, alice_account, frozen_clock):
    make_user(alice_account, "erin", "Erin-console-Passw0rd!")
    fail_times(client, 5)
    assert iam_sign_in(client, username="erin", password="Erin-console-Passw0rd!").status_code == 302


def test_throttle_rows_never_name_the_principal(client, bob, frozen_clock):
    from console.models import SignInFailure

    fail_times(client, 2)
    buckets = list(SignInFailure.objects.values_list("bucket", flat=True))
    assert len(buckets) == 2
    assert all("bob" not in b and "111122223333" not in b for b in buckets)


# --- Password reset and expiry ------------------------------------------------


def test_password_reset_required_forces_the_change_password_page(client, alice_account):
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    response = iam_sign_in(client, username="carol", password="Initial-Passw0rd!")
    assert response.url == "/signin/change-password"
    page = client.get("/signin/change-password").content.decode()
    assert "You must change your password to continue." in page
    assert client.get("/iam/account-settings").url == "/signin/change-password"


def change(client, old, new, confirm=None):
    return client.post(
        "/signin/change-password",
        {"old_password": old, "new_password": new, "confirm_password": confirm if confirm is not None else new},
    )


def test_forced_change_enforces_the_password_policy_and_lists_unmet_rules(client, alice_account):
    PasswordPolicy.objects.create(
        account=alice_account, minimum_password_length=12, require_symbols=True, require_numbers=True
    )
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    iam_sign_in(client, username="carol", password="Initial-Passw0rd!")
    body = change(client, "Initial-Passw0rd!", "short").content.decode()
    assert "Password should have a minimum length of 12" in body
    assert "Password should have at least one symbol" in body
    assert "Password should have at least one number" in body


def test_forced_change_with_mismatched_confirmation_is_a_form_error(client, alice_account):
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    iam_sign_in(client, username="carol", password="Initial-Passw0rd!")
    response = change(client, "Initial-Passw0rd!", "Carol-New-Passw0rd!", "Different-Passw0rd!")
    assert response.status_code == 400
    assert "The new passwords do not match." in response.content.decode()


def test_forced_change_then_the_console_opens_at_the_page_asked_for(client, alice_account):
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    iam_sign_in(client, username="carol", password="Initial-Passw0rd!", redirect_uri="/iam/home")
    response = change(client, "Initial-Passw0rd!", "Carol-New-Passw0rd!")
    assert response.status_code == 302 and response.url == "/iam/home"
    assert client.get("/iam/home").status_code == 200
    client.post("/signout")
    assert iam_sign_in(client, username="carol", password="Carol-New-Passw0rd!").url == "/console/home"
    assert iam_sign_in(client, username="carol", password="Initial-Passw0rd!").status_code == 401


def test_forced_change_records_a_change_password_event_without_passwords(client, alice_account):
    make_user(alice_account, "carol", "Initial-Passw0rd!", reset_required=True)
    iam_sign_in(client, username="carol", password="Initial-Passw0rd!")
    change(client, "Initial-Passw0rd!", "Carol-New-Passw0rd!")
    event = Event.objects.get(event_name="ChangePassword")
    assert event.error_code == ""
    assert event.user_identity["userName"] == "carol"
    assert event.user_identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    text = all_event_text()
    assert "Initial-Passw0rd!" not in text and "Carol-New-Passw0rd!" not in text


def start_clock_at_password_change(frozen_clock, user):
    # bob's password was set by the real clock, before the frozen one took over: a
    # password's age counts from then, whatever today's date is.
    frozen_clock.current = user.login_profile.password_changed


def test_expired_password_must_be_changed_at_sign_in(client, bob, frozen_clock):
    PasswordPolicy.objects.create(account=bob.account, max_password_age=30)
    start_clock_at_password_change(frozen_clock, bob)
    frozen_clock.advance(days=31)
    response = iam_sign_in(client)
    assert response.url == "/signin/change-password"
    assert "Your password has expired." in client.get("/signin/change-password").content.decode()


def test_expired_password_with_hard_expiry_needs_an_administrator(client, bob, frozen_clock):
    PasswordPolicy.objects.create(account=bob.account, max_password_age=30, hard_expiry=True)
    start_clock_at_password_change(frozen_clock, bob)
    frozen_clock.advance(days=31)
    response = iam_sign_in(client)
    assert response.status_code == 401
    assert signin.HARD_EXPIRED in response.content.decode()
    assert client.get("/console/home").status_code == 302
    assert login_events()[-1].response_elements == {"ConsoleLogin": "Failure"}


def test_password_not_yet_expired_signs_in_normally(client, bob, frozen_clock):
    PasswordPolicy.objects.create(account=bob.account, max_password_age=30)
    start_clock_at_password_change(frozen_clock, bob)
    frozen_clock.advance(days=29)
    assert iam_sign_in(client).url == "/console/home"


# --- Redirects after sign-in ------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, alice_account, target):
    response = root_sign_in(client, redirect_uri=target)
    assert response.url == "/console/home"


def test_sign_in_returns_to_the_local_page_asked_for(client, alice_account):
    response = client.get("/iam/account-settings")
    assert response.url == "/signin?redirect_uri=%2Fiam%2Faccount-settings"
    assert root_sign_in(client, redirect_uri="/iam/account-settings").url == "/iam/account-settings"


def test_session_key_changes_at_sign_in(client, alice_account):
    client.get("/signin")
    client.session.save()
    before = client.session.session_key
    root_sign_in(client)
    assert client.session.session_key != before


def test_root_password_last_used_is_recorded(client, alice_account, frozen_clock):
    root_sign_in(client)
    alice_account.refresh_from_db()
    assert alice_account.root_password_last_used == frozen_clock.current


def test_bob_password_last_used_is_recorded(client, bob, frozen_clock):
    iam_sign_in(client)
    bob.refresh_from_db()
    assert bob.password_last_used == frozen_clock.current
