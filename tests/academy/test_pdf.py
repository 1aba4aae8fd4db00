"""The PDF service: Chinese text, embedded CJK fonts (regular and bold), wrapping, and loud failures."""

import datetime
import io
import logging
import re
from collections import defaultdict

import pytest
from pypdf import PdfReader

from django.template import Context, Template
from django.utils import translation

from academy.documents import pdf as pdf_module
from academy.documents.pdf import PdfRenderError, html_to_pdf, render_pdf
from academy.documents.samples import (
    SAMPLE_COURSE_SUMMARY,
    TABLE_TEMPLATE,
    TEST_CERTIFICATE_TEMPLATE,
    sample_certificate_context,
    sample_table_context,
)

COMPLETED_ON = datetime.date(2026, 11, 23)


def _certificate(language: str) -> PdfReader:
    with translation.override(language):
        data = render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context(completed_on=COMPLETED_ON))
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


@pytest.fixture(scope="module")
def zh_certificate() -> PdfReader:
    return _certificate("zh-hans")


@pytest.fixture(scope="module")
def en_certificate() -> PdfReader:
    return _certificate("en")


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _squeezed(text: str) -> str:
    """Text without whitespace: a wrapped line puts a line break into the extracted text."""
    return re.sub(r"\s+", "", text)


def _embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Font name (subset prefix removed) -> whether its descriptor embeds a TrueType file."""
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            fonts[name] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return fonts


def _text_by_font(reader: PdfReader) -> dict[str, str]:
    drawn = defaultdict(str)

    def visit(text, cm, tm, font_dict, font_size):
        if font_dict is not None and text.strip():
            drawn[str(font_dict["/BaseFont"]).split("+", 1)[-1]] += text

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return drawn


def test_certificate_is_a_valid_pdf_with_the_chinese_text(zh_certificate):
    assert len(zh_certificate.pages) >= 1
    text = _squeezed(_text(zh_certificate))
    assert "王晓明" in text  # holder
    assert "法医临床鉴定实务与伤残等级评定" in text  # course title
    assert "学员须按时完成全部视频学习与随堂练习，并通过结业考核，方可获得本证书所载学时。" in text
    assert "110101********1234" in text
    assert "7K3F-9QXD-2M8P" in text
    assert "/verify/7K3F-9QXD-2M8P/" in text


def test_both_faces_of_the_cjk_font_are_embedded(zh_certificate):
    fonts = _embedded_fonts(zh_certificate)
    assert fonts.get("NotoSansSC-Regular") is True, fonts
    assert fonts.get("NotoSansSC-Bold") is True, fonts


def test_bold_text_is_drawn_with_the_bold_face(en_certificate):
    drawn = _text_by_font(en_certificate)
    bold, regular = drawn["NotoSansSC-Bold"], drawn["NotoSansSC-Regular"]
    assert "Certificate of completion" in bold  # the <h1>
    assert "About the course" in bold  # an <h2>
    assert "王晓明" in bold  # the holder line, bold by CSS
    assert "Credit hours" in bold  # a <th>
    assert "本课程面向" in regular  # body text stays regular
    assert "本课程面向" not in bold


@pytest.mark.parametrize("fixture", ["zh_certificate", "en_certificate"])
def test_long_chinese_paragraph_wraps_and_keeps_every_character(request, fixture):
    reader = request.getfixturevalue(fixture)
    lines = [line.strip() for line in _text(reader).splitlines()]
    paragraph_lines = [line for line in lines if len(line) > 4 and line in SAMPLE_COURSE_SUMMARY]
    assert len(paragraph_lines) >= 3, lines
    assert "".join(paragraph_lines) == SAMPLE_COURSE_SUMMARY


def test_certificate_follows_the_active_language(zh_certificate, en_certificate):
    zh_text, en_text = _text(zh_certificate), _text(en_certificate)
    assert "2026年11月23日" in zh_text  # Django's zh-hans date format
    assert "Nov. 23, 2026" in en_text
    assert zh_certificate.trailer["/Root"]["/Lang"] == "zh-hans"
    assert en_certificate.trailer["/Root"]["/Lang"] == "en"
    for label in ("Certificate of completion", "Credit hours", "Verification code"):
        assert label in en_text
        with translation.override("zh-hans"):
            assert _squeezed(translation.gettext(label)) in _squeezed(zh_text)
    assert "Page 1 of 1" in en_text


def test_chinese_title_becomes_the_pdf_metadata():
    template = Template('{% extends "documents/pdf/base.html" %}{% block title %}成绩单{% endblock %}')
    with translation.override("zh-hans"):
        data = html_to_pdf(template.render(Context({"LANGUAGE_CODE": "zh-hans"})))
        author = translation.gettext("Appraiser Academy")
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata.title == "成绩单"
    assert metadata.author == author


def _paragraph_lines(body: str, language: str) -> list[str]:
    """The extracted lines of a document made of `body` on the base template."""
    template = Template('{% extends "documents/pdf/base.html" %}{% block content %}' + body + "{% endblock %}")
    html = template.render(Context({"LANGUAGE_CODE": language}))
    return [line.strip() for line in PdfReader(io.BytesIO(html_to_pdf(html))).pages[0].extract_text().splitlines()]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_english_text_wraps_between_words(language):
    """CJK wrapping must still keep English words whole (xhtml2pdf's own breaker split them)."""
    paragraph = (
        "Appraisers shall observe professional ethics and follow the technical operating standards. " * 8
    ).strip()
    lines = _paragraph_lines(f"<p>{paragraph}</p>", language)
    english = [line for line in lines if len(line) > 10 and line in paragraph]
    assert len(english) >= 3, lines
    # Broken between words, the lines joined by spaces give the paragraph back; a word split
    # across two lines would come back with a space inside it.
    assert " ".join(english) == paragraph


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_chinese_fills_the_line_after_latin_words(language):
    """A Chinese run continues on the line of "SF/T 0111" rather than starting a new one."""
    text = f"SF/T 0111 {SAMPLE_COURSE_SUMMARY}"
    lines = _paragraph_lines(f"<p>{text}</p>", language)
    paragraph_lines = [line for line in lines if len(line) > 4 and line in text]
    assert len(paragraph_lines) >= 3, lines
    assert paragraph_lines[0].startswith("SF/T 0111 本课程面向")
    assert "".join(paragraph_lines) == text


def test_line_breaks_are_kept_in_chinese_text():
    """<br> (from |linebreaksbr) starts a new line; xhtml2pdf's own CJK breaker dropped it."""
    expected = ["考试须知", "请携带身份证。", "迟到三十分钟不得入场。"]
    lines = _paragraph_lines("<p><strong>考试须知</strong><br>请携带身份证。<br/>迟到三十分钟不得入场。</p>", "zh-hans")
    assert [line for line in lines if line in expected] == expected


def test_long_table_spans_pages_with_page_numbers():
    with translation.override("en"):
        reader = PdfReader(io.BytesIO(render_pdf(TABLE_TEMPLATE, sample_table_context(rows=120))))
    pages = len(reader.pages)
    assert pages >= 3
    last = reader.pages[-1].extract_text()
    assert f"Page {pages} of {pages}" in last
    assert "Institution" in last  # the header row repeats on every page
    text = _text(reader)
    assert all(re.search(rf"^{n}$", text, re.MULTILINE) for n in (1, 60, 120))


def test_page_count_can_be_left_out():
    with translation.override("en"):
        context = {**sample_table_context(rows=10), "page_count": False}
        text = PdfReader(io.BytesIO(render_pdf(TABLE_TEMPLATE, context))).pages[0].extract_text()
    assert "Page 1" in text
    assert "Page 1 of" not in text


def test_fonts_are_registered_once_per_process(monkeypatch):
    render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())
    calls = []
    monkeypatch.setattr(pdf_module.pdfmetrics, "registerFont", lambda font: calls.append(font))
    render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())
    assert calls == []


def test_missing_font_file_fails_loudly_and_recovers(settings, tmp_path):
    missing = tmp_path / "NoSuchFont.ttf"
    settings.PDF_FONT_FILES = {"regular": missing, "bold": pdf_module.DEFAULT_FONT_FILES["bold"]}
    with pytest.raises(PdfRenderError, match="NoSuchFont.ttf"):
        render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())
    del settings.PDF_FONT_FILES
    data = render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())
    assert _embedded_fonts(PdfReader(io.BytesIO(data))).get("NotoSansSC-Bold") is True


def test_file_that_is_not_a_truetype_font_fails(settings, tmp_path):
    fake = tmp_path / "Fake-Bold.ttf"
    fake.write_bytes(b"this is not a font")
    settings.PDF_FONT_FILES = {"bold": fake}
    with pytest.raises(PdfRenderError, match="Fake-Bold.ttf"):
        render_pdf(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context())


def _page(body: str, style: str = "") -> str:
    return f"<html><head><style>body {{ font-family: NotoSansSC; }} {style}</style></head><body>{body}</body></html>"


def test_font_refused_by_the_resource_policy_fails(tmp_path):
    outside = tmp_path / "Outside.ttf"
    outside.write_bytes(pdf_module.DEFAULT_FONT_FILES["regular"].read_bytes()[:4096])
    html = _page(
        "<p class='x'>中文</p>",
        f'@font-face {{ font-family: Outside; src: url("{outside}"); }} .x {{ font-family: Outside; }}',
    )
    with pytest.raises(PdfRenderError, match="resource policy"):
        html_to_pdf(html)


def test_font_face_that_cannot_be_read_fails():
    missing = pdf_module.FONT_DIR / "Missing.ttf"
    html = _page(
        "<p class='x'>中文</p>",
        f'@font-face {{ font-family: Gone; src: url("{missing}"); }} .x {{ font-family: Gone; }}',
    )
    with pytest.raises(PdfRenderError, match="could not read"):
        html_to_pdf(html)


def test_text_without_a_glyph_fails_instead_of_drawing_boxes():
    # Helvetica has no Chinese: xhtml2pdf would draw boxes and only log a warning.
    with pytest.raises(PdfRenderError, match="U\\+4E2D"):
        html_to_pdf(_page("<p style='font-family: helvetica'>中文</p>"))


def test_unknown_font_family_fails():
    with pytest.raises(PdfRenderError, match="nosuchfamily"):
        html_to_pdf(_page("<p style='font-family: NoSuchFamily'>abc</p>"))


def test_font_problems_fail_even_when_the_log_level_hides_warnings():
    xhtml2pdf_logger = logging.getLogger("xhtml2pdf")
    previous = xhtml2pdf_logger.level
    xhtml2pdf_logger.setLevel(logging.ERROR)
    try:
        with pytest.raises(PdfRenderError):
            html_to_pdf(_page("<p style='font-family: helvetica'>中文</p>"))
        assert xhtml2pdf_logger.level == logging.ERROR  # put back as it was
    finally:
        xhtml2pdf_logger.setLevel(previous)


def test_harmless_warning_is_logged_not_raised(caplog):
    with caplog.at_level(logging.WARNING, logger="academy.documents.pdf"):
        data = html_to_pdf(_page("<p style='transform: rotate(3deg)'>正常</p>"))
    assert data.startswith(b"%PDF-")
    assert any(
        "transform" in record.getMessage() for record in caplog.records if record.name == "academy.documents.pdf"
    )


def test_remote_resources_are_not_fetched():
    with pytest.raises(PdfRenderError, match="resource policy"):
        html_to_pdf(_page("<p>图</p><img src='https://example.com/seal.png'>"))


def _png(path):
    from PIL import Image

    Image.new("RGB", (40, 20), (200, 0, 0)).save(path)
    return path


def _image_count(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def test_media_url_images_are_drawn(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _png(tmp_path / "seal.png")
    data = html_to_pdf(_page(f"<p>公章</p><img src='{settings.MEDIA_URL}seal.png' width='40' height='20'>"))
    assert _image_count(data) == 1


def test_local_file_outside_the_allowed_folders_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    outside = _png(tmp_path / "outside.png")
    with pytest.raises(PdfRenderError, match="resource policy"):
        html_to_pdf(_page(f"<p>公章</p><img src='{outside}' width='40' height='20'>"))
