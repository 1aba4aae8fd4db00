"""Read queries for views, reports and the candidate API."""

import json
import math

from django.utils import timezone

from .models import Answer, Attempt, Mark, Paper, Registration, Sitting


def sitting_fairness(*, sitting: Sitting) -> dict:
    """Per-sitting fairness report: paper mean difficulty against the blueprint's target."""
    plan = sitting.draw_plan or {}
    sections = plan.get("sections", [])
    tolerance = plan.get("tolerance", float(sitting.exam.policy.difficulty_tolerance))
    weight = sum(s["count"] for s in sections) or 1
    target = sum(s["target"] * s["count"] for s in sections) / weight
    means = list(Paper.objects.filter(registration__sitting=sitting).values_list("mean_difficulty", flat=True))
    outside = sum(1 for m in means if abs(m - target) > tolerance + 1e-9)
    mean = sum(means) / len(means) if means else None
    sd = math.sqrt(sum((m - mean) ** 2 for m in means) / (len(means) - 1)) if len(means) > 1 else None
    return {
        "papers": len(means),
        "target": round(target, 3),
        "tolerance": tolerance,
        "min": round(min(means), 3) if means else None,
        "max": round(max(means), 3) if means else None,
        "mean": round(mean, 3) if mean is not None else None,
        "sd": round(sd, 3) if sd is not None else None,
        "outside": outside,
        "sections": [
            {"title": s["title"], "count": s["count"], "pool": len(s["pool"]), "target": s["target"]} for s in sections
        ],
    }


def candidate_registrations(*, user):
    return (
        Registration.objects.filter(user=user)
        .select_related("sitting__exam__policy", "paper__attempt")
        .order_by("-sitting__window_opens")
    )


def open_sittings_for_self_registration(*, user, now=None):
    now = now or timezone.now()
    return (
        Sitting.objects.filter(exam__allow_self_registration=True, registration_deadline__gt=now)
        .exclude(registrations__user=user)
        .select_related("exam")
        .order_by("window_opens")
    )


def attempt_for_user(*, user, attempt_id: int) -> Attempt | None:
    return (
        Attempt.objects.filter(pk=attempt_id, paper__registration__user=user)
        .select_related("paper__registration__sitting__exam__policy")
        .first()
    )


def attempt_state_json(*, attempt: Attempt, now=None) -> str:
    """What the candidate's page needs, as a JSON object: server time, deadline, the paper's items
    (no keys: `Paper.candidate_items`, rendered at generation) and the saved answers.

    `items` is spliced in as stored rather than parsed and dumped again; `answers` lists
    {item, response, flagged, seq} for the items answered so far.
    """
    from .services import paper_candidate_items

    now = now or timezone.now()
    answers = list(Answer.objects.filter(attempt=attempt).values("item_id", "response", "flagged", "seq"))
    sections = (attempt.paper.registration.sitting.draw_plan or {}).get("sections", [])
    head = {
        "attempt": attempt.pk,
        "status": attempt.status,
        "server_now": now.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "remaining_ms": max(0, int((attempt.deadline - now).total_seconds() * 1000)),
        "max_seq": max((a["seq"] for a in answers), default=0),
        "sections": [{"title": s["title"], "qtype": s["qtype"]} for s in sections],
        "answers": [
            {"item": a["item_id"], "response": a["response"], "flagged": a["flagged"], "seq": a["seq"]} for a in answers
        ],
    }
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ' + paper_candidate_items(paper=attempt.paper) + "}"


def marking_queue(*, sitting: Sitting | None = None):
    qs = Mark.objects.filter(score__isnull=True)
    if sitting is not None:
        qs = qs.filter(answer__attempt__paper__registration__sitting=sitting)
    return qs


def sittings_with_open_marks():
    return (
        Sitting.objects.filter(registrations__paper__attempt__answers__marks__score__isnull=True)
        .distinct()
        .select_related("exam")
    )
