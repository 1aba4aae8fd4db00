import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobResultStorage(FileSystemStorage):
    """Result files (exports, PDF batches) hold personal data such as rosters and scores.

    They are kept outside MEDIA_ROOT, which a web server may publish, and reach a browser only through the
    permission-checked download view. The folder is read from settings on every access so that tests (and a
    deployment) can move it without a migration.
    """

    @property
    def base_location(self):
        return str(settings.BACKGROUND_RESULTS_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Job result files have no public URL: use the admin download view.")


_result_storage = JobResultStorage()


def job_result_storage():
    # A callable keeps the storage (and its folder) out of the migration.
    return _result_storage


def job_result_path(instance, filename):
    return f"jobs/{instance.pk}/{filename}"


class JobRecord(models.Model):
    """One run of a django-rq job a person started and watches (an import, an export, a PDF batch).

    The row, not Redis, is the truth about the run: the worker claims it before running the handler and a
    finished record is never run again, so a job delivered twice does its work once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=100, help_text=_("The registered handler that does the work."))
    label = models.CharField(_("title"), max_length=255)
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    language = models.CharField(
        _("language"),
        max_length=15,
        default="zh-hans",
        help_text=_("The language of the person who started the job; its messages are written in it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="background_jobs",
        verbose_name=_("started by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result_file = models.FileField(
        _("result file"), upload_to=job_result_path, storage=job_result_storage, max_length=255, blank=True
    )
    result = models.JSONField(_("result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    errors = models.JSONField(_("errors"), default=list, blank=True, encoder=DjangoJSONEncoder)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("How many times the job was handed to a worker.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rq_job_id = models.CharField(_("RQ job id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="background_status_created"),
            models.Index(fields=["created_by", "-created_at"], name="background_owner_created"),
        ]
        permissions = [("view_all_jobs", _("Can see every user's background jobs"))]

    def __str__(self):
        return self.label

    def clean(self):
        if self.progress_total and self.progress_done > self.progress_total:
            raise ValidationError({"progress_done": _("Progress cannot exceed the total.")})
        if not isinstance(self.params, dict):
            raise ValidationError({"params": _("Parameters must be a JSON object.")})
        if not isinstance(self.errors, list):
            raise ValidationError({"errors": _("Errors must be a list.")})

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def percent(self) -> int:
        """Whole percent done; a finished job shows 100 even when its handler reported no total."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def result_filename(self) -> str:
        return os.path.basename(self.result_file.name) if self.result_file else ""
