from collections import Counter
from decimal import Decimal

import pytest

from django.core.exceptions import ValidationError

from exams import services
from exams.models import Paper, PaperItem, Sitting
from exams.papers import draw_paper
from tests.exams.factories import make_exam, make_pool, make_question, make_sitting, ready_sitting, register

pytestmark = pytest.mark.django_db


def test_every_paper_within_tolerance_same_counts_and_exposure_spread():
    make_pool(n=30, difficulties=(1, 1, 2, 5, 5, 5))  # a skewed pool: blocks often need correction
    make_pool(qtype="true_false", n=12, difficulties=(2, 3, 4))
    exam = make_exam(
        sections=[
            {"qtype": "single", "count": 6, "points_each": Decimal("2"), "target_difficulty": Decimal("3.0")},
            {"qtype": "true_false", "count": 4, "points_each": Decimal("1")},
        ]
    )
    sitting, _regs = ready_sitting(candidates=40, exam=exam)
    tolerance = float(exam.policy.difficulty_tolerance)
    exposure = Counter()
    for paper in Paper.objects.filter(registration__sitting=sitting).prefetch_related("items"):
        items = list(paper.items.all())
        assert Counter(i.section_index for i in items) == {0: 6, 1: 4}
        for index, section in enumerate(sitting.draw_plan["sections"]):
            ds = [i.difficulty for i in items if i.section_index == index]
            assert abs(sum(ds) / len(ds) - section["target"]) <= tolerance + 1e-9
        assert len({i.question_id for i in items}) == 10
        exposure.update(i.question_id for i in items if i.section_index == 1)
    # 40 papers x 4 true/false questions over a pool of 12: 13.3 uses each on average. Papers
    # rotate through difficulty compositions, so each question is used 13 or 14 times.
    assert len(exposure) == 12
    assert max(exposure.values()) - min(exposure.values()) <= 1
    report = services_fairness(sitting)
    assert report["outside"] == 0


def services_fairness(sitting):
    from exams.selectors import sitting_fairness

    return sitting_fairness(sitting=sitting)


def test_seed_reproduces_paper_and_order_is_per_candidate():
    make_pool(n=20)
    sitting, regs = ready_sitting(candidates=5)
    papers = list(Paper.objects.filter(registration__sitting=sitting).order_by("draw_index"))
    for paper in papers:
        redrawn = draw_paper(sitting.draw_plan, paper.draw_index, paper.seed)
        stored = list(paper.items.order_by("position").values_list("question_id", "revision_id"))
        assert [(q, r) for _s, (q, r, _d) in redrawn] == stored
    orders = {tuple(p.items.order_by("position").values_list("question_id", flat=True)) for p in papers}
    assert len(orders) == 5


def test_options_shuffled_and_key_remapped():
    make_pool(n=10, correct=("C",))
    sitting, _regs = ready_sitting(candidates=12)
    shown_keys = set()
    for item in PaperItem.objects.filter(paper__registration__sitting=sitting):
        assert item.option_map[item.key[0]] == "C"  # the shown key letter maps back to the bank's C
        bank_text = {o["label"]: o["text"] for o in item.revision.as_object().options.all().values("label", "text")}
        shown = {o["label"]: o["text"] for o in item.content["options"]}
        assert shown[item.key[0]] == bank_text["C"]
        assert "key" not in item.content and "is_correct" not in str(item.content)
        shown_keys.add(item.key[0])
    assert len(shown_keys) > 1


def test_only_approved_revisions_drawn_and_pinned():
    approved = make_pool(n=5)
    make_pool(n=5, approve=False)  # drafts never reach a paper
    q = approved[0]
    approved_stem = q.stem
    # A later edit saved as a draft revision is not approved: papers keep the live content.
    q.stem = "<p>未审核的新题干</p>"
    q.save_revision()
    sitting, _regs = ready_sitting(candidates=3)
    items = PaperItem.objects.filter(paper__registration__sitting=sitting)
    assert {i.question_id for i in items} <= {x.pk for x in approved}
    for item in items.filter(question=q):
        assert item.revision_id == Question_live(q)
        assert item.content["stem"] == approved_stem


def Question_live(q):
    from question_bank.models import Question

    return Question.objects.get(pk=q.pk).live_revision_id


def test_shortfall_fails_at_scheduling_naming_section():
    make_pool(n=3)
    exam = make_exam(sections=[{"title": "单选题", "qtype": "single", "count": 5, "points_each": Decimal("1")}])
    with pytest.raises(ValidationError) as err:
        services.exam_check_blueprint(exam=exam)
    message = " ".join(err.value.messages)
    assert "单选题" in message and "2" in message
    sitting = make_sitting(exam=exam)
    register(sitting)
    assert services.sitting_generate_papers(sitting_id=sitting.pk) == 0
    sitting.refresh_from_db()
    assert sitting.paper_status == Sitting.PaperStatus.FAILED and "单选题" in sitting.paper_error
    assert not Paper.objects.exists()


def test_unreachable_difficulty_target_refused():
    make_pool(n=10, difficulties=(1, 2))
    exam = make_exam(
        sections=[{"qtype": "single", "count": 5, "target_difficulty": Decimal("4.5"), "difficulty_max": 5}]
    )
    with pytest.raises(ValidationError):
        services.exam_check_blueprint(exam=exam)


def test_generation_is_idempotent_and_late_registration_gets_a_paper():
    make_pool(n=10)
    sitting, regs = ready_sitting(candidates=2)
    assert services.sitting_generate_papers(sitting_id=sitting.pk) == 0
    late = register(sitting)
    services.sitting_generate_papers(sitting_id=sitting.pk)
    assert Paper.objects.filter(registration__sitting=sitting).count() == 3
    assert Paper.objects.get(registration=late).draw_index == 2


def test_retired_question_not_drawn():
    from django.utils import timezone

    pool = make_pool(n=6)
    retired = make_question()
    retired.retired_at = timezone.now()
    retired.save()
    sitting, _ = ready_sitting(candidates=4)
    assert not PaperItem.objects.filter(question=retired).exists()
    assert PaperItem.objects.filter(question__in=pool).exists()
