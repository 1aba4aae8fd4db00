"""The Wagtail admin (and django-import-export's strings) are fully Chinese for a zh-hans user.

Wagtail's own zh_Hans catalogues cover about 78% of its strings; site/academy/locale_wagtail/ supplies the
rest (see build_missing.py there). These tests pin that down from four sides: every upstream msgid has a
translation somewhere, our catalogue is complete and compiled, the rendered admin shows the Chinese text
instead of the formerly English one, and no translation breaks a placeholder or an HTML tag.
"""

import html
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import import_export
import polib
import pytest

from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

import wagtail
from wagtail.models import Page
from wagtail.users.models import UserProfile

from tests.factories import UserFactory

OURS = Path(settings.PROJECT_DIR) / "locale_wagtail"
OURS_MESSAGES = OURS / "zh_Hans" / "LC_MESSAGES"
WAGTAIL_ROOT = Path(wagtail.__file__).resolve().parent
IMPORT_EXPORT_ROOT = Path(import_export.__file__).resolve().parent


def key_of(entry):
    return (entry.msgctxt, entry.msgid)


def live(path):
    return [e for e in polib.pofile(str(path)) if e.msgid and not e.obsolete]


def translated_keys(path):
    """Keys with a non-empty, non-fuzzy translation (polib's translated() checks every plural form)."""
    return {key_of(e) for e in live(path) if e.translated()} if path.exists() else set()


def upstream_catalogues():
    """(label, domain, msgid entries, that package's zh_Hans catalogue) for Wagtail and django-import-export."""
    found = []
    for en_po in sorted(WAGTAIL_ROOT.glob("**/locale/en/LC_MESSAGES/*.po")):
        app = en_po.parents[3]
        zh_po = app / "locale" / "zh_Hans" / "LC_MESSAGES" / en_po.name
        found.append((app.relative_to(WAGTAIL_ROOT.parent).as_posix(), en_po.stem, live(en_po), zh_po))
    # django-import-export ships no `en` catalogue: the union of its locales lists its msgids.
    entries = {}
    for po in sorted(IMPORT_EXPORT_ROOT.glob("locale/*/LC_MESSAGES/django.po")):
        for entry in live(po):
            entries.setdefault(key_of(entry), entry)
    zh_po = IMPORT_EXPORT_ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    found.append(("import_export", "django", list(entries.values()), zh_po))
    return found


UPSTREAM = upstream_catalogues()


def test_upstream_catalogues_were_found():
    labels = {label for label, *_ in UPSTREAM}
    assert {"wagtail/admin", "wagtail", "wagtail/images", "wagtail/users", "import_export"} <= labels
    assert ("wagtail/admin", "djangojs") in {(label, domain) for label, domain, *_ in UPSTREAM}
    assert sum(len(entries) for *_, entries, _zh in UPSTREAM) > 1500


# --- (a) completeness --------------------------------------------------------------------------


def project_catalogues():
    """zh_Hans catalogues of the project's own apps (exams/locale/, ...): they rank below LOCALE_PATHS."""
    repo = Path(settings.REPO_DIR).resolve()
    return [
        po
        for app in apps.get_app_configs()
        if Path(app.path).resolve().is_relative_to(repo) and "site-packages" not in Path(app.path).parts
        for po in (Path(app.path) / "locale").glob("zh_Hans/LC_MESSAGES/*.po")
    ]


def project_translations(domain):
    found = {}
    for po in project_catalogues():
        if po.stem == domain:
            for entry in live(po):
                if entry.translated():
                    found.setdefault(key_of(entry), _first(entry))
    return found


def test_every_upstream_msgid_has_a_chinese_translation_upstream_or_in_ours():
    """A project app's translation also counts: for a msgid it translates differently we step aside."""
    ours = {domain: translated_keys(OURS_MESSAGES / f"{domain}.po") for domain in ("django", "djangojs")}
    project = {domain: set(project_translations(domain)) for domain in ("django", "djangojs")}
    missing = []
    for label, domain, entries, zh_po in UPSTREAM:
        have = translated_keys(zh_po) | ours[domain] | project[domain]
        missing += [(label, e.msgctxt, e.msgid) for e in entries if key_of(e) not in have]
    assert not missing, f"{len(missing)} msgids without zh_Hans translation, first: {missing[:10]}"


def test_runtime_zh_hans_catalogue_translates_every_django_domain_msgid():
    """What Django actually merged (apps + LOCALE_PATHS, from the .mo files) has every msgid, non-empty."""
    catalogue = trans_real.translation("zh-hans")._catalog  # the merged catalogue gettext() reads
    installed = {Path(app.path).resolve() for app in apps.get_app_configs()}
    untranslated = []
    checked = 0
    for label, domain, entries, zh_po in UPSTREAM:
        if domain != "django" or zh_po.parents[3] not in installed:
            continue  # a Wagtail contrib app we do not install has no catalogue at run time
        checked += len(entries)
        for entry in entries:
            msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            value = catalogue.get((msgid, 0) if entry.msgid_plural else msgid)
            if not value:
                untranslated.append((label, entry.msgid))
    assert checked > 1000
    assert not untranslated, f"{len(untranslated)} untranslated at run time, first: {untranslated[:10]}"


def test_build_missing_check_reports_nothing_left():
    """The maintenance script itself agrees: nothing missing, nothing empty or fuzzy in our catalogues."""
    result = subprocess.run(
        [sys.executable, str(OURS / "build_missing.py"), "--check", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "0 of ours still empty or fuzzy" in result.stderr


# --- (b) our catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_our_catalogue_has_no_untranslated_or_fuzzy_entry(domain):
    po = polib.pofile(str(OURS_MESSAGES / f"{domain}.po"))
    assert len(po) > 0
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    # The only obsolete (#~, not compiled) entries are those set aside for a project app's own wording.
    project = project_translations(domain)
    for entry in po.obsolete_entries():
        assert key_of(entry) in project and project[key_of(entry)] != _first(entry), entry.msgid
    for entry in po:
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0}, f"zh has one plural form: {entry.msgid!r}"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_plural_rule_matches_wagtails_zh_hans(domain):
    """Django groups merged catalogues by plural function: ours must use Wagtail's zh_Hans rule."""
    ours = polib.pofile(str(OURS_MESSAGES / f"{domain}.po")).metadata["Plural-Forms"]
    wagtails = polib.pofile(str(WAGTAIL_ROOT / "admin/locale/zh_Hans/LC_MESSAGES/django.po")).metadata["Plural-Forms"]
    assert ours.replace(" ", "") == wagtails.replace(" ", "") == "nplurals=1;plural=0;"


def _as_dict(entries):
    return {key_of(e): (tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr) for e in entries}


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_compiled_mo_is_up_to_date_with_the_po(domain):
    """The .mo (what Django reads) holds exactly the .po's translations (what compile_translations writes)."""
    po = polib.pofile(str(OURS_MESSAGES / f"{domain}.po"))
    mo = polib.mofile(str(OURS_MESSAGES / f"{domain}.mo"))
    compiled = _as_dict(e for e in mo if e.msgid)  # the header is the entry with an empty msgid
    assert compiled == _as_dict(po.translated_entries()), "run: python manage.py compile_translations"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_msgfmt_check_format_passes(domain):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:  # gettext is a developer tool; test_placeholders_* below check the same in Python
        pytest.skip("gettext's msgfmt is not installed")
    result = subprocess.run(
        [msgfmt, "--check-format", "-o", "/dev/null", str(OURS_MESSAGES / f"{domain}.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# --- (c) the rendered admin ----------------------------------------------------------------------

# (formerly English text, its Chinese) per screen: each English text was really on that screen before
# locale_wagtail existed (test_screens_are_english_without_our_catalogue proves it).
EVERY_SCREEN = [
    ("Show keyboard shortcuts", "显示键盘快捷键"),
    ("JavaScript is required to use Wagtail", "使用 Wagtail 需要 JavaScript"),
    ("Toggle minimap", "切换小地图"),
]
SCREENS = {
    "dashboard": [
        ("Search all pages…", "搜索所有页面…"),
        ("editor guide", f"Wagtail {wagtail.__version__} 编辑指南"),
        ("created in", "，已在司法鉴定教育考试平台中创建"),
        ("Read the release notes.", "阅读发行说明。"),
        ("Wagtail upgrade available", "Wagtail 有可用的升级"),
    ],
    "explorer": [
        ("Exploring", "浏览: 司法鉴定教育考试平台"),
        ("Date updated", "更新日期"),
        ("Edited by", "编辑者"),
        ("Has child pages", "有子页面"),
        ("Choose who can view the live version of this page", "选择谁可以查看此页面的已发布版本"),
    ],
    "images": [
        ("Grid layout", "网格布局"),
        ("List layout", "列表布局"),
        ("Oldest", "最早"),
        ("Usage count: (low to high)", "使用次数（从低到高）"),
    ],
    "search": [
        ("There is one matching page", "有 1 个匹配的页面"),
        ("in ascending order", "升序排列"),
    ],
}


@pytest.fixture
def admin_screens(db, client):
    """GET each screen as a superuser; returns a function (screen, **headers) -> unescaped HTML."""
    home = Page.objects.get(depth=2)
    home.add_child(instance=Page(title="Exam notice", slug="exam-notice"))  # something for the search to find
    urls = {
        "dashboard": "/admin/",
        "explorer": f"/admin/pages/{home.pk}/",
        "images": "/admin/images/",
        "search": "/admin/pages/search/?q=Exam",
    }

    def get(screen, **headers):
        response = client.get(urls[screen], **headers)
        assert response.status_code == 200, (screen, response.status_code)
        return html.unescape(response.content.decode())  # "…" may arrive as an entity

    return get


def _superuser(language: str | None):
    user = UserFactory(is_superuser=True, is_staff=True)
    if language is not None:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
    return user


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_admin_screens_are_chinese_for_a_zh_hans_admin(client, admin_screens, screen):
    # The profile language wins over the browser's Accept-Language.
    client.force_login(_superuser("zh-hans"))
    body = admin_screens(screen, HTTP_ACCEPT_LANGUAGE="en-US,en")
    for english, chinese in SCREENS[screen] + EVERY_SCREEN:
        assert english not in body, f"{screen}: English {english!r} still shown"
        assert chinese in body, f"{screen}: Chinese {chinese!r} missing"


def test_default_admin_language_is_chinese(client, admin_screens):
    """A user who never chose a language gets LANGUAGE_CODE (zh-hans)."""
    client.force_login(_superuser(None))
    body = admin_screens("dashboard")
    assert "Search all pages…" not in body
    assert "搜索所有页面…" in body


def test_screens_are_english_without_our_catalogue(client, admin_screens, settings):
    """Control: without locale_wagtail the listed strings really are English (the list is not made up)."""
    settings.LOCALE_PATHS = [p for p in settings.LOCALE_PATHS if Path(p).name != "locale_wagtail"]
    client.force_login(_superuser("zh-hans"))
    for screen, pairs in SCREENS.items():
        body = admin_screens(screen)
        for english, _chinese in pairs + EVERY_SCREEN:
            assert english in body, f"{screen}: {english!r} was expected to be untranslated upstream"


def test_english_admin_still_english(client, admin_screens):
    client.force_login(_superuser("en"))
    body = admin_screens("dashboard", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Search all pages…" in body
    assert "搜索所有页面…" not in body


def test_javascript_catalogue_serves_our_djangojs_translations(client, db):
    """/admin/jsi18n/ (JavaScriptCatalog for wagtail.admin) also merges LOCALE_PATHS: every JS msgid is Chinese."""
    client.force_login(_superuser("zh-hans"))
    response = client.get("/admin/jsi18n/")
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    assert match, "catalogue not found in the jsi18n response"
    catalogue = json.loads(match.group(1))
    (en_js,) = [entries for label, domain, entries, _ in UPSTREAM if domain == "djangojs"]
    untranslated = []
    for entry in en_js:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        value = catalogue.get(key)
        if not value or (isinstance(value, list) and not all(value)):
            untranslated.append(entry.msgid)
    assert not untranslated
    assert catalogue["Autosave in progress…"] == "正在自动保存…"  # one of ours, not Wagtail's
    assert catalogue["%(num)s error"] == ["%(num)s 个错误"]


# --- (d) placeholders and markup -------------------------------------------------------------------

PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]")
BRACE = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"<[^<>]+>")


def placeholders(text: str):
    text = text.replace("%%", "")
    named = Counter(m.group(1) for m in PERCENT.finditer(text) if m.group(1))
    positional = [m.group(0) for m in PERCENT.finditer(text) if not m.group(1)]
    return named, positional, Counter(BRACE.findall(text)), Counter(TAG.findall(text))


def _our_translations():
    for domain in ("django", "djangojs"):
        for entry in live(OURS_MESSAGES / f"{domain}.po"):
            # One Chinese plural form serves every n, so it must carry what the plural msgid carries.
            source = entry.msgid_plural or entry.msgid
            targets = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            for target in targets:
                yield pytest.param(source, target, id=f"{domain}:{entry.msgid[:40]}")


@pytest.mark.parametrize(("msgid", "msgstr"), list(_our_translations()))
def test_placeholders_and_tags_of_every_translation_match(msgid, msgstr):
    want_named, want_positional, want_brace, want_tags = placeholders(msgid)
    named, positional, brace, tags = placeholders(msgstr)
    assert named == want_named
    assert positional == want_positional  # %s/%d are filled in order: same kinds, same order
    assert brace == want_brace
    assert tags == want_tags


def test_placeholder_check_catches_a_broken_translation():
    """The checker is not vacuous: a dropped or renamed placeholder or tag is a difference."""
    assert placeholders("删除 %(count)s 个") != placeholders("Delete %(counter)s")
    assert placeholders("<b>锁定</b>") != placeholders("<b>Locked</b> by <b>you</b>")
    assert placeholders("{title} 已锁定") != placeholders("{title} is locked by {user}")
    assert placeholders("100%% 完成") == placeholders("100%% done")


def test_ours_agrees_with_wagtails_existing_translations_of_shared_msgids():
    """LOCALE_PATHS win for the whole domain: a msgid one Wagtail app lacks but another app translates
    (django-import-export's "Home", "Select all") must keep the Chinese Wagtail already shows for it."""
    wagtails = {}
    for zh_po in WAGTAIL_ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/*.po"):
        for entry in live(zh_po):
            if entry.translated():
                wagtails.setdefault((zh_po.stem, *key_of(entry)), _first(entry))
    shared = 0
    for domain in ("django", "djangojs"):
        for entry in live(OURS_MESSAGES / f"{domain}.po"):
            theirs = wagtails.get((domain, *key_of(entry)))
            if theirs is not None:
                shared += 1
                assert _first(entry) == theirs, entry.msgid
    assert shared >= 2
    with translation.override("zh-hans"):
        assert translation.gettext("Home") == "首页"
        assert translation.gettext("Search all pages…") == "搜索所有页面…"


def test_ours_does_not_shadow_a_project_apps_translation():
    """Our catalogue outranks every app's (LOCALE_PATHS come last in the merge). Were a domain app to
    translate one of our msgids differently (exams' "Section" is 大题, Wagtail's a table heading), its pages
    would silently show our Chinese: build_missing.py sets such entries aside (#~) and this checks it did."""
    repo = Path(settings.REPO_DIR).resolve()
    catalogues = project_catalogues()
    assert catalogues, "the domain apps' catalogues were not found"
    clashes = []
    for po in catalogues:
        ours_po = OURS_MESSAGES / f"{po.stem}.po"
        ours = {key_of(e): e for e in live(ours_po)} if ours_po.exists() else {}
        for entry in live(po):
            mine = ours.get(key_of(entry))
            if mine is not None and entry.translated() and _first(mine) != _first(entry):
                clashes.append((str(po.relative_to(repo)), entry.msgid, _first(entry), _first(mine)))
    assert not clashes


def _first(entry):
    return entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
