"""Guard: `site` stays the stdlib module; the project package lives under the site/ source root."""

import importlib
import site
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_site_is_still_the_stdlib_module():
    assert Path(site.__file__).parent == Path(sys.modules["os"].__file__).parent
    assert not (REPO / "site" / "__init__.py").exists(), "site/ must stay a source root, not a package"


def test_project_package_lives_under_site():
    academy = importlib.import_module("academy")
    assert Path(academy.__file__).resolve().parent == REPO / "site" / "academy"


def test_domain_apps_at_top_level():
    for name in ("courses", "exams", "question_bank"):
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().parent == REPO / name
