"""The exchange form of a question, and the template columns (docs/question-import.md).

Every import format is parsed into `QuestionData`; every export is written from it. Comparing two
`QuestionData` is how a re-import recognises "nothing changed", so the form is canonical: stems as
stored rich text, option tuples in label order, tags sorted, usable-for as a frozenset.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from .models import OPTION_LABELS, ExamKind, QuestionType


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str


COLUMNS = [
    Column("code", "题目编号", "code"),
    Column("category", "执业类别", "category"),
    Column("knowledge_point", "知识点", "knowledge_point"),
    Column("type", "题型", "type"),
    Column("difficulty", "难度", "difficulty"),
    Column("stem", "题干", "stem"),
    *[Column(f"option_{c.lower()}", f"选项{c}", f"option_{c.lower()}") for c in OPTION_LABELS],
    Column("answer", "答案", "answer"),
    Column("scoring_points", "评分要点", "scoring_points"),
    Column("explanation", "解析", "explanation"),
    Column("points", "分值", "points"),
    Column("usable_for", "适用考试", "usable_for"),
    Column("tags", "标签", "tags"),
    Column("basis", "依据", "basis"),
]
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(text or ""))).lower()


# Headers as users write them (Chinese or English, any case, full-width letters, stray spaces).
HEADER_ALIASES = {}
for _col in COLUMNS:
    HEADER_ALIASES[_header_key(_col.zh)] = _col.key
    HEADER_ALIASES[_header_key(_col.en)] = _col.key
HEADER_ALIASES.update(
    {
        _header_key("编号"): "code",
        _header_key("类别"): "category",
        _header_key("专业领域"): "category",
        _header_key("question_type"): "type",
        _header_key("qtype"): "type",
        _header_key("参考答案"): "answer",
        _header_key("分数"): "points",
    }
)

TYPE_ALIASES = {
    "单选": QuestionType.SINGLE,
    "单选题": QuestionType.SINGLE,
    "单项选择": QuestionType.SINGLE,
    "单项选择题": QuestionType.SINGLE,
    "多选": QuestionType.MULTIPLE,
    "多选题": QuestionType.MULTIPLE,
    "多项选择": QuestionType.MULTIPLE,
    "多项选择题": QuestionType.MULTIPLE,
    "判断": QuestionType.TRUE_FALSE,
    "判断题": QuestionType.TRUE_FALSE,
    "填空": QuestionType.FILL_BLANK,
    "填空题": QuestionType.FILL_BLANK,
    "简答": QuestionType.SHORT_ANSWER,
    "简答题": QuestionType.SHORT_ANSWER,
    "案例分析": QuestionType.CASE_ANALYSIS,
    "案例分析题": QuestionType.CASE_ANALYSIS,
}
TYPE_ALIASES.update({t.value: t for t in QuestionType})
TYPE_ALIASES.update({"truefalse": QuestionType.TRUE_FALSE, "fillblank": QuestionType.FILL_BLANK})
TYPE_LABELS_ZH = {
    QuestionType.SINGLE: "单选",
    QuestionType.MULTIPLE: "多选",
    QuestionType.TRUE_FALSE: "判断",
    QuestionType.FILL_BLANK: "填空",
    QuestionType.SHORT_ANSWER: "简答",
    QuestionType.CASE_ANALYSIS: "案例分析",
}

TRUE_WORDS = {"对", "正确", "是", "t", "true", "√", "✓", "y", "yes"}
FALSE_WORDS = {"错", "错误", "否", "f", "false", "×", "✗", "x", "n", "no"}

USABLE_ALIASES = {
    "岗前": ExamKind.PRE_EMPLOYMENT,
    "岗前培训": ExamKind.PRE_EMPLOYMENT,
    "转岗": ExamKind.JOB_TRANSFER,
    "转岗培训": ExamKind.JOB_TRANSFER,
    "继续教育": ExamKind.CONTINUING,
    "岗位培训": ExamKind.CONTINUING,
}
USABLE_ALIASES.update({k.value: k for k in ExamKind})
USABLE_LABELS_ZH = {ExamKind.PRE_EMPLOYMENT: "岗前", ExamKind.JOB_TRANSFER: "转岗", ExamKind.CONTINUING: "继续教育"}
ALL_USABLE = frozenset(ExamKind)

LIST_SPLIT = re.compile(r"[,，、;；/\s]+")
BLANK_SPLIT = re.compile(r"[;；]")
SCORING_POINT = re.compile(r"^(?P<text>.*?)[（(]\s*(?P<points>\d+(?:\.\d+)?)\s*分?\s*[)）]$")
HTML_START = re.compile(r"^\s*<(p|h[1-6]|ol|ul|div|img|embed|b|i|strong|em|br)\b", re.IGNORECASE)


# Spreadsheet formula injection: Excel (and LibreOffice, WPS) run a cell that starts with one of
# these as a formula. Exports put an apostrophe in front of such text; imports remove exactly that
# apostrophe again, so an export re-imports unchanged (docs/question-import.md).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A cell value safe to open in a spreadsheet: text starting like a formula gets a leading `'`."""
    # Text already starting with apostrophes before a formula sign gets one more, so that the
    # import's removal of one apostrophe gives the original back.
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START):
        return "'" + value
    return value


def restore_formula(value):
    """Undo neutralise_formula on an imported cell: `'=…` becomes `=…`, `''=…` becomes `'=…`; other apostrophes stay."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_START):
        return value[1:]
    return value


@dataclass
class QuestionData:
    """One question in exchange form. `ref` says where it came from, for messages."""

    qtype: str
    stem: str
    category_id: int | None = None
    code: str = ""
    knowledge_point: str = ""
    difficulty: int = 3
    options: tuple = ()  # ((label, text, is_correct, weight or None), ...)
    true_false_answer: bool | None = None
    blank_answers: tuple = ()  # ((alternative, ...), ...)
    blank_answer_weights: tuple = ()
    reference_answer: str = ""
    scoring_points: tuple = ()  # ((text, Decimal points), ...)
    explanation: str = ""
    basis: str = ""
    points: Decimal = Decimal("1")
    usable_for: frozenset = ALL_USABLE
    tags: tuple = ()
    ref: str = field(default="", compare=False)
    name: str = field(default="", compare=False)


def fold(value) -> str:
    """NFKC (full-width to half-width) and trimmed: how every cell is read."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def text_to_rich(text: str) -> str:
    """Plain cell text to stored rich text; HTML written by an export comes back unchanged."""
    text = (text or "").strip()
    if not text:
        return ""
    if HTML_START.match(text):
        return text
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines)


_SIMPLE_PARAGRAPHS = re.compile(r"^(<p>[^<>]*</p>)+$")


def rich_to_text(value: str) -> str:
    """Stored rich text to a cell: paragraphs of plain text become lines; anything richer stays HTML."""
    value = (value or "").strip()
    if _SIMPLE_PARAGRAPHS.match(value):
        return "\n".join(html.unescape(p) for p in re.findall(r"<p>([^<>]*)</p>", value))
    return value


def parse_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(fold(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_decimal(value) -> str:
    value = Decimal(value)
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value.normalize())


def format_answer(data: QuestionData) -> str:
    if data.qtype in QuestionType.choice_types():
        return "".join(label for label, _text, correct, _w in data.options if correct)
    if data.qtype == QuestionType.TRUE_FALSE:
        return {True: "对", False: "错"}.get(data.true_false_answer, "")
    if data.qtype == QuestionType.FILL_BLANK:
        return "；".join("|".join(alts) for alts in data.blank_answers)
    return data.reference_answer


def to_row(data: QuestionData, *, category_code: str, with_keys: bool = True) -> dict:
    """The template row (by column key) of one question. Without keys, answers and explanations are blank."""
    options = {label: text for label, text, _c, _w in data.options}
    row = {
        "code": data.code,
        "category": category_code,
        "knowledge_point": data.knowledge_point,
        "type": TYPE_LABELS_ZH[QuestionType(data.qtype)],
        "difficulty": data.difficulty,
        "stem": rich_to_text(data.stem),
        **{f"option_{c.lower()}": options.get(c, "") for c in OPTION_LABELS},
        "answer": format_answer(data) if with_keys else "",
        "scoring_points": "；".join(f"{text}（{format_decimal(pts)}分）" for text, pts in data.scoring_points)
        if with_keys
        else "",
        "explanation": data.explanation if with_keys else "",
        "points": format_decimal(data.points),
        "usable_for": "、".join(USABLE_LABELS_ZH[k] for k in ExamKind if k in data.usable_for),
        "tags": "、".join(data.tags),
        "basis": data.basis,
    }
    return row


def from_question(question, *, knowledge_point_path: str = "", tag_names=None) -> QuestionData:
    """A Question (row or revision object, children loaded) in exchange form."""
    options = tuple(
        (o.label, o.text, bool(o.is_correct), None if o.weight is None else Decimal(o.weight))
        for o in sorted(question.options.all(), key=lambda o: o.label)
    )
    if tag_names is None:
        tag_names = [t.name for t in question.tags.all()]
    return QuestionData(
        code=question.code,
        category_id=question.category_id,
        knowledge_point=knowledge_point_path,
        qtype=question.qtype,
        difficulty=int(question.difficulty),
        stem=question.stem or "",
        options=options,
        true_false_answer=question.true_false_answer,
        blank_answers=tuple(tuple(alts) for alts in (question.blank_answers or [])),
        blank_answer_weights=tuple(tuple(Decimal(str(w)) for w in ws) for ws in (question.blank_answer_weights or [])),
        reference_answer=question.reference_answer or "",
        scoring_points=tuple((p.text, Decimal(p.points)) for p in question.scoring_points.all()),
        explanation=question.explanation or "",
        basis=question.basis or "",
        points=Decimal(question.default_points),
        usable_for=frozenset(question.usable_for),
        tags=tuple(sorted(set(tag_names))),
    )


# Row-level parsing of the template -------------------------------------------------------------


class RowError(Exception):
    """A problem in one cell; `column` is the key, reported under the header the user wrote."""

    def __init__(self, column: str, message):
        super().__init__(message)
        self.column = column
        self.message = message


def parse_row(cells: dict, *, categories, default_category=None) -> tuple[QuestionData | None, list[RowError]]:
    """Parse one template row (cells keyed by column key). Returns the data or every problem found.

    `categories` maps folded code/name (lower case) to a PracticeCategory (review fields only).
    """
    errors: list[RowError] = []

    def cell(key):
        return fold(cells.get(key))

    qtype = TYPE_ALIASES.get(cell("type").lower().replace(" ", "").replace("-", "_"))
    if qtype is None:
        raw = cell("type")
        errors.append(
            RowError(
                "type",
                _("Unknown question type “%(value)s”: use 单选, 多选, 判断, 填空, 简答 or 案例分析.") % {"value": raw}
                if raw
                else _("The question type is missing."),
            )
        )

    category = None
    category_text = cell("category")
    if category_text:
        category = categories.get(category_text.lower())
        if category is None:
            errors.append(RowError("category", _("Unknown practice category “%(value)s”.") % {"value": category_text}))
    elif default_category is not None:
        category = default_category
    else:
        errors.append(RowError("category", _("The practice category is missing.")))

    difficulty = 3
    difficulty_text = cell("difficulty")
    if difficulty_text:
        number = parse_decimal(difficulty_text)
        if number is None or number != number.to_integral() or not 1 <= number <= 5:
            errors.append(
                RowError(
                    "difficulty",
                    _("Difficulty must be a whole number from 1 to 5, not “%(value)s”.") % {"value": difficulty_text},
                )
            )
        else:
            difficulty = int(number)

    stem = text_to_rich(str(cells.get("stem") or ""))
    if not stem:
        errors.append(RowError("stem", _("The stem is empty.")))

    points = Decimal("1")
    points_text = cell("points")
    if points_text:
        number = parse_decimal(points_text)
        if number is None or number <= 0 or number >= 10000:
            errors.append(
                RowError("points", _("Points must be a positive number, not “%(value)s”.") % {"value": points_text})
            )
        else:
            points = number.quantize(Decimal("0.1"))

    usable = ALL_USABLE
    usable_text = cell("usable_for")
    if usable_text:
        kinds = set()
        for word in filter(None, LIST_SPLIT.split(usable_text)):
            kind = USABLE_ALIASES.get(word.lower())
            if kind is None:
                errors.append(
                    RowError(
                        "usable_for",
                        _("Unknown exam kind “%(value)s”: use 岗前, 转岗 or 继续教育.") % {"value": word},
                    )
                )
            else:
                kinds.add(kind)
        usable = frozenset(kinds) or ALL_USABLE

    code = cell("code").upper()
    if code and not re.fullmatch(r"[A-Z0-9][A-Z0-9_\-]{0,19}", code):
        errors.append(
            RowError(
                "code",
                _("A question code has at most 20 letters, digits and hyphens, not “%(value)s”.") % {"value": code},
            )
        )

    knowledge_point = "/".join(
        part.strip() for part in re.split(r"[/／\\>]", fold(cells.get("knowledge_point"))) if part.strip()
    )
    if len(knowledge_point) > 500 or any(len(p) > 100 for p in knowledge_point.split("/")):
        errors.append(RowError("knowledge_point", _("The knowledge-point path is too long.")))

    answer_text = cell("answer")
    data = QuestionData(
        qtype=qtype or "",
        stem=stem,
        category_id=category.pk if category else None,
        code=code,
        knowledge_point=knowledge_point,
        difficulty=difficulty,
        explanation=str(cells.get("explanation") or "").strip(),
        basis=cell("basis")[:200],
        points=points,
        usable_for=usable,
        tags=tuple(sorted({t for t in (w.strip() for w in re.split(r"[,，、;；]+", cell("tags"))) if t})),
    )

    if qtype in QuestionType.choice_types():
        texts = [fold(cells.get(f"option_{c.lower()}")) for c in OPTION_LABELS]
        last = max((i for i, t in enumerate(texts) if t), default=-1)
        for i in range(last):
            if not texts[i]:
                errors.append(
                    RowError(
                        f"option_{OPTION_LABELS[i].lower()}",
                        _("Option %(label)s is missing although a later option is filled in.")
                        % {"label": OPTION_LABELS[i]},
                    )
                )
        if last < 1:
            errors.append(
                RowError("option_b" if last == 0 else "option_a", _("A choice question needs at least two options."))
            )
        letters = re.sub(r"[\s,，、;；]+", "", answer_text.upper())
        if not letters:
            errors.append(RowError("answer", _("The answer is missing.")))
        else:
            bad = [ch for ch in letters if ch not in OPTION_LABELS]
            if bad:
                errors.append(
                    RowError("answer", _("“%(value)s” is not an option letter (A–H).") % {"value": "".join(bad)})
                )
            else:
                missing = [ch for ch in letters if OPTION_LABELS.index(ch) > last or not texts[OPTION_LABELS.index(ch)]]
                if missing:
                    errors.append(
                        RowError(
                            "answer",
                            _("The answer names option %(label)s, which is empty.") % {"label": "".join(missing)},
                        )
                    )
                if len(set(letters)) != len(letters):
                    errors.append(RowError("answer", _("The answer repeats a letter.")))
                if qtype == QuestionType.SINGLE and len(set(letters)) > 1:
                    errors.append(RowError("answer", _("A single-choice question has exactly one correct letter.")))
        data.options = tuple(
            (OPTION_LABELS[i], texts[i], OPTION_LABELS[i] in letters, None) for i in range(last + 1) if texts[i]
        )
    elif qtype == QuestionType.TRUE_FALSE:
        word = answer_text.lower()
        if word in TRUE_WORDS:
            data.true_false_answer = True
        elif word in FALSE_WORDS:
            data.true_false_answer = False
        else:
            errors.append(
                RowError(
                    "answer",
                    _("A true/false answer is 对/错 (正确/错误, T/F, true/false), not “%(value)s”.")
                    % {"value": answer_text},
                )
                if answer_text
                else RowError("answer", _("The answer is missing."))
            )
    elif qtype == QuestionType.FILL_BLANK:
        blanks = []
        for part in BLANK_SPLIT.split(answer_text):
            alts = tuple(a.strip() for a in part.split("|") if a.strip())
            if alts:
                blanks.append(alts)
        if not blanks:
            errors.append(RowError("answer", _("The answer is missing.")))
        data.blank_answers = tuple(blanks)
    elif qtype in QuestionType.subjective_types():
        data.reference_answer = str(cells.get("answer") or "").strip()
        if not data.reference_answer:
            errors.append(RowError("answer", _("A subjective question needs its reference answer.")))
        points_list = []
        for part in re.split(r"[;；\n]+", cell("scoring_points")):
            part = part.strip()
            if not part:
                continue
            match = SCORING_POINT.match(part)
            if not match:
                errors.append(
                    RowError(
                        "scoring_points",
                        _("Write each scoring point as “text（2分）”, not “%(value)s”.") % {"value": part},
                    )
                )
                continue
            points_list.append((match["text"].strip(), Decimal(match["points"]).quantize(Decimal("0.1"))))
        data.scoring_points = tuple(points_list)
    return (None if errors else data), errors
