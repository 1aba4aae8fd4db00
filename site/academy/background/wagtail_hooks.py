from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .models import JobRecord
from .permissions import JobRecordPermissionPolicy
from .viewsets import JobRecordViewSet

# Before anything asks for JobRecord's policy, or Wagtail creates a default one (see register_permission_policy).
register_permission_policy(JobRecord, JobRecordPermissionPolicy(JobRecord))


@hooks.register("register_admin_viewset")
def register_job_record_viewset():
    return JobRecordViewSet()
