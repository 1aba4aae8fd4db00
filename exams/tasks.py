"""Celery tasks of exams: ids in, a service does the work, safe to run twice (the rows say what is done)."""

from celery import shared_task

from . import item_analysis, services


@shared_task
def generate_papers(sitting_id: int) -> int:
    """Pre-generate a sitting's papers before its window opens, so Start only reads."""
    return services.sitting_generate_papers(sitting_id=sitting_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def grade_attempt(attempt_id: int) -> bool:
    """Grade one submitted attempt; a redelivered task finds it graded and does nothing."""
    return services.attempt_grade(attempt_id=attempt_id)


@shared_task
def submit_expired_attempts() -> int:
    """Beat, every minute: hand in attempts whose deadline plus grace has passed."""
    return services.attempts_submit_expired()


@shared_task
def requeue_ungraded_attempts() -> int:
    """Beat, every 5 minutes: re-queue grading lost with a worker that died before acknowledging."""
    return services.attempts_requeue_ungraded()


@shared_task
def compute_sitting_statistics(sitting_id: int) -> bool:
    """Item and test statistics of a graded sitting, written back to the question bank."""
    return item_analysis.sitting_compute_statistics(sitting_id=sitting_id)
