"""The Wagtail permission policy of JobRecord: anyone with admin access may list jobs, but sees only their own
(unless they may see all); nobody adds, edits or deletes a job record through the admin."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from wagtail.permission_policies.base import BaseDjangoAuthPermissionPolicy

from .selectors import jobs_visible_to, user_can_view_all_jobs

ADMIN_ACCESS = ("wagtailadmin", "access_admin")
ADMIN_ACCESS_PERMISSION = "wagtailadmin.access_admin"


def _has_admin_access(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(ADMIN_ACCESS_PERMISSION))
    )


class JobRecordPermissionPolicy(BaseDjangoAuthPermissionPolicy):
    """Only "view" exists: jobs are created by the features that start them and finished by workers."""

    def user_has_permission(self, user, action):
        return action == "view" and _has_admin_access(user)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects.filter(is_active=True)
        if "view" not in actions:
            return users.none()
        app_label, codename = ADMIN_ACCESS
        admin_perms = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        return users.filter(
            Q(is_superuser=True) | Q(user_permissions__in=admin_perms) | Q(groups__permissions__in=admin_perms)
        ).distinct()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and (
            instance.created_by_id == user.pk or user_can_view_all_jobs(user)
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" in actions and _has_admin_access(user):
            return jobs_visible_to(user)
        return self.model._default_manager.none()

    def users_with_any_permission_for_instance(self, actions, instance):
        users = self.users_with_any_permission(actions)
        return users.filter(
            Q(pk=instance.created_by_id)
            | Q(is_superuser=True)
            | Q(user_permissions__codename="view_all_jobs", user_permissions__content_type__app_label="background")
            | Q(
                groups__permissions__codename="view_all_jobs", groups__permissions__content_type__app_label="background"
            )
        ).distinct()
