import pytest

from django.core.exceptions import PermissionDenied, ValidationError

from academy.accounts.roles import BANK_EDITOR, BANK_REVIEWER
from question_bank.models import Question
from question_bank.selectors import drawable_questions, question_snapshot
from question_bank.services import question_retire, question_review, question_submit_for_review
from tests.factories import UserFactory

from .helpers import editor_and_reviewer, make_draft

pytestmark = pytest.mark.django_db


def test_workflow_is_assigned_to_questions():
    question = make_draft()
    workflow = question.get_workflow()
    assert workflow is not None and workflow.name == "题目审核"
    task = workflow.tasks.get().specific
    assert [g.name for g in task.groups.all()] == [BANK_REVIEWER.group_name]


def test_draft_and_in_review_questions_are_not_drawable():
    editor, _reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    assert not drawable_questions().filter(pk=question.pk).exists()
    question_submit_for_review(question=question, user=editor)
    assert not drawable_questions().filter(pk=question.pk).exists()


def test_reviewer_approval_makes_the_revision_drawable():
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    question_review(question=question, user=reviewer, approve=True)
    question.refresh_from_db()
    assert drawable_questions().filter(pk=question.pk).exists()
    assert question_snapshot(question)["key"] == ["A"]


def test_rejected_revision_is_never_drawable():
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    with pytest.raises(ValidationError):
        question_review(question=question, user=reviewer, approve=False, comment="")
    question_review(question=question, user=reviewer, approve=False, comment="选项B表述不严谨")
    question.refresh_from_db()
    assert not question.live
    assert not drawable_questions().filter(pk=question.pk).exists()


def test_editor_cannot_approve_own_question_even_as_reviewer():
    both = UserFactory(roles=[BANK_EDITOR, BANK_REVIEWER])
    question = make_draft(author=both)
    question_submit_for_review(question=question, user=both)
    task = question.current_workflow_task
    assert task.get_actions(question, both) == []
    assert not task.user_can_access_editor(question, both)
    assert not task.get_task_states_user_can_moderate(both).exists()
    with pytest.raises(PermissionDenied):
        question_review(question=question, user=both, approve=True)
    with pytest.raises(PermissionDenied):
        task.on_action(question.current_workflow_task_state, both, "approve")
    question.refresh_from_db()
    assert not question.live


def test_editor_without_reviewer_role_cannot_approve():
    editor, _reviewer = editor_and_reviewer()
    other_editor = UserFactory(roles=[BANK_EDITOR])
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    with pytest.raises(PermissionDenied):
        question_review(question=question, user=other_editor, approve=True)


def test_revision_pinning_later_edits_do_not_change_the_approved_content():
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    question_review(question=question, user=reviewer, approve=True)
    question.refresh_from_db()
    pinned_revision_id = question.live_revision_id
    before = question_snapshot(question)

    working = question.get_latest_revision_as_object()
    working.stem = "<p>修改后的题干</p>"
    working.save_revision(user=editor)
    question.refresh_from_db()
    assert question.has_unpublished_changes
    assert question.live_revision_id == pinned_revision_id
    assert question_snapshot(question) == before
    # The pinned revision itself is immutable content: it still holds the approved stem.
    assert question.live_revision.as_object().stem == "<p>骨折的诊断依据是什么？</p>"


def test_retiring_stops_draws_and_keeps_history():
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    question_review(question=question, user=reviewer, approve=True)
    question.refresh_from_db()
    revision_id = question.live_revision_id
    question_retire(question=question, user=editor)
    assert not drawable_questions().filter(pk=question.pk).exists()
    question.refresh_from_db()
    assert question.live_revision_id == revision_id
    assert Question.objects.get(pk=question.pk).live_revision.as_object().code == question.code
    with pytest.raises(ValidationError):
        question_submit_for_review(question=question, user=editor)
