"""Background jobs in the Wagtail admin: who sees which job, the progress page, the status JSON, the download."""

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse

from academy.accounts.roles import BANK_EDITOR
from academy.background.models import JobRecord
from academy.background.registry import JobContext
from academy.background.views import job_detail_url, redirect_to_job
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _results_in_tmp(settings, tmp_path):
    settings.BACKGROUND_RESULTS_ROOT = tmp_path / "job-results"


@pytest.fixture
def editor():
    return UserFactory(roles=[BANK_EDITOR])


@pytest.fixture
def other_editor():
    return UserFactory(roles=[BANK_EDITOR])


def _job(owner, **kwargs) -> JobRecord:
    defaults = {"kind": "background.selftest", "label": "导入题目 2026-11", "params": {}, "created_by": owner}
    defaults.update(kwargs)
    return JobRecord.objects.create(**defaults)


def _job_with_file(owner) -> JobRecord:
    job = _job(
        owner,
        status=JobRecord.Status.SUCCEEDED,
        progress_done=3,
        progress_total=3,
        errors=[{"row": 7, "field": "分类", "message": "未知的专业领域"}],
    )
    JobContext(job).save_result_file("导入报告.csv", "行,结果\n".encode())
    job.refresh_from_db()
    return job


def _urls(job):
    return {
        "detail": job_detail_url(job),
        "status": reverse("background_jobs:status", args=[job.pk]),
        "download": reverse("background_jobs:download", args=[job.pk]),
    }


# --- the list -----------------------------------------------------------------------------------------------
def test_menu_and_list_show_only_my_jobs(client, editor, other_editor):
    mine = _job(editor, label="my import")
    _job(other_editor, label="someone else's export")
    client.force_login(editor)

    response = client.get(reverse("background_jobs:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "my import" in body
    assert "someone else&#x27;s export" not in body and "someone else's export" not in body
    assert job_detail_url(mine) in body

    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("background_jobs:index") in home  # the menu item


def test_superuser_and_view_all_permission_see_every_job(client, editor, other_editor):
    _job(other_editor, label="someone else's export")
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert "someone else" in client.get(reverse("background_jobs:index")).content.decode()

    editor.user_permissions.add(Permission.objects.get(codename="view_all_jobs"))
    client.force_login(editor)
    assert "someone else" in client.get(reverse("background_jobs:index")).content.decode()


def test_exam_administrators_hold_view_all_jobs(role_users, client):
    job = _job(role_users["editor"])
    client.force_login(role_users["examadmin"])
    assert client.get(job_detail_url(job)).status_code == 200
    client.force_login(role_users["marker"])
    assert client.get(job_detail_url(job)).status_code == 404


def test_there_is_no_add_edit_or_delete(client, editor):
    job = _job(editor)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    body = client.get(reverse("background_jobs:index")).content.decode()
    assert "/background-jobs/new/" not in body
    for name in ("add", "edit", "delete", "copy"):
        with pytest.raises(Exception):  # noqa: B017 (NoReverseMatch): the views do not exist
            reverse(f"background_jobs:{name}", args=[job.pk] if name != "add" else [])


# --- the progress page --------------------------------------------------------------------------------------
def test_detail_page_shows_progress_errors_and_download(client, editor):
    job = _job_with_file(editor)
    client.force_login(editor)
    response = client.get(job_detail_url(job))
    assert response.status_code == 200
    body = response.content.decode()
    assert "导入题目 2026-11" in body
    assert '<progress class="job-progress__bar" data-job-bar max="100" value="100"' in body
    assert 'aria-valuenow="100"' in body and 'aria-valuemin="0"' in body and 'aria-valuemax="100"' in body
    assert "100%" in body
    assert "未知的专业领域" in body and "<td>7</td>" in body
    assert _urls(job)["download"] in body
    assert _urls(job)["status"] in body
    assert 'data-finished="true"' in body
    assert "background/job_progress.js" in body
    assert "rq_job_id" not in body and "RQ job id" not in body  # internals stay out of the details


def test_detail_page_lists_the_simple_values_of_the_result(client, editor):
    job = _job(editor, status=JobRecord.Status.SUCCEEDED, result={"created": 120, "skipped": 3, "rows": [{"row": 1}]})
    client.force_login(editor)
    body = client.get(job_detail_url(job)).content.decode()
    assert "<dt>created</dt>" in body and "<dd>120</dd>" in body and "<dt>skipped</dt>" in body
    assert "<dt>rows</dt>" not in body


def test_running_job_page_polls(client, editor):
    job = _job(editor, status=JobRecord.Status.RUNNING, progress_done=1, progress_total=4, message="第 1 行")
    client.force_login(editor)
    body = client.get(job_detail_url(job)).content.decode()
    assert 'data-finished="false"' in body
    assert 'value="25"' in body and "1 / 4" in body and "第 1 行" in body
    assert "data-job-download hidden" in body or "data-job-download  hidden" in body


def test_redirect_to_job_points_at_the_progress_page(editor):
    job = _job(editor)
    response = redirect_to_job(job)
    assert response.status_code == 302
    assert response["Location"] == job_detail_url(job)


def test_progress_page_in_english(client, editor):
    job = _job(editor, status=JobRecord.Status.FAILED)
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(editor)
    body = client.get(job_detail_url(job)).content.decode()
    assert "Failed" in body
    assert "Download the result" in body  # present (hidden) for the script to fill


# --- the status JSON ----------------------------------------------------------------------------------------
def test_status_json(client, editor):
    job = _job_with_file(editor)
    client.force_login(editor)
    response = client.get(_urls(job)["status"])
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["id"] == str(job.pk)
    assert (data["status"], data["finished"], data["percent"]) == ("succeeded", True, 100)
    assert (data["progress_done"], data["progress_total"]) == (3, 3)
    assert data["errors"] == [{"row": 7, "field": "分类", "message": "未知的专业领域"}]
    assert data["download_url"] == _urls(job)["download"]
    assert data["download_name"] == "导入报告.csv"


def test_status_json_of_a_queued_job_has_no_download(client, editor):
    job = _job(editor)
    client.force_login(editor)
    data = client.get(_urls(job)["status"]).json()
    assert (data["status"], data["finished"], data["percent"], data["download_url"]) == ("queued", False, 0, "")


# --- the download -------------------------------------------------------------------------------------------
def test_owner_downloads_the_result(client, editor):
    job = _job_with_file(editor)
    client.force_login(editor)
    response = client.get(_urls(job)["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "行,结果\n".encode()
    assert "attachment" in response["Content-Disposition"]
    assert "%E5%AF%BC%E5%85%A5%E6%8A%A5%E5%91%8A.csv" in response["Content-Disposition"]  # 导入报告.csv


def test_download_without_a_file_is_404(client, editor):
    job = _job(editor)
    client.force_login(editor)
    assert client.get(_urls(job)["download"]).status_code == 404


def test_download_of_a_deleted_file_is_404(client, editor):
    job = _job_with_file(editor)
    job.result_file.storage.delete(job.result_file.name)
    client.force_login(editor)
    assert client.get(_urls(job)["download"]).status_code == 404


# --- refusals -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("view", ["detail", "status", "download"])
def test_another_users_job_is_404(client, editor, other_editor, view):
    job = _job_with_file(other_editor)
    client.force_login(editor)
    assert client.get(_urls(job)[view]).status_code == 404


@pytest.mark.parametrize("view", ["detail", "status", "download"])
def test_anonymous_is_sent_to_login(client, editor, view):
    job = _job_with_file(editor)
    response = client.get(_urls(job)[view])
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("view", ["detail", "status", "download"])
def test_a_user_without_admin_access_gets_nothing_even_for_their_own_job(client, view):
    appraiser = UserFactory()
    job = _job_with_file(appraiser)
    client.force_login(appraiser)
    response = client.get(_urls(job)[view])
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_list_of_no_admin_user_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(reverse("background_jobs:index")).status_code == 302


# --- self-test ----------------------------------------------------------------------------------------------
def test_selftest_is_for_superusers_only(client, editor, django_capture_on_commit_callbacks):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        for response in (
            client.get(reverse("background_jobs:selftest")),
            client.post(reverse("background_jobs:selftest")),
        ):
            # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
            assert response.status_code == 302
            assert response["Location"] == reverse("wagtailadmin_home")
    assert not JobRecord.objects.exists()
    index = client.get(reverse("background_jobs:index")).content.decode()
    assert reverse("background_jobs:selftest") not in index


def test_selftest_runs_both_jobs_inline(client, settings, monkeypatch, django_capture_on_commit_callbacks):
    from academy.celery import app

    settings.BACKGROUND_INLINE = True
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get(reverse("background_jobs:selftest")).status_code == 200
    assert reverse("background_jobs:selftest") in client.get(reverse("background_jobs:index")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("background_jobs:selftest"))
    assert response.status_code == 302
    assert response["Location"] == reverse("background_jobs:index")

    jobs = JobRecord.objects.filter(created_by=superuser)
    assert sorted(jobs.values_list("kind", flat=True)) == ["background.celery_selftest", "background.selftest"]
    assert set(jobs.values_list("status", flat=True)) == {JobRecord.Status.SUCCEEDED}
