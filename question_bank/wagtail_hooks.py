from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from . import admin_urls
from .bulk_actions import RetireBulkAction, SubmitForReviewBulkAction, TagBulkAction
from .models import Question
from .review import QuestionPermissionPolicy
from .viewsets import QuestionBankViewSetGroup

# Before register_snippet, which would otherwise create the default policy (four-eyes rule).
register_permission_policy(Question, QuestionPermissionPolicy(Question))
register_snippet(QuestionBankViewSetGroup)

for action in (SubmitForReviewBulkAction, RetireBulkAction, TagBulkAction):
    hooks.register("register_bulk_action", action)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("question-bank/", include(admin_urls, namespace="question_bank_admin"))]


class StatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("question_bank.view_question_statistics")


@hooks.register("register_reports_menu_item")
def register_statistics_report():
    return StatisticsMenuItem(
        _("Question bank statistics"), reverse("question_bank_admin:statistics"), icon_name="table", order=300
    )


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("question_bank.retire", _("Retire"), _("Retired"))
    actions.register_action("question_bank.unretire", _("Reinstate"), _("Reinstated"))


@hooks.register("construct_snippet_action_menu")
def hide_direct_publishing(menu_items, request, context):
    """The menu shows Publish to anyone holding the permission (superusers); the policy refuses it."""
    if context.get("model") is Question:
        menu_items[:] = [item for item in menu_items if item.name not in {"action-publish", "action-unpublish"}]
