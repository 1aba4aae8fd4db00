from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackgroundConfig(AppConfig):
    name = "academy.background"
    label = "background"
    verbose_name = _("Background jobs")

    def ready(self):
        from academy.accounts.roles import EXAM_ADMIN, register_role_permissions

        from .registry import autodiscover

        # Every app's jobs.py registers its handlers now, so a bare `rqworker` process knows every kind.
        autodiscover()
        # The exam administrator runs the platform day to day: they follow every import, export and PDF batch.
        register_role_permissions(EXAM_ADMIN, "background.view_all_jobs")
