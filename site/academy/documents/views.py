from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from .pdf import PdfRenderError, render_pdf
from .samples import TEST_CERTIFICATE_TEMPLATE, sample_certificate_context


@require_GET
def test_certificate(request: HttpRequest) -> HttpResponse:
    """Download the sample certificate, to check the PDF font and layout on this server.

    Admin access is checked by Wagtail's admin URL decorator (see wagtail_hooks). Rendered in the
    request, unlike real documents (background jobs): one page takes well under a second.
    """
    try:
        pdf = render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())
    except PdfRenderError as exc:
        messages.error(request, str(exc))
        return redirect("wagtailadmin_home")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="test-certificate.pdf"'
    return response
