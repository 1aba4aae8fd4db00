"""Wagtail admin screens of the bank beyond the snippet views: import, export, template, statistics.

Views stay thin: the work is in importing.py / exporting.py / services.py, and imports run as
background jobs (inline without Redis) so a 10,000-row file never holds a request.
"""

import os
import uuid

from import_export.formats.base_formats import CSV, XLSX
from tablib import Dataset

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from academy.background.models import JobRecord
from academy.background.services import start_job

from .exporting import CONTENT_TYPES, export_questions
from .forms import ExportForm, ImportUploadForm
from .interchange import COLUMNS
from .selectors import bank_statistics, filter_questions
from .services import user_can_export_keys, user_can_see_content

IMPORT_KIND = "question_bank.import_questions"

TEMPLATE_EXAMPLES = [
    [
        "",
        "FYLC",
        "损伤程度/骨折",
        "单选",
        2,
        "依据《人体损伤程度鉴定标准》，肋骨骨折几处以上构成轻伤一级？",
        "1处",
        "2处",
        "3处",
        "4处",
        "",
        "",
        "",
        "",
        "C",
        "",
        "肋骨骨折3处以上为轻伤一级。",
        1,
        "岗前、继续教育",
        "损伤程度",
        "SF/T 0111",
    ],
    [
        "",
        "法医临床",
        "损伤程度",
        "多选",
        3,
        "下列哪些情形属于重伤二级？",
        "一眼盲目3级",
        "一耳听力障碍",
        "面部条状瘢痕累计20cm",
        "牙齿脱落1枚",
        "",
        "",
        "",
        "",
        "AC",
        "",
        "",
        2,
        "",
        "",
        "",
    ],
    [
        "",
        "FYLC",
        "鉴定程序",
        "判断",
        1,
        "鉴定人与委托事项有利害关系的，应当回避。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "对",
        "",
        "",
        1,
        "",
        "",
        "司法部令第132号",
    ],
    [
        "",
        "FYLC",
        "伤残等级",
        "填空",
        2,
        "人体损伤致残程度分为____个等级。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "十|10",
        "",
        "",
        1,
        "",
        "",
        "",
    ],
    [
        "",
        "FYLC",
        "鉴定程序",
        "简答",
        3,
        "简述司法鉴定人应当回避的情形。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "本人或近亲属与诉讼当事人、鉴定事项有利害关系等。",
        "列出利害关系（3分）；列出其他情形（2分）",
        "",
        5,
        "",
        "",
        "",
    ],
    [
        "",
        "FYLC",
        "损伤程度",
        "案例分析",
        4,
        "某甲被打伤致鼻骨粉碎性骨折，请分析其损伤程度。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "鼻骨粉碎性骨折构成轻伤一级……",
        "确定损伤类型（4分）；适用条款正确（6分）",
        "",
        10,
        "",
        "案例",
        "",
    ],
]


class BankAdminView(WagtailAdminTemplateMixin):
    """Common bits: a header with the bank icon and a permission check before anything runs."""

    header_icon = "help"
    permission_required = "question_bank.view_question"

    def has_permission(self, user) -> bool:
        return user.has_perm(self.permission_required)

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("wagtailsnippets_question_bank_question:list"), "label": gettext_lazy("Questions")},
            {"url": "", "label": self.get_page_title()},
        ]


class ImportView(BankAdminView, FormView):
    page_title = gettext_lazy("Import questions")
    template_name = "question_bank/admin/import_upload.html"
    form_class = ImportUploadForm
    permission_required = "question_bank.add_question"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        category = form.cleaned_data["category"]
        ext = os.path.splitext(upload.name)[1].lower()
        path = default_storage.save(f"question_imports/{timezone.now():%Y%m}/{uuid.uuid4().hex}{ext}", upload)
        job = start_job(
            kind=IMPORT_KIND,
            user=self.request.user,
            params={
                "path": path,
                "filename": upload.name,
                "category": category.code if category else "",
                "dry_run": True,
                "submit_for_review": bool(form.cleaned_data["submit_for_review"]),
            },
            label=_("Check import file %(name)s") % {"name": upload.name},
        )
        return redirect("question_bank_admin:import_job", pk=job.pk)


class ImportJobView(BankAdminView, TemplateView):
    """Preview of a dry run (with the confirm button) or the summary of the real import."""

    template_name = "question_bank/admin/import_job.html"
    permission_required = "question_bank.add_question"

    def get_page_title(self):
        return _("Import preview") if self.job.params.get("dry_run") else _("Import summary")

    def dispatch(self, request, *args, **kwargs):
        self.job = get_object_or_404(JobRecord, pk=kwargs["pk"], kind=IMPORT_KIND)
        if self.job.created_by_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    # The job stores plain values (it runs without the viewer's language); labels are the view's job.
    PREVIEW_STATUS_LABELS = {
        "new": gettext_lazy("New"),
        "update": gettext_lazy("Update"),
        "unchanged": gettext_lazy("Unchanged"),
        "duplicate": gettext_lazy("Duplicate (skipped)"),
    }

    def get_context_data(self, **kwargs):
        from .models import QuestionType

        context = super().get_context_data(**kwargs)
        result = self.job.result or {}
        type_labels = dict(QuestionType.choices)
        for row in result.get("preview") or []:
            row["qtype_label"] = type_labels.get(row.get("qtype"), row.get("qtype"))
            row["status_label"] = self.PREVIEW_STATUS_LABELS.get(row.get("status"), row.get("status"))
        context.update(
            job=self.job,
            result=result,
            can_confirm=bool(self.job.is_finished and self.job.params.get("dry_run") and result.get("ok")),
        )
        return context

    def post(self, request, *args, **kwargs):
        result = self.job.result or {}
        if not (self.job.is_finished and self.job.params.get("dry_run") and result.get("ok")):
            messages.error(request, _("Only a checked file without errors can be imported."))
            return redirect("question_bank_admin:import_job", pk=self.job.pk)
        params = {**self.job.params, "dry_run": False}
        job = start_job(
            kind=IMPORT_KIND,
            user=request.user,
            params=params,
            label=_("Import questions from %(name)s") % {"name": params["filename"]},
        )
        return redirect("question_bank_admin:import_job", pk=job.pk)


def template_download_view(request, fmt):
    if not request.user.has_perm("question_bank.add_question"):
        raise PermissionDenied
    dataset = Dataset(headers=[c.zh for c in COLUMNS])
    for row in TEMPLATE_EXAMPLES:
        dataset.append(row)
    if fmt == "csv":
        content = "\ufeff".encode() + CSV().export_data(dataset).encode("utf-8")
    else:
        content = XLSX().export_data(dataset)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="question-import-template.{fmt}"'
    return response


class ExportView(BankAdminView, FormView):
    page_title = gettext_lazy("Export questions")
    template_name = "question_bank/admin/export.html"
    form_class = ExportForm

    def has_permission(self, user):
        return user_can_see_content(user)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not user_can_export_keys(self.request.user):
            form.fields["with_keys"].disabled = True
        return form

    def form_valid(self, form):
        data = form.cleaned_data
        with_keys = bool(data["with_keys"])
        if with_keys and not user_can_export_keys(self.request.user):
            raise PermissionDenied
        queryset = filter_questions(
            category=data["category"],
            knowledge_point=data["knowledge_point"],
            qtype=data["qtype"],
            status=data["status"],
            usable_for=data["usable_for"],
            tag=data["tag"],
        )
        filters = {
            key: (str(value.pk) if hasattr(value, "pk") else value)
            for key, value in data.items()
            if key not in {"format", "with_keys"} and value
        }
        fmt = data["format"]
        content = export_questions(
            queryset=queryset, fmt=fmt, user=self.request.user, with_keys=with_keys, filters=filters
        )
        ext = "xml" if fmt == "moodlexml" else fmt
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="questions-{timezone.now():%Y%m%d-%H%M}.{ext}"'
        return response


class StatisticsView(BankAdminView, TemplateView):
    """Counts and statistics without content: what regulators and exam administrators may see."""

    page_title = gettext_lazy("Question bank statistics")
    template_name = "question_bank/admin/statistics.html"
    permission_required = "question_bank.view_question_statistics"

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        from .models import QuestionType

        context = super().get_context_data(**kwargs)
        stats = bank_statistics()
        labels = dict(QuestionType.choices)
        for row in stats["by_type"]:
            row["label"] = labels.get(row["qtype"], row["qtype"])
        context["stats"] = stats
        return context
