"""Admin views of background jobs. Thin: who may see a job is decided by ``selectors.jobs_visible_to``.

Features that start a job (imports, exports, PDF batches) finish their POST with ``redirect_to_job(record)``,
or embed ``{% include "background/includes/job_progress.html" with job=record %}`` in their own page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import HeaderButton

from .models import JobRecord
from .selectors import job_status, jobs_visible_to
from .services import selftest_start

URL_NAMESPACE = "background_jobs"


def job_detail_url(record: JobRecord) -> str:
    """The admin page that shows ``record``'s progress."""
    return reverse(f"{URL_NAMESPACE}:inspect", args=[record.pk])


def redirect_to_job(record: JobRecord) -> HttpResponseRedirect:
    """End a view that called ``start_job`` by showing the job's progress page."""
    return redirect(job_detail_url(record))


class JobIndexView(generic.IndexView):
    def get_base_queryset(self):
        return jobs_visible_to(self.request.user)

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.request.user.is_superuser:
            buttons.append(
                HeaderButton(gettext("Self-test"), url=reverse(f"{URL_NAMESPACE}:selftest"), icon_name="cogs")
            )
        return buttons


class JobDetailView(generic.InspectView):
    template_name = "background/admin/job_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(jobs_visible_to(self.request.user), pk=self.pk)

    def get_page_title(self):
        return capfirst(JobRecord._meta.verbose_name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Counts and totals read well as a list; nested data (e.g. an import's full report) is for the
        # feature's own page, not this one.
        context["result_items"] = [
            (key, value)
            for key, value in (self.object.result or {}).items()
            if isinstance(value, str | int | float | bool)
        ]
        return context


def job_status_view(request, pk):
    """The JSON the progress bar polls every second while the job is queued or running."""
    record = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    return JsonResponse(job_status(record))


def job_download_view(request, pk):
    """The job's result file, to the same people who may see the job (another user's job: 404)."""
    record = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    if not record.result_file:
        raise Http404(gettext("This job has no result file."))
    try:
        handle = record.result_file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("The result file is missing.")) from None
    return FileResponse(handle, as_attachment=True, filename=record.result_filename)


class SelfTestView(WagtailAdminTemplateMixin, TemplateView):
    """Superusers check that real RQ and Celery workers run: each self-test leaves a job that succeeds only
    when a worker of its kind ran it."""

    template_name = "background/admin/selftest.html"
    page_title = gettext_lazy("Background self-test")
    header_icon = "cogs"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{URL_NAMESPACE}:index"), "label": capfirst(JobRecord._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def post(self, request, *args, **kwargs):
        selftest_start(user=request.user)
        messages.success(request, gettext("Self-test started: both jobs should succeed within seconds."))
        return redirect(f"{URL_NAMESPACE}:index")
