from datetime import timedelta
from decimal import Decimal

import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone

from exams import services
from exams.models import Answer, Attempt, ScoreAuditLog
from tests.exams.factories import make_exam, make_pool, make_sitting, ready_sitting, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def sitting_and_reg():
    make_pool(n=10)
    sitting, regs = ready_sitting(candidates=1)
    return sitting, regs[0]


def test_start_outside_window_refused():
    make_pool(n=10)
    early = make_sitting(exam=make_exam(), opens_in=timedelta(hours=2))
    reg = register(early)
    services.sitting_generate_papers(sitting_id=early.pk)
    with pytest.raises(services.AttemptClosed) as err:
        services.attempt_start(registration=reg)
    assert err.value.code == "not_open"
    late = make_sitting(exam=make_exam(), opens_in=timedelta(hours=-5), length=timedelta(hours=1))
    reg2 = register(late)
    with pytest.raises(services.AttemptClosed) as err:
        services.attempt_start(registration=reg2)
    assert err.value.code == "closed"
    assert not Attempt.objects.exists()


def test_deadline_is_min_of_duration_and_window_close(sitting_and_reg):
    _sitting, reg = sitting_and_reg
    now = timezone.now()
    attempt = services.attempt_start(registration=reg, now=now)
    assert attempt.deadline == now + timedelta(minutes=60)
    sitting2, (reg2,) = ready_sitting(candidates=1)
    attempt2 = services.attempt_start(registration=reg2, now=sitting2.window_closes - timedelta(minutes=10))
    assert attempt2.deadline == sitting2.window_closes
    # Resuming returns the same attempt on the same clock.
    assert services.attempt_start(registration=reg, now=now + timedelta(minutes=5)).deadline == attempt.deadline


def test_older_sequence_never_overwrites_newer(sitting_and_reg):
    _sitting, reg = sitting_and_reg
    attempt = services.attempt_start(registration=reg)
    item = attempt.paper.items.first()
    services.answers_save(attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "B", "seq": 5}])
    result = services.answers_save(attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "A", "seq": 3}])
    assert result["acked"] == [{"item": item.pk, "seq": 3}]  # superseded, not an error
    answer = Answer.objects.get(attempt=attempt, item=item)
    assert (answer.response, answer.seq) == ("B", 5)
    # Same seq again (a retry after a lost response): idempotent.
    services.answers_save(attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "B", "seq": 5}])
    services.answers_save(
        attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "C", "seq": 6, "flagged": True}]
    )
    answer.refresh_from_db()
    assert (answer.response, answer.seq, answer.flagged) == ("C", 6, True)
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_save_for_foreign_item_refused(sitting_and_reg):
    sitting, reg = sitting_and_reg
    other = register(sitting)
    services.sitting_generate_papers(sitting_id=sitting.pk)
    attempt = services.attempt_start(registration=reg)
    foreign = other.paper.items.first()
    with pytest.raises(ValidationError):
        services.answers_save(attempt_id=attempt.pk, entries=[{"item": foreign.pk, "response": "A", "seq": 1}])
    assert not Answer.objects.exists()


def test_save_after_deadline_plus_grace_refused_with_reason(sitting_and_reg):
    _sitting, reg = sitting_and_reg
    start = timezone.now() - timedelta(minutes=30)
    attempt = services.attempt_start(registration=reg, now=start)
    item = attempt.paper.items.first()
    within_grace = attempt.deadline + timedelta(seconds=20)
    services.answers_save(
        attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "A", "seq": 1}], now=within_grace
    )
    with pytest.raises(services.AttemptClosed) as err:
        services.answers_save(
            attempt_id=attempt.pk,
            entries=[{"item": item.pk, "response": "B", "seq": 2}],
            now=attempt.deadline + timedelta(seconds=31),
        )
    assert err.value.code == "expired" and err.value.reason
    assert Answer.objects.get().response == "A"


def test_submit_twice_harmless_and_saves_refused_after(sitting_and_reg, django_capture_on_commit_callbacks):
    _sitting, reg = sitting_and_reg
    attempt = services.attempt_start(registration=reg)
    item = attempt.paper.items.first()
    services.answers_save(attempt_id=attempt.pk, entries=[{"item": item.pk, "response": item.key[0], "seq": 1}])
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.attempt_submit(attempt=attempt)
    assert callbacks == []  # no second grading queued
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED
    assert ScoreAuditLog.objects.filter(attempt=attempt, action="auto_grade").count() == 1
    with pytest.raises(services.AttemptClosed) as err:
        services.answers_save(attempt_id=attempt.pk, entries=[{"item": item.pk, "response": "A", "seq": 9}])
    assert err.value.code == "submitted"


def test_expired_attempts_auto_submitted_and_graded(sitting_and_reg, django_capture_on_commit_callbacks):
    _sitting, reg = sitting_and_reg
    attempt = services.attempt_start(registration=reg, now=timezone.now() - timedelta(minutes=59))
    assert services.attempts_submit_expired() == 0  # 1 minute left: still running
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attempts_submit_expired(now=timezone.now() + timedelta(minutes=2)) == 1
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.status == Attempt.Status.GRADED
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == Decimal("0")
    assert services.attempts_submit_expired(now=timezone.now() + timedelta(minutes=3)) == 0
