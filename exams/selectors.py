"""Read queries for views, reports and the candidate API."""

import math

from django.utils import timezone

from .models import Answer, Attempt, Mark, Paper, PaperItem, Registration, Sitting


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


def attempt_state(*, attempt: Attempt, now=None) -> dict:
    """What the candidate's page needs: server time, deadline, items (no keys) and saved answers.

    Built field by field from `PaperItem.content` (stem, shown options, blank count), never from
    the key or the question bank, so an answer key cannot reach the browser by accident.
    """
    now = now or timezone.now()
    items = list(
        PaperItem.objects.filter(paper_id=attempt.paper_id)
        .order_by("position")
        .values("pk", "position", "section_index", "qtype", "points", "content")
    )
    answers = {
        a["item_id"]: a for a in Answer.objects.filter(attempt=attempt).values("item_id", "response", "flagged", "seq")
    }
    sections = (attempt.paper.registration.sitting.draw_plan or {}).get("sections", [])
    return {
        "attempt": attempt.pk,
        "status": attempt.status,
        "server_now": now.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "remaining_ms": max(0, int((attempt.deadline - now).total_seconds() * 1000)),
        "max_seq": max((a["seq"] for a in answers.values()), default=0),
        "sections": [{"title": s["title"], "qtype": s["qtype"]} for s in sections],
        "items": [
            {
                "id": item["pk"],
                "position": item["position"],
                "section": item["section_index"],
                "qtype": item["qtype"],
                "points": str(item["points"]),
                "stem": item["content"].get("stem", ""),
                "options": [{"label": o["label"], "text": o["text"]} for o in item["content"].get("options", [])],
                "blanks": item["content"].get("blanks", 0),
                "response": answers.get(item["pk"], {}).get("response"),
                "flagged": answers.get(item["pk"], {}).get("flagged", False),
                "seq": answers.get(item["pk"], {}).get("seq", 0),
            }
            for item in items
        ],
    }


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
