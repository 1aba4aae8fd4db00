"""Background work: two libraries, two roles.

**Celery (+ beat)** runs the system's own clock and pipelines: the exam lifecycle (pre-generating papers,
closing sittings, auto-submitting expired attempts), grading, reminders, scheduled publishing. Nobody watches
these; the domain rows themselves record what is done (an attempt is graded or it is not). App code enqueues
them with ``academy.background.services.run_task(task, *ids)``; tasks live in each app's ``tasks.py``.

**django-rq** runs work a person starts in the admin and watches: imports, exports, PDF batches. Each run is a
persisted ``JobRecord`` (who, what, status, progress, result file, errors) shown in the Wagtail admin under
"Background jobs". App code starts one with ``academy.background.services.start_job(kind=..., user=...,
params=..., label=...)``; the handlers are registered with ``@job_handler("app.kind")`` in each app's ``jobs.py``.

Both kinds take ids, never model instances, are enqueued on transaction commit (a worker must see the rows the
request wrote) and are idempotent: neither Celery nor RQ runs a task exactly once, so the database says what is
done and a second run changes nothing. A Celery beat task (``sweep_stuck_jobs``) re-queues RQ jobs lost before
they started and fails those that ran past their time limit.

Without ``REDIS_URL`` (``settings.BACKGROUND_INLINE``) both run inline in the web process: Celery eager, RQ
handlers called directly on commit. That is the embedded default for a quick local run, never production.
"""
