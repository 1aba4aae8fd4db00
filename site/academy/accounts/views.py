from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import ProfileForm, SignupForm
from .models import AppraiserProfile
from .services import appraiser_profile_update, appraiser_register


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your account has been created.") % {"name": user.real_name})
        return redirect("/")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
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
        appraiser_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": prof})
