"""Readers for the import formats. Each yields items in file order without loading more than needed.

Template files (.xlsx/.csv) yield `TableRow`s of raw cells; Moodle XML and GIFT yield
`QuestionData` (or `Unsupported` for question types we do not take, reported by name and line).
"""

import csv
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsed with entity expansion refused (see _safe_xml)
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .interchange import HEADER_ALIASES, QuestionData, _header_key, restore_formula, text_to_rich
from .models import OPTION_LABELS, QuestionType


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, headers)."""


@dataclass
class TableRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict  # column key -> raw value


@dataclass
class Unsupported:
    ref: str
    name: str
    kind: str


@dataclass
class Notice:
    ref: str
    message: object


@dataclass
class Problem:
    """A blocking problem found by a reader (the whole import stops)."""

    ref: str
    message: object


# --- Template tables ------------------------------------------------------------------------


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK; anything else is refused with a clear message."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    if b"\x00" in content:
        raise ImportFileError(_("The CSV file is not UTF-8 or GBK text (it looks like UTF-16): save it as UTF-8."))
    for encoding in ("utf-8", "gbk"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded: save it as UTF-8 (CSV UTF-8 in Excel)."))


def _header_map(header_cells) -> tuple[dict[int, str], dict[str, str]]:
    """Column index -> key, and key -> the header as the user wrote it (for messages)."""
    by_index, written = {}, {}
    for index, value in enumerate(header_cells):
        key = HEADER_ALIASES.get(_header_key(value)) if value is not None else None
        if key and key not in written:
            by_index[index] = key
            written[key] = str(value).strip()
    missing = [k for k in ("type", "stem", "answer") if k not in written]
    if missing:
        raise ImportFileError(
            _("The first row must hold the template headers; missing: %(columns)s.")
            % {"columns": "、".join({"type": "题型", "stem": "题干", "answer": "答案"}[k] for k in missing)}
        )
    return by_index, written


def read_table(name: str, fileobj) -> tuple[dict[str, str], "iter[TableRow]"]:
    """Headers as written and an iterator of the data rows of an .xlsx or .csv template file."""
    lower = name.lower()
    if lower.endswith(".csv"):
        text = decode_csv(fileobj.read())
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = enumerate(reader, start=1)
    elif lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(fileobj, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from exc
        sheet = workbook.worksheets[0]
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    else:
        raise ImportFileError(_("Unsupported file type: use .xlsx, .csv, .xml (Moodle XML), .gift or .txt (GIFT)."))

    try:
        _number, header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    by_index, written = _header_map(header)

    def iterate():
        for number, values in rows:
            if not any(v not in (None, "") and str(v).strip() for v in values):
                continue  # blank lines are ignored
            cells = {key: restore_formula(values[i]) if i < len(values) else None for i, key in by_index.items()}
            yield TableRow(number=number, cells=cells)

    return written, iterate()


# --- Moodle XML -----------------------------------------------------------------------------

MOODLE_PREFIX = re.compile(r"^\$(course|system|module|cat\d*)\$/?|^top/?", re.IGNORECASE)


def category_path(raw: str) -> str:
    """`$course$/Iota/Kappa` -> `Iota/Kappa` (a knowledge-point path)."""
    path = (raw or "").strip()
    while True:
        stripped = MOODLE_PREFIX.sub("", path, count=1).strip()
        if stripped == path:
            break
        path = stripped
    return "/".join(p.strip() for p in path.split("/") if p.strip() and p.strip().lower() != "top")


def _safe_xml(content: bytes):
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ImportFileError(_("Moodle XML files with a DOCTYPE or entities are refused."))
    try:
        return ET.fromstring(content)  # noqa: S314 - DOCTYPE/entities refused above
    except ET.ParseError as exc:
        raise ImportFileError(_("The XML file is not well formed: %(error)s") % {"error": exc}) from exc


def _text(node, path="text") -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _moodle_rich(node) -> str:
    if node is None:
        return ""
    text = _text(node)
    fmt = node.get("format", "html")
    return text_to_rich(text) if fmt != "html" or not text.startswith("<") else text


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text or "").strip()


def read_moodle_xml(content: bytes):
    """Yield QuestionData / Unsupported / Notice for a Moodle XML export."""
    root = _safe_xml(content)
    if root.tag != "quiz":
        raise ImportFileError(_("Not a Moodle XML question file (the root element must be <quiz>)."))
    current_path = ""
    for index, question in enumerate(root.findall("question"), start=1):
        qtype = question.get("type", "")
        if qtype == "category":
            current_path = category_path(_text(question, "category/text"))
            continue
        name = _text(question, "name/text")
        ref = f"#{index}"
        stem = _moodle_rich(question.find("questiontext"))
        explanation = _strip_tags(_text(question, "generalfeedback/text"))
        points = Decimal(_text(question, "defaultgrade") or "1").quantize(Decimal("0.1")) or Decimal("1")
        base = {"stem": stem, "knowledge_point": current_path, "explanation": explanation, "points": points}
        answers = [(_strip_tags(_text(a)), Decimal(a.get("fraction", "0") or "0")) for a in question.findall("answer")]
        if qtype == "truefalse":
            true_fraction = next((f for t, f in answers if t.lower() == "true"), Decimal(0))
            yield QuestionData(
                qtype=QuestionType.TRUE_FALSE, true_false_answer=true_fraction > 0, ref=ref, name=name, **base
            )
        elif qtype == "multichoice":
            single = _text(question, "single").lower() in {"true", "1"}
            if len(answers) > len(OPTION_LABELS):
                yield Notice(ref, _("“%(name)s” has more than 8 options.") % {"name": name})
                continue
            weighted = not single and any(f not in (0, 100) for _t, f in answers)
            options = tuple(
                (OPTION_LABELS[i], text, fraction > 0, fraction if weighted else None)
                for i, (text, fraction) in enumerate(answers)
            )
            yield QuestionData(
                qtype=QuestionType.SINGLE if single else QuestionType.MULTIPLE,
                options=options,
                ref=ref,
                name=name,
                **base,
            )
        elif qtype == "shortanswer":
            accepted = [(t, f) for t, f in answers if f > 0 and t]
            yield QuestionData(
                qtype=QuestionType.FILL_BLANK,
                blank_answers=(tuple(t for t, _f in accepted),),
                blank_answer_weights=(tuple(f for _t, f in accepted),) if any(f != 100 for _t, f in accepted) else (),
                ref=ref,
                name=name,
                **base,
            )
        elif qtype == "essay":
            grader = _strip_tags(_text(question, "graderinfo/text"))
            yield QuestionData(qtype=QuestionType.SHORT_ANSWER, reference_answer=grader, ref=ref, name=name, **base)
        else:
            yield Unsupported(ref=ref, name=name, kind=qtype)


# --- GIFT -----------------------------------------------------------------------------------

GIFT_ESCAPES = {"\\:": ":", "\\=": "=", "\\~": "~", "\\#": "#", "\\{": "{", "\\}": "}", "\\n": "\n", "\\\\": "\\"}
_ESCAPE_RE = re.compile(r"\\[:=~#{}n\\]")
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)


def gift_unescape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: GIFT_ESCAPES[m.group(0)], text)


def _split_unescaped(text: str, chars: str) -> list[tuple[str, str]]:
    """Split on unescaped marker characters, keeping the marker: [(marker, chunk), ...]."""
    parts, marker, buf, i = [], "", [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch in chars:
            if buf or marker:
                parts.append((marker, "".join(buf)))
            marker, buf = ch, []
        else:
            buf.append(ch)
        i += 1
    if buf or marker:
        parts.append((marker, "".join(buf)))
    return parts


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _gift_text(raw: str) -> tuple[str, str]:
    """(format, unescaped text) of a GIFT text with an optional [format] marker."""
    raw = raw.strip()
    match = _FORMAT_RE.match(raw)
    fmt = match.group(1).lower() if match else "moodle"
    if match:
        raw = raw[match.end() :].strip()
    return fmt, gift_unescape(raw).strip()


def _gift_rich(raw: str) -> str:
    fmt, text = _gift_text(raw)
    return text if fmt == "html" and text.startswith("<") else text_to_rich(text) if fmt != "html" else f"<p>{text}</p>"


def _strip_feedback(chunk: str) -> str:
    cut = _find_unescaped(chunk, "#")
    return chunk if cut < 0 else chunk[:cut]


def _gift_blocks(text: str):
    """(line number, block) pairs: questions are separated by blank lines; comments are dropped."""
    block, start = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("//"):
            continue
        if not line.strip():
            if block:
                yield start, "\n".join(block)
                block, start = [], None
            continue
        if start is None:
            start = number
        block.append(line)
    if block:
        yield start, "\n".join(block)


def read_gift(content: bytes):
    """Yield QuestionData / Unsupported / Notice for a GIFT file (UTF-8, with or without BOM).

    Same-name rule: within one file a question name identifies a question. A later question with
    the name of an earlier one is skipped with a notice when its content is the same, and is an
    error when it differs (the file is ambiguous).
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("A GIFT file must be UTF-8 encoded.")) from exc
    current_path = ""
    seen: dict[str, tuple[str, QuestionData]] = {}
    for line, block in _gift_blocks(text):
        ref = _("line %(line)s") % {"line": line}
        if block.lstrip().startswith("$CATEGORY:"):
            current_path = category_path(block.split(":", 1)[1].strip().splitlines()[0])
            continue
        name = ""
        body = block.strip()
        if body.startswith("::"):
            end = body.find("::", 2)
            if end > 0:
                name = gift_unescape(body[2:end]).strip()
                body = body[end + 2 :].strip()
        open_at = _find_unescaped(body, "{")
        close_at = _find_unescaped(body, "}", open_at + 1) if open_at >= 0 else -1
        if open_at < 0 or close_at < 0:
            yield Unsupported(ref=ref, name=name or body[:30], kind="description")
            continue
        stem_raw = body[:open_at] + (" ____ " + body[close_at + 1 :] if body[close_at + 1 :].strip(' ";') else "")
        answer = body[open_at + 1 : close_at].strip()
        stem = _gift_rich(stem_raw)
        data = _gift_question(answer, stem=stem, path=current_path, ref=ref, name=name)
        if isinstance(data, QuestionData) and name:
            if name in seen:
                first_ref, first = seen[name]
                if first == data:
                    yield Notice(
                        ref,
                        _("“%(name)s” repeats the question of the same name at %(first)s: skipped.")
                        % {"name": name, "first": first_ref},
                    )
                else:
                    yield Problem(
                        ref,
                        _("“%(name)s” has the name of the question at %(first)s but different content: rename one.")
                        % {"name": name, "first": first_ref},
                    )
                continue
            seen[name] = (ref, replace(data))  # a copy: the caller fills in the category
        yield data


def _gift_question(answer: str, *, stem: str, path: str, ref, name: str):
    base = {"stem": stem, "knowledge_point": path, "ref": str(ref), "name": name}
    general = ""
    general_at = answer.find("####")
    if general_at >= 0:
        general = _gift_text(answer[general_at + 4 :])[1]
        answer = answer[:general_at]
    base["explanation"] = re.sub(r"<[^>]+>", "", general)
    stripped = answer.strip()
    if not stripped:
        return QuestionData(qtype=QuestionType.SHORT_ANSWER, **base)
    if stripped.startswith("#"):
        return Unsupported(ref=str(ref), name=name, kind="numerical")
    head = _strip_feedback(stripped).strip().upper()
    if head in {"T", "TRUE", "F", "FALSE"}:
        return QuestionData(qtype=QuestionType.TRUE_FALSE, true_false_answer=head.startswith("T"), **base)
    parts = [(m, c) for m, c in _split_unescaped(stripped, "=~") if m]
    if any(_find_unescaped(c, "-") >= 0 and "->" in c for _m, c in parts):
        return Unsupported(ref=str(ref), name=name, kind="matching")
    weight_re = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
    items = []
    for marker, chunk in parts:
        chunk = _strip_feedback(chunk)
        match = weight_re.match(chunk)
        weight = Decimal(match.group(1)) if match else (Decimal(100) if marker == "=" else Decimal(0))
        if match:
            chunk = chunk[match.end() :]
        items.append((marker, _gift_text(chunk)[1], weight))
    if all(marker == "=" for marker, _t, _w in items):
        # Short answer: every listed answer is accepted (with its credit); `*` at 0% is Moodle's
        # catch-all "everything else is wrong", which is our default, so it is dropped.
        accepted = [(t, w) for _m, t, w in items if w > 0 and t]
        return QuestionData(
            qtype=QuestionType.FILL_BLANK,
            blank_answers=(tuple(t for t, _w in accepted),),
            blank_answer_weights=(tuple(w for _t, w in accepted),) if any(w != 100 for _t, w in accepted) else (),
            **base,
        )
    if len(items) > len(OPTION_LABELS):
        return Unsupported(ref=str(ref), name=name, kind="multichoice>8")
    correct = [w for _m, _t, w in items if w > 0]
    single = len(correct) == 1 and correct[0] == 100
    weighted = not single and any(w not in (0, 100) for _m, _t, w in items)
    options = tuple(
        (OPTION_LABELS[i], text, weight > 0, weight if weighted else None) for i, (_m, text, weight) in enumerate(items)
    )
    return QuestionData(qtype=QuestionType.SINGLE if single else QuestionType.MULTIPLE, options=options, **base)
