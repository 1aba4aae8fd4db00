from academy.categories.models import PracticeCategory
from question_bank.models import Question, QuestionOption, QuestionType
from tests.factories import UserFactory


def make_draft(*, author=None, code="FYLC-900001", stem="<p>骨折的诊断依据是什么？</p>", category="FYLC") -> Question:
    """A single-choice draft saved the way the admin saves one (row + first revision)."""
    question = Question(
        code=code,
        category=PracticeCategory.objects.get(code=category),
        qtype=QuestionType.SINGLE,
        stem=stem,
        live=False,
        author=author,
    )
    question.options = [
        QuestionOption(label="A", text="影像学检查", is_correct=True, sort_order=0),
        QuestionOption(label="B", text="伤者自述", is_correct=False, sort_order=1),
    ]
    question.full_clean()
    question.save()
    question.save_revision(user=author)
    return question


def editor_and_reviewer():
    from academy.accounts.roles import BANK_EDITOR, BANK_REVIEWER

    return UserFactory(roles=[BANK_EDITOR]), UserFactory(roles=[BANK_REVIEWER])
