from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import ProfileForm, SignupForm
from .models import AppraiserProfile
from .services import account_lockout_clear, appraiser_profile_update, appraiser_register


def home_url() -> str:
    """The home page in the language of this request (/ for Chinese, /en/ for English)."""
    return reverse("wagtail_serve", args=[""])


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = appraiser_register(
                username=data["username"],
                password=data["password1"],
                real_name=data["real_name"],
                email=data["email"],
                phone=data["phone"],
                institution=data["institution"],
                licence_number=data["licence_number"],
                categories_held=data["categories_held"],
                categories_sought=data["categories_sought"],
            )
        except ValidationError as exc:  # e.g. the username was taken a moment ago
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s. Your account has been created.") % {"name": user.real_name})
            return redirect(home_url())
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    # Always the logged-in person's own profile: there is no id in the URL to tamper with.
    user = request.user
    prof = AppraiserProfile.objects.filter(user=user).first()
    initial = {"real_name": user.real_name, "email": user.email, "phone": user.phone}
    if prof:
        initial.update(
            institution=prof.institution,
            licence_number=prof.licence_number,
            categories_held=list(prof.categories_held.all()),
            categories_sought=list(prof.categories_sought.all()),
        )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            appraiser_profile_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": prof})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        account_lockout_clear(user=form.user)
        return response
