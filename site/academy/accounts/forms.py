from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from academy.categories.models import PracticeCategory

from .models import User, phone_validator


def _field_categories():
    return PracticeCategory.objects.fields().active().select_related("parent")


class AppraiserProfileFields(forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=50)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=11, validators=[phone_validator])
    institution = forms.CharField(label=_("Appraisal institution"), max_length=200)
    licence_number = forms.CharField(
        label=_("Practising certificate number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty if not yet licensed."),
    )
    categories_held = forms.ModelMultipleChoiceField(
        label=_("Practice categories held"),
        queryset=PracticeCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories_sought = forms.ModelMultipleChoiceField(
        label=_("Practice categories sought"),
        queryset=PracticeCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories_held"].queryset = _field_categories()
        self.fields["categories_sought"].queryset = _field_categories()

    def clean(self):
        data = super().clean()
        held = data.get("categories_held") or []
        # 司规〔2021〕2号: at most 3 professional fields, within one of the three classic categories.
        if len(held) > 3:
            self.add_error("categories_held", _("An appraiser holds at most 3 professional fields."))
        if len({c.parent_id for c in held if c.parent and c.parent.code != "HJ"}) > 1:
            self.add_error(
                "categories_held",
                _("Fields of forensic medicine, physical evidence and audio-visual materials cannot be combined."),
            )
        if held and not data.get("licence_number"):
            self.add_error("licence_number", _("Enter your certificate number for the categories you hold."))
        return data


class SignupForm(UserCreationForm, AppraiserProfileFields):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)
        labels = {"username": _("Username")}

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username


class ProfileForm(AppraiserProfileFields):
    pass
