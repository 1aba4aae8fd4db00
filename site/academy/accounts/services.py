from django.contrib.auth.models import Group
from django.db import transaction

from .models import AppraiserProfile, User
from .roles import APPRAISER


@transaction.atomic
def appraiser_register(
    *,
    username: str,
    password: str,
    real_name: str,
    email: str,
    phone: str,
    institution: str,
    licence_number: str = "",
    categories_held=(),
    categories_sought=(),
) -> User:
    """Create an appraiser account with its profile and the appraiser role (front end only)."""
    user = User(username=username, real_name=real_name, email=email, phone=phone)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=APPRAISER.group_name)[0])
    profile = AppraiserProfile(user=user, institution=institution, licence_number=licence_number)
    profile.full_clean(exclude=["user"])
    profile.save()
    profile.categories_held.set(categories_held)
    profile.categories_sought.set(categories_sought)
    return user


@transaction.atomic
def appraiser_profile_update(
    *, user: User, real_name: str, email: str, phone: str, **profile_fields
) -> AppraiserProfile:
    """Update the person and their profile; the categories are replaced as given."""
    held = profile_fields.pop("categories_held", None)
    sought = profile_fields.pop("categories_sought", None)
    user.real_name, user.email, user.phone = real_name, email, phone
    user.full_clean()
    user.save()
    profile, _ = AppraiserProfile.objects.get_or_create(user=user, defaults=profile_fields)
    for name, value in profile_fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["user"])
    profile.save()
    if held is not None:
        profile.categories_held.set(held)
    if sought is not None:
        profile.categories_sought.set(sought)
    return profile
