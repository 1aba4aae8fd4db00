from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionBankConfig(AppConfig):
    name = "question_bank"
    verbose_name = _("Question bank")

    def ready(self):
        from academy.accounts.roles import (
            BANK_EDITOR,
            BANK_REVIEWER,
            EXAM_ADMIN,
            REGULATOR,
            register_role_permissions,
        )

        # Nobody holds publish_question: a question goes live only when a reviewer other than its
        # submitter and author approves it (review.py, four-eyes rule). Group sync removes the
        # permission from groups that held it before.
        register_role_permissions(
            BANK_EDITOR,
            "question_bank.add_question",
            "question_bank.change_question",
            "question_bank.view_question",
            "question_bank.lock_question",
            "question_bank.add_knowledgepoint",
            "question_bank.change_knowledgepoint",
            "question_bank.delete_knowledgepoint",
            "question_bank.view_knowledgepoint",
            "question_bank.view_question_statistics",
        )
        register_role_permissions(
            BANK_REVIEWER,
            "question_bank.change_question",
            "question_bank.view_question",
            "question_bank.lock_question",
            "question_bank.unlock_question",
            "question_bank.view_knowledgepoint",
            "question_bank.export_answer_keys",
            "question_bank.view_question_statistics",
        )
        # Regulators and exam administrators see counts and statistics, never content.
        register_role_permissions(REGULATOR, "question_bank.view_question_statistics")
        register_role_permissions(EXAM_ADMIN, "question_bank.view_question_statistics")
