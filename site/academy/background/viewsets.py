from django.contrib.auth.models import Permission
from django.urls import path
from django.utils.translation import gettext_lazy as _

from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, UserColumn
from wagtail.admin.viewsets.model import ModelViewSet

from .models import JobRecord
from .views import (
    URL_NAMESPACE,
    JobDetailView,
    JobIndexView,
    SelfTestView,
    job_download_view,
    job_status_view,
)


class PercentColumn(Column):
    def get_value(self, instance):
        return f"{instance.percent}%"


class JobRecordViewSet(ModelViewSet):
    """Background jobs (后台任务): a read-only list and a progress page per job.

    Jobs are created by the features that start them and finished by workers, so there is no add, edit, copy
    or delete; the permission policy (permissions.py) also says so.
    """

    model = JobRecord
    name = URL_NAMESPACE
    url_prefix = "background-jobs"
    icon = "resubmit"
    menu_label = _("Background jobs")
    menu_order = 9000  # after the editorial menus
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = JobIndexView
    inspect_view_class = JobDetailView
    inspect_view_fields = ["kind", "created_by", "created_at", "started_at", "finished_at", "attempts"]
    list_filter = ["status"]
    list_per_page = 50
    list_display = [
        "label",
        StatusTagColumn(
            "get_status_display", label=_("status"), sort_key="status", primary=lambda job: job.is_finished
        ),
        PercentColumn("percent", label=_("progress")),
        UserColumn("created_by", label=_("started by")),
        DateColumn("created_at", label=_("created at"), sort_key="created_at"),
    ]

    def get_permissions_to_register(self):
        # Only view_all_jobs means anything to assign in the group editor; add/change/delete do not exist.
        return Permission.objects.filter(content_type__app_label="background", codename="view_all_jobs")

    def get_urlpatterns(self):
        # Not super(): that would build add/edit/delete views (and their forms) that must not exist here.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<uuid:pk>/", self.inspect_view, name="inspect"),
            path("status/<uuid:pk>/", job_status_view, name="status"),
            path("download/<uuid:pk>/", job_download_view, name="download"),
            path("selftest/", SelfTestView.as_view(), name="selftest"),
        ]
