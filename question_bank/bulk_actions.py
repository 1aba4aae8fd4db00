"""Bulk actions on the question listing: submit for review, retire, tag."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from .forms import TagForm
from .models import Question
from .services import question_retire, question_submit_for_review, questions_add_tags


class QuestionBulkAction(SnippetBulkAction):
    models = [Question]
    template_name = "question_bank/bulk_actions/confirm_bulk.html"
    action_title = ""
    action_question = ""

    def check_perm(self, snippet):
        return self.request.user.has_perm("question_bank.change_question")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(action_title=self.action_title, action_question=self.action_question)
        return context

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}


class SubmitForReviewBulkAction(QuestionBulkAction):
    display_name = _("Submit for review")
    action_type = "submit_review"
    aria_label = _("Submit the selected questions for review")
    action_title = _("Submit for review")
    action_question = _(
        "Submit these questions to the reviewers? Questions already in review or unchanged are left as they are."
    )
    action_priority = 10

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        done = 0
        for question in objects:
            try:
                question_submit_for_review(question=question, user=user)
            except ValidationError:
                continue
            done += 1
        return done, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d question submitted for review.", "%(count)d questions submitted for review.", num_parent_objects
        ) % {"count": num_parent_objects}


class RetireBulkAction(QuestionBulkAction):
    display_name = _("Retire")
    action_type = "retire"
    aria_label = _("Retire the selected questions")
    action_title = _("Retire questions")
    action_question = _("Retire these questions? They will no longer be drawn into new papers; past papers keep them.")
    action_priority = 20

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        for question in objects:
            question_retire(question=question, user=user)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext("%(count)d question retired.", "%(count)d questions retired.", num_parent_objects) % {
            "count": num_parent_objects
        }


class TagBulkAction(QuestionBulkAction):
    display_name = _("Tag")
    action_type = "add_tags"
    aria_label = _("Add tags to the selected questions")
    action_title = _("Add tags")
    action_question = _("Add these tags to the questions below:")
    form_class = TagForm
    action_priority = 30

    def get_execution_context(self):
        return {**super().get_execution_context(), "tags": self.cleaned_form.cleaned_data["tags"].split(",")}

    @classmethod
    def execute_action(cls, objects, user=None, tags=None, **kwargs):
        questions_add_tags(questions=objects, tag_names=tags or [], user=user)
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "Tags added to %(count)d question.", "Tags added to %(count)d questions.", num_parent_objects
        ) % {"count": num_parent_objects}
