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


# --- Four-eyes rule: nobody publishes their own work ------------------------------------------


def _edit_url(question):
    from django.urls import reverse

    return reverse("wagtailsnippets_question_bank_question:edit", args=[question.pk])


def _post_edit(client, question, action: str, stem: str = "<p>骨折的诊断依据是什么？</p>", extra=None):
    """POST the admin edit form of a single-choice question (two options) with one action button."""
    from wagtail.test.utils.form_data import rich_text

    data = {
        "code": question.code,
        "category": question.category_id,
        "knowledge_point": "",
        "qtype": question.qtype,
        "difficulty": question.difficulty,
        "default_points": "1.0",
        "stem": rich_text(stem),
        "true_false_answer": "",
        "blank_answers": "",
        "reference_answer": "",
        "explanation": "",
        "basis": "",
        "usable_for_pre_employment": "on",
        "usable_for_job_transfer": "on",
        "usable_for_continuing": "on",
        "tags": "",
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "2",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        "scoring_points-TOTAL_FORMS": "0",
        "scoring_points-INITIAL_FORMS": "0",
        "scoring_points-MIN_NUM_FORMS": "0",
        "scoring_points-MAX_NUM_FORMS": "1000",
        action: "1",
        **(extra or {}),
    }
    option_ids = list(question.options.order_by("sort_order").values_list("pk", flat=True))
    for i, (label, text, ok) in enumerate([("A", "影像学检查", True), ("B", "伤者自述", False)]):
        data.update(
            {
                f"options-{i}-label": label,
                f"options-{i}-text": text,
                f"options-{i}-is_correct": "on" if ok else "",
                f"options-{i}-weight": "",
                f"options-{i}-ORDER": str(i + 1),
                f"options-{i}-id": str(option_ids[i]),
                f"options-{i}-DELETE": "",
            }
        )
    return client.post(_edit_url(question), data)


def test_nobody_holds_publish_and_the_editor_offers_no_publish_button(client):
    _editor, reviewer = editor_and_reviewer()
    admin = UserFactory(is_superuser=True)
    question = make_draft(author=_editor)
    assert not reviewer.has_perm("question_bank.publish_question")
    for user in (reviewer, admin):
        client.force_login(user)
        body = client.get(_edit_url(question)).content.decode()
        assert 'name="action-publish"' not in body
        assert 'name="action-submit"' in body  # the way to go live is the review


@pytest.mark.parametrize("role", ["reviewer", "superuser"])
def test_direct_publish_post_is_refused_for_reviewers_and_superusers(client, role):
    editor, reviewer = editor_and_reviewer()
    user = reviewer if role == "reviewer" else UserFactory(is_superuser=True)
    question = make_draft(author=editor)
    client.force_login(user)
    _post_edit(client, question, "action-publish", stem="<p>审核人直接改写并发布</p>")
    question.refresh_from_db()
    assert not question.live and question.live_revision_id is None
    assert not drawable_questions().filter(pk=question.pk).exists()


def test_reviewer_cannot_approve_a_revision_they_wrote_during_the_review():
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    working = question.get_latest_revision_as_object()
    working.stem = "<p>审核人改写后的题干</p>"
    working.save_revision(user=reviewer)
    question.refresh_from_db()
    task = question.current_workflow_task
    assert task.get_actions(question, reviewer) == []
    with pytest.raises(PermissionDenied):
        question_review(question=question, user=reviewer, approve=True)
    with pytest.raises(PermissionDenied):
        task.on_action(question.current_workflow_task_state, reviewer, "approve")
    question.refresh_from_db()
    assert not question.live and question.workflow_in_progress


def test_reviewer_editing_in_the_editor_then_approving_does_not_go_live(client):
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    client.force_login(reviewer)
    response = _post_edit(
        client,
        question,
        "action-workflow-action",
        stem="<p>审核人在编辑器里改写</p>",
        extra={"workflow-action-name": "approve"},
    )
    assert response.status_code in {302, 403} and response.get("Location") != _edit_url(question)  # refused
    question.refresh_from_db()
    assert not question.live and question.workflow_in_progress
    assert "审核人在编辑器里改写" in question.latest_revision.as_object().stem  # kept, awaiting review


def test_approving_unchanged_in_the_editor_publishes(client):
    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    client.force_login(reviewer)
    response = _post_edit(client, question, "action-workflow-action", extra={"workflow-action-name": "approve"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.live and drawable_questions().filter(pk=question.pk).exists()


def test_revision_written_by_one_reviewer_and_approved_by_another_goes_live():
    editor, reviewer = editor_and_reviewer()
    second = UserFactory(roles=[BANK_REVIEWER])
    question = make_draft(author=editor)
    question_submit_for_review(question=question, user=editor)
    working = question.get_latest_revision_as_object()
    working.stem = "<p>审核人甲修改的题干</p>"
    working.save_revision(user=reviewer)
    question.refresh_from_db()
    question_review(question=question, user=second, approve=True)
    question.refresh_from_db()
    assert question.live and not question.has_unpublished_changes
    assert drawable_questions().filter(pk=question.pk).exists()
    assert question_snapshot(question)["stem"] == "<p>审核人甲修改的题干</p>"


def test_superuser_who_wrote_a_question_cannot_approve_it():
    admin = UserFactory(is_superuser=True)
    _editor, reviewer = editor_and_reviewer()
    question = make_draft(author=admin)
    question_submit_for_review(question=question, user=reviewer)  # submitted by someone else
    with pytest.raises(PermissionDenied):
        question_review(question=question, user=admin, approve=True)
    question.refresh_from_db()
    assert not question.live


def test_finish_action_refuses_own_work_even_when_called_directly():
    from question_bank.review import publish_workflow_state

    editor, reviewer = editor_and_reviewer()
    question = make_draft(author=reviewer)
    question_submit_for_review(question=question, user=editor)
    with pytest.raises(PermissionDenied):
        publish_workflow_state(question.current_workflow_state, user=reviewer)
    question.refresh_from_db()
    assert not question.live
