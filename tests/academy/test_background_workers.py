"""Real workers: a `celery -A academy worker` and a `manage.py rqworker --burst` process run our work.

They need PostgreSQL and Redis (skip on a bare machine, fail under STRICT_SERVICES=1): the worker is another
process, so it must reach the same database. `transactional_db` commits the rows the worker reads; the worker
is pointed at the *test* database (pytest-django's `test_<name>`), not the one DATABASE_URL names.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django.db import connection

from academy.background.models import JobRecord
from academy.background.services import CELERY_SELFTEST_KIND, run_task, start_job
from academy.background.tasks import selftest_task
from tests.factories import UserFactory

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WAIT_SECONDS = 60

# serialized_rollback: the flush after a transactional test would otherwise re-create the role groups
# (post_migrate) and break the next test that restores the serialized database (the browser tests).
pytestmark = [
    pytest.mark.services,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _test_database_url() -> str:
    db = connection.settings_dict
    assert db["NAME"].startswith("test_"), db["NAME"]  # the trap: never point a worker at the real database
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_env(redis_url: str, results_root: Path) -> dict:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f".{os.pathsep}site",
        DJANGO_SETTINGS_MODULE="academy.settings.test",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=redis_url,
        BACKGROUND_RESULTS_ROOT=str(results_root),
        DB_CONN_MAX_AGE="0",
    )
    return env


def _start(args: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    # Output goes to a file: a full pipe nobody reads would block the worker.
    with log_path.open("wb") as log:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen, log_path: Path) -> str:
    """Stop the worker (warm shutdown first) and return the end of its log."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""


@pytest.fixture
def workers_settings(settings, redis_url, postgres_required, tmp_path):
    settings.BACKGROUND_INLINE = False
    settings.BACKGROUND_RESULTS_ROOT = tmp_path / "job-results"
    return settings


def test_a_real_celery_worker_runs_selftest_task(transactional_db, workers_settings, redis_url, tmp_path):
    from academy.celery import app

    assert not app.conf.task_always_eager, "with REDIS_URL the task must go through the broker"
    record = JobRecord.objects.create(kind=CELERY_SELFTEST_KIND, label="Celery self-test", params={})
    run_task(selftest_task, str(record.pk))  # no transaction open: sent at once

    log_path = tmp_path / "celery.log"
    proc = _start(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "academy",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-Q",
            app.conf.task_default_queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        _worker_env(redis_url, tmp_path / "job-results"),
        log_path,
    )
    output = ""
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            record.refresh_from_db()
            if record.status != JobRecord.Status.QUEUED:
                break
            time.sleep(0.5)
    finally:
        output = _stop(proc, log_path)

    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED, f"the Celery worker did not run the task:\n{output}"
    assert record.result["pid"] != os.getpid()  # another process did it
    assert record.attempts == 1


def test_a_real_rqworker_runs_a_job_started_with_start_job(transactional_db, workers_settings, redis_url, tmp_path):
    import django_rq

    user = UserFactory()
    record = start_job(kind="background.selftest", user=user, params={"n": 25}, label="RQ self-test")
    record.refresh_from_db()
    assert record.rq_job_id, "start_job outside a transaction enqueues at once"
    queue = django_rq.get_queue(workers_settings.BACKGROUND_RQ_QUEUE)
    assert record.rq_job_id in queue.job_ids

    log_path = tmp_path / "rqworker.log"
    proc = _start(
        [sys.executable, "manage.py", "rqworker", "--burst", workers_settings.BACKGROUND_RQ_QUEUE],
        _worker_env(redis_url, tmp_path / "job-results"),
        log_path,
    )
    output = ""
    try:
        proc.wait(timeout=WAIT_SECONDS)  # --burst: exits once the queue is empty
    except subprocess.TimeoutExpired:
        pass
    finally:
        output = _stop(proc, log_path)

    record.refresh_from_db()
    assert record.status == JobRecord.Status.SUCCEEDED, f"the RQ worker did not run the job:\n{output}"
    assert (record.progress_done, record.progress_total) == (25, 25)
    assert record.result == {"counted": 25}
    assert (tmp_path / "job-results" / record.result_file.name).read_bytes() == b"background self-test: counted to 25\n"
