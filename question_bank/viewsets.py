"""Wagtail admin viewsets of the bank (registered in wagtail_hooks.py)."""

import django_filters

from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from academy.categories.models import PracticeCategory

from .forms import QuestionAdminForm
from .models import ExamKind, KnowledgePoint, Question, QuestionType
from .selectors import filter_questions, search_questions

STATUS_CHOICES = [
    ("live", _("Approved (live)")),
    ("changed", _("Live with a newer draft")),
    ("in_review", _("In review")),
    ("draft", _("Draft")),
    ("retired", _("Retired")),
]
STATUS_LABELS = {
    "live": _("live"),
    "live_with_draft": _("live + draft"),
    "in_review": _("in review"),
    "draft": _("draft"),
    "retired": _("retired"),
}


class QuestionFilterSet(WagtailFilterSet):
    category = django_filters.ModelChoiceFilter(
        label=_("Practice category"), queryset=PracticeCategory.objects.fields(), method="filter_bank"
    )
    knowledge_point = django_filters.ModelChoiceFilter(
        label=_("Knowledge point"), queryset=KnowledgePoint.objects.select_related("category"), method="filter_bank"
    )
    qtype = django_filters.ChoiceFilter(label=_("Question type"), choices=QuestionType.choices)
    difficulty = django_filters.ChoiceFilter(label=_("Difficulty"), choices=[(i, str(i)) for i in range(1, 6)])
    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUS_CHOICES, method="filter_bank")
    usable_for = django_filters.ChoiceFilter(label=_("Usable for"), choices=ExamKind.choices, method="filter_bank")
    tag = django_filters.CharFilter(label=_("Tag"), method="filter_bank")

    class Meta:
        model = Question
        fields = []

    def filter_bank(self, queryset, name, value):
        return filter_questions(queryset, **{name: value})


class QuestionIndexView(IndexView):
    # The database backend does not segment Chinese: search the normalised stem with the ORM.
    search_backend_name = None

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return search_questions(queryset, self.search_query)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("category", "knowledge_point")

    def get_header_more_buttons(self):
        from django.urls import reverse

        from wagtail.admin.widgets import ListingButton

        buttons = list(super().get_header_more_buttons())
        user = self.request.user
        if user.has_perm("question_bank.add_question"):
            buttons.append(
                ListingButton(_("Import"), url=reverse("question_bank_admin:import"), icon_name="upload", priority=60)
            )
        buttons.append(
            ListingButton(_("Export"), url=reverse("question_bank_admin:export"), icon_name="download", priority=70)
        )
        if user.has_perm("question_bank.view_question_statistics"):
            buttons.append(
                ListingButton(
                    _("Statistics"), url=reverse("question_bank_admin:statistics"), icon_name="table", priority=80
                )
            )
        return buttons


class ReviewStatusColumn(StatusTagColumn):
    def get_value(self, instance):
        return STATUS_LABELS[instance.review_status]


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Questions")
    menu_order = 100
    index_view_class = QuestionIndexView
    filterset_class = QuestionFilterSet
    list_per_page = 50
    list_display = [
        Column("code", label=_("Code"), sort_key="code"),
        Column("category", label=_("Practice category")),
        Column("knowledge_point", label=_("Knowledge point")),
        Column("get_qtype_display", label=_("Type"), sort_key="qtype"),
        Column("difficulty", label=_("Difficulty"), sort_key="difficulty"),
        ReviewStatusColumn(
            "review_status", label=_("Status"), primary=lambda q: q.review_status in {"live", "live_with_draft"}
        ),
        Column("times_used", label=_("Times used"), sort_key="times_used"),
        Column("facility", label=_("Facility"), sort_key="facility"),
        Column("discrimination", label=_("Discrimination"), sort_key="discrimination"),
        Column("last_used_at", label=_("Last used"), sort_key="last_used_at"),
    ]
    ordering = ["code"]
    edit_handler_panels = [
        MultiFieldPanel(
            [
                FieldPanel("code"),
                FieldRowPanel([FieldPanel("category"), FieldPanel("knowledge_point")]),
                FieldRowPanel([FieldPanel("qtype"), FieldPanel("difficulty"), FieldPanel("default_points")]),
            ],
            heading=_("Classification"),
        ),
        FieldPanel("stem"),
        InlinePanel("options", heading=_("Options (choice questions)"), label=_("Option")),
        MultiFieldPanel(
            [FieldPanel("true_false_answer"), FieldPanel("blank_answers"), FieldPanel("reference_answer")],
            heading=_("Answer key"),
        ),
        InlinePanel("scoring_points", heading=_("Scoring points (subjective questions)"), label=_("Scoring point")),
        FieldPanel("explanation"),
        FieldPanel("basis"),
        MultiFieldPanel(
            [
                FieldPanel("usable_for_pre_employment"),
                FieldPanel("usable_for_job_transfer"),
                FieldPanel("usable_for_continuing"),
            ],
            heading=_("Usable for"),
        ),
        FieldPanel("tags"),
    ]
    # The custom base form turns blank answers into lines of text (forms.BlankAnswersField).
    edit_handler = ObjectList(edit_handler_panels, base_form_class=QuestionAdminForm)


class KnowledgePointViewSet(SnippetViewSet):
    model = KnowledgePoint
    icon = "list-ul"
    menu_label = _("Knowledge points")
    menu_order = 200
    list_display = ["path", "category"]
    list_filter = ["category"]
    search_fields = ["path"]
    search_backend_name = None
    panels = [FieldPanel("category"), FieldPanel("parent"), FieldPanel("name")]


class QuestionBankViewSetGroup(SnippetViewSetGroup):
    items = (QuestionViewSet, KnowledgePointViewSet)
    menu_icon = "help"
    menu_label = _("Question bank")
    menu_name = "question_bank"
    menu_order = 300
