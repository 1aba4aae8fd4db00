"""Exams (考试): policies, blueprints, sittings, individual papers, attempts, answers, marking, audit.

A paper pins the question *revision* it drew (the approved live revision at generation time) and
stores the candidate's view (shuffled, relabelled, no key) apart from the remapped key, so the
candidate API can serialise `PaperItem.content` as is and never leak a key.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from question_bank.models import QuestionType


class ExamKind(models.TextChoices):
    PRE_EMPLOYMENT = "pre_employment", _("Pre-employment exam")
    JOB_TRANSFER = "job_transfer", _("Job-transfer exam")
    CONTINUING = "continuing", _("Continuing-education assessment")
    PRACTICE_ABILITY = "practice_ability", _("Practice-ability assessment (written part)")


# Which question-bank usability flag an exam kind draws on (the practice-ability written part uses
# the pre-employment pool: both test the knowledge a new appraiser needs).
BANK_KIND = {
    ExamKind.PRE_EMPLOYMENT: "pre_employment",
    ExamKind.JOB_TRANSFER: "job_transfer",
    ExamKind.CONTINUING: "continuing",
    ExamKind.PRACTICE_ABILITY: "pre_employment",
}


class ExamPolicy(models.Model):
    """考试政策: the rules that differ between provinces, so none of them is a constant in code."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    pass_percent = models.DecimalField(
        _("pass mark (% of total points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Beijing: 70 out of 100."),
    )
    retake_wait_days = models.PositiveIntegerField(
        _("waiting period after a fail (days)"), default=183, help_text=_("Beijing: six months.")
    )
    pass_valid_days = models.PositiveIntegerField(
        _("a pass stays valid for (days)"), default=365, help_text=_("0 means a pass never expires.")
    )
    multiple_partial_credit = models.BooleanField(
        _("partial credit for multiple choice"),
        default=False,
        help_text=_(
            "Off: all or nothing. On: half the points when every chosen option is correct but some are missing."
        ),
    )
    marking_threshold = models.DecimalField(
        _("third-marker threshold (points)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("2"),
        help_text=_("A third marker marks an answer when the first two differ by more than this."),
    )
    difficulty_tolerance = models.DecimalField(
        _("difficulty tolerance"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
        help_text=_("Each paper's mean difficulty stays within this distance of the blueprint's target."),
    )
    grace_seconds = models.PositiveIntegerField(
        _("save grace after the deadline (seconds)"),
        default=30,
        help_text=_("Answers in flight when time runs out are still accepted for this long."),
    )

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("pass_percent"), FieldPanel("retake_wait_days"), FieldPanel("pass_valid_days")]),
        FieldRowPanel([FieldPanel("multiple_partial_credit"), FieldPanel("marking_threshold")]),
        FieldRowPanel([FieldPanel("difficulty_tolerance"), FieldPanel("grace_seconds")]),
    ]

    class Meta:
        verbose_name = _("exam policy")
        verbose_name_plural = _("exam policies")

    def __str__(self):
        return self.name


class Exam(ClusterableModel):
    """An exam definition with its blueprint (组卷规则); each sitting draws papers from it."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ExamKind.choices)
    categories = ParentalManyToManyField(
        "categories.PracticeCategory", blank=True, related_name="+", verbose_name=_("practice categories")
    )
    policy = models.ForeignKey(ExamPolicy, on_delete=models.PROTECT, related_name="exams", verbose_name=_("policy"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=90)
    instructions = models.TextField(_("instructions"), blank=True)
    allow_self_registration = models.BooleanField(_("appraisers may register themselves"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("policy"), FieldPanel("duration_minutes")]),
        FieldPanel("categories"),
        FieldPanel("allow_self_registration"),
        FieldPanel("instructions"),
        InlinePanel("sections", heading=_("Blueprint sections"), label=_("section"), min_num=1),
    ]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    def __str__(self):
        return self.title

    @property
    def total_points(self) -> Decimal:
        return sum((s.count * s.points_each for s in self.sections.all()), Decimal("0"))

    @property
    def pass_mark(self) -> Decimal:
        return (self.total_points * self.policy.pass_percent / 100).quantize(Decimal("0.1"))


class BlueprintSection(Orderable):
    """A section of the blueprint: N questions of one type from a filter, within a difficulty band."""

    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=100)
    qtype = models.CharField(_("question type"), max_length=16, choices=QuestionType.choices)
    categories = ParentalManyToManyField(
        "categories.PracticeCategory", blank=True, related_name="+", verbose_name=_("practice categories")
    )
    knowledge_points = ParentalManyToManyField(
        "question_bank.KnowledgePoint", blank=True, related_name="+", verbose_name=_("knowledge points")
    )
    count = models.PositiveIntegerField(_("number of questions"), validators=[MinValueValidator(1)])
    points_each = models.DecimalField(_("points each"), max_digits=5, decimal_places=1, default=Decimal("1"))
    difficulty_min = models.PositiveSmallIntegerField(
        _("minimum difficulty"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    difficulty_max = models.PositiveSmallIntegerField(
        _("maximum difficulty"), default=5, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    target_difficulty = models.DecimalField(
        _("target mean difficulty"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the mean difficulty of the questions the filter finds."),
    )

    panels = [
        FieldRowPanel([FieldPanel("title"), FieldPanel("qtype")]),
        FieldRowPanel([FieldPanel("count"), FieldPanel("points_each")]),
        FieldRowPanel([FieldPanel("difficulty_min"), FieldPanel("difficulty_max"), FieldPanel("target_difficulty")]),
        FieldPanel("categories"),
        FieldPanel("knowledge_points"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("blueprint section")
        verbose_name_plural = _("blueprint sections")

    def __str__(self):
        return self.title

    def clean(self):
        if self.difficulty_min and self.difficulty_max and self.difficulty_min > self.difficulty_max:
            raise ValidationError({"difficulty_max": _("The maximum difficulty is below the minimum.")})
        if self.target_difficulty is not None and not (
            self.difficulty_min <= self.target_difficulty <= self.difficulty_max
        ):
            raise ValidationError({"target_difficulty": _("The target lies outside the difficulty band.")})


class Sitting(models.Model):
    """场次: one delivery of an exam in a time window."""

    class PaperStatus(models.TextChoices):
        PENDING = "pending", _("Not generated")
        GENERATING = "generating", _("Generating")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="sittings", verbose_name=_("exam"))
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    window_opens = models.DateTimeField(_("window opens"))
    window_closes = models.DateTimeField(_("window closes"))
    registration_deadline = models.DateTimeField(_("registration deadline"))
    capacity = models.PositiveIntegerField(_("capacity"), default=100)
    seed = models.BigIntegerField(_("draw seed"), default=0, editable=False)
    draw_plan = models.JSONField(_("draw plan"), default=dict, blank=True, editable=False)
    paper_status = models.CharField(
        _("papers"), max_length=12, choices=PaperStatus.choices, default=PaperStatus.PENDING, editable=False
    )
    paper_error = models.TextField(_("paper generation error"), blank=True, editable=False)
    papers_generated_at = models.DateTimeField(_("papers generated at"), null=True, blank=True, editable=False)
    results_released_at = models.DateTimeField(_("results released at"), null=True, blank=True, editable=False)
    results_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    statistics = models.JSONField(_("statistics"), default=dict, blank=True, editable=False)
    statistics_computed_at = models.DateTimeField(_("statistics computed at"), null=True, blank=True, editable=False)

    panels = [
        FieldRowPanel([FieldPanel("exam"), FieldPanel("name")]),
        FieldPanel("location"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("window_opens"), FieldPanel("window_closes")]),
                FieldPanel("registration_deadline"),
            ],
            heading=_("Time"),
        ),
        FieldPanel("capacity"),
    ]

    class Meta:
        ordering = ["-window_opens"]
        verbose_name = _("sitting")
        verbose_name_plural = _("sittings")
        permissions = [
            ("release_results", _("Can release a sitting's results")),
            ("view_exam_statistics", _("Can view exam statistics")),
        ]

    def __str__(self):
        return f"{self.exam} · {self.name}"

    def clean(self):
        if self.window_opens and self.window_closes and self.window_opens >= self.window_closes:
            raise ValidationError({"window_closes": _("The window must close after it opens.")})
        if self.registration_deadline and self.window_opens and self.registration_deadline > self.window_opens:
            raise ValidationError({"registration_deadline": _("Registration must close before the window opens.")})

    @property
    def results_released(self) -> bool:
        return self.results_released_at is not None


class Registration(models.Model):
    """A candidate (考生) on a sitting, with the admission-ticket number (准考证号)."""

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="exam_registrations",
        verbose_name=_("candidate"),
    )
    ticket_number = models.CharField(_("admission ticket number"), max_length=30, unique=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["sitting", "ticket_number"]
        constraints = [models.UniqueConstraint(fields=["sitting", "user"], name="unique_registration")]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self):
        return f"{self.ticket_number} {self.user}"


class Paper(models.Model):
    """An individual paper: drawn for one registration, reproducible from the sitting's plan and its seed."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="paper")
    draw_index = models.PositiveIntegerField(_("draw index"))
    seed = models.BigIntegerField(_("seed"))
    mean_difficulty = models.FloatField(_("mean difficulty"))
    total_points = models.DecimalField(_("total points"), max_digits=6, decimal_places=1)
    # The candidate's view of every item (no keys) as a JSON array, rendered once when the paper
    # is generated: the exam page's state request sends it as is instead of reading and
    # re-serialising 40 item rows per candidate at the start of an exam. Empty for papers made
    # before this field existed (rendered on first use).
    candidate_items = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("generated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self):
        return f"{self.registration.ticket_number}"


class PaperItem(models.Model):
    """One question on a paper. `content` is the candidate's view; `key` never leaves the server."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    section_index = models.PositiveSmallIntegerField()
    question = models.ForeignKey("question_bank.Question", on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey("wagtailcore.Revision", on_delete=models.PROTECT, related_name="+")
    qtype = models.CharField(max_length=16, choices=QuestionType.choices)
    difficulty = models.PositiveSmallIntegerField()
    points = models.DecimalField(max_digits=5, decimal_places=1)
    content = models.JSONField()  # {stem, options: [{label, text}], blanks}: safe to send
    key = models.JSONField(null=True)  # remapped to the shown labels
    option_map = models.JSONField(default=dict)  # shown label -> bank label (for distractor statistics)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [models.UniqueConstraint(fields=["paper", "position"], name="unique_paper_position")]

    def __str__(self):
        return f"{self.paper_id}#{self.position}"

    @property
    def is_subjective(self) -> bool:
        return self.qtype in QuestionType.subjective_types()


class Attempt(models.Model):
    """A candidate's sitting of their paper. The server's clock is the only clock."""

    class Status(models.TextChoices):
        # Contexts: Wagtail's workflow uses the same English words (进行中, 已提交) in the same catalogue space.
        IN_PROGRESS = "in_progress", pgettext_lazy("exam attempt", "In progress")
        SUBMITTED = "submitted", pgettext_lazy("exam attempt", "Submitted")
        MARKING = "marking", _("Awaiting marking")
        GRADED = "graded", _("Graded")

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="attempt")
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"))
    # deadline + the policy's grace, fixed at start: the save statement checks it without joins.
    accept_until = models.DateTimeField(_("answers accepted until"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("submitted automatically"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=1, null=True, blank=True)
    section_scores = models.JSONField(_("section scores"), default=list, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "accept_until"], name="exams_attempt_due_idx")]
        verbose_name = _("attempt")
        verbose_name_plural = pgettext_lazy("exam attempt", "attempts")

    def __str__(self):
        return f"{self.paper} ({self.get_status_display()})"


class Answer(models.Model):
    """The latest response to one item. `seq` is the client's sequence number: only a higher one wins."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(PaperItem, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    seq = models.BigIntegerField(default=0)
    saved_at = models.DateTimeField()
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "item"], name="unique_answer")]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return f"{self.attempt_id}/{self.item_id}"


class Mark(models.Model):
    """One marker's score for a subjective answer (rounds 1 and 2 independent, 3 on disagreement)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="marks")
    round = models.PositiveSmallIntegerField(_("round"))
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("marker"),
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["answer", "round"]
        constraints = [models.UniqueConstraint(fields=["answer", "round"], name="unique_mark_round")]
        permissions = [("mark_answers", _("Can mark subjective answers"))]
        verbose_name = _("mark")
        verbose_name_plural = _("marks")

    def __str__(self):
        return f"{self.answer_id} r{self.round}"


class ScoreAuditLog(models.Model):
    """Every score change, re-mark and release: who, when, before, after and why."""

    class Action(models.TextChoices):
        AUTO_GRADE = "auto_grade", _("Automatic grading")
        MARK = "mark", _("Marking")
        REMARK = "remark", _("Re-mark")
        FINALISE = "finalise", _("Total score")
        OVERRIDE = "override", _("Score change")
        RELEASE = "release", _("Results released")

    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.CASCADE, related_name="audit")
    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="audit")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("score audit entry")
        verbose_name_plural = _("score audit log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"
