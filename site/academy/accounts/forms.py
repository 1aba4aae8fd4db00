from itertools import groupby

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from academy.categories.models import PracticeCategory

from .models import User, phone_validator
from .services import appraiser_categories_validate


class CategoriesByMajorIterator(ModelChoiceIterator):
    """Choices grouped under their major category, so 19 fields read as four short lists."""

    def __iter__(self):
        for major, fields in groupby(self.queryset, key=lambda c: c.parent):
            yield (major.display_name, [self.choice(c) for c in fields])


class CategoriesByMajorField(forms.ModelMultipleChoiceField):
    iterator = CategoriesByMajorIterator


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Each group a fieldset with a legend (not Django's label-for-nothing group heading)."""

    template_name = "accounts/widgets/grouped_checkboxes.html"


def _category_field(label):
    return CategoriesByMajorField(
        label=label, queryset=PracticeCategory.objects.none(), required=False, widget=GroupedCheckboxes
    )


class AppraiserProfileFields(forms.Form):
    """The person's details and practice, shared by sign-up and the profile page."""

    # Sections of the page (legend, field names); the template renders each as a fieldset.
    sections = (
        (_("Personal details"), ("real_name", "phone", "email")),
        (_("Practice"), ("institution", "licence_number", "categories_held", "categories_sought")),
    )

    real_name = forms.CharField(
        label=_("Real name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=11,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel-national", "inputmode": "numeric"}),
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    institution = forms.CharField(
        label=_("Appraisal institution"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    licence_number = forms.CharField(
        label=_("Practising certificate number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty if not yet licensed."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    categories_held = _category_field(_("Practice categories held"))
    categories_sought = _category_field(_("Practice categories sought"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form so a category switched off in the admin disappears at once.
        fields = PracticeCategory.objects.fields().active().select_related("parent")
        self.fields["categories_held"].queryset = fields
        self.fields["categories_sought"].queryset = fields

    def clean(self):
        data = super().clean()
        self.validate_practice(data)
        return data

    def validate_practice(self, data):
        """The category rules of services.appraiser_categories_validate, shown next to their fields."""
        if "categories_held" not in data or "categories_sought" not in data:
            return  # the field already has its own error
        try:
            appraiser_categories_validate(
                licence_number=data.get("licence_number", ""),
                categories_held=data["categories_held"],
                categories_sought=data["categories_sought"],
            )
        except ValidationError as exc:
            self.add_error(None, exc)

    def section_fields(self):
        """[(legend, [bound fields])] for the template, in page order."""
        return [(legend, [self[name] for name in names]) for legend, names in self.sections]


class SignupForm(UserCreationForm, AppraiserProfileFields):
    sections = ((_("Account"), ("username", "password1", "password2")), *AppraiserProfileFields.sections)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)
        labels = {"username": _("Username")}
        widgets = {"username": forms.TextInput(attrs={"autocomplete": "username"})}

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean(self):
        # ModelForm.clean() does not call super(), so the profile rules would never run
        # through the MRO: call them explicitly.
        data = super().clean()
        self.validate_practice(data)
        return data

    def _post_clean(self):
        # UserAttributeSimilarityValidator compares the password with the instance's email too,
        # which ModelForm leaves unset as it is not a Meta field.
        self.instance.email = self.cleaned_data.get("email", "")
        super()._post_clean()


class ProfileForm(AppraiserProfileFields):
    pass
