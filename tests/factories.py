import factory

from django.contrib.auth.models import Group

from academy.accounts.models import AppraiserProfile, User
from academy.accounts.roles import ROLES, sync_role_groups


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "demo12345")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            sync_role_groups()
            for role in extracted:
                self.groups.add(Group.objects.get(name=role.group_name))
        if create:
            self.save()


class AppraiserProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppraiserProfile

    user = factory.SubFactory(UserFactory)
    institution = "某某司法鉴定中心"


def make_role_users() -> dict[str, User]:
    """A user per role keyed by role key (appraiser, editor, reviewer, examadmin, marker, regulator)."""
    sync_role_groups()
    users = {}
    for role in ROLES:
        users[role.key] = UserFactory(username=f"role-{role.key}", roles=[role])
    AppraiserProfileFactory(user=users["appraiser"])
    return users
