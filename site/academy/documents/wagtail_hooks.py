from django.urls import path

from wagtail import hooks

from . import views


@hooks.register("register_admin_urls")
def register_pdf_admin_urls():
    # Admin URLs are wrapped in Wagtail's require_admin_access: anonymous users go to the admin
    # login, users without wagtailadmin.access_admin (appraisers) are refused.
    return [path("pdf/test-certificate/", views.test_certificate, name="documents_test_certificate")]
