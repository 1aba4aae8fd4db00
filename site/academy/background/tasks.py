"""Celery tasks of the background app. Like every task: ids in, a service does the work, safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def sweep_stuck_jobs() -> dict:
    """Beat, every 5 minutes (CELERY_BEAT_SCHEDULE): re-queue lost RQ jobs, fail those past their time limit."""
    return services.job_records_sweep()


@shared_task
def selftest_task(record_id: str) -> bool:
    """Mark the Celery self-test JobRecord as run: proves a real Celery worker reads the queue and the database."""
    return services.celery_selftest_mark(record_id=record_id)
