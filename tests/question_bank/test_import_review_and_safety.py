"""Imports arrive awaiting review; exports are safe to open in Excel; the preview and the editor speak Chinese."""

import csv
import io

import pytest
from openpyxl import load_workbook

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from academy.accounts.roles import BANK_REVIEWER
from question_bank.exporting import export_questions
from question_bank.forms import BlankAnswersField, QuestionAdminForm
from question_bank.importing import import_questions
from question_bank.interchange import neutralise_formula, restore_formula
from question_bank.models import Question, QuestionType
from question_bank.selectors import drawable_questions
from question_bank.services import question_review
from tests.factories import UserFactory

from .conftest import ROWS, run_import, template_csv
from .helpers import editor_and_reviewer

pytestmark = pytest.mark.django_db


# --- 2. Imported questions arrive awaiting review ----------------------------------------------


def test_confirmed_import_starts_the_review_workflow_for_every_question():
    editor, reviewer = editor_and_reviewer()
    report = run_import(template_csv(), user=editor)
    assert report.ok and report.created == 6 and report.submitted == 6
    questions = list(Question.objects.all())
    assert all(q.workflow_in_progress and q.review_status == "in_review" for q in questions)
    state = questions[0].current_workflow_state
    assert state.workflow.name == "题目审核" and state.requested_by == editor
    assert state.current_task_state.revision_id == questions[0].latest_revision_id
    assert not drawable_questions().exists()
    # The submitter cannot approve; a reviewer can, and the question becomes drawable.
    task = questions[0].current_workflow_task
    assert task.get_actions(questions[0], editor) == []
    question_review(question=questions[0], user=reviewer, approve=True)
    assert drawable_questions().filter(pk=questions[0].pk).exists()


def test_import_can_leave_drafts_and_update_submits_again(tmp_path):
    editor, _reviewer = editor_and_reviewer()
    report = run_import(template_csv(), user=editor, submit_for_review=False)
    assert report.submitted == 0 and not any(q.workflow_in_progress for q in Question.objects.all())
    path = tmp_path / "update.csv"
    row = ROWS[0].replace(",FYLC,", "FYLC-000001,FYLC,", 1).replace("见标准。", "见标准第5.2条。")
    path.write_bytes(template_csv([row]))
    call_command("import_questions", str(path), "--no-submit-for-review")
    assert not Question.objects.get(code="FYLC-000001").workflow_in_progress
    path.write_bytes(template_csv([row.replace("见标准第5.2条。", "见标准第5.3条。")]))
    call_command("import_questions", str(path))  # default: submit
    updated = Question.objects.get(code="FYLC-000001")
    assert updated.workflow_in_progress
    assert sum(q.workflow_in_progress for q in Question.objects.all()) == 1


def test_question_already_in_review_is_not_submitted_twice():
    editor, _reviewer = editor_and_reviewer()
    run_import(template_csv(), user=editor)
    row = ROWS[0].replace(",FYLC,", "FYLC-000001,FYLC,", 1).replace("见标准。", "见标准第6条。")
    report = run_import(template_csv([row]), user=editor)
    assert report.updated == 1 and report.submitted == 0
    question = Question.objects.get(code="FYLC-000001")
    assert question.workflow_states.filter(status="in_progress").count() == 1


# --- 3. Formula injection ----------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://evil","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "'=已有撇号", "''-两个"]


def test_neutralise_and_restore_are_inverse():
    for text in [*DANGEROUS, "普通文本", "'普通撇号", "", 5]:
        assert restore_formula(neutralise_formula(text)) == text
    assert neutralise_formula("=1+1") == "'=1+1" and neutralise_formula("普通") == "普通"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exported_cells_never_start_like_a_formula_and_round_trip_changes_nothing(fmt):
    admin = UserFactory(is_superuser=True)
    rows = [
        ',FYLC,鉴定程序,单选,2,=HYPERLINK("http://evil"),+1+1,-2+3,@SUM(A1),普通,A,,=2+2,1,,,',
        ",FYLC,鉴定程序,填空,2,温度是____度。,,,,,-5|负五,,,1,,,",
    ]
    assert run_import(template_csv(rows), submit_for_review=False).ok
    content = export_questions(queryset=Question.objects.all(), fmt=fmt, user=admin, with_keys=True)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not any(c.data_type == "f" for c in cells)
        values = [c.value for c in cells]
    else:
        values = [v for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for v in row]
    texts = [v for v in values if isinstance(v, str)]
    assert not [v for v in texts if v[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert '\'=HYPERLINK("http://evil")' in texts and "'+1+1" in texts and "'-5|负五" in texts
    report = import_questions(fileobj=io.BytesIO(content), filename=f"export.{fmt}", user=admin, dry_run=False)
    assert report.ok, report.errors
    assert (report.unchanged, report.updated, report.created) == (2, 0, 0)
    single = Question.objects.get(qtype=QuestionType.SINGLE)
    assert [o.text for o in single.options.all()][:3] == ["+1+1", "-2+3", "@SUM(A1)"]
    assert single.explanation == "=2+2"
    assert Question.objects.get(qtype=QuestionType.FILL_BLANK).blank_answers == [["-5", "负五"]]


# --- 4. The preview shows labels, not internal values ------------------------------------------


def test_import_preview_shows_translated_type_and_action(client, settings, django_capture_on_commit_callbacks):
    settings.BACKGROUND_INLINE = True  # this is about the page, not the queue: run the job in-process
    editor, _reviewer = editor_and_reviewer()
    client.force_login(editor)
    upload = SimpleUploadedFile("bank.csv", template_csv(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("question_bank_admin:import"), {"file": upload, "submit_for_review": "on"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    preview = page[page.index("data-qb-import-preview") :]
    assert "单选" in preview and "案例分析" in preview and "新增" in preview
    assert ">single<" not in preview and ">new<" not in preview
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(response["Location"])
    summary = client.get(confirmed["Location"]).content.decode()
    assert "data-qb-submitted>6<" in summary
    assert all(q.workflow_in_progress for q in Question.objects.all())


# --- 6. Blank answers as lines of text ---------------------------------------------------------


def test_blank_answers_field_round_trips_the_json():
    field = BlankAnswersField()
    stored = [["十", "10"], ["二"]]
    text = field.prepare_value(stored)
    assert text == "十|10\n二"
    assert field.clean(text) == stored
    assert field.clean(" 十 ｜ 10 \r\n\r\n 二 ") == stored  # full-width bar, spaces, blank lines
    assert field.clean("") == []


def test_blank_answers_errors_are_in_chinese():
    field = BlankAnswersField()
    with translation.override("zh-hans"), pytest.raises(Exception) as bad:
        field.clean("十||10\n二|二")
    messages = bad.value.messages
    assert len(messages) == 2
    assert "第 1 行" in messages[0] and "第 2 行" in messages[1]


def test_question_editor_saves_blank_answers_from_text(client):
    from .helpers import make_draft
    from .test_workflow import _post_edit

    editor = UserFactory(roles=[BANK_REVIEWER])
    question = make_draft(author=UserFactory())
    client.force_login(editor)
    response = _post_edit(client, question, "action-edit", extra={"blank_answers": "甲|A\n乙"})
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.get_latest_revision_as_object().blank_answers == [["甲", "A"], ["乙"]]
    form_class = QuestionAdminForm
    assert form_class.base_fields["blank_answers"].__class__ is BlankAnswersField
    page = client.get(reverse("wagtailsnippets_question_bank_question:edit", args=[question.pk])).content.decode()
    assert "甲|A\n乙" in page
