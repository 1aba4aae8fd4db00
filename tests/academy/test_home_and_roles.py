import pytest

from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en")  # Accept-Language is not guessed
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "司法鉴定教育考试平台" in body
    assert "跳到主要内容" in body  # our translated UI strings, not page content
    assert "公开信息" in body


def test_home_page_in_english(client):
    response = client.get("/en/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Skip to main content" in body
    assert "Public records" in body
    assert "跳到主要内容" not in body


def test_language_switch_redirects_to_english_url(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_404_page_is_translated(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面未找到" in response.content.decode()


@pytest.mark.parametrize("role", ["editor", "reviewer", "examadmin", "marker", "regulator"])
def test_staff_roles_reach_admin(client, role_users, role):
    client.force_login(role_users[role])
    response = client.get("/admin/")
    assert response.status_code == 200


def test_appraiser_is_refused_admin(client, role_users):
    client.force_login(role_users["appraiser"])
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_is_sent_to_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
