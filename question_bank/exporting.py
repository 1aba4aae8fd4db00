"""Export a selection of questions to the import template (xlsx/csv) or to Moodle XML.

The template export is what the importer reads back: export, re-import, and nothing changes.
Tables are written through django-import-export's formats (tablib); Moodle XML by hand.
"""

import html
import xml.etree.ElementTree as ET  # noqa: S405 - writing only

from import_export.formats.base_formats import CSV, XLSX
from tablib import Dataset

from django.db.models import QuerySet

from .importing import _working_copy
from .interchange import COLUMNS, QuestionData, from_question, neutralise_formula, rich_to_text, to_row
from .models import KnowledgePoint, Question, QuestionType
from .services import export_log_create

EXPORT_FORMATS = ("xlsx", "csv", "moodlexml")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "moodlexml": "application/xml",
}


def iter_question_data(queryset):
    """QuestionData of each question's working copy, in code order, a chunk at a time."""
    paths = dict(KnowledgePoint.objects.values_list("pk", "path"))
    qs = (
        queryset.order_by("code")
        .select_related("latest_revision", "category")
        .prefetch_related("options", "scoring_points", "tagged_items__tag")
    )
    for question in qs.iterator(chunk_size=500):
        working = _working_copy(question)
        tags = [t.tag.name for t in working.tagged_items.all()]
        yield (
            question.category.code,
            from_question(working, knowledge_point_path=paths.get(working.knowledge_point_id, ""), tag_names=tags),
        )


def template_dataset(queryset, *, with_keys: bool) -> Dataset:
    dataset = Dataset(headers=[c.zh for c in COLUMNS])
    for category_code, data in iter_question_data(queryset):
        row = to_row(data, category_code=category_code, with_keys=with_keys)
        dataset.append([neutralise_formula(row[c.key]) for c in COLUMNS])
    return dataset


def moodle_xml(queryset, *, with_keys: bool) -> bytes:
    """Moodle XML: one category element per knowledge-point path, keys as answer fractions."""
    quiz = ET.Element("quiz")
    last_path = None
    for category_code, data in iter_question_data(queryset):
        path = "/".join(filter(None, ["$course$", category_code, data.knowledge_point]))
        if path != last_path:
            cat = ET.SubElement(quiz, "question", type="category")
            ET.SubElement(ET.SubElement(cat, "category"), "text").text = path
            last_path = path
        _moodle_question(quiz, data, with_keys=with_keys)
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8")


def _text(parent, tag, value, fmt=None):
    node = ET.SubElement(parent, tag, **({"format": fmt} if fmt else {}))
    ET.SubElement(node, "text").text = value
    return node


def _moodle_question(quiz, data: QuestionData, *, with_keys: bool):
    kind = {
        QuestionType.SINGLE: "multichoice",
        QuestionType.MULTIPLE: "multichoice",
        QuestionType.TRUE_FALSE: "truefalse",
        QuestionType.FILL_BLANK: "shortanswer",
    }.get(data.qtype, "essay")
    q = ET.SubElement(quiz, "question", type=kind)
    _text(q, "name", data.code)
    _text(q, "questiontext", data.stem, "html")
    _text(q, "generalfeedback", html.escape(data.explanation) if with_keys else "", "html")
    ET.SubElement(q, "defaultgrade").text = str(data.points)
    ET.SubElement(q, "idnumber").text = data.code
    if kind == "multichoice":
        ET.SubElement(q, "single").text = "true" if data.qtype == QuestionType.SINGLE else "false"
        correct = [o for o in data.options if o[2]]
        for _label, text, is_correct, weight in data.options:
            if not with_keys:
                fraction = 0
            elif weight is not None:
                fraction = weight
            elif is_correct:
                fraction = 100 if data.qtype == QuestionType.SINGLE else round(100 / max(len(correct), 1), 5)
            else:
                fraction = 0
            _text(q, "answer", text, "plain_text").set("fraction", str(fraction))
    elif kind == "truefalse":
        _text(q, "answer", "true").set("fraction", "100" if with_keys and data.true_false_answer else "0")
        _text(q, "answer", "false").set("fraction", "100" if with_keys and data.true_false_answer is False else "0")
    elif kind == "shortanswer" and with_keys:
        # Moodle's short answer has one blank: several blanks are joined as one accepted answer.
        alternatives = (
            data.blank_answers[0] if len(data.blank_answers) == 1 else ("；".join(a[0] for a in data.blank_answers),)
        )
        weights = data.blank_answer_weights[0] if len(data.blank_answer_weights) == 1 else ()
        for i, text in enumerate(alternatives):
            _text(q, "answer", text).set("fraction", str(weights[i] if i < len(weights) else 100))
    elif kind == "essay" and with_keys:
        grader = data.reference_answer
        if data.scoring_points:
            grader += "\n" + "\n".join(f"{t}（{p}分）" for t, p in data.scoring_points)
        _text(q, "graderinfo", rich_to_text(html.escape(grader)), "plain_text")


def export_questions(
    *, queryset, fmt: str, user, with_keys: bool, filters: dict | None = None, command_line: bool = False
) -> bytes:
    """The file content of an export, after checking and logging who exported what."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(fmt)
    if not isinstance(queryset, QuerySet):
        queryset = Question.objects.filter(pk__in=[q.pk for q in queryset])
    export_log_create(
        user=user,
        fmt=fmt,
        filters=filters or {},
        count=queryset.count(),
        with_answer_keys=with_keys,
        command_line=command_line,
    )
    if fmt == "moodlexml":
        return moodle_xml(queryset, with_keys=with_keys)
    dataset = template_dataset(queryset, with_keys=with_keys)
    if fmt == "csv":
        # A BOM so that Excel opens the UTF-8 file with the Chinese intact.
        return "\ufeff".encode() + CSV().export_data(dataset).encode("utf-8")
    return XLSX().export_data(dataset)
