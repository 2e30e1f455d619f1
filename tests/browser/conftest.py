"""Browser tests: Playwright driving the machine's Chromium (Debian's `chromium`)
headless, against the portal served by pytest-django's live server.

Without Chromium they are skipped, unless HIPWATCH_BROWSER_TESTS=required (as
.ci/run sets after installing it), where a missing browser fails. Screenshots go
to .artifacts/screenshots/, to be looked at."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "hipwatch2023"


def _chromium() -> str | None:
    return os.environ.get("HIPWATCH_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not executable:
        if os.environ.get("HIPWATCH_BROWSER_TESTS") == "required":
            pytest.fail("Chromium is required for the browser tests (apt-get install chromium)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def sign_in(browser, live_server):
    """sign_in("city") → a Playwright page signed in as that demo user."""
    contexts = []

    def open_as(username):
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """shot(page, "step") saves a full-page screenshot named after the test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, step):
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}-{step}.png", full_page=True)

    return save
