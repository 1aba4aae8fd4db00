"""The admin's test-certificate download: staff only, a real PDF, in the user's admin language."""

import io

import pytest
from pypdf import PdfReader

from django.contrib.messages import get_messages
from django.urls import reverse

from wagtail.users.models import UserProfile

pytestmark = pytest.mark.django_db

URL = "/admin/pdf/test-certificate/"


def test_url_is_registered_in_the_admin():
    assert reverse("documents_test_certificate") == URL


@pytest.mark.parametrize("role", ["editor", "marker", "regulator"])
def test_staff_downloads_the_test_certificate(client, role_users, role):
    client.force_login(role_users[role])
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="test-certificate.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    text = reader.pages[0].extract_text()
    assert "王晓明" in text
    assert "年" in text and "月" in text  # the zh-hans date: the admin's default language


def test_certificate_uses_the_users_admin_language(client, role_users):
    user = role_users["examadmin"]
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Certificate of completion" in text
    assert "Credit hours" in text
    assert PdfReader(io.BytesIO(response.content)).trailer["/Root"]["/Lang"] == "en"


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert "next=" in response["Location"]


def test_appraiser_without_admin_access_is_refused(client, role_users):
    client.force_login(role_users["appraiser"])
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert not response.content.startswith(b"%PDF")


def test_post_is_not_allowed(client, role_users):
    client.force_login(role_users["editor"])
    assert client.post(URL).status_code == 405


def test_broken_font_shows_an_error_instead_of_a_pdf(client, role_users, settings, tmp_path):
    settings.PDF_FONT_FILES = {"regular": tmp_path / "Missing.ttf"}
    client.force_login(role_users["editor"])
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    errors = [str(message) for message in get_messages(response.wsgi_request)]
    assert len(errors) == 1
    assert "Missing.ttf" in errors[0]
