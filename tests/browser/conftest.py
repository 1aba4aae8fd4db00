"""Real-browser tests: Debian's chromium driven by Playwright's sync API against pytest-django's live_server.

Every test here gets a fresh browser (no cookies carried over) in Chinese (zh-CN), and a
full-page screenshot in var/test-artifacts/<test name>.png whether it passed or failed, so a person
can look at what the browser showed.
"""

import re
from pathlib import Path

import pytest

from django.db import connections

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    # Every test in this folder drives chromium: mark it `browser` even if its module forgets to,
    # so `-m "not browser"` reliably leaves them out.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def screenshot_path(name: str) -> Path:
    """var/test-artifacts/<name>.png, with the folder created and the name safe for a file."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of what the browser shows now; returns the file."""
    path = screenshot_path(name)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def browser_page(request, chromium_path, live_server, monkeypatch):
    """A page in a fresh browser (zh-CN, desktop size) whose relative URLs go to the live server.

    Playwright is started per test on purpose. While its sync API runs, an asyncio loop counts as
    running in this thread, so Django (through asgiref) refuses ORM calls unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set, and hands the test other database connections than the ones
    pytest-django prepared. Keeping that to the test body lets pytest-django's serialized rollback
    and flush run on its own connections, and keeps the variable out of later tests (a deployment
    check fails when it is set).

    The screenshot is taken in teardown, so it is saved also when the test failed.
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport=DESKTOP, base_url=live_server.url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            yield page
        finally:
            try:
                save_screenshot(page, request.node.name)
            finally:
                context.close()
                browser.close()
                # The connections the test body used (see above) would otherwise stay open and
                # block dropping the PostgreSQL test database at the end of the session.
                connections.close_all()
