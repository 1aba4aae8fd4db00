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
