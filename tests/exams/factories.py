"""Exam test data: approved questions (published revisions, no workflow), an exam with a blueprint,
a sitting with registered candidates."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from academy.categories.models import PracticeCategory
from exams import services
from exams.models import BlueprintSection, Exam, ExamPolicy, Sitting
from question_bank.models import Question, QuestionOption, ScoringPoint
from tests.factories import AppraiserProfileFactory, UserFactory

_codes = count(1)


def make_question(
    *,
    category=None,
    qtype="single",
    difficulty=3,
    options=None,
    correct=("A",),
    true_false=None,
    blanks=None,
    reference="参考答案：骨折愈合期。",
    approve=True,
    stem=None,
    points=Decimal("1"),
) -> Question:
    """A question with options; approve=True publishes a revision so `live_revision` is set."""
    category = category or PracticeCategory.objects.get(code="FYLC")
    n = next(_codes)
    question = Question(
        code=f"T-{n:06d}",
        category=category,
        qtype=qtype,
        difficulty=difficulty,
        stem=stem or f"<p>题干 {n}：下列哪项正确？</p>",
        true_false_answer=true_false if qtype == "true_false" else None,
        blank_answers=blanks or ([["骨折"]] if qtype == "fill_blank" else []),
        reference_answer=reference if qtype in {"short_answer", "case_analysis"} else "",
        default_points=points,
    )
    if qtype in {"single", "multiple"}:
        texts = options or ["选项甲", "选项乙", "选项丙", "选项丁"]
        question.options = [
            QuestionOption(label="ABCDEFGH"[i], text=f"{t}{n}", is_correct="ABCDEFGH"[i] in correct)
            for i, t in enumerate(texts)
        ]
    if qtype == "true_false" and true_false is None:
        question.true_false_answer = True
    if qtype in {"short_answer", "case_analysis"}:
        question.scoring_points = [ScoringPoint(text="说明损伤机制", points=Decimal("2"))]
    question.save()
    if approve:
        question.save_revision().publish()
        question.refresh_from_db()
    return question


def make_pool(*, qtype="single", n=20, difficulties=(1, 2, 3, 4, 5), category=None, **kwargs) -> list[Question]:
    return [
        make_question(qtype=qtype, difficulty=difficulties[i % len(difficulties)], category=category, **kwargs)
        for i in range(n)
    ]


def make_policy(**kwargs) -> ExamPolicy:
    defaults = {"name": f"政策{next(_codes)}", "pass_percent": Decimal("70"), "retake_wait_days": 183}
    defaults.update(kwargs)
    return ExamPolicy.objects.create(**defaults)


def make_exam(*, sections=None, policy=None, duration_minutes=60, kind="pre_employment", **kwargs) -> Exam:
    """sections: list of dicts for BlueprintSection (qtype, count, points_each, ...)."""
    exam = Exam.objects.create(
        title=kwargs.pop("title", "法医临床岗前考试"),
        kind=kind,
        policy=policy or make_policy(),
        duration_minutes=duration_minutes,
        **kwargs,
    )
    for i, spec in enumerate(sections or [{"qtype": "single", "count": 5, "points_each": Decimal("2")}]):
        spec = dict(spec)
        categories = spec.pop("categories", None)
        section = BlueprintSection.objects.create(
            exam=exam, sort_order=i, title=spec.pop("title", f"第{i + 1}部分"), **spec
        )
        if categories:
            section.categories.set(categories)
            section.categories.commit()  # a ParentalManyToManyField is written on commit
    return exam


def make_sitting(*, exam, opens_in=timedelta(hours=-1), length=timedelta(hours=3), capacity=5000, **kwargs) -> Sitting:
    now = timezone.now()
    return Sitting.objects.create(
        exam=exam,
        name=kwargs.pop("name", "第一场"),
        window_opens=now + opens_in,
        window_closes=now + opens_in + length,
        registration_deadline=now + opens_in - timedelta(minutes=1),
        capacity=capacity,
        **kwargs,
    )


def make_candidate(**kwargs):
    user = UserFactory(**kwargs)
    AppraiserProfileFactory(user=user)
    return user


def register(sitting, user=None):
    """A registration bypassing the deadline check (tests of later stages need past deadlines)."""
    from exams.models import Registration

    user = user or make_candidate()
    return Registration.objects.create(sitting=sitting, user=user, ticket_number=f"TK{sitting.pk:04d}{user.pk:08d}")


def ready_sitting(*, candidates=3, exam=None, **kwargs):
    """An open sitting with registered candidates and generated papers."""
    sitting = make_sitting(exam=exam or make_exam(), **kwargs)
    regs = [register(sitting) for _ in range(candidates)]
    services.sitting_generate_papers(sitting_id=sitting.pk)
    sitting.refresh_from_db()
    return sitting, regs
