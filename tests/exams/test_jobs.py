import io
import zipfile

import pytest

from academy.background.models import JobRecord
from academy.background.services import run_job_record, start_job
from tests.exams.factories import make_pool, ready_sitting

pytestmark = pytest.mark.django_db


def test_admission_ticket_batch_zip(role_users, django_capture_on_commit_callbacks):
    make_pool(n=10)
    sitting, regs = ready_sitting(candidates=2)
    with django_capture_on_commit_callbacks(execute=False):
        record = start_job(
            kind="exams.admission_tickets", user=role_users["examadmin"], params={"sitting_id": sitting.pk}, label="t"
        )
    run_job_record(record.pk)
    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED, record.errors
    with record.result_file.open("rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"{r.ticket_number}.pdf" for r in regs)
        assert archive.read(names[0]).startswith(b"%PDF")


def test_admission_ticket_batch_refused_without_permission(role_users, django_capture_on_commit_callbacks):
    make_pool(n=10)
    sitting, _regs = ready_sitting(candidates=1)
    with django_capture_on_commit_callbacks(execute=False):
        record = start_job(
            kind="exams.admission_tickets", user=role_users["marker"], params={"sitting_id": sitting.pk}, label="t"
        )
    run_job_record(record.pk)
    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED
    assert not record.result_file
