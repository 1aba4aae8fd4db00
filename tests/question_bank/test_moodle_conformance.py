"""The Moodle fixtures in ../shared/conformance/moodle import as its README says."""

from pathlib import Path

import pytest

from question_bank.importing import import_questions, resolve_category
from question_bank.models import Question, QuestionType
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

MOODLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "moodle"


@pytest.fixture
def moodle_dir():
    if not MOODLE.is_dir():
        skip_or_fail(f"conformance files not found at {MOODLE} (../shared beside the checkout)")
    return MOODLE


def _import(path):
    with open(path, "rb") as fileobj:
        return import_questions(fileobj=fileobj, filename=path.name, dry_run=False, category=resolve_category("FYLC"))


def test_nested_categories_xml(moodle_dir):
    report = _import(moodle_dir / "nested_categories_with_questions.xml")
    assert report.ok and report.created == 5
    rows = {q.stem: (q.qtype, q.knowledge_point.path, q.true_false_answer) for q in Question.objects.all()}
    assert rows["<p>Testing Iota Question</p>"] == (QuestionType.TRUE_FALSE, "Iota", True)
    assert rows["<p>Testing Kappa Question</p>"] == (QuestionType.TRUE_FALSE, "Iota/Kappa", True)
    assert rows["<p>Testing Lambda Question</p>"] == (QuestionType.TRUE_FALSE, "Iota/Kappa/Lambda", True)
    assert rows["<p>Testing Mu Question</p>"] == (QuestionType.TRUE_FALSE, "Iota/Mu", True)
    assert rows["<p>Testing Kappa Essay Question</p>"][:2] == (QuestionType.SHORT_ANSWER, "Iota/Kappa")
    assert all(not q.live for q in Question.objects.all())


def test_questions_gift(moodle_dir):
    report = _import(moodle_dir / "questions.gift.txt")
    assert report.ok, report.errors
    assert report.created == 6
    notes = {w.ref: w.message for w in report.warnings}
    assert "Moodle activities" in notes["第 5 行"] and "matching" in notes["第 5 行"]
    assert "Q5" in notes["第 31 行"] and "numerical" in notes["第 31 行"]
    assert "2-08 TSL" in notes["第 49 行"]  # same name, same content: the second is skipped
    by_type = {}
    for q in Question.objects.all():
        by_type.setdefault(q.qtype, []).append(q)
    assert [q.stem for q in by_type[QuestionType.SHORT_ANSWER]] == ["<p>How are you?</p>"]
    single = by_type[QuestionType.SINGLE][0]
    assert single.answer_key() == ["A"] and [o.text for o in single.options.all()] == ["yellow", "red", "blue"]
    multi = by_type[QuestionType.MULTIPLE][0]
    assert multi.answer_key() == ["A", "C"]
    assert [float(o.weight) for o in multi.options.all()] == [50, -100, 50, -100]
    fill = by_type[QuestionType.FILL_BLANK][0]
    assert fill.blank_answers == [["Frog", "Cat"]] and fill.blank_answer_weights == [[100, 50]]
    tf = {q.stem: q.true_false_answer for q in by_type[QuestionType.TRUE_FALSE]}
    assert tf == {"<p>42 is the Absolute Answer to everything.</p>": False, "<p>TSL is blablabla.</p>": True}


def test_questions_in_category_gift(moodle_dir):
    report = _import(moodle_dir / "questions_in_category.gift.txt")
    assert report.ok and report.created == 3
    assert [w.message for w in report.warnings if "matching" in w.message]
    questions = list(Question.objects.order_by("pk"))
    assert {q.knowledge_point.path for q in questions} == {"Default for New Features"}
    greeting = questions[0]
    assert 'href="http://demo.moodle.net/file.php/5/media/bonjour.mp3"' in greeting.stem  # \= and \: decoded
    assert "Listen to this greeting:" in greeting.stem
    assert greeting.answer_key() == ["B"]
    assert questions[1].blank_answers == [["Moodler"]]
    assert questions[2].true_false_answer is True and "Modular Object-Oriented" in questions[2].stem
