"""The one settings module for Common Ground.

Everything is read from environment variables (or a ``.env`` file at the repository root, which
``make`` creates from ``.env.example`` for development). With nothing set the platform runs on its
embedded defaults: SQLite, the in-memory channel layer, a local-memory cache and console email.
Production sets ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (channel layer and cache), turns
``DEBUG`` off and must provide a real ``SECRET_KEY`` — without one it refuses to start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> None:
    """Load KEY=value lines from ``path`` without overriding the real environment."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_read_dotenv(Path(os.environ.get("ENV_FILE", BASE_DIR / ".env")))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off. "
        "For development set DEBUG=1 (make run does this through .env)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "engagement",
    "engagement.forums",
    "engagement.calendar",
    "consultations",
    "places",
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "engagement.middleware.AdminStylePolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Sync-only, and last on purpose: Django then runs the whole chain in one thread instead of
    # hopping between the event loop and threads around it (measured: docs/PERFORMANCE.md).
    # Keep it last; an async-capable middleware after it would bring the hops back.
    "engagement.middleware.RequireStaffMFAMiddleware",
]

ROOT_URLCONF = "engagement.urls"
ASGI_APPLICATION = "engagement.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "engagement.context_processors.site",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the ASGI server's threads read while one writes; the timeout waits out a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env_bool("DB_POOL", True) and DATABASES["default"]["CONN_MAX_AGE"] == 0:
    # Under ASGI a persistent connection per thread is unsafe, and a new connection per request
    # costs PostgreSQL ~7 ms of CPU; psycopg's pool gives each request a warm connection.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DB_POOL_MIN_SIZE", "2")),
        "max_size": int(env("DB_POOL_MAX_SIZE", "10")),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Web addresses typed without a scheme are taken as https:// (Django 6's default).
FORMS_URLFIELD_ASSUME_HTTPS = True

REDIS_URL = env("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "engagement.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cg",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Redis pub/sub: a group message is published once and each server process hands it to its own
    # sockets in memory, instead of Redis holding one copy per socket that each process pops one
    # at a time (to 500 readers: p95 246 ms with channels_redis.core, 114 ms with pub/sub; see
    # docs/PERFORMANCE.md).
    # Pub/sub keeps nothing for a process that is away; nothing live depends on that, because
    # every broadcast event is stored first and pages catch up from it.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2}],
                "prefix": "cg",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Writes: (requests, seconds) per signed-in user and per client address (engagement/ratelimit.py).
# Per-address limits are generous because a library, community centre or council office shares one
# address among many people. Staff writes are limited too: a stolen officer session should not be
# able to email every resident or empty the map in a minute. A moderator clearing a queue by hand
# stays well inside 300 an hour.
RATE_LIMITS = {
    "respond": {"user": (60, 600), "ip": (300, 600)},
    "pin": {"user": (20, 3600), "ip": (100, 3600)},
    "me_too": {"user": (120, 3600), "ip": (600, 3600)},
    "flag": {"user": (30, 3600), "ip": (60, 3600)},
    "pin_update": {"user": (60, 3600), "ip": (600, 3600)},
    "moderate": {"user": (300, 3600), "ip": (1200, 3600)},
    "forum_post": {"user": (30, 600), "ip": (300, 600)},
    "forum_react": {"user": (120, 600), "ip": (1200, 600)},
    "forum_flag": {"user": (30, 3600), "ip": (60, 3600)},
    "forum_idea": {"user": (30, 600), "ip": (300, 600)},
    "forum_vote": {"user": (200, 600), "ip": (2000, 600)},
    "forum_facilitate": {"user": (300, 3600), "ip": (1200, 3600)},
    "activity": {"user": (30, 3600), "ip": (100, 3600)},
    "follow": {"user": (60, 3600), "ip": (300, 3600)},
    # One-click unsubscribes from a large mail provider arrive from a few of its addresses.
    "unsubscribe": {"ip": (600, 600)},
}

# --- Shared calendar ------------------------------------------------------------------------------

# The engagement-load limit: weighted asks per 1,000 residents in a ward in one week above which
# the ward is overloaded (docs/CALENDAR.md). About three light asks, or one heavy one, a week for
# every 2,000 people.
try:
    CALENDAR_LOAD_THRESHOLD = float(env("CALENDAR_LOAD_THRESHOLD", "0.5"))
except ValueError as error:
    raise ImproperlyConfigured("CALENDAR_LOAD_THRESHOLD must be a number, such as 0.5") from error
if not CALENDAR_LOAD_THRESHOLD > 0:
    raise ImproperlyConfigured("CALENDAR_LOAD_THRESHOLD must be more than 0")

# --- Accounts -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "engagement.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profile"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_FORMS = {"signup": "engagement.forms.SignupForm", "login": "engagement.forms.LoginForm"}
ACCOUNT_ADAPTER = "engagement.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Common Ground] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Common Ground"

# --- Email ----------------------------------------------------------------------------------------

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", "")  # for the file-based backend (browser tests)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Common Ground <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/axe-core", BASE_DIR / "node_modules" / "axe-core"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# --- Wagtail --------------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = "Common Ground"
# Nothing in the CMS may call out: no avatars from Gravatar, no release check (and the CSP forbids
# both anyway).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "pptx", "rtf", "txt", "xlsx"]

# --- Security -------------------------------------------------------------------------------------

SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # __Host- cookies are bound to this exact host, sent only over HTTPS, with Path=/.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "engagement.views.csrf_failure"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The resident-facing site runs under a strict policy: no inline script or style at all.
# Maps: background tiles come from this server (OpenStreetMap by default). Maps never depend on
# them: ward boundaries are drawn from our own data, so a map without tiles still works.
MAP_TILE_URL = env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env("MAP_ATTRIBUTION", "© OpenStreetMap contributors")
# Whether people without an account may add pins (always checked by a moderator first).
PLACES_ALLOW_ANONYMOUS_PINS = env_bool("PLACES_ALLOW_ANONYMOUS_PINS", False)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [
            SELF,
            "data:",
            *filter(None, [_origin(MAP_TILE_URL)]),
            *env_list("CSP_IMG_SRC"),
        ],
        "font-src": [SELF],
        "connect-src": [SELF, "ws:" if DEBUG else "wss:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# The CMS (Wagtail's admin, used only by signed-in staff) still sets some inline styles; it may
# use them, and nothing else changes. Inline script stays forbidden there too: the date pickers
# degrade to typed dates, which Wagtail validates on the server.
CSP_ADMIN_PATH_PREFIX = "/admin/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}

# --- Platform -------------------------------------------------------------------------------------

# Users created by seed_demo carry mfa_exempt=True so a newcomer can look around; real officers and
# moderators must set up an authenticator app before they can do anything else.
COMMON_GROUND_REQUIRE_STAFF_MFA = env_bool("REQUIRE_STAFF_MFA", True)
