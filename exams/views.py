"""Candidate pages and the exam-taking JSON API. Thin: every rule lives in services.py.

The save endpoint authenticates with a per-attempt signed token (sent in a header, so it is not
CSRF-prone) instead of the session: a save then costs one SQL statement, which is what lets the
exam day's autosave load stay cheap.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import Attempt, Registration, Sitting

TOKEN_SALT = "exams.attempt"  # noqa: S105 - a signing namespace, not a secret


def attempt_token(attempt: Attempt) -> str:
    return signing.dumps(attempt.pk, salt=TOKEN_SALT, compress=True)


def _refusal(exc: services.AttemptClosed, status=409):
    return JsonResponse(
        {"error": exc.reason, "code": exc.code, "server_now": timezone.now().isoformat()}, status=status
    )


@login_required
@never_cache
def dashboard(request):
    registrations = list(selectors.candidate_registrations(user=request.user))
    now = timezone.now()
    rows = []
    for reg in registrations:
        sitting = reg.sitting
        paper = getattr(reg, "paper", None)
        attempt = getattr(paper, "attempt", None) if paper is not None else None
        rows.append(
            {
                "registration": reg,
                "sitting": sitting,
                "attempt": attempt,
                "can_start": sitting.window_opens <= now < sitting.window_closes
                and (attempt is None or attempt.status == Attempt.Status.IN_PROGRESS),
                "result_ready": attempt is not None
                and sitting.results_released
                and attempt.status == Attempt.Status.GRADED,
            }
        )
    return render(
        request,
        "exams/dashboard.html",
        {"rows": rows, "open_sittings": selectors.open_sittings_for_self_registration(user=request.user), "now": now},
    )


@login_required
@require_POST
def register(request, sitting_id: int):
    sitting = get_object_or_404(Sitting, pk=sitting_id, exam__allow_self_registration=True)
    try:
        services.registration_create(sitting=sitting, user=request.user, registered_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You are registered for %(sitting)s.") % {"sitting": sitting})
    return redirect("exams:dashboard")


def _own_registration(request, registration_id: int) -> Registration:
    # paper__attempt too: attempt_start then needs no query to find the paper or a started attempt.
    return get_object_or_404(
        Registration.objects.select_related("sitting__exam__policy", "paper__attempt"),
        pk=registration_id,
        user=request.user,
    )


@login_required
@require_POST
def start(request, registration_id: int):
    registration = _own_registration(request, registration_id)
    try:
        attempt = services.attempt_start(registration=registration)
    except services.AttemptClosed as exc:
        messages.error(request, exc.reason)
        return redirect("exams:dashboard")
    return redirect("exams:take", attempt_id=attempt.pk)


@login_required
@never_cache
def take(request, attempt_id: int):
    attempt = selectors.attempt_for_user(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("exams:result", attempt_id=attempt.pk)
    return render(
        request,
        "exams/take.html",
        {
            "attempt": attempt,
            "sitting": attempt.paper.registration.sitting,
            "exam": attempt.paper.registration.sitting.exam,
            "config": {
                "attempt": attempt.pk,
                "token": attempt_token(attempt),
                "stateUrl": reverse("exams:api_state", args=[attempt.pk]),
                "saveUrl": reverse("exams:api_save", args=[attempt.pk]),
                "submitUrl": reverse("exams:api_submit", args=[attempt.pk]),
                "resultUrl": reverse("exams:result", args=[attempt.pk]),
            },
            "strings": _take_strings(),
        },
    )


def _take_strings() -> dict:
    return {
        "saved": _("All answers saved"),
        "saving": pgettext("exam autosave", "Saving…"),
        "offline": _("Connection lost: your answers are kept in this browser and will be sent when it returns."),
        "closed": _("Answers are no longer accepted:"),
        "question": _("Question"),
        "points": _("points"),
        "flag": _("Flag for review"),
        "true": _("True"),
        "false": _("False"),
        "blank": _("Blank"),
        "confirm": _(
            "You have answered %(answered)s of %(total)s questions. After submitting you cannot change your answers."
        ),
        "timeup": _("Time is up. Your answers are being submitted."),
        "submitted": _("Submitted."),
        "unsaved": _("Unsaved answers are waiting to be sent."),
    }


@login_required
@never_cache
def result(request, attempt_id: int):
    attempt = selectors.attempt_for_user(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    sitting = attempt.paper.registration.sitting
    released = sitting.results_released and attempt.status == Attempt.Status.GRADED
    return render(request, "exams/result.html", {"attempt": attempt, "sitting": sitting, "released": released})


@login_required
@require_GET
def score_report(request, attempt_id: int):
    from . import documents

    attempt = selectors.attempt_for_user(user=request.user, attempt_id=attempt_id)
    if (
        attempt is None
        or not attempt.paper.registration.sitting.results_released
        or attempt.status != Attempt.Status.GRADED
    ):
        raise Http404
    response = HttpResponse(documents.score_report_pdf(attempt=attempt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="score-{attempt.paper.registration.ticket_number}.pdf"'
    return response


@login_required
@require_GET
def admission_ticket(request, registration_id: int):
    from . import documents

    registration = _own_registration(request, registration_id)
    response = HttpResponse(documents.admission_ticket_pdf(registration=registration), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registration.ticket_number}.pdf"'
    return response


# --- JSON API ------------------------------------------------------------------------------------


@require_POST
def api_start(request, registration_id: int):
    """Start or resume: returns the attempt id and its save token (used by the benchmark clients too)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Please log in."), "code": "login"}, status=401)
    registration = _own_registration(request, registration_id)
    try:
        attempt = services.attempt_start(registration=registration)
    except services.AttemptClosed as exc:
        return _refusal(exc)
    return JsonResponse({"attempt": attempt.pk, "token": attempt_token(attempt), "status": attempt.status})


@never_cache
@require_GET
def api_state(request, attempt_id: int):
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Please log in."), "code": "login"}, status=401)
    attempt = selectors.attempt_for_user(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        return JsonResponse({"error": _("Not found."), "code": "not_found"}, status=404)
    # The rendered items are spliced in as stored: no per-item rows read, nothing re-serialised.
    return HttpResponse(selectors.attempt_state_json(attempt=attempt), content_type="application/json")


def save_request(*, attempt_id: int, token: str, body: bytes) -> tuple[int, dict]:
    """The autosave protocol, shared by the Django view and the WSGI fast path: (status, JSON body)."""
    try:
        token_attempt = signing.loads(token or "", salt=TOKEN_SALT)
    except signing.BadSignature:
        token_attempt = None
    if token_attempt != attempt_id:
        return 403, {"error": _("This exam session is not valid: reload the page."), "code": "token"}
    try:
        payload = json.loads(body or b"{}")
        entries = payload["answers"]
        if not isinstance(entries, list) or len(entries) > 500:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return 400, {"error": _("The request is not valid."), "code": "bad_request"}
    now = timezone.now()
    try:
        result = services.answers_save(attempt_id=attempt_id, entries=entries, now=now)
    except services.AttemptClosed as exc:
        return 409, {"error": exc.reason, "code": exc.code, "server_now": now.isoformat()}
    except ValidationError as exc:
        return 400, {"error": " ".join(exc.messages), "code": "invalid"}
    result["server_now"] = now.isoformat()
    return 200, result


@csrf_exempt  # authenticated by the X-Attempt-Token header, which a cross-site form cannot send
@require_POST
def api_save(request, attempt_id: int):
    status, body = save_request(
        attempt_id=attempt_id, token=request.headers.get("X-Attempt-Token", ""), body=request.body
    )
    return JsonResponse(body, status=status)


@require_POST
def api_submit(request, attempt_id: int):
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Please log in."), "code": "login"}, status=401)
    attempt = selectors.attempt_for_user(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        return JsonResponse({"error": _("Not found."), "code": "not_found"}, status=404)
    attempt = services.attempt_submit(attempt=attempt)
    return JsonResponse(
        {
            "status": attempt.status,
            "submitted_at": attempt.submitted_at.isoformat(),
            "result_url": reverse("exams:result", args=[attempt.pk]),
        }
    )
