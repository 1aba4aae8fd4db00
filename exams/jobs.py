"""RQ jobs of exams (work an exam administrator starts and watches)."""

import io
import zipfile

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from academy.background.registry import JobContext, job_handler

from .documents import admission_ticket_pdf
from .models import Sitting


@job_handler("exams.admission_tickets", timeout=3600)
def admission_tickets(ctx: JobContext) -> dict:
    """Every admission ticket (准考证) of a sitting as PDFs in one zip, with progress."""
    if ctx.user is None or not ctx.user.has_perm("exams.view_registration"):
        raise PermissionDenied(_("You may not print admission tickets."))
    sitting = Sitting.objects.get(pk=ctx.params["sitting_id"])
    registrations = list(sitting.registrations.select_related("user__appraiser_profile", "sitting__exam"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, registration in enumerate(registrations, 1):
            archive.writestr(f"{registration.ticket_number}.pdf", admission_ticket_pdf(registration=registration))
            ctx.set_progress(
                done,
                len(registrations),
                _("Admission tickets: %(done)d of %(total)d") % {"done": done, "total": len(registrations)},
            )
    ctx.save_result_file(f"admission-tickets-{sitting.pk}.zip", buffer.getvalue())
    return {"tickets": len(registrations)}


@job_handler("exams.import_candidates", timeout=1800)
def import_candidates(ctx: JobContext) -> dict:
    """Check (``apply`` false) or import the candidate rows read from an xlsx sheet for a sitting.

    Every problem is reported as an error row (row, column, message). Importing checks again and
    registers nobody when any row is invalid.
    """
    from django.core.exceptions import ValidationError

    from .candidate_import import check_candidate_rows, import_candidate_rows, rows_from_params

    if ctx.user is None or not ctx.user.has_perm("exams.add_registration"):
        raise PermissionDenied(_("You may not register candidates."))
    sitting = Sitting.objects.select_related("exam__policy").get(pk=ctx.params["sitting_id"])
    rows = rows_from_params(ctx.params["rows"])

    def progress(done, total):
        ctx.set_progress(done, total, _("Checking candidates: %(done)d of %(total)d") % {"done": done, "total": total})

    if not ctx.params.get("apply"):
        users, problems = check_candidate_rows(sitting=sitting, rows=rows, progress=progress)
        for problem in problems:
            ctx.add_error(problem)
        ctx.set_progress(
            len(rows),
            len(rows),
            _("%(valid)d candidates can be registered, %(invalid)d rows have problems.")
            % {"valid": len(users), "invalid": len(problems)},
        )
        return {"valid": len(users), "invalid": len(problems), "imported": 0}
    try:
        imported = import_candidate_rows(sitting=sitting, rows=rows, registered_by=ctx.user, progress=progress)
    except ValidationError:
        # Something changed since the check: report the rows as a check does; nothing was imported.
        _users, problems = check_candidate_rows(sitting=sitting, rows=rows)
        for problem in problems:
            ctx.add_error(problem)
        ctx.set_progress(
            len(rows),
            len(rows),
            _("Nothing was imported: %(invalid)d rows have problems.") % {"invalid": len(problems)},
        )
        return {"valid": len(rows) - len(problems), "invalid": len(problems), "imported": 0}
    ctx.set_progress(len(rows), len(rows), _("%(count)d candidates registered.") % {"count": imported})
    return {"valid": imported, "invalid": 0, "imported": imported}
