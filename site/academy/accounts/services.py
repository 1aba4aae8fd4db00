"""Account rules: appraiser sign-up, profile changes, and clearing a login lockout.

The forms show these errors next to the right fields, but the rules live here so that every caller
(the front end, an import, a shell) gets the same checks.
"""

from collections.abc import Iterable

from axes.utils import reset as axes_reset

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from academy.categories.models import PracticeCategory

from .models import AppraiserProfile, User
from .roles import APPRAISER

MAX_FIELDS_HELD = 3
# The three classic categories of the 2005 NPC Decision; environmental damage came later and is
# not part of the "no practice across categories" rule.
CLASSIC_MAJOR_CODES = frozenset({"FY", "WZ", "SX"})


def appraiser_categories_validate(
    *,
    licence_number: str,
    categories_held: Iterable[PracticeCategory],
    categories_sought: Iterable[PracticeCategory] = (),
) -> None:
    """司规〔2021〕2号: at most 3 professional fields, not across forensic medicine, physical evidence
    and audio-visual materials; holding a field means holding a practising certificate.

    Only registrable professional fields (not the four major categories themselves) may be chosen.
    Raises a ValidationError keyed by form field.
    """
    held = list(categories_held)
    errors: dict[str, list] = {}
    for name, chosen in (("categories_held", held), ("categories_sought", list(categories_sought))):
        if any(c.level != PracticeCategory.Level.FIELD or not c.is_active for c in chosen):
            errors.setdefault(name, []).append(_("Choose registrable professional fields only."))
    if len(held) > MAX_FIELDS_HELD:
        errors.setdefault("categories_held", []).append(_("An appraiser holds at most 3 professional fields."))
    classic_majors = {c.parent_id for c in held if c.parent_id and c.parent.code in CLASSIC_MAJOR_CODES}
    if len(classic_majors) > 1:
        errors.setdefault("categories_held", []).append(
            _("Fields of forensic medicine, physical evidence and audio-visual materials cannot be combined.")
        )
    if held and not licence_number.strip():
        errors.setdefault("licence_number", []).append(_("Enter your certificate number for the categories you hold."))
    if errors:
        raise ValidationError(errors)


def _email_validate_free(*, email: str, user: User | None = None) -> None:
    """Password reset finds accounts by email, so an address belongs to one account only."""
    others = User.objects.filter(email__iexact=email)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if email and others.exists():
        raise ValidationError({"email": _("Another account already uses this email address.")})


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
    categories_held: Iterable[PracticeCategory] = (),
    categories_sought: Iterable[PracticeCategory] = (),
) -> User:
    """Create an appraiser account with its profile and the appraiser role (front end only).

    The appraiser role grants no admin access; staff accounts are never made here. Nothing is
    saved unless every check passes. The password must already have passed Django's password
    validators (the sign-up form runs them against the new user's details).
    """
    categories_held, categories_sought = list(categories_held), list(categories_sought)
    appraiser_categories_validate(
        licence_number=licence_number, categories_held=categories_held, categories_sought=categories_sought
    )
    if User.objects.filter(username__iexact=username).exists():
        # Usernames differing only in case would make logging in ambiguous.
        raise ValidationError({"username": _("This username is already taken.")})
    _email_validate_free(email=email)
    user = User(username=username, real_name=real_name, email=email, phone=phone)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=APPRAISER.group_name)[0])
    profile = AppraiserProfile(user=user, institution=institution, licence_number=licence_number)
    profile.full_clean()
    profile.save()
    profile.categories_held.set(categories_held)
    profile.categories_sought.set(categories_sought)
    return user


@transaction.atomic
def appraiser_profile_update(
    *,
    user: User,
    real_name: str,
    email: str,
    phone: str,
    institution: str,
    licence_number: str = "",
    categories_held: Iterable[PracticeCategory] = (),
    categories_sought: Iterable[PracticeCategory] = (),
) -> AppraiserProfile:
    """Update a person's own details and appraiser profile; the categories are replaced as given.

    The same category rules as at sign-up apply; nothing is saved unless every check passes.
    """
    categories_held, categories_sought = list(categories_held), list(categories_sought)
    appraiser_categories_validate(
        licence_number=licence_number, categories_held=categories_held, categories_sought=categories_sought
    )
    _email_validate_free(email=email, user=user)
    user.real_name, user.email, user.phone = real_name, email, phone
    user.full_clean()
    profile = AppraiserProfile.objects.filter(user=user).first() or AppraiserProfile(user=user)
    profile.institution, profile.licence_number = institution, licence_number
    profile.full_clean()
    user.save()
    profile.save()
    profile.categories_held.set(categories_held)
    profile.categories_sought.set(categories_sought)
    return profile


def account_lockout_clear(*, user: User) -> int:
    """Forget the failed logins of a user who just proved control of their email by resetting the
    password, so the lockout page's advice ("reset your password") works at once. Returns how many
    attempt records were removed."""
    return axes_reset(username=user.get_username())
