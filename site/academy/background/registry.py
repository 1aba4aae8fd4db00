"""The registry of RQ job handlers and the context a handler works through.

A handler is a plain function in an app's ``jobs.py``::

    @job_handler("question_bank.import_questions")
    def import_questions(ctx: JobContext) -> dict | None:
        upload = ctx.params["upload_id"]
        ...
        ctx.set_progress(done, total, _("Checking rows"))
        ctx.add_error({"row": 12, "field": "category", "message": str(_("Unknown category"))})
        ctx.save_result_file("report.xlsx", data)
        return {"created": 120}

It receives ids in ``ctx.params`` (JSON), loads rows, calls a service and checks ``ctx.user``'s permissions as
the view did. The ``jobs`` modules of every installed app are imported when Django starts (see apps.py), so a
plain ``rqworker`` process knows every kind.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# Progress rows are written at most this often (seconds), unless the job moved on by a whole percent.
PROGRESS_MIN_INTERVAL = 0.5
# A run that reports thousands of bad rows keeps the first ones; the rest are counted.
MAX_STORED_ERRORS = 1000


@dataclass(frozen=True)
class JobHandler:
    kind: str
    fn: Callable
    timeout: int | None = None  # seconds; None: settings.BACKGROUND_JOB_TIMEOUT


_handlers: dict[str, JobHandler] = {}


def job_handler(kind: str, *, timeout: int | None = None):
    """Register ``fn(ctx: JobContext) -> dict | None`` as the handler of ``kind`` ("app.what")."""

    def register(fn):
        existing = _handlers.get(kind)
        # The same function seen twice (a module imported again) is fine; two functions for one kind is not.
        if existing and (existing.fn.__module__, existing.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ImproperlyConfigured(
                f"Background job kind {kind!r} is registered twice: "
                f"{existing.fn.__module__}.{existing.fn.__qualname__} and {fn.__module__}.{fn.__qualname__}"
            )
        _handlers[kind] = JobHandler(kind=kind, fn=fn, timeout=timeout)
        return fn

    return register


def get_handler(kind: str) -> JobHandler:
    """The handler for ``kind``; ValueError (translated) when nothing registered it."""
    try:
        return _handlers[kind]
    except KeyError:
        raise ValueError(gettext("Unknown background job kind: %(kind)s") % {"kind": kind}) from None


def is_registered(kind: str) -> bool:
    return kind in _handlers


def registered_kinds() -> list[str]:
    return sorted(_handlers)


def autodiscover() -> None:
    """Import every installed app's ``jobs`` module so its handlers register (like Celery's autodiscover)."""
    autodiscover_modules("jobs")


def _normalise_error(error) -> dict:
    if isinstance(error, dict):
        normalised = {str(key): value for key, value in error.items()}
        normalised["message"] = str(normalised.get("message", ""))
        return normalised
    return {"message": str(error)}


class JobContext:
    """What a handler sees of its JobRecord: its parameters and user, and ways to report back.

    Progress, message and errors are kept here and written to the row in batches (see ``set_progress``);
    ``flush()`` writes whatever is pending and runs when the handler returns or raises.

    A handler that works inside ``transaction.atomic()`` (an import committed in one transaction) should report
    progress outside that block: rows written inside it are invisible to the admin until it commits.
    """

    def __init__(self, record, *, clock: Callable[[], float] = time.monotonic):
        self.record = record
        self.params: dict = record.params or {}
        self.user = record.created_by
        self.errors: list[dict] = list(record.errors or [])
        self._clock = clock
        self._done = record.progress_done
        self._total = record.progress_total
        self._message = record.message
        self._dropped_errors = 0
        self._dirty = False
        self._last_write_at: float | None = None
        self._last_written_percent = -1

    # --- progress -----------------------------------------------------------------------------------
    def set_progress(self, done: int, total: int, message: str = "") -> None:
        """Report ``done`` of ``total`` units, optionally with a new message (an empty one keeps the last).

        Written to the database at most every ~0.5 s unless the job moved on by a whole percent, and always
        when it reaches its total: a loop over 100,000 rows costs about a hundred writes, not 100,000.
        """
        total = max(0, int(total))
        done = max(0, int(done))
        if total:
            done = min(done, total)
        self._done, self._total = done, total
        if message:
            self._message = str(message)[:500]
        self._dirty = True

        percent = done * 100 // total if total else 0
        now = self._clock()
        if (
            (total and done >= total)
            or self._last_write_at is None
            or now - self._last_write_at >= PROGRESS_MIN_INTERVAL
            or percent > self._last_written_percent
        ):
            self.flush()

    def add_error(self, error) -> None:
        """Record a problem that does not stop the job: a string, or a dict such as
        ``{"row": 12, "field": "category", "message": "..."}`` (shown as a row of the errors table)."""
        if len(self.errors) >= MAX_STORED_ERRORS:
            self._dropped_errors += 1
        else:
            self.errors.append(_normalise_error(error))
        self._dirty = True

    def all_errors(self) -> list[dict]:
        if not self._dropped_errors:
            return list(self.errors)
        more = gettext("… and %(count)d more errors") % {"count": self._dropped_errors}
        return [*self.errors, {"message": more}]

    def flush(self) -> None:
        """Write pending progress, message and errors to the row (a no-op when nothing changed)."""
        if not self._dirty:
            return
        record = self.record
        record.progress_done, record.progress_total, record.message = self._done, self._total, self._message
        record.errors = self.all_errors()
        # update() rather than save(): the row's status and result belong to run_job_record.
        type(record).objects.filter(pk=record.pk).update(
            progress_done=record.progress_done,
            progress_total=record.progress_total,
            message=record.message,
            errors=record.errors,
        )
        self._dirty = False
        self._last_write_at = self._clock()
        self._last_written_percent = self._done * 100 // self._total if self._total else 0

    # --- result -------------------------------------------------------------------------------------
    def save_result_file(self, filename: str, content: bytes) -> str:
        """Store the job's downloadable result (replacing an earlier one); returns the stored name."""
        record = self.record
        if record.result_file:
            record.result_file.delete(save=False)
        record.result_file.save(filename, ContentFile(content), save=False)
        type(record).objects.filter(pk=record.pk).update(result_file=record.result_file.name)
        return record.result_file.name
