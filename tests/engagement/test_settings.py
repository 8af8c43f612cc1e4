"""The one settings module: safe embedded defaults, production from the environment, and a refusal
to start production with a missing or development secret key.

Settings are read once per process, so the production cases run in a fresh interpreter with a
controlled environment (``ENV_FILE=/nonexistent`` keeps the developer's ``.env`` out).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from engagement.settings import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = secrets.token_urlsafe(48)  # 64 characters
# Every variable the settings module reads, so nothing from the test run leaks in.
SETTINGS_VARIABLES = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL", "DATABASE_URL",
    "DB_CONN_MAX_AGE", "REDIS_URL", "TASKS_BACKEND", "EMAIL_BACKEND", "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "CSP_IMG_SRC",
    "REQUIRE_STAFF_MFA", "STATIC_ROOT", "MEDIA_ROOT", "LOG_LEVEL", "MAP_TILE_URL",
    "MAP_ATTRIBUTION",
}  # fmt: skip

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE": settings.DATABASES["default"],
    "CACHE": settings.CACHES["default"],
    "CHANNEL_LAYER": settings.CHANNEL_LAYERS["default"],
    "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
    "CSRF_COOKIE_NAME": settings.CSRF_COOKIE_NAME,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "STATICFILES_BACKEND": settings.STORAGES["staticfiles"]["BACKEND"],
}, default=str))
"""


def _run(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(ENV_FILE="/nonexistent", DJANGO_SETTINGS_MODULE="engagement.settings")
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _settings(**environment: str) -> dict:
    result = _run("-c", SHOW_SETTINGS, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _production(**environment: str) -> dict:
    return {
        "DEBUG": "0",
        "SECRET_KEY": PRODUCTION_KEY,
        "ALLOWED_HOSTS": "example.org",
        **environment,
    }


@pytest.mark.parametrize(
    "secret_key",
    ["", DEVELOPMENT_SECRET_KEY, "too-short-to-be-a-real-secret-key"],
    ids=["missing", "development-key", "short-key"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    result = _run("-c", SHOW_SETTINGS, DEBUG="0", SECRET_KEY=secret_key)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **_production())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_defaults_need_no_services():
    config = _settings(DEBUG="1")

    assert config["DEBUG"] is True
    assert config["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert config["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["CHANNEL_LAYER"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert config["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_production_uses_postgresql_and_redis_from_the_environment():
    config = _settings(
        **_production(
            DATABASE_URL="postgres://u:p@h:5432/db", REDIS_URL="redis://redis.internal:6379/2"
        )
    )

    database = config["DATABASE"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("db", "u", "p")
    assert (database["HOST"], database["PORT"]) == ("h", 5432)
    assert config["CACHE"]["BACKEND"] == "engagement.cache.ResilientRedisCache"
    assert config["CACHE"]["LOCATION"] == "redis://redis.internal:6379/2"
    assert config["CHANNEL_LAYER"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    hosts = config["CHANNEL_LAYER"]["CONFIG"]["hosts"]
    # channels_redis takes a URL or a dict of connection options with an "address".
    addresses = [host["address"] if isinstance(host, dict) else host for host in hosts]
    assert addresses == ["redis://redis.internal:6379/2"]


def test_production_is_secure_by_default():
    config = _settings(**_production())

    assert config["DEBUG"] is False
    assert config["ALLOWED_HOSTS"] == ["example.org"]
    assert config["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert config["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SECURE_SSL_REDIRECT"] is True
    assert config["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert (
        config["STATICFILES_BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    # Without REDIS_URL the embedded in-process layers are used even in production.
    assert config["CHANNEL_LAYER"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_the_real_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nALLOWED_HOSTS=from-the-file.example\n# REDIS_URL=ignored\n")

    config = _settings(ENV_FILE=str(env_file), ALLOWED_HOSTS="from-the-environment.example")

    assert config["DEBUG"] is True
    assert config["ALLOWED_HOSTS"] == ["from-the-environment.example"]
    assert config["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


# --- Headers on every response --------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/places/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (d.strip() for d in policy.split(";")) if part
    )
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
