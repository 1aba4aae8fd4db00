"""PDFs of exams: admission tickets (准考证) and score reports, in the candidate's language."""

from django.utils import timezone

from academy.documents.pdf import render_pdf

from .models import Attempt, Registration


def admission_ticket_pdf(*, registration: Registration) -> bytes:
    sitting = registration.sitting
    return render_pdf(
        "exams/pdf/admission_ticket.html",
        {
            "registration": registration,
            "sitting": sitting,
            "exam": sitting.exam,
            "candidate": registration.user,
            "profile": getattr(registration.user, "appraiser_profile", None),
            "opens": timezone.localtime(sitting.window_opens),
            "closes": timezone.localtime(sitting.window_closes),
        },
    )


def score_report_pdf(*, attempt: Attempt) -> bytes:
    registration = attempt.paper.registration
    return render_pdf(
        "exams/pdf/score_report.html",
        {
            "attempt": attempt,
            "registration": registration,
            "sitting": registration.sitting,
            "exam": registration.sitting.exam,
            "candidate": registration.user,
            "issued": timezone.localtime(),
        },
    )
