from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin import widgets
from wagtail.admin.forms import WagtailAdminModelForm

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
    submit_for_review = forms.BooleanField(
        label=_("Submit for review"),
        required=False,
        initial=True,
        help_text=_("Checked: the imported questions arrive awaiting review. Unchecked: they stay drafts."),
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


class BlankAnswersField(forms.Field):
    """The accepted answers of a fill-in question as text: one line per blank, alternatives split by `|`.

    Stored as the JSON the model keeps ([["十", "10"], ["二"]]); editors never see the JSON.
    """

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "十|10\n二"})
    SEPARATORS = ("｜", "|")

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Accepted answers per blank"))
        kwargs.setdefault(
            "help_text",
            _("One line per blank, in order; several accepted answers of a blank separated by |, e.g. 十|10."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):
            return value  # re-displaying what the editor typed
        return "\n".join("|".join(str(a) for a in alternatives) for alternatives in value or [])

    def to_python(self, value):
        if isinstance(value, list):
            return value
        blanks, errors = [], []
        lines = str(value or "").replace("\r\n", "\n").split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            for sep in self.SEPARATORS[:-1]:
                line = line.replace(sep, self.SEPARATORS[-1])
            alternatives = [a.strip() for a in line.split("|")]
            if not all(alternatives):
                errors.append(
                    forms.ValidationError(
                        _("Line %(line)s has an empty answer: remove the extra | or write the answer."),
                        code="empty_alternative",
                        params={"line": number},
                    )
                )
                continue
            if len(set(alternatives)) != len(alternatives):
                errors.append(
                    forms.ValidationError(
                        _("Line %(line)s repeats an answer."), code="repeated_alternative", params={"line": number}
                    )
                )
                continue
            blanks.append(alternatives)
        if errors:
            raise forms.ValidationError(errors)
        return blanks

    def has_changed(self, initial, data):
        return self.to_python(initial) != self._safe(data)

    def _safe(self, data):
        try:
            return self.to_python(data)
        except forms.ValidationError:
            return data


class QuestionAdminForm(WagtailAdminModelForm):
    """The question editor: blank answers as lines of text instead of raw JSON."""

    blank_answers = BlankAnswersField()
