"""Fixtures for browser tests: Debian's chromium driven by Playwright's sync API against
pytest-django's live_server.

- The browser is launched once per session; every test gets a fresh context (cookies,
  storage) and page, whose relative URLs resolve against the live server.
- Without /usr/bin/chromium (or the playwright package) the browser tests are skipped,
  unless REQUIRE_BROWSER=1, in which case they fail with a message saying why.
- Persona fixtures here request ``transactional_db`` first: the live server runs in
  another thread, so test data must be committed, not wrapped in a test transaction.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop running in the main thread, which
# makes Django refuse ORM calls there (SynchronousOnlyOperation) unless told otherwise.
# The ORM calls in question are test setup and the database flush after each test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every page here is served locally; a step that takes longer than this is a failure,
# not something to wait for.
TIMEOUT_MS = 10_000


def _unavailable(reason):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (set REQUIRE_BROWSER=1 to make this an error)")


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"the playwright package is not installed ({error})")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    try:
        browser = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as error:  # playwright.sync_api.Error: chromium failed to start
        _unavailable(f"{CHROMIUM} did not start: {error}")
    yield browser
    browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


# Personas, committed so the live server's thread sees them: this overrides
# tests.conftest's alice_account, setting up transactional_db before the parent fixture
# (which asks for ``db``) creates the account.


@pytest.fixture
def alice_account(transactional_db, alice_account):
    return alice_account
