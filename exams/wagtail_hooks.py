from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .models import ScoreAuditLog
from .viewsets import ExamsViewSetGroup, MarkingViewSet, ReadOnlyPermissionPolicy, SittingOperationsViewSet

register_permission_policy(ScoreAuditLog, ReadOnlyPermissionPolicy(ScoreAuditLog))
register_snippet(ExamsViewSetGroup)


@hooks.register("register_admin_viewset")
def register_sitting_operations():
    return SittingOperationsViewSet()


@hooks.register("register_admin_viewset")
def register_marking():
    return MarkingViewSet()
