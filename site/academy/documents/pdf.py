"""Django templates to PDF with xhtml2pdf, drawing Chinese with the embedded Noto Sans SC.

The two TrueType faces are registered with reportlab once per process, not through @font-face:
@font-face makes xhtml2pdf read and hash both 10 MB files on every render (about 45 ms a render
here), while a pre-registered family costs nothing per call. Templates name the family in CSS
(`font-family: NotoSansSC`, see documents/pdf/base.html); `font-weight: bold` picks the bold face
through reportlab's family mapping, because xhtml2pdf has no fake bold.

Line breaking: templates set `-pdf-word-wrap: CJK` so Chinese wraps between any two characters;
xhtml2pdf's own CJK breaker is replaced by reportlab's (see _use_reportlab_cjk_line_breaking).

xhtml2pdf reports a font or resource it could not use only as a log line and still writes a PDF
(Chinese then comes out as blank boxes). So every render collects the xhtml2pdf and reportlab log
records of its own thread and raises PdfRenderError when one concerns a font, a glyph or a
resource, or when xhtml2pdf counts an error.
"""

import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import paragraph as reportlab_paragraph
from xhtml2pdf import default as xhtml2pdf_default
from xhtml2pdf import pisa
from xhtml2pdf import reportlab_paragraph as xhtml2pdf_paragraph
from xhtml2pdf.config.resources import ResourceAccessPolicy

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "NotoSansSC"
BOLD_FONT_NAME = f"{FONT_FAMILY}-Bold"
# Overridable with settings.PDF_FONT_FILES = {"regular": path, "bold": path} (tests point it at a
# missing file to prove that a font problem fails loudly).
DEFAULT_FONT_FILES = {
    "regular": FONT_DIR / "NotoSansSC-Regular.ttf",
    "bold": FONT_DIR / "NotoSansSC-Bold.ttf",
}

# Log records from these loggers are collected during a render.
_WATCHED_LOGGERS = ("xhtml2pdf", "reportlab")
# A warning containing one of these (lower-cased) is about a font, a glyph or a resource: the PDF
# would be missing text or pictures, so the render fails. Other warnings (an unsupported CSS
# property, say) are passed on to our log and the PDF is returned.
_FATAL_WARNING_MARKERS = (
    "font",
    "glyph",
    "blocked by the resource policy",
    "could not read",
    "cannot read",
    "could not get image",
    "image",
    "stylesheet",
    "while extracting data",
    "fetching",
)


def _use_reportlab_cjk_line_breaking() -> None:
    """Give xhtml2pdf the CJK line breaker of the reportlab installed beside it.

    xhtml2pdf 0.2.28 lays out -pdf-word-wrap: CJK paragraphs with its own old copy of reportlab's
    cjkFragSplit, which drops every <br> and splits English words anywhere ("st-andards").
    reportlab's current function (same signature, same result type) honours <br>, keeps a Latin
    word whole and still breaks Chinese between any two characters. Assigned at import, once;
    tests/academy/test_pdf.py checks all three behaviours, so an upgrade that breaks this shows.
    """
    xhtml2pdf_paragraph.cjkFragSplit = reportlab_paragraph.cjkFragSplit


_use_reportlab_cjk_line_breaking()

# xhtml2pdf already runs one conversion at a time per process (reportlab keeps fonts and caches in
# module globals); our lock also covers font (re)registration so it never swaps a face mid-render.
_lock = threading.RLock()
_registered_files: tuple[Path, Path] | None = None


class PdfRenderError(Exception):
    """A PDF could not be rendered completely: a font, a resource or the markup failed."""


def font_files() -> tuple[Path, Path]:
    """The regular and bold TrueType files, from settings.PDF_FONT_FILES or the shipped ones."""
    configured = getattr(settings, "PDF_FONT_FILES", None) or {}
    return (
        Path(configured.get("regular", DEFAULT_FONT_FILES["regular"])),
        Path(configured.get("bold", DEFAULT_FONT_FILES["bold"])),
    )


def register_fonts() -> None:
    """Register the CJK family with reportlab and xhtml2pdf, once per process and font files.

    Cheap after the first call (about 0.2 s for both faces); re-done only when PDF_FONT_FILES
    names other files. Raises PdfRenderError when a file is missing or is not a usable TrueType
    font (CFF-outline OpenType fonts such as Debian's Noto CJK are refused by reportlab).
    """
    global _registered_files
    files = font_files()
    if files == _registered_files and FONT_FAMILY.lower() in xhtml2pdf_default.DEFAULT_FONT:
        return
    with _lock:
        if files == _registered_files and FONT_FAMILY.lower() in xhtml2pdf_default.DEFAULT_FONT:
            return
        _registered_files = None
        for name, path in ((FONT_FAMILY, files[0]), (BOLD_FONT_NAME, files[1])):
            if not path.is_file():
                raise PdfRenderError(_("The PDF font file %(path)s does not exist.") % {"path": path})
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (TTFError, OSError) as exc:
                raise PdfRenderError(
                    _("The PDF font file %(path)s cannot be used: %(error)s") % {"path": path, "error": exc}
                ) from exc
        # No italic faces: italic text is drawn upright rather than in another font.
        pdfmetrics.registerFontFamily(
            FONT_FAMILY, normal=FONT_FAMILY, bold=BOLD_FONT_NAME, italic=FONT_FAMILY, boldItalic=BOLD_FONT_NAME
        )
        # Each xhtml2pdf document copies DEFAULT_FONT into its own font list, so this is how a
        # family registered outside a document becomes a CSS font-family name it knows.
        for alias in (FONT_FAMILY.lower(), "noto sans sc"):
            xhtml2pdf_default.DEFAULT_FONT[alias] = FONT_FAMILY
        _registered_files = files


def resource_policy() -> ResourceAccessPolicy:
    """What a PDF template may read: the fonts, static files and media; nothing over the network."""
    roots: list[Path] = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location))
    roots += [Path(settings.STATIC_ROOT), Path(settings.MEDIA_ROOT)]
    return ResourceAccessPolicy.server(base_dir=FONT_DIR, extra_roots=tuple(roots), allow_remote=False)


def _link_callback(uri: str, rel: str) -> str:
    """Turn {% static %} and media URLs into files, so templates can use the URLs they know."""
    if settings.MEDIA_URL and uri.startswith(settings.MEDIA_URL):
        return str(Path(settings.MEDIA_ROOT) / uri.removeprefix(settings.MEDIA_URL))
    if settings.STATIC_URL and uri.startswith(settings.STATIC_URL):
        relative = uri.removeprefix(settings.STATIC_URL)
        return finders.find(relative) or str(Path(settings.STATIC_ROOT) / relative)
    return uri


class _ThreadRecords(logging.Handler):
    """Keeps the WARNING-and-above records logged by one thread (the rendering one)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def _collect_log_records() -> Iterator[list[logging.LogRecord]]:
    handler = _ThreadRecords()
    loggers = [logging.getLogger(name) for name in _WATCHED_LOGGERS]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        # A production LOG_LEVEL=ERROR must not hide the warnings this check depends on.
        if not each.isEnabledFor(logging.WARNING):
            each.setLevel(logging.WARNING)
    try:
        yield handler.records
    finally:
        for each, level in zip(loggers, levels, strict=True):
            each.removeHandler(handler)
            each.setLevel(level)


def _is_fatal(message: str) -> bool:
    message = message.lower()
    return any(marker in message for marker in _FATAL_WARNING_MARKERS)


def _summary(messages: list[str], limit: int = 5) -> str:
    """The distinct messages, at most `limit` of them (a missing glyph is one message a character)."""
    distinct = list(dict.fromkeys(messages))
    shown = "; ".join(distinct[:limit])
    return shown if len(distinct) <= limit else f"{shown}; … (+{len(distinct) - limit})"


def html_to_pdf(html: str) -> bytes:
    """Convert rendered HTML to PDF bytes; raise PdfRenderError on any font/resource problem."""
    with _lock:
        register_fonts()
        output = io.BytesIO()
        with _collect_log_records() as records:
            try:
                status = pisa.pisaDocument(
                    html,
                    dest=output,
                    encoding="utf-8",
                    link_callback=_link_callback,
                    resource_policy=resource_policy(),
                )
            except Exception as exc:  # xhtml2pdf raises anything from KeyError to RenderLimitError
                raise PdfRenderError(_("The PDF could not be rendered: %(problems)s") % {"problems": exc}) from exc
    # Problems reach us two ways: log records, and the document's own log (status.log), where
    # some warnings are only counted.
    errors = [record.getMessage() for record in records if record.levelno >= logging.ERROR]
    warnings = [record.getMessage() for record in records if record.levelno < logging.ERROR]
    for mode, _line, message, _fragment in status.log:
        (errors if mode == xhtml2pdf_default.PML_ERROR else warnings).append(str(message))
    problems = errors + [message for message in warnings if _is_fatal(message)]
    if status.err and not problems:
        problems = [f"{status.err} error(s)"]
    if problems:
        raise PdfRenderError(_("The PDF could not be rendered: %(problems)s") % {"problems": _summary(problems)})
    for message in dict.fromkeys(warnings):
        logger.warning("xhtml2pdf: %s", message)
    return output.getvalue()


def render_pdf(template_name: str, context: dict | None = None) -> bytes:
    """Render a Django template to PDF bytes in the active language.

    Templates extend documents/pdf/base.html (A4, header, page numbers, the CJK font). The
    context gets LANGUAGE_CODE (the active language) for <html lang>, which becomes the PDF's
    /Lang. Raises PdfRenderError when a font or a resource cannot be used or xhtml2pdf fails.
    """
    html = render_to_string(
        template_name, {"LANGUAGE_CODE": get_language() or settings.LANGUAGE_CODE, **(context or {})}
    )
    return html_to_pdf(html)
