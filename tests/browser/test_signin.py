"""The console sign-in pages as a user sees them in a real browser."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures then skip, or fail under REQUIRE_BROWSER=1
    expect = None

from tests.conftest import ALICE_ACCOUNT, ALICE_EMAIL, ALICE_PASSWORD, make_user

FAILED = "Your authentication information is incorrect. Please try again."
CAROL_INITIAL = "Initial-Passw0rd!"
CAROL_NEW = "Carol-New-Passw0rd!"


def path_is(path):
    """A URL pattern for ``path`` on any host, with or without a query string."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def start_root_sign_in(page, email):
    """From the first sign-in page, as root user, to the "Root user sign in" page."""
    expect(page.get_by_role("radio", name="Root user")).to_be_checked()
    page.get_by_label("Root user email address", exact=True).fill(email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Root user sign in")).to_be_visible()


def sign_in_as_root(page, email=ALICE_EMAIL, password=ALICE_PASSWORD):
    start_root_sign_in(page, email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_as_iam_user(page, user_name, password):
    """On the "Sign in as IAM user" page (account already filled in)."""
    page.get_by_label("IAM username", exact=True).fill(user_name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def change_password(page, old, new, retype=None):
    page.get_by_label("Old password", exact=True).fill(old)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Retype new password", exact=True).fill(new if retype is None else retype)
    page.get_by_role("button", name="Confirm password change").click()


@pytest.mark.browser
def test_root_user_signs_in_with_email_and_password_and_sees_console_home(page, alice_account, tmp_path):
    page.goto("/signin")

    sign_in_as_root(page)

    expect(page).to_have_url(path_is("/console/home"))
    expect(page.get_by_role("heading", name="Console Home")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Root user")
    page.get_by_test_id("account-menu").click()
    expect(page.get_by_test_id("account-id")).to_be_visible()
    expect(page.get_by_test_id("account-id")).to_have_text("1111-2222-3333")

    screenshot = tmp_path / "console-home.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0


@pytest.mark.browser
def test_root_sign_in_with_wrong_password_shows_generic_error_and_stays_on_sign_in(page, alice_account):
    page.goto("/signin")

    sign_in_as_root(page, password="not-" + ALICE_PASSWORD)

    expect(page.get_by_role("alert")).to_have_text(FAILED)
    expect(page.get_by_role("heading", name="Root user sign in")).to_be_visible()
    expect(page).to_have_url(path_is("/signin/root"))
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)


@pytest.mark.browser
def test_root_sign_in_with_unknown_email_shows_the_same_error_as_a_wrong_password(page, alice_account):
    page.goto("/signin")

    sign_in_as_root(page, email="nobody@example.com", password=ALICE_PASSWORD)

    expect(page.get_by_role("alert")).to_have_text(FAILED)
    expect(page.get_by_role("heading", name="Root user sign in")).to_be_visible()
    expect(page).to_have_url(path_is("/signin/root"))


@pytest.mark.browser
def test_iam_user_must_change_password_before_using_console_then_signs_in_with_new_one(page, alice_account):
    make_user(alice_account, "carol", CAROL_INITIAL, reset_required=True)

    # The account's sign-in URL opens the IAM user form with the account filled in.
    page.goto(f"/signin?account={ALICE_ACCOUNT}")
    expect(page.get_by_role("heading", name="Sign in as IAM user")).to_be_visible()
    expect(page.get_by_label("Account ID (12 digits) or account alias", exact=True)).to_have_value(ALICE_ACCOUNT)
    sign_in_as_iam_user(page, "carol", CAROL_INITIAL)

    expect(page).to_have_url(path_is("/signin/change-password"))
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    expect(page.get_by_text("You must change your password to continue.")).to_be_visible()

    # Nothing else in the console opens until the password is changed.
    page.goto("/console/home")
    expect(page).to_have_url(path_is("/signin/change-password"))
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()

    # A password that breaks the (default) policy is refused with the rules it breaks.
    change_password(page, CAROL_INITIAL, "short")
    rules = page.get_by_role("alert")
    expect(rules).to_contain_text("Password should have a minimum length of 8")
    expect(rules).to_contain_text(
        "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols"
    )
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()

    change_password(page, CAROL_INITIAL, CAROL_NEW)
    expect(page).to_have_url(path_is("/console/home"))
    expect(page.get_by_role("status")).to_have_text("Your password has been changed.")
    expect(page.get_by_role("heading", name="Console Home")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("carol")

    # Sign out through the account menu, then sign in again: no change-password step.
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is("/signin"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()

    page.goto(f"/signin?account={ALICE_ACCOUNT}")
    sign_in_as_iam_user(page, "carol", CAROL_NEW)
    expect(page).to_have_url(path_is("/console/home"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text("carol")


@pytest.mark.browser
def test_signed_out_visitor_is_sent_to_sign_in_and_back_to_the_page_they_asked_for(page, alice_account):
    page.goto("/iam/account-settings")
    expect(page).to_have_url(path_is("/signin"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()

    sign_in_as_root(page)

    expect(page).to_have_url(path_is("/iam/account-settings"))
    expect(page.get_by_role("heading", name="Account settings", exact=True)).to_be_visible()


@pytest.mark.browser
def test_choosing_iam_user_swaps_email_field_for_account_field_and_alias_leads_to_iam_form(page, alice_account):
    page.goto("/signin")
    email = page.get_by_label("Root user email address", exact=True)
    account = page.get_by_label("Account ID (12 digits) or account alias", exact=True)
    expect(email).to_be_visible()
    expect(account).to_be_hidden()

    page.get_by_role("radio", name="IAM user").check()

    expect(account).to_be_visible()
    expect(email).to_be_hidden()
    account.fill("alice-lab")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Sign in as IAM user")).to_be_visible()
    expect(page.get_by_label("Account ID (12 digits) or account alias", exact=True)).to_have_value("alice-lab")
    expect(page.get_by_label("IAM username", exact=True)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
