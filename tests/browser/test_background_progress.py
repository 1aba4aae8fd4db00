"""The job progress page in a real browser: the vendored script polls the status and follows the job to its end."""

import pytest

from academy.accounts.roles import BANK_EDITOR
from academy.background.models import JobRecord
from academy.background.registry import JobContext
from academy.background.views import job_detail_url
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page(browser_page, settings, tmp_path):
    """The shared browser page (tests/browser/conftest.py), with job result files in a temporary folder."""
    settings.BACKGROUND_RESULTS_ROOT = tmp_path / "job-results"
    return browser_page


def test_progress_page_follows_a_running_job_to_its_result(page):
    from playwright.sync_api import expect

    owner = UserFactory(username="bg-editor", roles=[BANK_EDITOR])
    job = JobRecord.objects.create(
        kind="background.selftest",
        label="导出考生名单",
        created_by=owner,
        status=JobRecord.Status.RUNNING,
        progress_done=1,
        progress_total=4,
        message="正在读取",
    )

    page.goto("/admin/login/")
    page.locator("#id_username").fill("bg-editor")
    page.locator("#id_password").fill("demo12345")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto(job_detail_url(job))
    bar = page.locator("[data-job-bar]")
    expect(bar).to_have_attribute("aria-valuenow", "25")
    expect(page.locator("[data-job-download]")).to_be_hidden()

    # The worker moves on: the page follows without a reload.
    JobRecord.objects.filter(pk=job.pk).update(progress_done=3, message="第 3 行")
    expect(bar).to_have_attribute("aria-valuenow", "75")
    expect(page.locator("[data-job-percent]")).to_have_text("75%")
    expect(page.locator("[data-job-message]")).to_have_text("第 3 行")

    # It finishes with an error row and a file: the page shows both and offers the download.
    ctx = JobContext(JobRecord.objects.get(pk=job.pk))
    ctx.add_error({"row": 9, "field": "身份证号", "message": "格式不对"})
    ctx.flush()
    ctx.save_result_file("名单.csv", "姓名\n".encode())
    JobRecord.objects.filter(pk=job.pk).update(status=JobRecord.Status.SUCCEEDED, progress_done=4)

    expect(bar).to_have_attribute("aria-valuenow", "100")
    errors = page.locator("[data-job-errors]")
    expect(errors).to_be_visible()
    expect(errors.get_by_role("cell", name="格式不对")).to_be_visible()
    link = page.locator("[data-job-download-link]")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "名单.csv"
    with open(download.path(), "rb") as fh:
        assert fh.read() == "姓名\n".encode()
