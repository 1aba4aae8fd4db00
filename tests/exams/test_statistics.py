from decimal import Decimal

import pytest

from exams import services
from exams.item_analysis import cronbach_alpha, kr20, sitting_compute_statistics
from exams.models import Sitting
from question_bank.models import Question
from tests.exams.factories import make_exam, make_pool, ready_sitting


def test_kr20_and_alpha_match_hand_computation():
    rows = [[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]
    # totals 3,2,1,4,0: population variance 2.0; p = .8,.6,.4,.2 -> sum pq = .16+.24+.24+.16 = .8
    assert kr20(rows) == pytest.approx(4 / 3 * (1 - 0.8 / 2.0))
    # alpha with sample variances: item vars .2,.3,.3,.2 = 1.0; total var 2.5 -> 4/3 * (1 - 1/2.5)
    assert cronbach_alpha(rows) == pytest.approx(4 / 3 * (1 - 1.0 / 2.5))
    assert kr20([[1, 1], [1, 1]]) is None  # no variance: undefined, not a crash


@pytest.mark.django_db
def test_sitting_statistics_and_write_back(django_capture_on_commit_callbacks):
    make_pool(n=6, correct=("A",))
    exam = make_exam(sections=[{"qtype": "single", "count": 4, "points_each": Decimal("25")}])
    sitting, regs = ready_sitting(candidates=10, exam=exam)
    for n, reg in enumerate(regs):
        attempt = services.attempt_start(registration=reg)
        entries = []
        for k, item in enumerate(attempt.paper.items.order_by("position")):
            wrong = next(o["label"] for o in item.content["options"] if o["label"] != item.key[0])
            entries.append({"item": item.pk, "response": item.key[0] if k < n % 5 else wrong, "seq": k + 1})
        services.answers_save(attempt_id=attempt.pk, entries=entries)
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_submit(attempt=attempt)
    assert sitting_compute_statistics(sitting_id=sitting.pk) is True
    sitting = Sitting.objects.get(pk=sitting.pk)
    stats = sitting.statistics
    scores = [25 * min(4, n % 5) for n in range(10)]
    assert stats["candidates"] == 10
    assert stats["mean"] == pytest.approx(sum(scores) / 10)
    assert stats["pass_rate"] == pytest.approx(sum(1 for s in scores if s >= 70) / 10)
    assert sum(stats["histogram"]) == 10
    assert stats["kr20"] is not None and stats["alpha"] is not None
    item = stats["items"][0]
    assert 0 <= item["facility"] <= 1 and item["discrimination"] is not None
    # Distractor counts are in the bank's labels: the right answer is A for every question.
    assert sum(item["options"].values()) == item["n"]
    q = Question.objects.get(pk=item["question_id"])
    assert q.times_used == item["n"] and q.facility == item["facility"] and q.last_used_at == sitting.window_closes
    sitting_compute_statistics(sitting_id=sitting.pk)  # again: recomputed, not added up
    q.refresh_from_db()
    assert q.times_used == item["n"]
