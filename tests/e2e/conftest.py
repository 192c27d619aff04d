"""Headless Chromium through Python Playwright, against pytest-django's live server.

Chromium comes from Debian's `chromium` package (.ci/run installs it); Playwright never
downloads a browser here. Screenshots of key pages go to test-results/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures.services import require

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "test-results/screenshots"))

# Playwright's sync API runs an event loop in this thread; the Django test client and ORM calls
# in the test body are still synchronous, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require(
        shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str, password: str):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=signed-in-as]")
