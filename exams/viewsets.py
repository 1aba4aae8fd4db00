"""Wagtail admin for exams: snippets for the definitions, custom screens for sitting operations
(papers, fairness, statistics, release) and anonymous marking. wagtail_hooks.py only registers."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import selectors, services
from .models import Answer, Attempt, Exam, ExamPolicy, Mark, Registration, ScoreAuditLog, Sitting

# --- Forms that apply the services' rules ---------------------------------------------------------


class SittingForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        exam = cleaned.get("exam")
        if exam is not None:
            try:
                services.exam_check_blueprint(exam=exam)  # a pool that cannot serve fails at scheduling
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return cleaned


class RegistrationForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        sitting, user = cleaned.get("sitting"), cleaned.get("user")
        if sitting and user and self.instance._state.adding:
            reason = services.registration_refusal(sitting=sitting, user=user)
            if reason:
                raise ValidationError(reason)
            self.instance.ticket_number = (
                f"{sitting.window_opens:%Y%m%d}{sitting.pk:04d}{user.pk:06d}"  # same rule as registration_create
            )
        return cleaned


class CandidateImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        help_text=gettext_lazy("First row: a column 用户名 (username) or 用户ID (user id); one candidate per row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        from .candidate_import import read_candidate_rows

        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 5 MB."))
        self.rows = read_candidate_rows(data=upload.read())
        return upload


class ScoreChangeForm(forms.Form):
    """An answer chosen by admission ticket number and question number, never by a raw database id."""

    ticket_number = forms.CharField(label=gettext_lazy("Admission ticket number"), max_length=30)
    position = forms.IntegerField(label=gettext_lazy("Question number"), min_value=1)
    score = forms.DecimalField(
        label=pgettext_lazy("exam score", "New score"), min_value=0, max_digits=5, decimal_places=1
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Give the reason for the score change.")},
    )

    def __init__(self, *args, sitting, **kwargs):
        super().__init__(*args, **kwargs)
        self.sitting = sitting
        self.answer = None

    def clean(self):
        cleaned = super().clean()
        ticket, position = cleaned.get("ticket_number"), cleaned.get("position")
        if not ticket or not position:
            return cleaned
        attempt = (
            Attempt.objects.filter(
                paper__registration__sitting=self.sitting, paper__registration__ticket_number=ticket.strip()
            )
            .select_related("paper")
            .first()
        )
        if attempt is None:
            self.add_error("ticket_number", _("No attempt with this admission ticket number in this sitting."))
            return cleaned
        if attempt.status in {Attempt.Status.IN_PROGRESS, Attempt.Status.SUBMITTED}:
            self.add_error("ticket_number", _("This attempt is not graded yet: its scores cannot be changed."))
            return cleaned
        self.answer = (
            Answer.objects.filter(attempt=attempt, item__position=position).select_related("item", "attempt").first()
        )
        if self.answer is None:
            self.add_error(
                "position",
                _("The paper has questions 1 to %(count)d.") % {"count": attempt.paper.items.count()},
            )
            return cleaned
        score = cleaned.get("score")
        if score is not None and (score > self.answer.item.points or (score * 2) % 1):  # steps of 0.5
            self.add_error(
                "score",
                _("The score must be between 0 and %(max)s in steps of 0.5.") % {"max": self.answer.item.points},
            )
        return cleaned


# --- Snippets --------------------------------------------------------------------------------------


class ExamPolicyViewSet(SnippetViewSet):
    model = ExamPolicy
    icon = "cogs"
    list_display = ["name", "pass_percent", "retake_wait_days", "pass_valid_days", "multiple_partial_credit"]


class ExamViewSet(SnippetViewSet):
    model = Exam
    icon = "doc-full"
    list_display = ["title", "kind", "duration_minutes", "policy"]
    list_filter = ["kind"]
    search_fields = ["title"]


class SittingOperationsColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">{}</a>', reverse("exams_sittings:report", args=[instance.pk]), _("Operations and report")
        )


class SittingViewSet(SnippetViewSet):
    model = Sitting
    icon = "date"
    base_form_class = SittingForm
    list_display = [
        "__str__",
        "window_opens",
        "paper_status",
        "results_released_at",
        SittingOperationsColumn("ops", label=gettext_lazy("Operations")),
    ]
    list_filter = ["exam", "paper_status"]


class RegistrationViewSet(SnippetViewSet):
    model = Registration
    icon = "user"
    base_form_class = RegistrationForm
    form_fields = ["sitting", "user"]
    list_display = ["ticket_number", "user", "sitting", "created_at"]
    list_filter = ["sitting"]
    search_fields = ["ticket_number"]


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """The audit log is written by services only: nobody, superusers included, edits it here."""

    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)


class ScoreAuditLogViewSet(SnippetViewSet):
    model = ScoreAuditLog
    icon = "history"
    list_display = ["created_at", "action", "user", "sitting", "attempt", "reason"]
    list_filter = ["action", "sitting"]
    inspect_view_enabled = True
    form_fields = ["reason"]


class ExamsViewSetGroup(SnippetViewSetGroup):
    menu_label = gettext_lazy("Exams")
    menu_icon = "tasks"
    menu_order = 250
    items = (ExamViewSet, SittingViewSet, RegistrationViewSet, ExamPolicyViewSet, ScoreAuditLogViewSet)


# --- Sitting operations: papers, fairness, statistics, release, score changes --------------------


class SittingReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "exams/admin/sitting_report.html"
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.has_perm("exams.view_sitting") or request.user.has_perm("exams.view_exam_statistics")):
            raise PermissionDenied
        self.sitting = get_object_or_404(Sitting.objects.select_related("exam__policy"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return str(self.sitting)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        user = request.user
        try:
            if action == "generate" and user.has_perm("exams.change_sitting"):
                services.sitting_request_papers(sitting=self.sitting)
                messages.success(request, _("Paper generation queued."))
            elif action == "statistics" and user.has_perm("exams.view_exam_statistics"):
                from academy.background.services import run_task

                from .tasks import compute_sitting_statistics

                run_task(compute_sitting_statistics, self.sitting.pk)
                messages.success(request, _("Statistics are being computed."))
            elif action == "tickets" and user.has_perm("exams.view_registration"):
                from academy.background.services import start_job

                start_job(
                    kind="exams.admission_tickets",
                    user=user,
                    params={"sitting_id": self.sitting.pk},
                    label=_("Admission tickets: %(sitting)s") % {"sitting": self.sitting},
                )
                messages.success(request, _("Admission tickets are being printed: see Background jobs."))
            elif action == "release" and user.has_perm("exams.release_results"):
                services.sitting_release_results(sitting=self.sitting, user=user)
                messages.success(request, _("Results released."))
            elif action == "rescore" and user.has_perm("exams.change_answer"):
                form = ScoreChangeForm(request.POST, sitting=self.sitting)
                if not form.is_valid():
                    # Shown again with the field errors and the values typed in.
                    return self.render_to_response(self.get_context_data(score_form=form), status=400)
                services.answer_change_score(
                    answer=form.answer,
                    user=user,
                    score=form.cleaned_data["score"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    _("Score of question %(position)d of %(ticket)s changed to %(score)s.")
                    % {
                        "position": form.cleaned_data["position"],
                        "ticket": form.cleaned_data["ticket_number"],
                        "score": form.cleaned_data["score"],
                    },
                )
            else:
                raise PermissionDenied
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ArithmeticError:
            messages.error(request, _("Enter a number of points."))
        return redirect("exams_sittings:report", pk=self.sitting.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stats = self.sitting.statistics or {}
        histogram = stats.get("histogram") or []
        peak = max(histogram) if histogram else 0
        bins = len(histogram) or 1
        total = stats.get("total_points") or 0
        context.update(
            {
                "sitting": self.sitting,
                "fairness": selectors.sitting_fairness(sitting=self.sitting),
                "stats": stats,
                "bars": [
                    {
                        "count": n,
                        "height": round(100 * n / peak) if peak else 0,
                        "label": f"{total * i / bins:g}–{total * (i + 1) / bins:g}",
                    }
                    for i, n in enumerate(histogram)
                ],
                "attempts": Attempt.objects.filter(paper__registration__sitting=self.sitting)
                .select_related("paper__registration__user")
                .order_by("paper__registration__ticket_number")[:500],
                "counts": {
                    "registrations": self.sitting.registrations.count(),
                    "papers": self.sitting.registrations.filter(paper__isnull=False).count(),
                    "open_marks": selectors.marking_queue(sitting=self.sitting).count(),
                },
                "audit": ScoreAuditLog.objects.filter(sitting=self.sitting).select_related("user")[:50],
                "can_change": self.request.user.has_perm("exams.change_sitting"),
                "can_release": self.request.user.has_perm("exams.release_results"),
                "can_rescore": self.request.user.has_perm("exams.change_answer"),
                "can_import": self.request.user.has_perm("exams.add_registration"),
                "score_form": kwargs.get("score_form") or ScoreChangeForm(sitting=self.sitting),
            }
        )
        return context


class CandidateImportView(WagtailAdminTemplateMixin, TemplateView):
    """Upload an xlsx of candidates → a checking job lists every problem → confirm → an import job.

    Both steps are RQ jobs (progress shown with background/includes/job_progress.html); the rows
    read from the upload travel in the check job's parameters, and the confirmation imports exactly
    those rows, checked again.
    """

    template_name = "exams/admin/candidate_import.html"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("exams.add_registration"):
            raise PermissionDenied
        self.sitting = get_object_or_404(Sitting.objects.select_related("exam"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Import candidates: %(sitting)s") % {"sitting": self.sitting}

    def _job(self, job_id):
        from academy.background.models import JobRecord

        if not job_id:
            return None
        try:
            return JobRecord.objects.filter(
                pk=job_id,
                kind="exams.import_candidates",
                created_by=self.request.user,
                params__sitting_id=self.sitting.pk,
            ).first()
        except ValidationError:  # not a UUID
            return None

    def post(self, request, *args, **kwargs):
        from academy.background.services import start_job

        if request.POST.get("action") == "confirm":
            check = self._job(request.POST.get("job"))
            if check is None or check.params.get("apply") or not _check_passed(check):
                messages.error(request, _("Run the check again: only a check without problems can be confirmed."))
                return redirect("exams_sittings:import", pk=self.sitting.pk)
            job = start_job(
                kind="exams.import_candidates",
                user=request.user,
                params={"sitting_id": self.sitting.pk, "rows": check.params["rows"], "apply": True},
                label=_("Import candidates: %(sitting)s") % {"sitting": self.sitting},
            )
            return redirect(f"{reverse('exams_sittings:import', args=[self.sitting.pk])}?job={job.pk}")
        form = CandidateImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        job = start_job(
            kind="exams.import_candidates",
            user=request.user,
            params={"sitting_id": self.sitting.pk, "rows": [r.as_params() for r in form.rows], "apply": False},
            label=_("Check candidates: %(sitting)s") % {"sitting": self.sitting},
        )
        return redirect(f"{reverse('exams_sittings:import', args=[self.sitting.pk])}?job={job.pk}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self._job(self.request.GET.get("job"))
        context.update(
            {
                "sitting": self.sitting,
                "form": kwargs.get("form") or CandidateImportForm(),
                "job": job,
                "can_confirm": job is not None and not job.params.get("apply") and _check_passed(job),
            }
        )
        return context


def _check_passed(job) -> bool:
    """A finished check with at least one candidate and no problem."""
    return (
        job.status == job.Status.SUCCEEDED
        and not job.errors
        and (job.result or {}).get("valid", 0) > 0
        and not (job.result or {}).get("invalid")
    )


class SittingOperationsViewSet(ViewSet):
    name = "exams_sittings"
    url_prefix = "exams/sittings"
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("<int:pk>/", SittingReportView.as_view(), name="report"),
            path("<int:pk>/candidates/import/", CandidateImportView.as_view(), name="import"),
        ]


# --- Anonymous marking ------------------------------------------------------------------------------


class MarkForm(forms.Form):
    score = forms.DecimalField(label=pgettext_lazy("exam score", "Score"), min_value=0, decimal_places=1, max_digits=5)
    comment = forms.CharField(
        label=pgettext_lazy("marking", "Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MarkingMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("exams.mark_answers"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class MarkingIndexView(MarkingMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "exams/admin/marking_index.html"
    page_title = gettext_lazy("Marking")
    header_icon = "edit"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for sitting in selectors.sittings_with_open_marks():
            queue = selectors.marking_queue(sitting=sitting)
            rows.append(
                {
                    "sitting": sitting,
                    "open": queue.filter(marker__isnull=True).exclude(answer__marks__marker=self.request.user).count(),
                    "mine": queue.filter(marker=self.request.user).count(),
                }
            )
        context["rows"] = rows
        return context


class MarkNextView(MarkingMixin, WagtailAdminTemplateMixin, TemplateView):
    """Shows the answer, reference answer and scoring points; never the candidate or the other marks."""

    template_name = "exams/admin/mark.html"
    page_title = gettext_lazy("Mark an answer")
    header_icon = "edit"

    def dispatch(self, request, *args, **kwargs):
        self.sitting = get_object_or_404(Sitting, pk=kwargs["sitting_id"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.mark = services.marking_claim_next(marker=request.user, sitting=self.sitting)
        if self.mark is None:
            messages.info(request, _("No answers left for you to mark in this sitting."))
            return redirect("exams_marking:index")
        return self.render_to_response(self.get_context_data(form=MarkForm()))

    def post(self, request, *args, **kwargs):
        self.mark = get_object_or_404(Mark, pk=request.POST.get("mark"), marker=request.user, score__isnull=True)
        form = MarkForm(request.POST)
        if form.is_valid():
            try:
                services.mark_submit(
                    mark=self.mark,
                    marker=request.user,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                form.add_error("score", exc)
            else:
                messages.success(request, _("Mark saved."))
                return redirect("exams_marking:next", sitting_id=self.sitting.pk)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.mark.answer.item
        approved = item.revision.as_object()
        context.update(
            {
                "sitting": self.sitting,
                "mark": self.mark,
                "item": item,
                "stem": item.content.get("stem", ""),
                "response": self.mark.answer.response,
                "reference_answer": approved.reference_answer,
                "scoring_points": list(approved.scoring_points.all()),
            }
        )
        return context


class MarkingViewSet(ViewSet):
    name = "exams_marking"
    url_prefix = "exams/marking"
    icon = "edit"
    menu_label = gettext_lazy("Marking")
    add_to_admin_menu = True
    menu_order = 260

    def get_menu_item(self, order=None):
        item = super().get_menu_item(order)
        item.is_shown = lambda request: request.user.has_perm("exams.mark_answers")
        return item

    @property
    def menu_url(self):
        return reverse("exams_marking:index")

    def get_urlpatterns(self):
        return [
            path("", MarkingIndexView.as_view(), name="index"),
            path("sittings/<int:sitting_id>/next/", MarkNextView.as_view(), name="next"),
        ]
