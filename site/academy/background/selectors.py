"""Reads of job records: who may see which job, and the status the progress bar polls."""

from django.db.models import QuerySet
from django.urls import reverse

from .models import JobRecord

VIEW_ALL_PERMISSION = "background.view_all_jobs"


def user_can_view_all_jobs(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION)))


def jobs_visible_to(user) -> QuerySet[JobRecord]:
    """A person sees the jobs they started; superusers and holders of ``view_all_jobs`` see every job.

    The admin listing, the detail page, the status endpoint and the download all read through this, so they
    cannot disagree about who may see a job (or its result file).
    """
    if not user or not user.is_authenticated or not user.is_active:
        return JobRecord.objects.none()
    jobs = JobRecord.objects.select_related("created_by")
    if user_can_view_all_jobs(user):
        return jobs
    return jobs.filter(created_by=user)


def job_status(record: JobRecord) -> dict:
    """What the progress bar shows, as JSON-ready data (labels in the active language)."""
    download_url = reverse("background_jobs:download", args=[record.pk]) if record.result_file else ""
    return {
        "id": str(record.pk),
        "label": record.label,
        "status": record.status,
        "status_label": str(record.get_status_display()),
        "finished": record.is_finished,
        "progress_done": record.progress_done,
        "progress_total": record.progress_total,
        "percent": record.percent,
        "message": record.message,
        "errors": [
            {"row": e.get("row", ""), "field": e.get("field", ""), "message": e.get("message", "")}
            for e in record.errors
            if isinstance(e, dict)
        ],
        "result": record.result,
        "download_url": download_url,
        "download_name": record.result_filename,
        "created_at": record.created_at.isoformat(),
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }
