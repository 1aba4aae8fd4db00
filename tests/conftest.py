"""Shared fixtures. STRICT_SERVICES=1 (set by .ci/run) turns every service skip into a failure."""

import os
import shutil

import pytest

STRICT = os.environ.get("STRICT_SERVICES") == "1"


def skip_or_fail(reason: str):
    """Skip on a developer machine without the service; fail in CI where it must exist."""
    if STRICT:
        pytest.fail(f"STRICT_SERVICES=1 and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    """The real Redis that REDIS_URL names, reachable, or skip/fail."""
    url = os.environ.get("REDIS_URL")
    if not url:
        skip_or_fail("REDIS_URL is not set: tests against a real Redis and real workers need it")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture
def postgres_required(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail("DATABASE_URL does not name PostgreSQL")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        skip_or_fail(
            "Debian's chromium is not installed: run `make browsers` (apt-get install chromium fonts-wqy-microhei)"
        )
    return CHROMIUM


@pytest.fixture
def role_users(db):
    """One user per role, as seed_demo makes them."""
    from tests.factories import make_role_users

    return make_role_users()
