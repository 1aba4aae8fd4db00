"""Production settings, checked in a fresh interpreter as a server would load them.

Each test runs Python in a subprocess: importing the production module here would replace the test
settings, and what matters is what a process started with DJANGO_SETTINGS_MODULE set sees.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = "academy.settings.production"


def run_python(args: list[str], *, tmp_path: Path, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        # A developer's or CI's own values must not leak into what production would see.
        if key
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "ALLOWED_HOSTS",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        PYTHONPATH=".:site",
        ACADEMY_VAR_DIR=str(tmp_path / "var"),  # settings create folders there; keep them out of the repo
        **env_overrides,
    )
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def long_key() -> str:
    return secrets.token_urlsafe(60)


@pytest.mark.parametrize("secret_key", [None, "", "short-key", "test-" + "x" * 60, "dev-" + "x" * 60])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, secret_key):
    env = {} if secret_key is None else {"SECRET_KEY": secret_key}
    result = run_python(["-c", f"import {PRODUCTION}"], tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_long_key(tmp_path):
    result = run_python(["-c", f"import {PRODUCTION}; print('ok')"], tmp_path=tmp_path, SECRET_KEY=long_key())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_check_deploy_passes_at_warning_level(tmp_path):
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path=tmp_path,
        SECRET_KEY=long_key(),
        ALLOWED_HOSTS="academy.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_a_security_setting_is_weakened(tmp_path):
    """The gate above can fail: turning the HTTPS redirect off is reported (security.W008)."""
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path=tmp_path,
        SECRET_KEY=long_key(),
        SECURE_SSL_REDIRECT="false",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_cookies_are_secure_and_http_only(tmp_path):
    names = [
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    ]
    script = (
        "import json\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))\n"
    )
    # DEBUG=1 in the environment must not switch debugging on in production.
    result = run_python(["-c", script], tmp_path=tmp_path, SECRET_KEY=long_key(), DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
    }
