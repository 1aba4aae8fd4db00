"""Background jobs: start_job / run_job_record (inline and through RQ with fakeredis), progress, the sweep,
and run_task for Celery."""

import logging
from datetime import timedelta

import fakeredis
import pytest
from rq import Queue, SimpleWorker

from django.utils import timezone

from academy.background import registry
from academy.background.models import JobRecord
from academy.background.registry import JobContext, job_handler
from academy.background.services import (
    CELERY_SELFTEST_KIND,
    enqueue_job_record,
    job_records_sweep,
    run_job_record,
    run_task,
    start_job,
)
from academy.background.tasks import selftest_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _results_in_tmp(settings, tmp_path):
    settings.BACKGROUND_RESULTS_ROOT = tmp_path / "job-results"


@pytest.fixture
def inline(settings, monkeypatch):
    """The embedded default (no REDIS_URL), also when the suite runs against a real Redis."""
    from academy.celery import app

    settings.BACKGROUND_INLINE = True
    # Celery read its settings once; the test must switch the app itself.
    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def handlers():
    """Register throwaway handlers for one test and remove them afterwards."""
    added = []

    def register(kind, fn, **kwargs):
        job_handler(kind, **kwargs)(fn)
        added.append(kind)
        return fn

    yield register
    for kind in added:
        registry._handlers.pop(kind, None)


@pytest.fixture
def user():
    return UserFactory()


def _make_record(**kwargs) -> JobRecord:
    defaults = {"kind": "background.selftest", "label": "a job", "params": {"n": 3}}
    defaults.update(kwargs)
    return JobRecord.objects.create(**defaults)


# --- start_job, inline ------------------------------------------------------------------------------------
def test_inline_job_runs_on_commit_and_records_progress_and_result(inline, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = start_job(kind="background.selftest", user=user, params={"n": 7}, label="Count to seven")
        # Nothing has run yet: the worker must see committed rows, so the job waits for the commit.
        assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.QUEUED
    assert len(callbacks) == 1

    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED
    assert (record.progress_done, record.progress_total, record.percent) == (7, 7, 100)
    assert "7" in record.message
    assert record.result == {"counted": 7}
    assert record.errors == []
    assert record.attempts == 1
    assert record.created_by == user
    assert record.started_at and record.finished_at and record.started_at <= record.finished_at
    assert record.result_filename == "selftest.txt"
    with record.result_file.open("rb") as fh:
        assert fh.read() == b"background self-test: counted to 7\n"


def test_start_job_waits_for_commit(inline, user, django_capture_on_commit_callbacks, handlers):
    calls = []
    handlers("tests.record_call", lambda ctx: calls.append(ctx.params) or None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = start_job(kind="tests.record_call", user=user, params={"x": 1}, label="x")
    assert calls == []
    assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.QUEUED

    callbacks[0]()  # the commit
    assert calls == [{"x": 1}]
    assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.SUCCEEDED


def test_unknown_kind_is_refused_before_anything_is_saved(inline, user, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValueError, match="no.such.kind"),
    ):
        start_job(kind="no.such.kind", user=user, params={}, label="x")
    assert callbacks == []
    assert not JobRecord.objects.exists()


def test_params_that_are_not_json_are_refused(inline, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValueError):
            start_job(kind="background.selftest", user=user, params={"user": user}, label="x")
        with pytest.raises(ValueError):
            start_job(kind="background.selftest", user=user, params=[1, 2], label="x")
    assert callbacks == []
    assert not JobRecord.objects.exists()


def test_unknown_kind_error_is_a_message_in_the_active_language(inline, user):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValueError) as zh:
        start_job(kind="no.such.kind", user=user, params={}, label="x")
    with translation.override("en"), pytest.raises(ValueError) as en:
        start_job(kind="no.such.kind", user=user, params={}, label="x")
    assert "Unknown background job kind" in str(en.value)
    assert "no.such.kind" in str(zh.value)


# --- run_job_record -----------------------------------------------------------------------------------------
def test_running_twice_runs_the_handler_once(handlers):
    calls = []

    def handler(ctx):
        calls.append(ctx.record.pk)
        return {"ok": True}

    handlers("tests.once", handler)
    record = _make_record(kind="tests.once")
    run_job_record(record.pk)
    first = JobRecord.objects.get(pk=record.pk)
    run_job_record(str(record.pk))  # as RQ passes it

    again = JobRecord.objects.get(pk=record.pk)
    assert calls == [record.pk]
    assert again.status == JobRecord.Status.SUCCEEDED
    assert again.finished_at == first.finished_at


def test_a_failed_record_is_left_alone(handlers):
    calls = []
    handlers("tests.never", lambda ctx: calls.append(1))
    record = _make_record(kind="tests.never", status=JobRecord.Status.FAILED, message="earlier failure")
    run_job_record(record.pk)
    record.refresh_from_db()
    assert calls == []
    assert (record.status, record.message) == (JobRecord.Status.FAILED, "earlier failure")


def test_a_running_record_is_not_run_by_a_second_worker(handlers):
    calls = []
    handlers("tests.busy", lambda ctx: calls.append(1))
    record = _make_record(kind="tests.busy", status=JobRecord.Status.RUNNING, started_at=timezone.now())
    run_job_record(record.pk)
    assert calls == []
    assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.RUNNING


def test_missing_record_is_ignored():
    run_job_record("00000000-0000-0000-0000-000000000000")  # no exception: a stale queue entry


def test_failure_is_recorded_with_its_message(handlers, caplog):
    def handler(ctx):
        ctx.set_progress(2, 10, "reading")
        ctx.add_error({"row": 2, "field": "category", "message": "unknown category"})
        raise RuntimeError("row 3: the file ends in the middle of a question")

    handlers("tests.fails", handler)
    record = _make_record(kind="tests.fails")
    with caplog.at_level(logging.ERROR, logger="academy.background.services"):
        run_job_record(record.pk)

    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED
    assert record.finished_at is not None
    assert record.progress_done == 2 and record.progress_total == 10
    assert record.errors == [
        {"row": 2, "field": "category", "message": "unknown category"},
        {"message": "row 3: the file ends in the middle of a question"},
    ]
    assert record.message  # says it failed
    assert record.result is None
    # The traceback goes to the log, not to the person watching.
    assert any(r.exc_info and "tests.fails" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in str(record.errors)


def test_a_handler_removed_from_the_code_fails_the_record():
    record = _make_record(kind="tests.was_removed")
    run_job_record(record.pk)
    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED
    assert "tests.was_removed" in record.errors[-1]["message"]


def test_a_handler_returning_something_else_than_a_dict_fails(handlers):
    handlers("tests.bad_result", lambda ctx: ["not", "a", "dict"])
    record = _make_record(kind="tests.bad_result")
    run_job_record(record.pk)
    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED


def test_handler_sees_params_and_user(handlers, user):
    seen = {}

    def handler(ctx):
        seen.update(params=ctx.params, user=ctx.user)

    handlers("tests.sees", handler)
    record = _make_record(kind="tests.sees", params={"upload_id": 42}, created_by=user)
    run_job_record(record.pk)
    assert seen == {"params": {"upload_id": 42}, "user": user}
    record.refresh_from_db()
    # A job with no notion of units still ends at 100 %.
    assert (record.status, record.percent, record.result) == (JobRecord.Status.SUCCEEDED, 100, None)


def test_handler_messages_use_the_language_of_the_person_who_started_it(handlers):
    from django.utils import translation

    seen = []
    handlers("tests.lang", lambda ctx: seen.append(translation.get_language()))
    record = _make_record(kind="tests.lang", language="en")
    with translation.override("zh-hans"):
        run_job_record(record.pk)
    assert seen == ["en"]


def test_the_same_kind_cannot_be_registered_by_two_functions(handlers):
    from django.core.exceptions import ImproperlyConfigured

    def one(ctx):
        return None

    def two(ctx):
        return None

    handlers("tests.twice", one)
    with pytest.raises(ImproperlyConfigured):
        job_handler("tests.twice")(two)


def test_job_modules_of_installed_apps_are_autodiscovered():
    assert "background.selftest" in registry.registered_kinds()


# --- JobContext ---------------------------------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_writes_are_throttled_but_the_last_is_always_written(django_assert_max_num_queries):
    record = _make_record()
    clock = FakeClock()
    ctx = JobContext(record, clock=clock)
    # 10,000 steps in no time at all: one write per whole percent, not one per step.
    with django_assert_max_num_queries(101):
        for i in range(1, 10_001):
            ctx.set_progress(i, 10_000)
    record.refresh_from_db()
    assert (record.progress_done, record.progress_total) == (10_000, 10_000)


def test_progress_is_written_every_half_second_when_percent_moves_slowly(django_assert_num_queries):
    record = _make_record()
    clock = FakeClock()
    ctx = JobContext(record, clock=clock)
    ctx.set_progress(1, 1_000_000)  # the first report is written
    with django_assert_num_queries(2):
        for i in range(2, 12):  # 10 reports, 0.125 s apart: written at 0.5 s and 1 s
            clock.now += 0.125
            ctx.set_progress(i, 1_000_000)
    ctx.flush()  # what the runner does when the handler returns
    record.refresh_from_db()
    assert record.progress_done == 11


def test_progress_is_clamped_and_empty_message_keeps_the_last():
    record = _make_record()
    ctx = JobContext(record)
    ctx.set_progress(0, 5, "Checking rows")
    ctx.set_progress(9, 5)
    record.refresh_from_db()
    assert (record.progress_done, record.progress_total, record.message) == (5, 5, "Checking rows")


def test_errors_are_normalised_and_capped(monkeypatch):
    monkeypatch.setattr(registry, "MAX_STORED_ERRORS", 3)
    record = _make_record()
    ctx = JobContext(record)
    ctx.add_error("plain text")
    ctx.add_error({"row": 4, "message": "bad"})
    for n in range(5):
        ctx.add_error(f"more {n}")
    ctx.flush()
    record.refresh_from_db()
    assert record.errors[:2] == [{"message": "plain text"}, {"row": 4, "message": "bad"}]
    assert len(record.errors) == 4
    assert "4" in record.errors[-1]["message"]  # "... and 4 more errors"


def test_a_second_result_file_replaces_the_first():
    record = _make_record()
    ctx = JobContext(record)
    first = ctx.save_result_file("report.csv", b"a,b\n")
    ctx.save_result_file("report.csv", "题目,分类\n".encode())
    record.refresh_from_db()
    assert record.result_file.read() == "题目,分类\n".encode()
    assert not record.result_file.storage.exists(first) or first == record.result_file.name


def test_result_files_are_kept_outside_media_root(settings):
    record = _make_record()
    JobContext(record).save_result_file("roster.csv", b"x")
    record.refresh_from_db()
    path = record.result_file.path
    assert path.startswith(str(settings.BACKGROUND_RESULTS_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))


def test_model_refuses_progress_beyond_total():
    from django.core.exceptions import ValidationError

    record = JobRecord(kind="background.selftest", label="x", progress_done=3, progress_total=2)
    with pytest.raises(ValidationError):
        record.full_clean()


# --- the sweep ----------------------------------------------------------------------------------------------
def test_sweep_requeues_a_job_that_never_started_and_leaves_fresh_ones(inline):
    old = timezone.now() - timedelta(hours=1)
    lost = _make_record(params={"n": 2}, created_at=old, enqueued_at=old, attempts=1)
    fresh = _make_record(params={"n": 2})

    assert job_records_sweep() == {"requeued": 1, "failed": 0}

    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == JobRecord.Status.SUCCEEDED  # inline: handed over and run
    assert lost.attempts == 2
    assert fresh.status == JobRecord.Status.QUEUED


def test_sweep_gives_up_after_the_maximum_attempts(inline, settings):
    old = timezone.now() - timedelta(hours=1)
    record = _make_record(created_at=old, enqueued_at=old, attempts=settings.BACKGROUND_MAX_ATTEMPTS)
    assert job_records_sweep() == {"requeued": 0, "failed": 1}
    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED
    assert record.finished_at is not None
    assert str(settings.BACKGROUND_MAX_ATTEMPTS) in record.message


def test_sweep_fails_a_job_running_past_its_time_limit(inline, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.BACKGROUND_JOB_TIMEOUT + 3600)
    stuck = _make_record(kind="tests.unknown", status=JobRecord.Status.RUNNING, started_at=long_ago)
    # background.selftest has a 300 s limit of its own: 10 minutes is past it, 2 minutes is not.
    short = _make_record(status=JobRecord.Status.RUNNING, started_at=timezone.now() - timedelta(minutes=10))
    recent = _make_record(status=JobRecord.Status.RUNNING, started_at=timezone.now() - timedelta(minutes=2))

    assert job_records_sweep() == {"requeued": 0, "failed": 2}

    for record in (stuck, short):
        record.refresh_from_db()
        assert record.status == JobRecord.Status.FAILED
        assert record.errors and record.message == record.errors[-1]["message"]
    recent.refresh_from_db()
    assert recent.status == JobRecord.Status.RUNNING


def test_sweep_fails_a_stuck_celery_selftest_instead_of_sending_it_to_rq(inline):
    old = timezone.now() - timedelta(hours=1)
    record = _make_record(kind=CELERY_SELFTEST_KIND, params={}, created_at=old)
    assert job_records_sweep() == {"requeued": 0, "failed": 1}
    record.refresh_from_db()
    assert record.status == JobRecord.Status.FAILED


def test_sweep_task_runs_the_sweep(inline):
    from academy.background.tasks import sweep_stuck_jobs

    old = timezone.now() - timedelta(hours=1)
    record = _make_record(created_at=old)
    assert sweep_stuck_jobs.delay().get() == {"requeued": 1, "failed": 0}
    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED


def test_sweep_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["background-sweep-stuck-jobs"]
    assert entry["task"] == "academy.background.tasks.sweep_stuck_jobs"
    assert entry["schedule"] == 300.0
    from academy.celery import app

    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


# --- run_task (Celery) --------------------------------------------------------------------------------------
def test_run_task_sends_on_commit_and_the_task_is_idempotent(inline, django_capture_on_commit_callbacks):
    record = _make_record(kind=CELERY_SELFTEST_KIND, params={})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_task(selftest_task, str(record.pk))
        assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.QUEUED
    assert len(callbacks) == 1
    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED
    assert record.attempts == 1
    assert {"hostname", "pid"} <= set(record.result)

    # Delivered again (a redelivery after a worker crash): nothing changes.
    assert selftest_task.delay(str(record.pk)).get() is False
    again = JobRecord.objects.get(pk=record.pk)
    assert (again.attempts, again.finished_at) == (1, record.finished_at)


def test_run_task_refuses_objects_that_are_not_ids(inline, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TypeError, match="ids"):
        run_task(selftest_task, user)
    assert callbacks == []


# --- the RQ path, with fakeredis ----------------------------------------------------------------------------
@pytest.fixture
def fake_rq(settings, monkeypatch):
    """RQ against an in-process fake Redis: enqueue for real, then run the queue with a SimpleWorker."""
    import django_rq
    import django_rq.queues

    settings.BACKGROUND_INLINE = False
    connection = fakeredis.FakeStrictRedis()
    monkeypatch.setattr(django_rq.queues, "get_connection", lambda *args, **kwargs: connection)
    monkeypatch.setattr(django_rq, "get_connection", lambda *args, **kwargs: connection)
    queue = Queue(settings.BACKGROUND_RQ_QUEUE, connection=connection)

    def work():
        return SimpleWorker([queue], connection=connection).work(burst=True)

    return queue, work


def test_rq_path_enqueues_on_commit_and_a_worker_runs_the_job(fake_rq, user, django_capture_on_commit_callbacks):
    queue, work = fake_rq
    with django_capture_on_commit_callbacks(execute=True):
        record = start_job(kind="background.selftest", user=user, params={"n": 4}, label="via RQ")
        assert queue.count == 0  # not before the commit

    record.refresh_from_db()
    assert queue.count == 1
    assert record.status == JobRecord.Status.QUEUED
    assert record.rq_job_id and queue.job_ids == [record.rq_job_id]
    assert record.attempts == 1 and record.enqueued_at is not None
    job = queue.fetch_job(record.rq_job_id)
    assert job.timeout == 300  # the handler's own limit

    work()
    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED
    assert record.result == {"counted": 4}
    assert record.result_file.read() == b"background self-test: counted to 4\n"


def test_rq_job_delivered_twice_runs_once(fake_rq, handlers):
    queue, work = fake_rq
    calls = []
    handlers("tests.rq_once", lambda ctx: calls.append(1))
    record = _make_record(kind="tests.rq_once")
    enqueue_job_record(record_id=record.pk)
    queue.enqueue(run_job_record, str(record.pk))  # a duplicate delivery
    work()
    assert calls == [1]
    assert JobRecord.objects.get(pk=record.pk).status == JobRecord.Status.SUCCEEDED


def test_sweep_requeues_a_job_lost_from_redis_but_not_one_still_waiting(fake_rq):
    queue, work = fake_rq
    old = timezone.now() - timedelta(hours=1)
    waiting = _make_record(params={"n": 1})
    lost = _make_record(params={"n": 1})
    for record in (waiting, lost):
        enqueue_job_record(record_id=record.pk)
    JobRecord.objects.update(enqueued_at=old)
    lost_job_id = JobRecord.objects.get(pk=lost.pk).rq_job_id
    queue.connection.delete(f"rq:job:{lost_job_id}")  # as after a Redis restart without persistence
    queue.remove(lost_job_id)

    assert job_records_sweep() == {"requeued": 1, "failed": 0}
    lost.refresh_from_db()
    assert lost.attempts == 2 and lost.rq_job_id != lost_job_id
    assert JobRecord.objects.get(pk=waiting.pk).attempts == 1

    work()
    assert set(JobRecord.objects.values_list("status", flat=True)) == {JobRecord.Status.SUCCEEDED}


def test_redis_outage_at_enqueue_leaves_the_job_queued_for_the_sweep(settings, monkeypatch, user, caplog):
    import django_rq
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings.BACKGROUND_INLINE = False

    def broken_queue(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(django_rq, "get_queue", broken_queue)
    record = _make_record()
    enqueue_job_record(record_id=record.pk)  # logged, not raised: the request that started it still succeeds
    record.refresh_from_db()
    assert record.status == JobRecord.Status.QUEUED
    assert "sweep will retry" in caplog.text
