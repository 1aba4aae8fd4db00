from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, e.g. 13800138000."))


class User(AbstractUser):
    """Everyone who logs in. Roles are Wagtail/Django groups (see roles.py)."""

    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[phone_validator])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.real_name or self.get_username()

    def get_full_name(self):
        return self.real_name or super().get_full_name() or self.get_username()


class AppraiserProfile(models.Model):
    """What an appraiser (鉴定人) tells us about their practice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="appraiser_profile",
        verbose_name=_("user"),
    )
    institution = models.CharField(_("appraisal institution"), max_length=200)
    licence_number = models.CharField(
        _("practising certificate number"),
        max_length=40,
        blank=True,
        help_text=_("Leave empty if not yet licensed."),
    )
    categories_held = models.ManyToManyField(
        "categories.PracticeCategory",
        blank=True,
        related_name="+",
        verbose_name=_("practice categories held"),
    )
    categories_sought = models.ManyToManyField(
        "categories.PracticeCategory",
        blank=True,
        related_name="+",
        verbose_name=_("practice categories sought"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("appraiser profile")
        verbose_name_plural = _("appraiser profiles")

    def __str__(self):
        return f"{self.user} ({self.institution})"

    @property
    def is_licensed(self) -> bool:
        return bool(self.licence_number)
