from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class PracticeCategoryQuerySet(models.QuerySet):
    def majors(self):
        return self.filter(level=PracticeCategory.Level.MAJOR)

    def fields(self):
        return self.filter(level=PracticeCategory.Level.FIELD)

    def active(self):
        return self.filter(is_active=True)


class PracticeCategory(models.Model):
    """执业类别: the four major categories and their review fields (see docs/domain.md §1).

    `code` is our own stable code (e.g. FYLC); `official_code` holds a code from the official
    classification where one is confirmed (only forensic pathology's `01` so far).
    """

    class Level(models.TextChoices):
        MAJOR = "major", _("Major category")
        FIELD = "field", _("Professional field")

    code = models.CharField(_("code"), max_length=8, unique=True)
    official_code = models.CharField(_("official code"), max_length=12, blank=True, null=True)
    name = models.CharField(_("name (Chinese)"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    level = models.CharField(_("level"), max_length=5, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("major category"),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(
        _("registrable"), default=True, help_text=_("Categories outside the four are not registrable.")
    )

    objects = PracticeCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("practice category")
        verbose_name_plural = _("practice categories")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        lang = (get_language() or "zh-hans").lower()
        return self.name_en if lang.startswith("en") else self.name

    @classmethod
    def lookup(cls, value: str) -> "PracticeCategory | None":
        """Find a category by our code, its official code or its Chinese/English name."""
        value = (value or "").strip()
        if not value:
            return None
        return (
            cls.objects.filter(
                models.Q(code__iexact=value)
                | models.Q(name=value)
                | models.Q(name_en__iexact=value)
                | models.Q(official_code=value)
            )
            .order_by("level")
            .first()
        )
