import io

import pytest

from exams import demo
from exams.models import Attempt, Exam, Sitting
from tests.exams.factories import make_candidate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_both_sides_and_is_idempotent():
    make_candidate(username="appraiser")
    UserFactory(username="marker")
    UserFactory(username="examadmin")
    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    assert Exam.objects.count() == 1
    open_sitting = Sitting.objects.get(name__contains="进行中")
    finished = Sitting.objects.get(name__contains="已结束")
    assert open_sitting.registrations.filter(user__username="appraiser").exists()
    assert open_sitting.paper_status == Sitting.PaperStatus.READY
    assert finished.results_released
    attempts = Attempt.objects.filter(paper__registration__sitting=finished)
    assert attempts.count() == 13 and not attempts.exclude(status=Attempt.Status.GRADED).exists()
    assert finished.statistics["candidates"] == 13 and finished.statistics["items"]
