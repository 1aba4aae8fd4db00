"""The four-eyes rule of the bank: a question goes live only through a review by someone else.

Wagtail offers two ways to make a snippet live: the plain "Publish" action (anyone holding the
`publish` permission, reviewers included, could edit a question and publish it at once) and the
end of a workflow, which publishes the latest revision *as the approving user*. The bank closes
the first way for everyone, superusers included (`QuestionPermissionPolicy` refuses "publish"),
and lets the second through only when the approver neither submitted the question nor wrote its
current content (`publish_workflow_state`, wired in as WAGTAIL_FINISH_WORKFLOW_ACTION through workflow_finish.py).

"Wrote its current content" is judged on the content, not on who saved last: approving from the
editor always saves a (possibly unchanged) revision by the approver, so the author is whoever
first saved the content the latest revision holds.
"""

import re
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wagtail.models import Revision
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.workflows import publish_workflow_state as wagtail_publish_workflow_state

# The reviewed content of a question: what an editor changes in the form. Everything else in a
# revision (timestamps, publishing state, statistics, child primary keys) is bookkeeping.
CONTENT_FIELDS = (
    "code",
    "category",
    "knowledge_point",
    "qtype",
    "difficulty",
    "stem",
    "true_false_answer",
    "blank_answers",
    "blank_answer_weights",
    "reference_answer",
    "explanation",
    "basis",
    "default_points",
    "usable_for_pre_employment",
    "usable_for_job_transfer",
    "usable_for_continuing",
)
CHILD_FIELDS = {
    "options": ("label", "text", "is_correct", "weight"),
    "scoring_points": ("text", "points"),
    "tagged_items": ("tag",),
}
NO_DIRECT_ACTIONS = {"publish", "unpublish"}


class QuestionPermissionPolicy(ModelPermissionPolicy):
    """Nobody publishes or unpublishes a question directly; approval in the workflow does.

    Refusing "publish" here closes the edit view's publish action, the unpublish and unschedule
    views and the revert-and-publish path, whatever the user's groups (superusers too).
    """

    def user_has_permission(self, user, action):
        if action in NO_DIRECT_ACTIONS:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        actions = [a for a in actions if a not in NO_DIRECT_ACTIONS]
        if not actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(actions)


BLOCK_KEY = re.compile(r'\sdata-block-key="[^"]*"')


def content_fingerprint(content: dict) -> tuple:
    """The reviewed part of a revision's serialised content, comparable between revisions.

    Draftail's block keys are editor bookkeeping: the same text saved again may carry new ones.
    """
    own = tuple(_canonical(content.get(name)) for name in CONTENT_FIELDS)
    children = tuple(
        tuple(tuple(_canonical(child.get(f)) for f in fields) for child in content.get(relation) or [])
        for relation, fields in CHILD_FIELDS.items()
    )
    return own + children


def _canonical(value) -> str:
    """ "1" and "1.0" are the same points; block keys are dropped from rich text."""
    text = BLOCK_KEY.sub("", str(value))
    try:
        return str(Decimal(text).normalize())
    except (InvalidOperation, ValueError):
        return text


def content_author_id(question) -> int | None:
    """Who first saved the content of the latest revision (None for a question without revisions)."""
    latest_id = question.latest_revision_id
    if latest_id is None:
        return None
    revisions = (
        Revision.objects.filter(
            base_content_type_id=question.get_base_content_type().pk, object_id=str(question.pk), pk__lte=latest_id
        )
        .order_by("-created_at", "-pk")
        .values_list("user_id", "content")
    )
    author_id, current = None, None
    for user_id, content in revisions.iterator(chunk_size=20):
        fingerprint = content_fingerprint(content)
        if current is None:
            current = fingerprint
        elif fingerprint != current:
            break
        author_id = user_id
    return author_id


def is_own_work(question, user, *, workflow_state=None) -> bool:
    """True when `user` submitted the question for review or wrote the content under review."""
    if not getattr(user, "pk", None):
        return False
    state = workflow_state or getattr(question, "current_workflow_state", None)
    if state is not None and state.requested_by_id == user.pk:
        return True
    return content_author_id(question) == user.pk


def publish_workflow_state(workflow_state, user=None):
    """WAGTAIL_FINISH_WORKFLOW_ACTION: publish an approved question only under the four-eyes rule.

    Other models (pages, other snippets) are published exactly as Wagtail does by default.
    """
    from .models import Question

    question = workflow_state.content_object
    if not isinstance(question, Question):
        return wagtail_publish_workflow_state(workflow_state, user=user)
    if user is None or is_own_work(question, user, workflow_state=workflow_state):
        # Raised inside the approval's transaction: the task state stays in review.
        raise PermissionDenied(_("A question goes live only after someone else has reviewed it."))
    # The approver holds no "publish" permission (nobody does); the approval is the permission.
    question.get_latest_revision().publish(user=user, skip_permission_checks=True)
