from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Front-end pages: Chinese at /..., English at /en/... (no Accept-Language guessing: an
# unprefixed path is always zh-hans). Wagtail's page serving stays last: it matches the rest.
urlpatterns += i18n_patterns(
    path("accounts/", include("academy.accounts.urls")),
    path("exams/", include("exams.urls")),
    path("courses/", include("courses.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

handler404 = "academy.home.views.page_not_found"
handler500 = "academy.home.views.server_error"
