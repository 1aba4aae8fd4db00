from decimal import Decimal

import pytest

from django.core.exceptions import ValidationError

from exams import services
from exams.models import Answer, Attempt, Mark, ScoreAuditLog
from exams.services import grade_response
from tests.exams.factories import make_exam, make_policy, make_pool, ready_sitting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
P = Decimal("2")


@pytest.mark.parametrize(
    ("qtype", "key", "response", "partial", "expected"),
    [
        ("single", ["B"], "B", False, P),
        ("single", ["B"], ["B"], False, P),
        ("single", ["B"], "C", False, 0),
        ("single", ["B"], None, False, 0),
        ("multiple", ["A", "C"], ["C", "A"], False, P),
        ("multiple", ["A", "C"], ["A"], False, 0),
        ("multiple", ["A", "C"], ["A"], True, Decimal("1.0")),
        ("multiple", ["A", "C"], ["A", "B"], True, 0),  # a wrong choice scores nothing
        ("multiple", ["A", "C"], ["A", "B", "C"], True, 0),
        ("true_false", True, True, False, P),
        ("true_false", True, False, False, 0),
        ("true_false", False, "false", False, 0),  # only a real boolean counts
        ("fill_blank", [["骨折"]], ["骨折"], False, P),
        ("fill_blank", [["DNA", "脱氧核糖核酸"]], [" ｄｎａ "], False, P),  # full-width, spaces, case
        ("fill_blank", [["DNA", "脱氧核糖核酸"]], ["脱氧 核糖核酸"], False, P),
        ("fill_blank", [["甲"], ["乙"]], ["甲", "丙"], False, Decimal("1.0")),
        ("fill_blank", [["甲"], ["乙"]], ["", ""], False, 0),
    ],
)
def test_grading_rules(qtype, key, response, partial, expected):
    assert grade_response(qtype=qtype, key=key, response=response, points=P, partial_credit=partial) == Decimal(
        expected
    )


def _submitted(exam, answers_fn, candidates=1):
    sitting, regs = ready_sitting(candidates=candidates, exam=exam)
    attempts = []
    for reg in regs:
        attempt = services.attempt_start(registration=reg)
        entries = [
            {"item": item.pk, "response": answers_fn(item), "seq": n}
            for n, item in enumerate(attempt.paper.items.all(), 1)
        ]
        services.answers_save(attempt_id=attempt.pk, entries=[e for e in entries if e["response"] is not None])
        attempts.append(attempt)
    return sitting, attempts


def _submit(attempt, callbacks):
    with callbacks(execute=True):
        services.attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    return attempt


def test_objective_exam_graded_at_submit(django_capture_on_commit_callbacks):
    make_pool(n=10, qtype="multiple", correct=("A", "B"))
    exam = make_exam(
        sections=[{"qtype": "multiple", "count": 4, "points_each": Decimal("2.5")}],
        policy=make_policy(multiple_partial_credit=True),
    )
    _sitting, (attempt,) = _submitted(exam, lambda item: [item.key[0]])  # one of two correct: half credit
    attempt = _submit(attempt, django_capture_on_commit_callbacks)
    assert attempt.status == Attempt.Status.GRADED
    assert attempt.score == Decimal("5.2")  # half of 2.5 is 1.25, kept to 0.1 (half up): 4 x 1.3
    assert attempt.section_scores[0]["max"] == "10.0"
    assert attempt.passed is False


def test_killed_grading_retried_grades_once(django_capture_on_commit_callbacks):
    make_pool(n=10)
    _sitting, (attempt,) = _submitted(make_exam(), lambda item: item.key[0])
    with django_capture_on_commit_callbacks(execute=False):
        services.attempt_submit(attempt=attempt)  # the queued grading task is "lost"

    # A worker killed mid-grading: its transaction rolls back, so nothing is half-done.
    from unittest import mock

    with mock.patch("exams.services._finalise", side_effect=SystemExit("SIGKILL")), pytest.raises(SystemExit):
        services.attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert not ScoreAuditLog.objects.filter(attempt=attempt).exists()
    # Redelivery and a duplicate delivery: graded exactly once.
    assert services.attempt_grade(attempt_id=attempt.pk) is True
    assert services.attempt_grade(attempt_id=attempt.pk) is False
    attempt.refresh_from_db()
    assert attempt.score == Decimal("10.0") and attempt.passed is True
    assert ScoreAuditLog.objects.filter(attempt=attempt, action="auto_grade").count() == 1
    assert ScoreAuditLog.objects.filter(attempt=attempt, action="finalise").count() == 1


def test_requeue_sweep_grades_lost_attempts(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    make_pool(n=10)
    _sitting, (attempt,) = _submitted(make_exam(), lambda item: item.key[0])
    with django_capture_on_commit_callbacks(execute=False):
        services.attempt_submit(attempt=attempt)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attempts_requeue_ungraded(now=timezone.now() + timedelta(minutes=5)) == 1
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED


@pytest.fixture
def marked_setup(django_capture_on_commit_callbacks):
    make_pool(n=6)
    make_pool(n=4, qtype="short_answer")
    exam = make_exam(
        sections=[
            {"qtype": "single", "count": 2, "points_each": Decimal("5")},
            {"qtype": "short_answer", "count": 1, "points_each": Decimal("10")},
        ],
        policy=make_policy(marking_threshold=Decimal("2")),
    )
    sitting, (attempt,) = _submitted(exam, lambda item: item.key[0] if item.key else "伤后三周内，骨折线清晰。")
    attempt = _submit(attempt, django_capture_on_commit_callbacks)
    return sitting, attempt


def test_subjective_goes_to_double_marking_and_agreement_averages(marked_setup):
    sitting, attempt = marked_setup
    assert attempt.status == Attempt.Status.MARKING
    m1, m2, m3 = UserFactory(), UserFactory(), UserFactory()
    first = services.marking_claim_next(marker=m1)
    assert first.round == 1
    assert services.marking_claim_next(marker=m1) == first  # claimed stays claimed
    services.mark_submit(mark=first, marker=m1, score="7")
    assert services.marking_claim_next(marker=m1) is None  # never marks the same answer twice
    with pytest.raises(ValidationError):
        services.mark_submit(mark=Mark.objects.get(round=2), marker=m2, score="7")  # not claimed by m2
    second = services.marking_claim_next(marker=m2)
    with pytest.raises(ValidationError):
        services.mark_submit(mark=second, marker=m2, score="11")  # above the item's points
    services.mark_submit(mark=second, marker=m2, score="8.5")
    assert services.marking_claim_next(marker=m3) is None  # within threshold: no third marker
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED
    assert attempt.score == Decimal("17.8")  # 10 + (7 + 8.5) / 2 = 17.75 -> 17.8
    assert ScoreAuditLog.objects.filter(attempt=attempt, action="mark").count() == 2


def test_third_marker_when_marks_differ_beyond_threshold(marked_setup):
    _sitting, attempt = marked_setup
    m1, m2, m3 = UserFactory(), UserFactory(), UserFactory()
    services.mark_submit(mark=services.marking_claim_next(marker=m1), marker=m1, score="2")
    services.mark_submit(mark=services.marking_claim_next(marker=m2), marker=m2, score="9")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.MARKING
    assert services.marking_claim_next(marker=m1) is None and services.marking_claim_next(marker=m2) is None
    third = services.marking_claim_next(marker=m3)
    assert third.round == 3
    services.mark_submit(mark=third, marker=m3, score="8")
    attempt.refresh_from_db()
    answer = third.answer
    answer.refresh_from_db()
    assert answer.score == Decimal("8.5")  # mean of the third mark and the closer first mark (9)
    assert attempt.status == Attempt.Status.GRADED and attempt.score == Decimal("18.5")


def test_score_change_needs_reason_and_is_audited(marked_setup):
    sitting, attempt = marked_setup
    admin = UserFactory()
    objective = Answer.objects.filter(attempt=attempt, item__qtype="single").first()
    with pytest.raises(ValidationError):
        services.answer_change_score(answer=objective, user=admin, score="0", reason=" ")
    services.answer_change_score(answer=objective, user=admin, score="0", reason="复核：答题卡识别错误")
    log = ScoreAuditLog.objects.get(action="remark")
    assert log.before == {"score": "5.0"} and log.after == {"score": "0"} and log.user == admin


def test_release_refused_until_graded_then_recorded(marked_setup):
    from datetime import timedelta

    from django.utils import timezone

    sitting, attempt = marked_setup
    admin = UserFactory()
    after_close = sitting.window_closes + timedelta(minutes=1)
    with pytest.raises(ValidationError):
        services.sitting_release_results(sitting=sitting, user=admin, now=after_close)
    for marker, score in ((UserFactory(), "6"), (UserFactory(), "6")):
        services.mark_submit(mark=services.marking_claim_next(marker=marker), marker=marker, score=score)
    with pytest.raises(ValidationError):
        services.sitting_release_results(sitting=sitting, user=admin, now=timezone.now())  # window still open
    services.sitting_release_results(sitting=sitting, user=admin, now=after_close)
    sitting.refresh_from_db()
    assert sitting.results_released
    assert ScoreAuditLog.objects.filter(sitting=sitting, action="release", user=admin).count() == 1
