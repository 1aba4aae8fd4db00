import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from django.core.management import call_command

from question_bank.exporting import export_questions
from question_bank.importing import import_questions
from question_bank.models import KnowledgePoint, Question, QuestionType
from question_bank.selectors import drawable_questions, search_questions
from tests.factories import UserFactory

from .conftest import HEADER, ROWS, run_import, template_csv

pytestmark = pytest.mark.django_db

BASE = ROWS[0].split(",")  # a valid single-choice row


def row_with(**changes) -> str:
    cells = list(BASE)
    index = {name: i for i, name in enumerate(HEADER.split(","))}
    for header, value in changes.items():
        cells[index[header]] = value
    return ",".join(cells)


def test_valid_template_imports_every_type_as_drafts(imported):
    assert imported.created == 6 and imported.committed
    questions = {q.qtype: q for q in Question.objects.all()}
    assert set(questions) == set(QuestionType)
    assert all(not q.live and q.latest_revision_id for q in questions.values())
    assert not drawable_questions().exists()
    assert questions[QuestionType.SINGLE].answer_key() == ["C"]
    assert questions[QuestionType.MULTIPLE].answer_key() == ["A", "C"]  # full-width "Ａ Ｃ" folded
    assert questions[QuestionType.MULTIPLE].difficulty == 3  # full-width digit
    assert questions[QuestionType.TRUE_FALSE].answer_key() is True
    assert questions[QuestionType.FILL_BLANK].answer_key() == [["十", "10"]]
    case = questions[QuestionType.CASE_ANALYSIS]
    assert [(p.text, float(p.points)) for p in case.scoring_points.all()] == [("确定损伤类型", 4.0), ("适用条款", 6.0)]
    single = questions[QuestionType.SINGLE]
    assert single.code == "FYLC-000001"
    assert single.knowledge_point.path == "损伤程度/骨折"
    assert sorted(single.tags.names()) == ["损伤", "骨折"]
    assert single.usable_for == {"pre_employment", "continuing"}
    # The revision holds the children, so the approved copy is complete.
    assert [o.label for o in single.latest_revision.as_object().options.all()] == ["A", "B", "C", "D"]
    assert KnowledgePoint.objects.filter(path="损伤程度").count() == 1


def test_dry_run_writes_nothing():
    report = run_import(template_csv(), dry_run=True)
    assert report.ok and report.created == 6 and not report.committed
    assert Question.objects.count() == 0
    assert KnowledgePoint.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "column", "fragment"),
    [
        ({"题型": "问答"}, "题型", "问答"),
        ({"答案": "E"}, "答案", "E"),
        ({"答案": "Z"}, "答案", "Z"),
        ({"选项B": ""}, "选项B", "B"),
        ({"执业类别": "司法会计"}, "执业类别", "司法会计"),
        ({"难度": "6"}, "难度", "6"),
        ({"难度": "易"}, "难度", "易"),
        ({"题干": "  "}, "题干", ""),
    ],
)
def test_each_error_names_row_and_column_and_imports_nothing(change, column, fragment):
    rows = [ROWS[1], row_with(**change), ROWS[2]]
    with pytest.raises(SystemExit) as exit_info, _tmp(template_csv(rows)) as path:
        call_command("import_questions", str(path))
    assert exit_info.value.code == 1
    report = run_import(template_csv(rows))
    assert not report.ok
    assert [(e.ref, e.column) for e in report.errors] == [("第 3 行", column)]
    assert fragment in report.errors[0].message
    assert Question.objects.count() == 0


def test_errors_use_the_header_the_user_wrote():
    header = HEADER.replace("题型", "type").replace("答案", "Answer")
    report = run_import(template_csv([row_with(题型="bogus")], header=header))
    assert [(e.ref, e.column) for e in report.errors] == [("第 2 行", "type")]


def test_bad_encoding_is_refused_clearly():
    content = template_csv().decode().encode("utf-16")
    report = run_import(content)
    assert not report.ok and "UTF-8" in report.errors[0].message
    assert Question.objects.count() == 0


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings_utf8_bom_and_gbk(encoding):
    report = run_import(template_csv(encoding=encoding))
    assert report.ok and report.created == 6
    assert Question.objects.filter(stem__contains="肋骨骨折").exists()


def test_duplicate_stem_in_category_is_flagged_and_skipped(imported):
    again = ROWS[0].replace("肋骨骨折几处以上", "肋骨骨折 几处以上")  # stray space: same normalised stem
    report = run_import(template_csv([again]))
    assert report.ok and report.duplicates == 1 and report.created == 0
    assert "FYLC-000001" in report.warnings[0].message
    assert Question.objects.count() == 6


def test_existing_code_updates_as_a_new_draft_revision(imported):
    question = Question.objects.get(code="FYLC-000001")
    revisions = question.revisions.count()
    row = ROWS[0].replace(",FYLC,", "FYLC-000001,FYLC,", 1).replace("见标准。", "见标准第5.2条。")
    report = run_import(template_csv([row]))
    assert report.ok and report.updated == 1 and report.created == 0
    question.refresh_from_db()
    assert question.revisions.count() == revisions + 1
    assert question.explanation == "见标准第5.2条。"


def test_xlsx_round_trip_with_chinese_content_changes_nothing(imported):
    editor = UserFactory(is_superuser=True)
    first = export_questions(queryset=Question.objects.all(), fmt="xlsx", user=editor, with_keys=True)
    revisions = sum(q.revisions.count() for q in Question.objects.all())
    report = import_questions(fileobj=io.BytesIO(first), filename="export.xlsx", user=editor, dry_run=False)
    assert report.ok, report.errors
    assert (report.unchanged, report.created, report.updated, report.duplicates) == (6, 0, 0, 0)
    assert sum(q.revisions.count() for q in Question.objects.all()) == revisions
    second = export_questions(queryset=Question.objects.all(), fmt="xlsx", user=editor, with_keys=True)
    assert _cells(first) == _cells(second)
    assert any("肋骨骨折几处以上构成轻伤一级" in str(c) for row in _cells(first) for c in row)


def test_chinese_search_finds_words_inside_stems(imported):
    found = search_questions(Question.objects.all(), "骨折")
    assert {q.qtype for q in found} == {QuestionType.SINGLE, QuestionType.CASE_ANALYSIS}
    assert search_questions(Question.objects.all(), "轻伤 一级").count() == 1  # spaces ignored
    assert not search_questions(Question.objects.all(), "电子数据").exists()


def test_command_dry_run_and_import(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(template_csv())
    call_command("import_questions", str(path), "--dry-run")
    assert Question.objects.count() == 0
    call_command("import_questions", str(path))
    assert Question.objects.count() == 6


def _cells(content: bytes):
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


class _tmp:
    def __init__(self, content):
        import tempfile

        self.file = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)  # noqa: SIM115
        self.file.write(content)
        self.file.close()

    def __enter__(self):
        return Path(self.file.name)

    def __exit__(self, *exc):
        Path(self.file.name).unlink()


def test_bulk_revision_content_is_what_wagtail_would_serialise(imported):
    """The import builds revision content itself (speed); it must equal serializable_data()."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    for question in Question.objects.prefetch_related("options", "scoring_points", "tagged_items"):
        stored = dict(question.latest_revision.content)
        expected = json.loads(json.dumps(question.serializable_data(), cls=DjangoJSONEncoder))
        for volatile in ("updated_at", "latest_revision"):  # both change when the row is saved later
            stored.pop(volatile)
            expected.pop(volatile)
        assert stored == expected
        assert stored["options"] or stored["scoring_points"] or question.qtype not in {"single", "case_analysis"}
