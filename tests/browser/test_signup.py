"""An appraiser signs up, logs out and logs in again in a real browser, in Chinese."""

import re

import pytest
from playwright.sync_api import expect

from academy.accounts.models import AppraiserProfile, User
from academy.accounts.roles import APPRAISER

from .conftest import PHONE, save_screenshot

# live_server needs real transactions; the serialized rollback gives each test the rows the data
# migrations made (categories, the home page and site) back after an earlier test flushed them.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Jd-2026-secure!"


def fill_signup(page, *, username="zhangsan", password=PASSWORD, confirm=PASSWORD, phone="13912345678"):
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("确认密码").fill(confirm)
    page.get_by_label("真实姓名").fill("张三")
    page.get_by_label("电子邮箱").fill("zhangsan@example.cn")
    page.get_by_label("手机号码").fill(phone)
    page.get_by_label("司法鉴定机构").fill("某某司法鉴定中心")
    page.get_by_label("执业证号").fill("110100012345")
    held = page.get_by_role("group", name="已有执业类别")
    held.get_by_label("法医临床").check()
    held.get_by_label("法医病理").check()
    page.get_by_role("group", name="拟申请执业类别").get_by_label("法医精神病").check()


def unlabelled_controls(page) -> list[str]:
    """Form controls a screen reader would announce without a name."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !(el.tagName === 'BUTTON' && el.textContent.trim()))
              .map(el => el.outerHTML)"""
    )


def horizontal_overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_appraiser_signs_up_logs_out_and_logs_in_again(browser_page):
    page = browser_page
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("鉴定人注册")
    assert unlabelled_controls(page) == []

    fill_signup(page)
    page.get_by_role("button", name="注册").click()

    # Lands on the home page, logged in, in Chinese.
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("张三，欢迎您！账号已创建。")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_role("link", name="司法鉴定教育考试平台")).to_be_visible()
    expect(page.get_by_text("张三", exact=True)).to_be_visible()
    save_screenshot(page, "signup-home-logged-in")

    user = User.objects.get(username="zhangsan")
    assert user.real_name == "张三" and user.phone == "13912345678"
    assert list(user.groups.values_list("name", flat=True)) == [APPRAISER.group_name]
    profile = AppraiserProfile.objects.get(user=user)
    assert sorted(profile.categories_held.values_list("code", flat=True)) == ["FYBL", "FYLC"]
    assert list(profile.categories_sought.values_list("code", flat=True)) == ["FYJS"]

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)

    page.get_by_role("link", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    assert unlabelled_controls(page) == []
    save_screenshot(page, "login")
    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.get_by_text("张三", exact=True)).to_be_visible()


def test_bad_signup_shows_chinese_errors_and_creates_no_user(browser_page):
    page = browser_page
    page.goto("/accounts/signup/")
    fill_signup(page, confirm="Jd-2026-different!", phone="12345")
    page.get_by_role("button", name="注册").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("鉴定人注册")
    expect(page.get_by_text("输入的两个密码不一致。")).to_be_visible()
    expect(page.get_by_text("请输入 11 位大陆手机号码，例如 13800138000。")).to_be_visible()
    # Each error is tied to its field for screen readers, and the field is marked invalid.
    phone = page.get_by_label("手机号码")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("请输入 11 位大陆手机号码"))
    # What was typed is kept (except the passwords), so the person only fixes the mistakes.
    expect(page.get_by_label("用户名")).to_have_value("zhangsan")
    assert not User.objects.exists()
    assert not AppraiserProfile.objects.exists()


def test_signup_page_fits_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto("/accounts/signup/")
    fill_signup(page, confirm="Jd-2026-different!", phone="12345")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_text("输入的两个密码不一致。")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "signup-errors-390px")
    page.goto("/")
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "home-390px")
    assert not User.objects.exists()


def test_language_button_switches_the_signup_page_to_english(browser_page):
    page = browser_page
    page.goto("/accounts/signup/")
    # The other language is offered in its own name, as a button (no auto-submitting select).
    page.get_by_role("button", name="English").click()

    page.wait_for_url(re.compile(r"/en/accounts/signup/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appraiser sign-up")
    held = page.get_by_role("group", name="Practice categories held")
    expect(held.get_by_role("group", name="Forensic medicine")).to_be_visible()
    expect(held.get_by_label("Clinical forensic medicine")).to_be_visible()
    expect(page.get_by_role("button", name="简体中文")).to_be_visible()
