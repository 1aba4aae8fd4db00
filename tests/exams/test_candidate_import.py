"""Candidates from an xlsx sheet: check (every problem by row and column) → confirm → import, all or nothing."""

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from academy.background.models import JobRecord
from academy.background.services import run_job_record
from exams.models import Registration
from tests.exams.factories import make_candidate, make_exam, make_pool, make_sitting, register
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def xlsx(rows, header=("用户名", "用户ID")) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "candidates.xlsx", buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@pytest.fixture
def sitting():
    make_pool(n=10)
    return make_sitting(exam=make_exam(), opens_in=timedelta(days=2), capacity=5)


@pytest.fixture
def admin_client(client, role_users):
    client.force_login(role_users["examadmin"])
    return client


def upload(client, sitting, file, capture):
    url = reverse("exams_sittings:import", args=[sitting.pk])
    with translation.override("zh-hans"), capture(execute=False):
        response = client.post(url, {"file": file}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302, response.content.decode()[:500]
    return run(response), client.get(response["Location"])


def run(response):
    """Run the job the response redirects to, here (with REDIS_URL set start_job would hand it to RQ)."""
    job_id = response["Location"].split("job=")[1]
    run_job_record(job_id)
    return JobRecord.objects.get(pk=job_id)


def confirm(client, sitting, job, capture):
    with capture(execute=False):
        response = client.post(
            reverse("exams_sittings:import", args=[sitting.pk]), {"action": "confirm", "job": str(job.pk)}
        )
    return run(response)


def errors_by_row(job):
    return {(e["row"], e["field"]): e["message"] for e in job.errors}


def test_check_then_confirm_imports_every_candidate(
    admin_client, sitting, role_users, django_capture_on_commit_callbacks
):
    a, b = make_candidate(), make_candidate()
    job, page = upload(
        admin_client, sitting, xlsx([(a.username, None), (None, b.pk)]), django_capture_on_commit_callbacks
    )
    assert job.status == JobRecord.Status.SUCCEEDED and job.errors == []
    assert job.result == {"valid": 2, "invalid": 0, "imported": 0}
    assert not Registration.objects.filter(sitting=sitting).exists()  # a check registers nobody
    html = page.content.decode()
    assert 'name="action" value="confirm"' in html and "data-job-progress" in html

    done = confirm(admin_client, sitting, job, django_capture_on_commit_callbacks)
    assert done.status == JobRecord.Status.SUCCEEDED and done.result["imported"] == 2
    regs = Registration.objects.filter(sitting=sitting)
    assert {r.user_id for r in regs} == {a.pk, b.pk}
    assert {r.registered_by_id for r in regs} == {role_users["examadmin"].pk}


def test_every_problem_is_reported_by_row_and_column_and_nothing_imported(
    admin_client, sitting, django_capture_on_commit_callbacks
):
    ok = make_candidate()
    no_profile = UserFactory()
    already = make_candidate()
    register(sitting, already)
    rows = [
        (ok.username, None),  # row 2: fine
        ("nobody-here", None),  # row 3: unknown username
        (None, 99999999),  # row 4: unknown id
        (ok.username, None),  # row 5: duplicate of row 2
        (no_profile.username, None),  # row 6: not eligible (no appraiser profile)
        (already.username, None),  # row 7: not eligible (already registered)
        (ok.username, already.pk),  # row 8: the two columns name different people
    ]
    job, page = upload(admin_client, sitting, xlsx(rows), django_capture_on_commit_callbacks)
    errors = errors_by_row(job)
    assert set(errors) == {(3, "用户名"), (4, "用户ID"), (5, "用户名"), (6, "用户名"), (7, "用户名"), (8, "用户ID")}
    assert "nobody-here" in errors[(3, "用户名")] and "用户" in errors[(3, "用户名")]
    assert "99999999" in errors[(4, "用户ID")]
    assert "第 2 行" in errors[(5, "用户名")]
    assert "鉴定人信息" in errors[(6, "用户名")]
    assert "已报名" in errors[(7, "用户名")]
    assert job.result == {"valid": 1, "invalid": 6, "imported": 0}
    assert 'value="confirm"' not in page.content.decode()  # no confirmation with problems

    # Confirming a check that found problems is refused; nothing is registered.
    response = admin_client.post(
        reverse("exams_sittings:import", args=[sitting.pk]), {"action": "confirm", "job": str(job.pk)}
    )
    assert response.status_code == 302
    assert list(Registration.objects.filter(sitting=sitting).values_list("user_id", flat=True)) == [already.pk]


def test_over_capacity_rows_are_errors(admin_client, sitting, django_capture_on_commit_callbacks):
    people = [make_candidate() for _ in range(7)]  # capacity 5
    job, _page = upload(
        admin_client, sitting, xlsx([(p.username, None) for p in people]), django_capture_on_commit_callbacks
    )
    errors = errors_by_row(job)
    assert set(errors) == {(7, "用户名"), (8, "用户名")}
    assert "名额" in errors[(7, "用户名")]
    assert job.result["valid"] == 5


def test_import_checks_again_and_imports_nothing_if_a_row_became_invalid(
    admin_client, sitting, django_capture_on_commit_callbacks
):
    a, b = make_candidate(), make_candidate()
    job, _page = upload(
        admin_client, sitting, xlsx([(a.username, None), (b.username, None)]), django_capture_on_commit_callbacks
    )
    assert job.result["valid"] == 2
    register(sitting, b)  # registered by someone else between the check and the confirmation
    done = confirm(admin_client, sitting, job, django_capture_on_commit_callbacks)
    assert done.result["imported"] == 0 and errors_by_row(done).keys() == {(3, "用户名")}
    assert list(Registration.objects.filter(sitting=sitting).values_list("user_id", flat=True)) == [b.pk]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a workbook", "不是 Excel"),
        (None, "用户名"),  # a sheet without the header
    ],
)
def test_unusable_file_is_refused_in_the_form(admin_client, sitting, content, message):
    file = (
        SimpleUploadedFile("x.xlsx", content)
        if content is not None
        else xlsx([("someone", "")], header=("姓名", "单位"))
    )
    with translation.override("zh-hans"):
        response = admin_client.post(reverse("exams_sittings:import", args=[sitting.pk]), {"file": file})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not JobRecord.objects.exists()


def test_import_needs_the_registration_permission(client, role_users, sitting):
    client.force_login(role_users["regulator"])  # may view sittings, may not register anybody
    url = reverse("exams_sittings:import", args=[sitting.pk])
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert client.get(url)["Location"] == reverse("wagtailadmin_home")
    response = client.post(url, {"file": xlsx([(make_candidate().username, None)])})
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert not JobRecord.objects.exists() and not Registration.objects.exists()
