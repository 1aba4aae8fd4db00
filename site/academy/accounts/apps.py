from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "academy.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def ready(self):
        from .roles import sync_role_groups

        # Permissions exist only after every app migrated, so the role groups are synced then.
        post_migrate.connect(sync_role_groups, dispatch_uid="academy.accounts.sync_role_groups")
