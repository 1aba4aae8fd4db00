"""Demo people: one account per role, password demo12345 (printed by seed_demo)."""

from django.contrib.auth.models import Group

from academy.categories.models import PracticeCategory
from academy.categories.reference import load_reference_categories

from .models import AppraiserProfile, User
from .roles import ROLES, sync_role_groups

DEMO_PASSWORD = "demo12345"  # noqa: S105 - a documented demo credential, refused when DEBUG is off

DEMO_PEOPLE = {
    "appraiser": ("张明", "13800000001"),
    "editor": ("李华", "13800000002"),
    "reviewer": ("王芳", "13800000003"),
    "examadmin": ("赵强", "13800000004"),
    "marker": ("陈静", "13800000005"),
    "regulator": ("刘洋", "13800000006"),
}


def seed(*, stdout) -> None:
    load_reference_categories(PracticeCategory)
    sync_role_groups()
    stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
    for role in ROLES:
        real_name, phone = DEMO_PEOPLE[role.key]
        user, created = User.objects.get_or_create(
            username=role.key,
            defaults={"real_name": real_name, "phone": phone, "email": f"{role.key}@demo.academy.localhost"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role.group_name))
        if role.key == "appraiser":
            profile, _ = AppraiserProfile.objects.get_or_create(
                user=user, defaults={"institution": "示例司法鉴定中心", "licence_number": "110100000001"}
            )
            profile.categories_held.set(PracticeCategory.objects.filter(code__in=["FYLC", "FYBL"]))
        stdout.write(f"  {role.key:<10} {role.group_name}  {real_name}")
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"real_name": "系统管理员", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    stdout.write("  admin      (superuser)")
