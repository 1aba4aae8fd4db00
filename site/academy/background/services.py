"""How app code hands work to the background, and how a job run is recorded.

- ``run_task(task, *ids)``: a Celery task (the system's clock and pipelines), sent when the transaction commits.
- ``start_job(kind=..., user=..., params=..., label=...)``: a django-rq job a person watches, with a JobRecord.

Without ``REDIS_URL`` (``settings.BACKGROUND_INLINE``) both run inline on commit: Celery is eager (settings set
``CELERY_TASK_ALWAYS_EAGER``) and RQ jobs are run by calling ``run_job_record`` directly, because django-rq's
own synchronous mode still needs a Redis server.
"""

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from kombu.utils.json import dumps as kombu_dumps
from redis.exceptions import RedisError

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import JobRecord
from .registry import JobContext, get_handler, is_registered

logger = logging.getLogger(__name__)

CELERY_SELFTEST_KIND = "background.celery_selftest"


# --- Celery ---------------------------------------------------------------------------------------------
def run_task(task, *args, **kwargs) -> None:
    """Send a Celery task when the current transaction commits (at once outside a transaction).

    Tasks take ids, never model instances, and must be idempotent: Celery may deliver a task twice (a worker
    killed after it ran, a broker redelivery), so a task loads its rows and lets their state say what is done.
    The arguments are checked here so a task that would work eagerly but not through the broker fails at once.
    Inline (no REDIS_URL) the task runs eagerly at commit.
    """
    try:
        kombu_dumps([args, kwargs])
    except TypeError as exc:
        raise TypeError(f"{task.name}: Celery task arguments must be JSON (pass ids, not objects): {exc}") from exc
    transaction.on_commit(partial(task.delay, *args, **kwargs))


# --- RQ jobs --------------------------------------------------------------------------------------------
def start_job(*, kind: str, user, params: dict | None = None, label: str) -> JobRecord:
    """Record a job (queued) and hand it to an RQ worker when the current transaction commits.

    The worker must see the rows the caller wrote, hence on commit. Unknown kinds and parameters that are not
    a JSON object raise ValueError before anything is saved. Inline (no REDIS_URL) the job runs in this
    process at commit, before the response is sent.
    """
    handler = get_handler(kind)  # ValueError for an unknown kind
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise ValueError(gettext("Job parameters must be a JSON object."))
    try:
        json.dumps(params, cls=DjangoJSONEncoder)
    except TypeError as exc:
        raise ValueError(
            gettext("Job parameters must be JSON (pass ids, not objects): %(error)s") % {"error": exc}
        ) from exc
    record = JobRecord(
        kind=handler.kind,
        label=str(label),
        params=params,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    record.full_clean()
    record.save()
    transaction.on_commit(partial(enqueue_job_record, record_id=record.pk))
    return record


def _job_timeout(kind: str) -> int:
    if is_registered(kind):
        timeout = get_handler(kind).timeout
        if timeout:
            return timeout
    return settings.BACKGROUND_JOB_TIMEOUT


def enqueue_job_record(*, record_id) -> None:
    """Hand a queued record to a worker (RQ, or this process when inline). Safe to call again: the worker
    skips a record that is no longer queued. A Redis outage is logged, not raised: the record stays queued
    and the sweep hands it over again."""
    now = timezone.now()
    if settings.BACKGROUND_INLINE:
        JobRecord.objects.filter(pk=record_id, status=JobRecord.Status.QUEUED).update(
            attempts=F("attempts") + 1, enqueued_at=now
        )
        run_job_record(record_id)
        return

    import django_rq

    record = JobRecord.objects.filter(pk=record_id, status=JobRecord.Status.QUEUED).only("kind", "label").first()
    if record is None:
        return
    rq_job_id = uuid.uuid4().hex
    # Written before the enqueue so the sweep can find the RQ job even if this process dies right after.
    JobRecord.objects.filter(pk=record_id).update(rq_job_id=rq_job_id, attempts=F("attempts") + 1, enqueued_at=now)
    try:
        queue = django_rq.get_queue(settings.BACKGROUND_RQ_QUEUE, commit_mode="auto")
        queue.enqueue_call(
            func=run_job_record,
            args=(str(record_id),),
            job_id=rq_job_id,
            timeout=_job_timeout(record.kind),
            description=f"{record.kind}: {record.label}"[:200],
        )
    except RedisError:
        logger.exception("Could not enqueue background job %s; the sweep will retry", record_id)


def run_job_record(record_id) -> None:
    """Run a job's handler and record the outcome: the function an RQ worker (or the inline path) calls.

    The row is claimed under select_for_update: only a queued record runs, so a second delivery of the same
    job (or a re-queue by the sweep racing a slow worker) does nothing. A handler's exception fails the record
    with its message in ``errors``; the traceback goes to the log. Never raises for a handler failure: the
    record, not RQ's failed-job registry, is what people and code look at.
    """
    with transaction.atomic():
        record = JobRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            logger.warning("Background job %s does not exist; nothing to run", record_id)
            return
        if record.status != JobRecord.Status.QUEUED:
            logger.info("Background job %s is already %s; not running it again", record_id, record.status)
            return
        record.status = JobRecord.Status.RUNNING
        record.started_at = timezone.now()
        record.save(update_fields=["status", "started_at"])

    ctx = JobContext(record)
    with translation.override(record.language or settings.LANGUAGE_CODE):
        try:
            handler = get_handler(record.kind)
            result = handler.fn(ctx)
            if result is not None and not isinstance(result, dict):
                raise TypeError(f"handler {record.kind} returned {type(result).__name__}, not a dict or None")
            json.dumps(result, cls=DjangoJSONEncoder)
        except Exception as exc:  # the handler's failure is the job's outcome, not the worker's
            logger.exception("Background job %s (%s) failed", record.pk, record.kind)
            ctx.add_error({"message": str(exc) or exc.__class__.__name__})
            _finish(ctx, status=JobRecord.Status.FAILED, message=gettext("The job failed."))
        else:
            _finish(ctx, status=JobRecord.Status.SUCCEEDED, result=result, message=gettext("Done."))


def _finish(ctx: JobContext, *, status: str, message: str, result: dict | None = None) -> None:
    ctx.flush()
    record = ctx.record
    record.status = status
    record.result = result
    record.errors = ctx.all_errors()
    record.finished_at = timezone.now()
    # Keep the handler's own last message when it set one; otherwise say how it ended.
    if status == JobRecord.Status.FAILED or not record.message:
        record.message = message
    if status == JobRecord.Status.SUCCEEDED and record.progress_total == 0:
        record.progress_done = record.progress_total = 1
    record.save(
        update_fields=["status", "result", "errors", "finished_at", "message", "progress_done", "progress_total"]
    )


# --- the sweep (a Celery beat task) ---------------------------------------------------------------------
def job_records_sweep(*, now=None) -> dict:
    """Rescue jobs the queue lost, and close jobs whose worker died.

    - Queued longer than ``BACKGROUND_REQUEUE_AFTER`` without starting and no longer waiting in Redis (lost on
      a Redis restart, or the enqueue failed): handed to a worker again, up to ``BACKGROUND_MAX_ATTEMPTS``
      times, then failed. A kind with no RQ handler (the Celery self-test) is failed: nothing can re-send it.
    - Running past its time limit (plus a minute's grace for RQ to stop it itself): failed, since a killed
      worker leaves its row running for ever.
    Returns the counts ``{"requeued": n, "failed": m}``.
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}

    queued_before = now - timedelta(seconds=settings.BACKGROUND_REQUEUE_AFTER)
    stale_queued = JobRecord.objects.filter(status=JobRecord.Status.QUEUED).filter(
        Q(enqueued_at__lt=queued_before) | Q(enqueued_at__isnull=True, created_at__lt=queued_before)
    )
    for record_id in stale_queued.values_list("pk", flat=True):
        outcome = _sweep_queued(record_id)
        if outcome:
            counts[outcome] += 1

    for record in JobRecord.objects.filter(status=JobRecord.Status.RUNNING).only("kind", "started_at"):
        limit = _job_timeout(record.kind) + 60
        if not record.started_at or record.started_at >= now - timedelta(seconds=limit):
            continue
        message = partial(_stopped_message, minutes=limit // 60)
        if _fail_if_status(record.pk, JobRecord.Status.RUNNING, message):
            counts["failed"] += 1
    if counts["requeued"] or counts["failed"]:
        logger.warning("Background job sweep: %(requeued)d re-queued, %(failed)d failed", counts)
    return counts


def _stopped_message(*, minutes: int) -> str:
    return gettext("Stopped: the job ran longer than its time limit (%(minutes)d minutes).") % {"minutes": minutes}


def _not_started_message(*, attempts: int) -> str:
    return gettext("No worker started this job after %(attempts)d attempts.") % {"attempts": attempts}


def _no_worker_message() -> str:
    return gettext("No worker picked this job up. Is the worker for it running?")


def _sweep_queued(record_id) -> str | None:
    record = JobRecord.objects.filter(pk=record_id, status=JobRecord.Status.QUEUED).first()
    if record is None:
        return None
    if not is_registered(record.kind):
        ok = _fail_if_status(record_id, JobRecord.Status.QUEUED, _no_worker_message)
        return "failed" if ok else None
    if _still_waiting_in_rq(record):
        return None  # the workers are busy or stopped, not the job lost: re-sending would only duplicate it
    if record.attempts >= settings.BACKGROUND_MAX_ATTEMPTS:
        message = partial(_not_started_message, attempts=record.attempts)
        ok = _fail_if_status(record_id, JobRecord.Status.QUEUED, message)
        return "failed" if ok else None
    enqueue_job_record(record_id=record_id)
    return "requeued"


def _still_waiting_in_rq(record: JobRecord) -> bool:
    if settings.BACKGROUND_INLINE or not record.rq_job_id:
        return False
    import django_rq
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        job = Job.fetch(record.rq_job_id, connection=django_rq.get_connection(settings.BACKGROUND_RQ_QUEUE))
        status = job.get_status()
    except NoSuchJobError:
        return False
    except RedisError:
        logger.exception("Cannot reach Redis to check background job %s", record.pk)
        return True  # cannot tell; leave it for the next sweep
    return status in {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def _fail_if_status(record_id, expected_status: str, message: Callable[[], str]) -> bool:
    """Fail a record still in ``expected_status`` (checked under lock: a worker may have moved it on).

    ``message`` is called in the language of the person who started the job."""
    with transaction.atomic():
        record = JobRecord.objects.select_for_update().filter(pk=record_id, status=expected_status).first()
        if record is None:
            return False
        with translation.override(record.language or settings.LANGUAGE_CODE):
            text = str(message())
        record.status = JobRecord.Status.FAILED
        record.message = text[:500]
        record.errors = [*record.errors, {"message": text}]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "message", "errors", "finished_at"])
    return True


# --- self-tests -----------------------------------------------------------------------------------------
def selftest_start(*, user, n: int = 20) -> tuple[JobRecord, JobRecord]:
    """Start both self-tests: the RQ handler ``background.selftest`` and the Celery ``selftest_task``.

    Each leaves a JobRecord that reaches "succeeded" only when a real worker of that kind ran it.
    """
    from .tasks import selftest_task

    rq_record = start_job(kind="background.selftest", user=user, params={"n": n}, label=gettext("Self-test: RQ worker"))
    celery_record = JobRecord(
        kind=CELERY_SELFTEST_KIND,
        label=gettext("Self-test: Celery worker"),
        created_by=user if getattr(user, "is_authenticated", False) else None,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    celery_record.full_clean()
    celery_record.save()
    run_task(selftest_task, str(celery_record.pk))
    return rq_record, celery_record


def celery_selftest_mark(*, record_id) -> bool:
    """Mark the Celery self-test record as run by this worker process. Idempotent: only a queued record
    changes; returns whether this call marked it."""
    with transaction.atomic():
        record = (
            JobRecord.objects.select_for_update()
            .filter(pk=record_id, kind=CELERY_SELFTEST_KIND, status=JobRecord.Status.QUEUED)
            .first()
        )
        if record is None:
            return False
        now = timezone.now()
        with translation.override(record.language or settings.LANGUAGE_CODE):
            record.message = gettext("A Celery worker ran the self-test.")
        record.status = JobRecord.Status.SUCCEEDED
        record.result = {"hostname": socket.gethostname(), "pid": os.getpid()}
        record.progress_done = record.progress_total = 1
        record.attempts += 1
        record.started_at = record.finished_at = now
        record.full_clean()
        record.save()
    return True
