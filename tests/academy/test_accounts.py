"""Sign-up, profile, login throttling, password reset and logout, through the Django test client.

Everything is asserted in Chinese (the default language), as a visitor sees it.
"""

import re

import pytest

from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from academy.accounts.models import AppraiserProfile, User
from academy.accounts.roles import APPRAISER
from academy.accounts.services import appraiser_profile_update, appraiser_register
from academy.categories.models import PracticeCategory
from tests.factories import AppraiserProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Jd-2026-secure!"
SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")


def cat_ids(codes) -> list[int]:
    ids = list(PracticeCategory.objects.filter(code__in=codes).values_list("pk", flat=True))
    assert len(ids) == len(codes), f"unknown codes in {codes}"
    return ids


def with_category_ids(data: dict) -> dict:
    """Categories are written as codes in the tests and posted as ids, like the checkboxes do."""
    for name in ("categories_held", "categories_sought"):
        data[name] = cat_ids(data[name])
    return data


def signup_data(**overrides) -> dict:
    data = {
        "username": "zhangsan",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "real_name": "张三",
        "email": "zhangsan@example.cn",
        "phone": "13912345678",
        "institution": "某某司法鉴定中心",
        "licence_number": "110100012345",
        "categories_held": ("FYLC", "FYBL"),
        "categories_sought": ("FYJS",),
    }
    data.update(overrides)
    return with_category_ids(data)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def login_post(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# --- Sign-up -----------------------------------------------------------------------------------


def test_signup_page_is_chinese(client):
    body = client.get(SIGNUP).content.decode()
    for text in ("鉴定人注册", "用户名", "真实姓名", "手机号码", "执业证号", "已有执业类别", "法医临床", "法医类"):
        assert text in body


def test_signup_creates_appraiser_with_profile_and_role(client):
    response = client.post(SIGNUP, signup_data())

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="zhangsan")
    assert (user.real_name, user.email, user.phone) == ("张三", "zhangsan@example.cn", "13912345678")
    assert user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == [APPRAISER.group_name]
    profile = user.appraiser_profile
    assert (profile.institution, profile.licence_number) == ("某某司法鉴定中心", "110100012345")
    assert set(profile.categories_held.values_list("code", flat=True)) == {"FYLC", "FYBL"}
    assert set(profile.categories_sought.values_list("code", flat=True)) == {"FYJS"}
    # Logged in, but an appraiser is no staff member: no admin access.
    assert logged_in_user_id(client) == str(user.pk)
    assert not user.is_staff and not user.is_superuser
    assert not user.has_perm("wagtailadmin.access_admin")
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    home = client.get("/").content.decode()
    assert "张三，欢迎您！账号已创建。" in home
    assert "退出登录" in home


def test_signup_in_english_returns_to_the_english_home_page(client):
    response = client.post("/en/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_environmental_damage_field_may_join_a_classic_one(client):
    """The no-crossing rule covers the three classic categories only (docs/domain.md §1.1)."""
    response = client.post(SIGNUP, signup_data(categories_held=("FYLC", "HJWR")))
    assert response.status_code == 302
    assert User.objects.filter(username="zhangsan").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "ZhangSan"}, "username", "该用户名已被使用。"),
        ({"email": "Taken@Example.cn"}, "email", "该电子邮箱已被其他账号使用。"),
        ({"phone": "1391234567"}, "phone", "请输入 11 位大陆手机号码，例如 13800138000。"),
        ({"phone": "23912345678"}, "phone", "请输入 11 位大陆手机号码，例如 13800138000。"),
        ({"password2": "Jd-2026-other!"}, "password2", "输入的两个密码不一致。"),
        (
            {"categories_held": ("FYLC", "FYBL", "FYJS", "FYWZ")},
            "categories_held",
            "一名鉴定人最多执业 3 个专业领域。",
        ),
        (
            {"categories_held": ("FYLC", "WZWS")},
            "categories_held",
            "法医类、物证类、声像资料类的专业领域原则上不得跨类执业。",
        ),
        (
            {"categories_held": ("WZWS", "SXDZ")},
            "categories_held",
            "法医类、物证类、声像资料类的专业领域原则上不得跨类执业。",
        ),
        ({"licence_number": ""}, "licence_number", "填写已有执业类别时，请同时填写执业证号。"),
        ({"categories_held": ("FY",)}, "categories_held", "选择一个有效的选项"),
        ({"real_name": ""}, "real_name", "必需字段"),
    ],
    ids=[
        "duplicate-username-any-case",
        "duplicate-email",
        "phone-too-short",
        "phone-not-mobile",
        "password-mismatch",
        "more-than-3-fields",
        "fields-across-classic-categories",
        "physical-evidence-with-audio-visual",
        "held-fields-without-licence",
        "major-category-is-not-a-field",
        "missing-real-name",
    ],
)
def test_signup_validation_errors_are_chinese_and_create_nothing(client, overrides, field, message):
    existing = UserFactory(username="zhangsan", email="taken@example.cn")
    response = client.post(SIGNUP, signup_data(**{"username": "lisi", "email": "lisi@example.cn", **overrides}))

    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    body = response.content.decode()
    assert message in body, re.findall(r"errorlist.{0,200}", body)
    assert "请更正下面标出的错误。" in body
    # The error is announced with its field: aria-describedby names the error list's id.
    assert f'id="id_{field}_error"' in body
    assert list(User.objects.all()) == [existing]
    assert not AppraiserProfile.objects.exists()
    assert logged_in_user_id(client) is None


def test_signup_refuses_a_password_like_the_email(client):
    response = client.post(
        SIGNUP, signup_data(email="wangwu2026@example.cn", password1="wangwu2026", password2="wangwu2026")
    )
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_logged_in_user_visiting_signup_goes_to_profile(client):
    client.force_login(AppraiserProfileFactory().user)
    response = client.get(SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == PROFILE


def test_register_service_enforces_the_category_rules_itself():
    """A caller that skips the form (an import, a shell) gets the same rules and no half-made user."""
    fields = list(PracticeCategory.objects.filter(code__in=["FYLC", "FYBL", "FYJS", "FYWZ"]))
    with pytest.raises(ValidationError) as exc:
        appraiser_register(
            username="zhaoliu",
            password=PASSWORD,
            real_name="赵六",
            email="zhaoliu@example.cn",
            phone="13912345678",
            institution="某某司法鉴定中心",
            licence_number="1",
            categories_held=fields,
        )
    assert set(exc.value.message_dict) == {"categories_held"}
    assert not User.objects.exists()
    assert not AppraiserProfile.objects.exists()


def test_register_service_refuses_a_bad_phone_and_saves_nothing():
    with pytest.raises(ValidationError) as exc:
        appraiser_register(
            username="zhaoliu",
            password=PASSWORD,
            real_name="赵六",
            email="zhaoliu@example.cn",
            phone="123",
            institution="某某司法鉴定中心",
        )
    assert set(exc.value.message_dict) == {"phone"}
    assert not User.objects.exists()
    assert not Group.objects.get(name=APPRAISER.group_name).user_set.exists()


# --- Profile -----------------------------------------------------------------------------------


def profile_data(**overrides) -> dict:
    data = {
        "real_name": "张三丰",
        "email": "new@example.cn",
        "phone": "13700000000",
        "institution": "新的司法鉴定所",
        "licence_number": "110100099999",
        "categories_held": ("WZWS", "WZHJ"),
        "categories_sought": (),
    }
    data.update(overrides)
    return with_category_ids(data)


@pytest.fixture
def appraiser():
    profile = AppraiserProfileFactory(user__real_name="张三", licence_number="1")
    profile.categories_held.set(PracticeCategory.objects.filter(code="FYLC"))
    return profile.user


def test_profile_needs_login(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_profile_shows_the_current_details(client, appraiser):
    client.force_login(appraiser)
    response = client.get(PROFILE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["real_name"] == "张三"
    assert [c.code for c in form.initial["categories_held"]] == ["FYLC"]
    assert "个人资料" in response.content.decode()


def test_profile_update_saves_person_and_practice(client, appraiser):
    client.force_login(appraiser)
    response = client.post(PROFILE, profile_data())
    assert response.status_code == 302
    appraiser.refresh_from_db()
    assert (appraiser.real_name, appraiser.email, appraiser.phone) == ("张三丰", "new@example.cn", "13700000000")
    profile = appraiser.appraiser_profile
    assert profile.institution == "新的司法鉴定所"
    assert set(profile.categories_held.values_list("code", flat=True)) == {"WZWS", "WZHJ"}
    assert "个人资料已保存。" in client.get(PROFILE).content.decode()


def test_profile_update_with_bad_input_changes_nothing(client, appraiser):
    client.force_login(appraiser)
    response = client.post(PROFILE, profile_data(phone="12", categories_held=("FYLC", "SXDZ")))
    assert response.status_code == 200
    body = response.content.decode()
    assert "请输入 11 位大陆手机号码，例如 13800138000。" in body
    assert "法医类、物证类、声像资料类的专业领域原则上不得跨类执业。" in body
    appraiser.refresh_from_db()
    assert appraiser.real_name == "张三"
    assert list(appraiser.appraiser_profile.categories_held.values_list("code", flat=True)) == ["FYLC"]


def test_user_can_only_edit_their_own_profile(client, appraiser):
    other = AppraiserProfileFactory(user__real_name="李四", institution="李四所在机构").user
    client.force_login(appraiser)
    # Smuggled ids are ignored: the page always edits the logged-in person.
    response = client.post(PROFILE, profile_data(user=other.pk, id=other.pk, pk=other.pk))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.real_name == "李四"
    assert other.appraiser_profile.institution == "李四所在机构"
    appraiser.refresh_from_db()
    assert appraiser.real_name == "张三丰"


def test_profile_refuses_an_email_of_another_account(client, appraiser):
    UserFactory(email="taken@example.cn")
    client.force_login(appraiser)
    response = client.post(PROFILE, profile_data(email="TAKEN@example.cn"))
    assert response.status_code == 200
    assert "该电子邮箱已被其他账号使用。" in response.content.decode()
    appraiser.refresh_from_db()
    assert appraiser.real_name == "张三"


def test_profile_service_creates_a_missing_profile():
    user = UserFactory()
    profile = appraiser_profile_update(
        user=user, real_name="王五", email="ww@example.cn", phone="13800138000", institution="某机构"
    )
    assert profile.pk and profile.user == user
    assert AppraiserProfile.objects.get(user=user).institution == "某机构"


# --- Login, throttling, logout -------------------------------------------------------------------


def test_login_with_the_form_and_redirect_home(client, appraiser):
    response = login_post(client, appraiser.username, "demo12345")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(appraiser.pk)


def test_login_in_english_stays_in_english(client, appraiser):
    response = client.post("/en/accounts/login/", {"username": appraiser.username, "password": "demo12345"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_wrong_password_shows_chinese_error(client, appraiser):
    response = login_post(client, appraiser.username, "wrong")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_five_failures_lock_the_account_and_the_right_password_is_refused(client, appraiser, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [login_post(client, appraiser.username, f"wrong-{n}").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]

    response = login_post(client, appraiser.username, "demo12345")
    assert response.status_code == 429
    body = response.content.decode()
    assert "登录失败次数过多" in body
    assert "由于多次登录失败，该账号已被锁定 15 分钟。" in body
    assert logged_in_user_id(client) is None


def test_lockout_is_per_username(client, appraiser):
    for n in range(5):
        login_post(client, appraiser.username, f"wrong-{n}")
    other = UserFactory()
    response = login_post(client, other.username, "demo12345")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(other.pk)


def test_successful_login_resets_the_failure_count(client, appraiser):
    for n in range(4):
        login_post(client, appraiser.username, f"wrong-{n}")
    assert login_post(client, appraiser.username, "demo12345").status_code == 302
    client.post(reverse("accounts:logout"))
    statuses = [login_post(client, appraiser.username, f"again-{n}").status_code for n in range(4)]
    assert statuses == [200] * 4


def test_logout_is_post_only(client, appraiser):
    client.force_login(appraiser)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert logged_in_user_id(client) == str(appraiser.pk)

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) is None
    assert "退出登录" not in client.get("/").content.decode()


# --- Password reset ----------------------------------------------------------------------------


def request_reset_link(client, email: str) -> str:
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    assert message.subject == "重置司法鉴定教育考试平台密码"
    assert "请打开以下链接设置新密码：" in message.body
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_password_reset_email_link_sets_a_new_password(client, appraiser):
    link = request_reset_link(client, appraiser.email)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "设置新密码" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": "Nw-pass-2026!", "new_password2": "Nw-pass-2026!"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")

    appraiser.refresh_from_db()
    assert appraiser.check_password("Nw-pass-2026!")
    assert not appraiser.check_password("demo12345")
    assert login_post(client, appraiser.username, "Nw-pass-2026!").status_code == 302
    # The link works once.
    client.post(reverse("accounts:logout"))
    again = client.get(link, follow=True).content.decode()
    assert "该重置链接无效或已被使用，请重新申请。" in again


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.cn"}, follow=True)
    assert response.status_code == 200
    assert "如果该邮箱对应某个账号，重置密码的链接已发送。" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_lifts_the_lockout(client, appraiser):
    for n in range(5):
        login_post(client, appraiser.username, f"wrong-{n}")
    assert login_post(client, appraiser.username, "demo12345").status_code == 429

    link = request_reset_link(client, appraiser.email)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": "Nw-pass-2026!", "new_password2": "Nw-pass-2026!"})

    response = login_post(client, appraiser.username, "Nw-pass-2026!")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(appraiser.pk)
