"""The admin dashboard's overview panel: counts and pass rates by role, never content or names."""

import pytest

from academy.home.dashboard import bank_size_summary, sitting_results_summary
from exams import services
from exams.models import Attempt
from tests.exams.factories import make_pool, ready_sitting

pytestmark = pytest.mark.django_db


def _take(registration, *, right: bool):
    """Start, answer every item (all right or all wrong) and submit through the real services."""
    attempt = services.attempt_start(registration=registration)
    entries = []
    for seq, item in enumerate(registration.paper.items.all(), start=1):
        key = item.key if right else [label for label in "ABCD" if label not in item.key][:1]
        entries.append({"item": item.pk, "response": key, "seq": seq, "flagged": False})
    services.answers_save(attempt_id=attempt.pk, entries=entries)
    services.attempt_submit(attempt=attempt)
    services.attempt_grade(attempt_id=attempt.pk)


@pytest.fixture
def graded_sitting(settings):
    make_pool(n=10)
    sitting, regs = ready_sitting(candidates=4)
    _take(regs[0], right=True)
    _take(regs[1], right=True)
    _take(regs[2], right=False)  # regs[3] never started
    passed = list(Attempt.objects.order_by("paper__registration").values_list("passed", flat=True))
    assert passed == [True, True, False]
    return sitting


def test_sitting_summary_counts_and_pass_rate(graded_sitting):
    [row] = sitting_results_summary()
    assert row["sitting"] == graded_sitting
    assert (row["registered"], row["graded"], row["passed"], row["pass_rate"]) == (4, 3, 2, 67)


def test_bank_summary_counts_live_questions():
    make_pool(n=5)
    rows = bank_size_summary()
    assert sum(r["live"] for r in rows) == 5
    assert all(0 <= r["live_pct"] <= 100 for r in rows)


def test_regulator_sees_pass_rates_and_bank_size_without_content(client, role_users, graded_sitting):
    client.force_login(role_users["regulator"])
    body = client.get("/admin/").content.decode()
    assert "近期场次" in body and "67%" in body
    assert "题库规模（按执业类别）" in body
    stem = graded_sitting.registrations.first().paper.items.first().question.stem
    assert stem not in body


def test_marker_sees_no_overview(client, role_users, graded_sitting):
    client.force_login(role_users["marker"])
    body = client.get("/admin/").content.decode()
    assert "近期场次" not in body and "67%" not in body
