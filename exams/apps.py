from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams")

    def ready(self):
        from academy.accounts.roles import EXAM_ADMIN, MARKER, REGULATOR, register_role_permissions

        managed = ["exampolicy", "exam", "sitting", "registration"]
        register_role_permissions(
            EXAM_ADMIN,
            *[f"exams.{action}_{model}" for model in managed for action in ("add", "change", "delete", "view")],
            "exams.view_attempt",
            "exams.change_answer",
            "exams.view_scoreauditlog",
            "exams.release_results",
            "exams.view_exam_statistics",
        )
        # Markers see anonymous answers only, through the marking screens.
        register_role_permissions(MARKER, "exams.mark_answers")
        register_role_permissions(
            REGULATOR,
            *[f"exams.view_{model}" for model in managed],
            "exams.view_attempt",
            "exams.view_scoreauditlog",
            "exams.view_exam_statistics",
        )
