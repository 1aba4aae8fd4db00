"""Sitting statistics: test-level (mean, SD, pass rate, distribution, KR-20, Cronbach's alpha) and
item-level (facility, upper/lower 27% discrimination, point-biserial, option counts).

Papers differ per candidate, so reliability is computed over item *slots* (the k-th question of
each paper, in section order): every slot holds a random question of the same section and type,
which makes the slots random parallel items. Pure Python over one query's rows: a 2,000-candidate,
50-question sitting is 100,000 rows and takes well under a second.
"""

import math
from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from question_bank.models import Question

from .models import Answer, Attempt, PaperItem, Sitting


def _mean(values):
    return sum(values) / len(values) if values else 0.0


def _var(values):
    if len(values) < 2:
        return 0.0
    m = _mean(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def _pearson(xs, ys):
    if len(xs) < 3:
        return None
    mx, my = _mean(xs), _mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def cronbach_alpha(rows: list[list[float]]) -> float | None:
    """alpha = k/(k-1) * (1 - sum of item variances / variance of totals); rows are candidates."""
    if len(rows) < 2 or not rows[0] or len(rows[0]) < 2:
        return None
    k = len(rows[0])
    totals = [sum(r) for r in rows]
    total_var = _var(totals)
    if total_var == 0:
        return None
    item_var = sum(_var([r[j] for r in rows]) for j in range(k))
    return k / (k - 1) * (1 - item_var / total_var)


def kr20(rows: list[list[int]]) -> float | None:
    """KR-20 for right/wrong items: k/(k-1) * (1 - sum p(1-p) / variance of totals)."""
    if len(rows) < 2 or not rows[0] or len(rows[0]) < 2:
        return None
    k, n = len(rows[0]), len(rows)
    totals = [sum(r) for r in rows]
    # KR-20 uses the population variance of totals.
    m = _mean(totals)
    total_var = sum((t - m) ** 2 for t in totals) / n
    if total_var == 0:
        return None
    pq = 0.0
    for j in range(k):
        p = sum(r[j] for r in rows) / n
        pq += p * (1 - p)
    return k / (k - 1) * (1 - pq / total_var)


def _r(value, digits=3):
    return None if value is None else round(value, digits)


def sitting_compute_statistics(*, sitting_id: int) -> bool:
    """Compute and store a sitting's statistics; write facility/discrimination back to the bank.

    Safe to run again: everything is recomputed from the graded attempts, and the bank's
    `times_used` is a count over all graded papers, not an increment.
    """
    sitting = Sitting.objects.select_related("exam__policy").get(pk=sitting_id)
    attempts = {
        a["pk"]: a
        for a in Attempt.objects.filter(paper__registration__sitting=sitting, status=Attempt.Status.GRADED).values(
            "pk", "score", "passed", "paper_id"
        )
    }
    items = {
        i["pk"]: i
        for i in PaperItem.objects.filter(paper__registration__sitting=sitting).values(
            "pk", "question_id", "points", "qtype", "option_map", "section_index", "position"
        )
    }
    per_attempt: dict[int, list] = defaultdict(list)
    for attempt_id, item_id, score, response in (
        Answer.objects.filter(attempt_id__in=list(attempts))
        .values_list("attempt_id", "item_id", "score", "response")
        .iterator(chunk_size=5000)
    ):
        per_attempt[attempt_id].append((items[item_id], float(score or 0), response))

    totals = {a: float(attempts[a]["score"] or 0) for a in per_attempt}
    scores = list(totals.values())
    total_points = float(sitting.exam.total_points) or 1.0
    bins = 10
    histogram = [0] * bins
    for s in scores:
        histogram[min(bins - 1, int(s / total_points * bins))] += 1

    # Slots for reliability: candidates whose papers have the full number of items.
    slot_rows, binary_rows = [], []
    for rows in per_attempt.values():
        ordered = sorted(rows, key=lambda r: (r[0]["section_index"], r[0]["position"]))
        slot_rows.append([score / float(item["points"] or 1) for item, score, _resp in ordered])
        binary_rows.append([1 if score >= float(item["points"]) else 0 for item, score, _resp in ordered])
    width = max((len(r) for r in slot_rows), default=0)
    slot_rows = [r for r in slot_rows if len(r) == width]
    binary_rows = [r for r in binary_rows if len(r) == width]
    objective_only = all(i["qtype"] not in {"short_answer", "case_analysis"} for i in items.values())

    # Upper and lower 27% by total score.
    ranked = sorted(totals, key=lambda a: totals[a])
    cut = max(1, round(len(ranked) * 0.27)) if ranked else 0
    lower, upper = set(ranked[:cut]), set(ranked[-cut:]) if cut else set()

    by_question: dict[int, dict] = defaultdict(
        lambda: {"x": [], "rest": [], "up": [], "low": [], "options": defaultdict(int), "qtype": ""}
    )
    for attempt_id, rows in per_attempt.items():
        total = totals[attempt_id]
        for item, score, response in rows:
            fraction = score / float(item["points"] or 1)
            q = by_question[item["question_id"]]
            q["qtype"] = item["qtype"]
            q["x"].append(fraction)
            q["rest"].append(total - score)
            if attempt_id in upper:
                q["up"].append(fraction)
            if attempt_id in lower:
                q["low"].append(fraction)
            if item["qtype"] in {"single", "multiple"}:
                chosen = response if isinstance(response, list) else ([response] if response else [])
                if not chosen:
                    q["options"]["—"] += 1
                for label in chosen:
                    q["options"][item["option_map"].get(label, label)] += 1

    codes = dict(Question.objects.filter(pk__in=list(by_question)).values_list("pk", "code"))
    item_stats = []
    for question_id, q in sorted(by_question.items()):
        discrimination = _mean(q["up"]) - _mean(q["low"]) if q["up"] and q["low"] else None
        item_stats.append(
            {
                "question_id": question_id,
                "code": codes.get(question_id, ""),
                "qtype": q["qtype"],
                "n": len(q["x"]),
                "facility": _r(_mean(q["x"])),
                "discrimination": _r(discrimination),
                "point_biserial": _r(_pearson(q["x"], q["rest"])),
                "options": dict(sorted(q["options"].items())),
            }
        )

    n = len(scores)
    passed = sum(1 for a in per_attempt if attempts[a]["passed"])
    data = {
        "candidates": n,
        "mean": _r(_mean(scores), 2),
        "sd": _r(math.sqrt(_var(scores)), 2) if n > 1 else None,
        "min": min(scores) if scores else None,
        "max": max(scores) if scores else None,
        "pass_rate": _r(passed / n) if n else None,
        "total_points": total_points,
        "histogram": histogram,
        "kr20": _r(kr20(binary_rows)) if objective_only else None,
        "alpha": _r(cronbach_alpha(slot_rows)),
        "items": item_stats,
    }
    now = timezone.now()
    with transaction.atomic():
        Sitting.objects.filter(pk=sitting.pk).update(statistics=data, statistics_computed_at=now)
        used = dict(
            PaperItem.objects.filter(question_id__in=list(by_question), paper__attempt__status=Attempt.Status.GRADED)
            .values("question_id")
            .annotate(n=Count("pk"))
            .values_list("question_id", "n")
        )
        questions = list(Question.objects.filter(pk__in=list(by_question)).only("pk"))
        stats = {s["question_id"]: s for s in item_stats}
        for question in questions:
            question.times_used = used.get(question.pk, 0)
            question.facility = stats[question.pk]["facility"]
            question.discrimination = stats[question.pk]["discrimination"]
            question.last_used_at = sitting.window_closes
        Question.objects.bulk_update(
            questions, ["times_used", "facility", "discrimination", "last_used_at"], batch_size=500
        )
    return True
