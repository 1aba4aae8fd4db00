from datetime import timedelta

import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from academy.categories.models import PracticeCategory
from exams import services
from exams.models import Attempt, Paper, Registration
from tests.exams.factories import make_candidate, make_exam, make_pool, make_sitting, ready_sitting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The reasons are asserted in English here; the Chinese ones are checked in test_candidate_api."""
    with translation.override("en"):
        yield


@pytest.fixture
def future_sitting():
    make_pool(n=10)
    return make_sitting(exam=make_exam(), opens_in=timedelta(days=3), capacity=2)


def test_registration_gets_ticket_and_refusals_have_reasons(future_sitting):
    user = make_candidate()
    reg = services.registration_create(sitting=future_sitting, user=user, registered_by=user)
    assert reg.ticket_number.endswith(f"{user.pk:06d}")
    with pytest.raises(ValidationError, match="Already registered"):
        services.registration_create(sitting=future_sitting, user=user)
    with pytest.raises(ValidationError, match="profile"):
        services.registration_create(sitting=future_sitting, user=UserFactory())
    services.registration_create(sitting=future_sitting, user=make_candidate())
    with pytest.raises(ValidationError, match="full"):
        services.registration_create(sitting=future_sitting, user=make_candidate())
    assert Registration.objects.count() == 2


def test_deadline_and_category_rules(future_sitting):
    exam = future_sitting.exam
    exam.categories.set([PracticeCategory.objects.get(code="WZWS")])
    exam.save()
    user = make_candidate()
    with pytest.raises(ValidationError, match="practice categories"):
        services.registration_create(sitting=future_sitting, user=user)
    user.appraiser_profile.categories_sought.add(PracticeCategory.objects.get(code="WZWS"))
    late = future_sitting.registration_deadline + timedelta(minutes=1)
    assert "closed" in services.registration_refusal(sitting=future_sitting, user=user, now=late)
    assert services.registration_refusal(sitting=future_sitting, user=user) is None


def test_retake_wait_after_fail_and_valid_pass(django_capture_on_commit_callbacks):
    make_pool(n=10)
    exam = make_exam()
    first, (reg,) = ready_sitting(candidates=1, exam=exam)
    attempt = services.attempt_start(registration=reg)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt=attempt)  # no answers: a fail
    assert Attempt.objects.get(pk=attempt.pk).passed is False
    later = make_sitting(exam=exam, name="第二场", opens_in=timedelta(days=30))
    reason = services.registration_refusal(sitting=later, user=reg.user)
    assert reason and "again from" in reason
    much_later = timezone.now() + timedelta(days=200)
    later.registration_deadline = much_later + timedelta(days=1)
    later.save()
    assert services.registration_refusal(sitting=later, user=reg.user, now=much_later) is None
    Attempt.objects.filter(pk=attempt.pk).update(passed=True)
    assert "valid pass" in services.registration_refusal(sitting=later, user=reg.user)


def test_registration_after_papers_ready_gets_a_paper():
    make_pool(n=10)
    sitting, _ = ready_sitting(candidates=1, opens_in=timedelta(days=2))
    sitting.registration_deadline = sitting.window_opens - timedelta(minutes=1)
    sitting.save()
    reg = services.registration_create(sitting=sitting, user=make_candidate())
    assert Paper.objects.filter(registration=reg).exists()


def test_refusal_reason_is_translated(future_sitting):
    with translation.override("zh-hans"):
        assert services.registration_refusal(sitting=future_sitting, user=UserFactory()) == (
            "只有填写了鉴定人信息的用户才能参加考试：请先完善鉴定人信息。"
        )


def test_section_category_filter_limits_the_pool():
    wzws = PracticeCategory.objects.get(code="WZWS")
    make_pool(n=6)  # FYLC
    documents = make_pool(n=6, category=wzws)
    from decimal import Decimal

    exam = make_exam(sections=[{"qtype": "single", "count": 3, "points_each": Decimal("1"), "categories": [wzws]}])
    sitting, _regs = ready_sitting(candidates=3, exam=exam)
    from exams.models import PaperItem

    assert set(
        PaperItem.objects.filter(paper__registration__sitting=sitting).values_list("question_id", flat=True)
    ) <= {q.pk for q in documents}
