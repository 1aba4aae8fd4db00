"""The question bank (题库): questions with revisions, a review workflow and usage statistics.

A question is drawable only through its *live* revision, which exists only after a reviewer
approved it in the workflow (DraftStateMixin + WorkflowMixin). Exam papers pin the Revision they
drew, so later edits never change a sitting that used it.
"""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.fields import RichTextField
from wagtail.models import (
    AbstractGroupApprovalTask,
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

OPTION_LABELS = "ABCDEFGH"


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True/false")
    FILL_BLANK = "fill_blank", _("Fill in the blank")
    SHORT_ANSWER = "short_answer", _("Short answer")
    CASE_ANALYSIS = "case_analysis", _("Case analysis")

    @classmethod
    def choice_types(cls):
        return {cls.SINGLE, cls.MULTIPLE}

    @classmethod
    def subjective_types(cls):
        return {cls.SHORT_ANSWER, cls.CASE_ANALYSIS}


class ExamKind(models.TextChoices):
    """What a question may be used for (适用考试); exams use the same kinds."""

    PRE_EMPLOYMENT = "pre_employment", _("Pre-employment")
    JOB_TRANSFER = "job_transfer", _("Job transfer")
    CONTINUING = "continuing", _("Continuing education")


def normalise_text(text: str) -> str:
    """Fold full-width forms, strip tags and whitespace: the key for duplicate detection and search."""
    text = re.sub(r"<[^>]+>", "", text or "")
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).lower()


class KnowledgePoint(models.Model):
    """知识点: a tree per practice category, addressed by a path such as `损伤程度/骨折`."""

    category = models.ForeignKey(
        "categories.PracticeCategory",
        on_delete=models.PROTECT,
        related_name="knowledge_points",
        verbose_name=_("practice category"),
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(_("path"), max_length=500, editable=False)

    class Meta:
        ordering = ["category", "path"]
        constraints = [models.UniqueConstraint(fields=["category", "path"], name="unique_knowledge_point_path")]
        verbose_name = _("knowledge point")
        verbose_name_plural = _("knowledge points")

    def __str__(self):
        return f"{self.category.name} / {self.path}"

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.name}" if self.parent else self.name
        super().save(*args, **kwargs)

    def clean(self):
        if "/" in self.name:
            raise ValidationError({"name": _("A knowledge point name cannot contain '/'.")})
        if self.parent and self.parent.category_id != self.category_id:
            raise ValidationError({"parent": _("The parent belongs to another practice category.")})


class QuestionTag(TaggedItemBase):
    content_object = ParentalKey("question_bank.Question", on_delete=models.CASCADE, related_name="tagged_items")


class Question(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    code = models.CharField(
        _("code"), max_length=20, unique=True, blank=True, help_text=_("Stable code, e.g. FYLC-000123.")
    )
    category = models.ForeignKey(
        "categories.PracticeCategory",
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("practice category"),
        limit_choices_to={"level": "field"},
    )
    knowledge_point = models.ForeignKey(
        KnowledgePoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("knowledge point"),
    )
    qtype = models.CharField(_("question type"), max_length=16, choices=QuestionType.choices)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (easy) to 5 (hard)"),
    )
    stem = RichTextField(_("stem"), features=["bold", "italic", "ol", "ul", "image", "superscript", "subscript"])
    stem_normalised = models.TextField(editable=False, default="", db_index=False)
    # Answer key by type: choices -> the options marked correct; true/false -> true_false_answer;
    # fill-in -> blank_answers [[alternatives of blank 1], [alternatives of blank 2], ...];
    # subjective -> reference_answer and scoring points.
    true_false_answer = models.BooleanField(_("true/false answer"), null=True, blank=True)
    blank_answers = models.JSONField(_("accepted answers per blank"), default=list, blank=True)
    # Partial credit per accepted answer, parallel to blank_answers (percent; [] = all full credit).
    # Filled by Moodle imports (short answer with `=%50%Cat`); our template has no column for it.
    blank_answer_weights = models.JSONField(_("credit per accepted answer (%)"), default=list, blank=True)
    reference_answer = models.TextField(_("reference answer"), blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    basis = models.CharField(
        _("legal or standard basis"), max_length=200, blank=True, help_text=_("e.g. SF/T 0111-2021")
    )
    default_points = models.DecimalField(_("default points"), max_digits=5, decimal_places=1, default=1)
    usable_for_pre_employment = models.BooleanField(_("usable for pre-employment exams"), default=True)
    usable_for_job_transfer = models.BooleanField(_("usable for job-transfer exams"), default=True)
    usable_for_continuing = models.BooleanField(_("usable for continuing-education assessments"), default=True)
    tags = ClusterTaggableManager(through=QuestionTag, blank=True, verbose_name=_("tags"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Per-question statistics, written by the exams app after each graded sitting.
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    facility = models.FloatField(_("facility"), null=True, blank=True, editable=False)
    discrimination = models.FloatField(_("discrimination"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    search_fields = [
        index.SearchField("stem"),
        index.AutocompleteField("code"),
        index.FilterField("category"),
        index.FilterField("qtype"),
        index.FilterField("difficulty"),
    ]

    class Meta:
        ordering = ["code"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        permissions = [
            ("export_answer_keys", _("Can export questions with answer keys")),
            ("view_question_statistics", _("Can view question-bank counts and statistics")),
        ]
        indexes = [models.Index(fields=["category", "qtype", "difficulty"], name="qb_draw_idx")]

    def __str__(self):
        return self.code or str(_("New question"))

    @property
    def is_subjective(self) -> bool:
        return self.qtype in QuestionType.subjective_types()

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def usable_for(self) -> set[str]:
        return {
            kind
            for kind, flag in (
                (ExamKind.PRE_EMPLOYMENT, self.usable_for_pre_employment),
                (ExamKind.JOB_TRANSFER, self.usable_for_job_transfer),
                (ExamKind.CONTINUING, self.usable_for_continuing),
            )
            if flag
        }

    @property
    def review_status(self) -> str:
        """One word for the listing: retired, in_review, live, live_with_draft or draft."""
        if self.is_retired:
            return "retired"
        if self.workflow_in_progress:
            return "in_review"
        if self.live:
            return "live_with_draft" if self.has_unpublished_changes else "live"
        return "draft"

    def clean(self):
        super().clean()
        if self.qtype == QuestionType.TRUE_FALSE and self.true_false_answer is None:
            raise ValidationError({"true_false_answer": _("A true/false question needs its answer.")})
        if self.qtype == QuestionType.FILL_BLANK and not any(self.blank_answers or []):
            raise ValidationError({"blank_answers": _("A fill-in-the-blank question needs the answer of each blank.")})

    def answer_key(self):
        """The canonical key: letters for choices, bool, list of alternative lists, or None (subjective)."""
        if self.qtype in QuestionType.choice_types():
            return [o.label for o in self.options.all() if o.is_correct]
        if self.qtype == QuestionType.TRUE_FALSE:
            return self.true_false_answer
        if self.qtype == QuestionType.FILL_BLANK:
            return self.blank_answers
        return None

    def full_clean(self, *args, **kwargs):
        self.stem_normalised = normalise_text(self.stem)
        super().full_clean(*args, **kwargs)

    def save(self, *args, **kwargs):
        self.stem_normalised = normalise_text(self.stem)
        super().save(*args, **kwargs)


class QuestionOption(Orderable):
    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("label"), max_length=1)
    text = models.TextField(_("option text"))
    is_correct = models.BooleanField(_("correct"), default=False)
    # Moodle-style grade fraction in percent for multi-response choices (e.g. 50, -100); None = plain
    # right/wrong. Kept so a Moodle import loses nothing; grading may use it.
    weight = models.DecimalField(_("weight (%)"), max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self):
        return f"{self.label}. {self.text}"


class ScoringPoint(Orderable):
    """评分要点 of a subjective question: what a marker looks for, and its points."""

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="scoring_points")
    text = models.TextField(_("scoring point"))
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)

    class Meta(Orderable.Meta):
        verbose_name = _("scoring point")
        verbose_name_plural = _("scoring points")

    def __str__(self):
        return f"{self.text} ({self.points})"


class QuestionReviewTask(AbstractGroupApprovalTask):
    """审题: a group approval in which the person who submitted or wrote a revision may not decide on it.

    Wagtail's group task lets any group member approve, including the editor who wrote the draft
    when they also hold the reviewer role; the bank's rule is four eyes, so the submitter and the
    author of the content under review (see review.py: a reviewer who edits during the review
    becomes its author) are refused every action. review.publish_workflow_state checks it again
    when the approval publishes.
    """

    def _is_submitter(self, obj, user) -> bool:
        state = getattr(obj, "current_workflow_state", None)
        if state is None or not getattr(user, "pk", None):
            return False
        if state.requested_by_id == user.pk:
            return True
        task_state = state.current_task_state
        return bool(task_state and task_state.revision.user_id == user.pk)

    def user_can_access_editor(self, obj, user):
        return super().user_can_access_editor(obj, user) and not self._is_submitter(obj, user)

    def get_actions(self, obj, user):
        from .review import is_own_work

        if self._is_submitter(obj, user) or is_own_work(obj, user):
            return []
        return super().get_actions(obj, user)

    def locked_for_user(self, obj, user):
        # The submitter may not change the revision under review either: they cancel instead.
        return super().locked_for_user(obj, user) or self._is_submitter(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        return states.exclude(workflow_state__requested_by=user).exclude(revision__user=user)

    def on_action(self, task_state, user, action_name, **kwargs):
        from .review import is_own_work

        obj = task_state.workflow_state.content_object
        if action_name in {"approve", "reject"} and (
            self._is_submitter(obj, user)
            or is_own_work(obj, user, workflow_state=task_state.workflow_state)
            or not (user.is_superuser or self._user_in_groups(user))
        ):
            raise PermissionDenied(_("You cannot review a question you submitted or wrote yourself."))
        return super().on_action(task_state, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return _("Members of the reviewer groups approve; the submitter never reviews their own question.")

    class Meta:
        verbose_name = _("question review task")
        verbose_name_plural = _("question review tasks")


class QuestionExportLog(models.Model):
    """Who exported which part of the bank, and whether answer keys left the system."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"
        MOODLE_XML = "moodlexml", "Moodle XML"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    count = models.PositiveIntegerField(_("questions exported"), default=0)
    with_answer_keys = models.BooleanField(_("with answer keys"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question export log")
        verbose_name_plural = _("question export logs")

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} {self.format} ({self.count})"
