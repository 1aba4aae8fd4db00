"""Roles are groups. The permissions each role holds are declared here, in one place.

Apps add their model permissions to ROLE_PERMISSIONS as they grow; `sync_role_groups` runs after
every migrate (and from seed_demo), so a fresh database always has the groups as declared.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    key: str
    group_name: str  # stable: code and data migrations refer to groups by this name
    label: object
    admin_access: bool


APPRAISER = Role("appraiser", "鉴定人", _("Appraiser"), admin_access=False)
BANK_EDITOR = Role("editor", "题库编辑", _("Question-bank editor"), admin_access=True)
BANK_REVIEWER = Role("reviewer", "审题专家", _("Question reviewer"), admin_access=True)
EXAM_ADMIN = Role("examadmin", "考务", _("Exam administrator"), admin_access=True)
MARKER = Role("marker", "阅卷人", _("Marker"), admin_access=True)
REGULATOR = Role("regulator", "司法行政审核人员", _("Regulator"), admin_access=True)

ROLES = (APPRAISER, BANK_EDITOR, BANK_REVIEWER, EXAM_ADMIN, MARKER, REGULATOR)
ROLES_BY_KEY = {role.key: role for role in ROLES}

# "app_label.codename" per role, besides wagtailadmin.access_admin for staff roles.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    APPRAISER.key: [],
    BANK_EDITOR.key: [],
    BANK_REVIEWER.key: [],
    EXAM_ADMIN.key: [],
    MARKER.key: [],
    REGULATOR.key: [],
}


def register_role_permissions(role: Role, *perms: str) -> None:
    """Let an app grant its permissions to a role (call from the app's AppConfig.ready)."""
    bucket = ROLE_PERMISSIONS[role.key]
    for perm in perms:
        if perm not in bucket:
            bucket.append(perm)


def _permissions(codes: list[str]) -> list[Permission]:
    found = []
    for code in codes:
        app_label, codename = code.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:  # a permission of an app not migrated yet is added on its migrate
            found.append(perm)
    return found


def sync_role_groups(**kwargs) -> None:
    """Create the role groups and set exactly the declared permissions (idempotent)."""
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.group_name)
        codes = list(ROLE_PERMISSIONS[role.key])
        if role.admin_access:
            codes.append("wagtailadmin.access_admin")
        group.permissions.set(_permissions(codes))


def user_has_role(user, role: Role) -> bool:
    return user.is_authenticated and user.groups.filter(name=role.group_name).exists()
