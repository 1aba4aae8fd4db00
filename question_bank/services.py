"""Business rules of the question bank: review, retirement, tagging, statistics, export logging."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taggit.models import Tag
from wagtail.log_actions import log

from .models import Question, QuestionExportLog, QuestionTag

BANK_CONTENT_PERMS = ("question_bank.view_question", "question_bank.change_question", "question_bank.add_question")


def user_can_see_content(user) -> bool:
    """Stems and keys are for bank roles (and superusers) only; regulators see statistics."""
    return bool(user and user.is_authenticated and any(user.has_perm(p) for p in BANK_CONTENT_PERMS))


def user_can_export_keys(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("question_bank.export_answer_keys"))


@transaction.atomic
def question_submit_for_review(*, question: Question, user):
    """Start the review workflow on the latest revision. Retired or already-reviewed questions refuse."""
    if question.is_retired:
        raise ValidationError(_("A retired question cannot be submitted for review."))
    if question.workflow_in_progress:
        raise ValidationError(_("%(code)s is already in review.") % {"code": question.code})
    workflow = question.get_workflow()
    if workflow is None:
        raise ValidationError(_("No review workflow is assigned to questions."))
    if question.latest_revision_id is None:
        question.save_revision(user=user, log_action=True)
    elif question.live and not question.has_unpublished_changes:
        raise ValidationError(_("%(code)s has no changes to review.") % {"code": question.code})
    return workflow.start(question, user)


@transaction.atomic
def questions_submit_for_review_bulk(*, question_ids: list[int], user) -> int:
    """Put many questions (e.g. a confirmed import) into the review workflow with a few queries per 500.

    What Workflow.start does for one object, in bulk: a WorkflowState and its first TaskState on
    the latest revision, the state's current task, and the "workflow started" log entry. The
    per-question notification e-mails of Wagtail's signals are not sent (an import of 10,000 rows
    would mail every reviewer 10,000 times); reviewers find the batch on the dashboard and in the
    listing filtered by 审核中. Questions already in review, retired, or without a revision are skipped.
    Returns how many were submitted.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import OuterRef, Subquery

    from wagtail.models import ModelLogEntry, TaskState, WorkflowState

    from .importing import copy_insert

    workflow = Question().get_workflow()
    if workflow is None:
        raise ValidationError(_("No review workflow is assigned to questions."))
    task = workflow.tasks.filter(active=True).order_by("workflow_tasks__sort_order").first()
    if task is None:
        raise ValidationError(_("No review workflow is assigned to questions."))
    content_type = ContentType.objects.get_for_model(Question)
    task_state_type = ContentType.objects.get_for_model(TaskState)
    now = timezone.now()
    submitted = 0
    for start in range(0, len(question_ids), 500):
        ids = question_ids[start : start + 500]
        busy = set(
            WorkflowState.objects.active()
            .filter(base_content_type=content_type, object_id__in=[str(i) for i in ids])
            .values_list("object_id", flat=True)
        )
        rows = [
            (pk, code, revision_id)
            for pk, code, revision_id in Question.objects.filter(
                pk__in=ids, retired_at__isnull=True, latest_revision__isnull=False
            ).values_list("pk", "code", "latest_revision_id")
            if str(pk) not in busy
        ]
        states = WorkflowState.objects.bulk_create(
            WorkflowState(
                content_type=content_type,
                base_content_type=content_type,
                object_id=str(pk),
                workflow=workflow,
                status=WorkflowState.STATUS_IN_PROGRESS,
                requested_by=user,
                created_at=now,
            )
            for pk, _code, _rev in rows
        )
        TaskState.objects.bulk_create(
            TaskState(
                workflow_state=state,
                revision_id=revision_id,
                task=task,
                status=TaskState.STATUS_IN_PROGRESS,
                content_type=task_state_type,
            )
            for state, (_pk, _code, revision_id) in zip(states, rows, strict=True)
        )
        WorkflowState.objects.filter(pk__in=[s.pk for s in states]).update(
            current_task_state=Subquery(TaskState.objects.filter(workflow_state=OuterRef("pk")).values("pk")[:1])
        )
        copy_insert(
            ModelLogEntry,
            [
                ModelLogEntry(
                    content_type=content_type,
                    object_id=str(pk),
                    label=code,
                    action="wagtail.workflow.start",
                    data={"workflow": {"id": workflow.pk, "title": workflow.name, "status": "in_progress"}},
                    timestamp=now,
                    user=user,
                    revision_id=revision_id,
                )
                for pk, code, revision_id in rows
            ],
        )
        submitted += len(rows)
    return submitted


@transaction.atomic
def question_review(*, question: Question, user, approve: bool, comment: str = "") -> None:
    """Approve (publishes the revision under review) or reject with a comment.

    The review task refuses the submitter and anyone outside the reviewer groups.
    """
    task_state = question.current_workflow_task_state
    if task_state is None:
        raise ValidationError(_("%(code)s is not in review.") % {"code": question.code})
    task = task_state.task.specific
    action = "approve" if approve else "reject"
    if action not in {name for name, _label, _form in task.get_actions(question, user)}:
        raise PermissionDenied(_("You cannot review a question you submitted or wrote yourself."))
    if not approve and not comment.strip():
        raise ValidationError(_("Say what must change when you reject a question."))
    task.on_action(task_state.specific, user, action, comment=comment)


@transaction.atomic
def question_retire(*, question: Question, user) -> Question:
    """Stop new draws; papers that already drew the question keep their pinned revision."""
    if question.is_retired:
        return question
    question.retired_at = timezone.now()
    question.save(update_fields=["retired_at"])
    log(instance=question, action="question_bank.retire", user=user)
    return question


@transaction.atomic
def question_unretire(*, question: Question, user) -> Question:
    if not question.is_retired:
        return question
    question.retired_at = None
    question.save(update_fields=["retired_at"])
    log(instance=question, action="question_bank.unretire", user=user)
    return question


@transaction.atomic
def questions_add_tags(*, questions, tag_names: list[str], user) -> int:
    """Add tags to many questions at once (tags are bookkeeping, not reviewed content)."""
    names = sorted({n.strip() for n in tag_names if n and n.strip()})
    if not names:
        raise ValidationError(_("Give at least one tag."))
    tags = []
    for name in names:
        tag = Tag.objects.filter(name=name).first() or Tag.objects.create(name=name)
        tags.append(tag)
    ids = [q.pk for q in questions]
    existing = set(QuestionTag.objects.filter(content_object_id__in=ids).values_list("content_object_id", "tag_id"))
    rows = [QuestionTag(content_object_id=qid, tag=tag) for qid in ids for tag in tags if (qid, tag.pk) not in existing]
    QuestionTag.objects.bulk_create(rows)
    return len(rows)


def question_record_statistics(
    *, question: Question, times_used: int, facility: float | None, discrimination: float | None, last_used_at
) -> Question:
    """Store the statistics the exams app computes after grading (facility 0..1, discrimination -1..1)."""
    if facility is not None and not 0 <= facility <= 1:
        raise ValidationError(_("Facility is a share between 0 and 1."))
    if discrimination is not None and not -1 <= discrimination <= 1:
        raise ValidationError(_("Discrimination lies between -1 and 1."))
    Question.objects.filter(pk=question.pk).update(
        times_used=times_used, facility=facility, discrimination=discrimination, last_used_at=last_used_at
    )
    question.refresh_from_db(fields=["times_used", "facility", "discrimination", "last_used_at"])
    return question


def export_log_create(
    *, user, fmt: str, filters: dict, count: int, with_answer_keys: bool, command_line: bool = False
) -> QuestionExportLog:
    """Every export is logged; one with answer keys needs `question_bank.export_answer_keys`.

    `command_line`: run by an operator on the server without --user; logged with no user.
    """
    if command_line and user is None:
        filters = {**filters, "via": "manage.py export_questions"}
    elif not user_can_see_content(user):
        raise PermissionDenied(_("Only question-bank roles may export questions."))
    if with_answer_keys and not command_line and not user_can_export_keys(user):
        raise PermissionDenied(_("Exporting answer keys needs the “export answer keys” permission."))
    entry = QuestionExportLog(user=user, format=fmt, filters=filters, count=count, with_answer_keys=with_answer_keys)
    entry.full_clean()
    entry.save()
    return entry
