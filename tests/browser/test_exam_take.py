"""A candidate takes and submits a short exam in a real browser: answers survive a reload and a
dropped connection, and the clock comes back from the server unchanged."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from django.conf import settings
from django.test import Client

from exams.models import Answer, Attempt
from tests.exams.factories import make_exam, make_pool, ready_sitting

from .conftest import PHONE, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def test_take_reload_offline_and_submit(browser_page, live_server):
    page = browser_page
    make_pool(n=6, correct=("B",))
    make_pool(n=3, qtype="fill_blank", blanks=[["骨折"]])
    exam = make_exam(
        sections=[
            {"title": "单选题", "qtype": "single", "count": 2, "points_each": Decimal("5")},
            {"title": "填空题", "qtype": "fill_blank", "count": 1, "points_each": Decimal("5")},
        ],
        duration_minutes=30,
    )
    sitting, (reg,) = ready_sitting(candidates=1, exam=exam)
    page.goto("/")
    page.context.add_cookies([_session_cookie(reg.user, live_server.url)])

    page.goto("/exams/")
    page.get_by_role("button", name="开始考试").click()
    expect(page.locator("#timer")).not_to_have_text("--:--")
    assert 29 * 60 <= seconds(page.locator("#timer").inner_text()) <= 30 * 60

    first = page.locator("fieldset.exam-question").nth(0)
    first.locator("input[type=radio]").nth(1).check()
    page.locator("fieldset.exam-question input[type=text]").fill("骨 折")
    expect(page.locator("#save-status")).to_have_text("所有答案已保存")
    assert Answer.objects.filter(attempt__paper__registration=reg).count() == 2
    expect(page.locator("#count-answered")).to_have_text("2")
    expect(page.locator("#count-unanswered")).to_have_text("1")

    # Reload mid-exam: answers and the clock come back from the server.
    before = seconds(page.locator("#timer").inner_text())
    page.reload()
    expect(page.locator("#timer")).not_to_have_text("--:--")
    after = seconds(page.locator("#timer").inner_text())
    assert 0 <= before - after <= 5
    expect(page.locator("fieldset.exam-question").nth(0).locator("input[type=radio]").nth(1)).to_be_checked()
    expect(page.locator("fieldset.exam-question input[type=text]")).to_have_value("骨 折")

    # Connection drops: the change is kept in the browser and sent when it returns.
    page.context.set_offline(True)
    second = page.locator("fieldset.exam-question").nth(1)
    second.locator("input[type=radio]").nth(0).check()
    second.get_by_label("标记待复查").check()
    expect(page.locator("#save-status")).to_contain_text("连接已断开")
    stored = page.evaluate("() => JSON.stringify(localStorage)")
    assert "pending" in stored
    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#save-status")).to_have_text("所有答案已保存", timeout=20_000)
    assert Answer.objects.filter(attempt__paper__registration=reg).count() == 3
    assert Answer.objects.filter(attempt__paper__registration=reg, flagged=True).count() == 1

    # Phone width still works (navigator wraps, no horizontal scroll).
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    save_screenshot(page, "exam_take_phone")

    page.get_by_role("button", name="交卷").first.click()
    expect(page.locator("#confirm-submit")).to_be_visible()
    page.locator("#confirm-yes").click()
    page.wait_for_url("**/result/")
    attempt = Attempt.objects.get(paper__registration=reg)
    assert attempt.status in {Attempt.Status.SUBMITTED, Attempt.Status.GRADED}
    expect(page.locator("main")).to_contain_text("已提交")


def _session_cookie(user, url):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": url}
