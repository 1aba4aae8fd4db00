from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin import widgets

from academy.categories.models import PracticeCategory

from .importing import FORMATS
from .models import ExamKind, KnowledgePoint, QuestionType

MAX_UPLOAD_MB = 50


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Question file"),
        help_text=_("Our template (.xlsx or .csv), Moodle XML (.xml) or GIFT (.gift, .txt)."),
    )
    category = forms.ModelChoiceField(
        label=_("Practice category"),
        queryset=PracticeCategory.objects.fields(),
        required=False,
        help_text=_("Used for rows without a category, and for Moodle XML and GIFT files, which carry none."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not any(name.endswith(ext) for ext in FORMATS):
            raise forms.ValidationError(
                _("Unsupported file type: use .xlsx, .csv, .xml (Moodle XML), .gift or .txt (GIFT).")
            )
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_MB})
        return upload


class ExportForm(forms.Form):
    FORMAT_CHOICES = [("xlsx", "Excel (.xlsx)"), ("csv", "CSV"), ("moodlexml", "Moodle XML")]
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="xlsx")
    category = forms.ModelChoiceField(
        label=_("Practice category"), queryset=PracticeCategory.objects.fields(), required=False
    )
    knowledge_point = forms.ModelChoiceField(
        label=_("Knowledge point"), queryset=KnowledgePoint.objects.all(), required=False
    )
    qtype = forms.ChoiceField(
        label=_("Question type"), choices=[("", "---------"), *QuestionType.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", "---------"), ("live", _("Approved (live)")), ("draft", _("Draft")), ("retired", _("Retired"))],
    )
    usable_for = forms.ChoiceField(
        label=_("Usable for"), choices=[("", "---------"), *ExamKind.choices], required=False
    )
    tag = forms.CharField(label=_("Tag"), required=False)
    with_keys = forms.BooleanField(
        label=_("Include answer keys and explanations"),
        required=False,
        help_text=_("Needs the permission to export answer keys; every export is logged."),
    )


class TagForm(forms.Form):
    tags = forms.Field(label=_("Tags"), widget=widgets.AdminTagWidget)
