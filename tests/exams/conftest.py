import pytest


@pytest.fixture(autouse=True)
def celery_eager():
    """Run Celery tasks in-process in these tests even when REDIS_URL names a real broker: the tests
    check what grading does; real workers and kills are exercised by bench/exam_day.py."""
    from academy.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
