"""A bank editor uploads a template file in the Wagtail admin, reads the preview and confirms it."""

import pytest
from playwright.sync_api import expect

from academy.accounts.roles import BANK_EDITOR
from question_bank.models import Question
from tests.factories import UserFactory
from tests.question_bank.conftest import ROWS, template_csv

from .conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def login(page, username):
    page.goto("/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("demo12345")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/")


def test_upload_preview_confirm(browser_page, tmp_path, settings):
    # The UI flow is under test here; real RQ workers are tested in test_background_workers.py.
    # With REDIS_URL set (CI) the job would otherwise wait in Redis for a worker that is not running.
    settings.BACKGROUND_INLINE = True
    page = browser_page
    UserFactory(username="qb-editor", roles=[BANK_EDITOR])
    good = tmp_path / "题库.csv"
    good.write_bytes(template_csv(encoding="gbk"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(template_csv([ROWS[0].replace(",单选,", ",问答,")]))

    login(page, "qb-editor")
    # A bad file: the preview lists the problem by row and column, no confirm button, nothing imported.
    page.goto("/admin/question-bank/import/")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件").click()
    errors = page.locator("[data-qb-import-errors]")
    expect(errors).to_be_visible()
    table = page.locator("[data-qb-error-table]")
    expect(table.get_by_role("cell", name="第 2 行")).to_be_visible()
    expect(table.get_by_role("cell", name="题型", exact=True)).to_be_visible()
    expect(page.locator("[data-qb-import-confirm]")).to_have_count(0)
    assert Question.objects.count() == 0

    # A good GBK file: preview, then confirm, then a summary.
    page.goto("/admin/question-bank/import/")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator("[data-qb-import-preview]")).to_contain_text("肋骨骨折")
    expect(page.locator("[data-qb-created]")).to_have_text("6")
    save_screenshot(page, "question_import_preview")
    assert Question.objects.count() == 0
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("[data-qb-import-done]")).to_be_visible()
    assert Question.objects.count() == 6
    assert not Question.objects.filter(live=True).exists()
