"""zh-hans is complete: every string of ours is translated, compiled, and the catalogues are current."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from academy.home.management.commands.compile_translations import catalogues
from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
OUR_CATALOGUES = [p for p in catalogues() if "locale_wagtail" not in p.parts]


def _entries(catalogue) -> dict:
    return {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in catalogue if not e.obsolete}


@pytest.mark.parametrize("po_path", OUR_CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_catalogue_is_fully_translated(po_path):
    po = polib.pofile(str(po_path))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated in {po_path}: {missing}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy}"


@pytest.mark.parametrize("po_path", list(catalogues()), ids=lambda p: str(p.relative_to(REPO)))
def test_compiled_catalogue_matches_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run manage.py compile_translations"
    source = {k: v for k, v in _entries(polib.pofile(str(po_path))).items() if k[1] and "fuzzy" not in v}
    compiled = _entries(polib.mofile(str(mo_path)))
    compiled.pop((None, ""), None)  # the header
    assert compiled == source, f"{mo_path} is stale: run manage.py compile_translations"


def test_catalogues_are_current(tmp_path):
    """Re-extract the messages from a copy of the sources: nothing new may be missing from our catalogues."""
    if not shutil.which("xgettext"):
        skip_or_fail("gettext's xgettext is not installed (apt-get install gettext)")
    copy = tmp_path / "repo"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "*.ttf", "__pycache__", "tests", "bench"),
    )
    python = sys.executable
    env_cmd = [python, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"]
    apps = ["question_bank", "exams", "courses"]
    subprocess.run(
        [*env_cmd, "--ignore", "var/*", *sum((["--ignore", f"{a}/*"] for a in apps), [])],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    for app in apps:
        subprocess.run([python, "../manage.py", *env_cmd[2:]], cwd=copy / app, check=True, capture_output=True)
    for po_path in OUR_CATALOGUES:
        fresh = polib.pofile(str(copy / po_path.relative_to(REPO)))
        committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if not e.obsolete}
        new = sorted(str(e.msgid) for e in fresh if (e.msgctxt, e.msgid) not in committed)
        assert not new, f"{po_path.relative_to(REPO)} lacks new strings (run `make messages` and translate): {new}"
