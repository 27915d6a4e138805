"""Labbet's one settings module, driven by the environment (see the README's table)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from labbet.env import channel_layers_config, database_config, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LABBET_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        # Left empty: Django refuses to use an empty key, and labbet/asgi.py refuses to serve
        # without one; commands that need no key (migrations) still run.
        return ""
    # Kept in var/ so sessions survive a restart of the local server.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Set only when a reverse proxy you run sets X-Forwarded-Proto / X-Forwarded-For.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "csp",
    "workshops",
    "challenges",
    "insights",
]

MIDDLEWARE = [
    # First, so it compresses what the rest produce (Django masks the length against BREACH);
    # WhiteNoise serves static files already compressed.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "labbet.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "labbet.limits.LimitsMiddleware",
    # Last, sync only: see its docstring.
    "labbet.middleware.OneThreadPerRequest",
]

ROOT_URLCONF = "labbet.urls"
ASGI_APPLICATION = "labbet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), VAR_DIR / "labbet.sqlite3")}
CHANNEL_LAYERS = channel_layers_config(os.environ.get("REDIS_URL"))
# The abuse limits' counters (labbet/limits.py). In memory they are per process: with several
# daphne processes each allows the full rate; with REDIS_URL they are shared.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "labbet",
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "labbet"}
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workshops:dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_AGE = 60 * 60 * 24 * 60  # a phone keeps its place in a workshop for weeks
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Strict: no inline script or style anywhere (labbet/csp.py adds the socket's own address, and
# lets the console frame its projector preview, the one page that sets SAMEORIGIN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
if env_bool("HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the whole domain to HTTPS in browsers for good: the operator's choice.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "labbet@localhost")
if os.environ.get("EMAIL_FILE_PATH"):  # for the file-based backend (one file per email)
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

# Product limits.
LABBET_MAX_CONTRIBUTION_LENGTH = env_int("LABBET_MAX_CONTRIBUTION_LENGTH", 400)
# Similar posts (insights/duplicates.py) are compared in a background thread after the post
# commits, so its answer never waits for the comparison.
LABBET_SIMILAR_IN_BACKGROUND = env_bool("LABBET_SIMILAR_IN_BACKGROUND", True)
# Off: no similar-post check at all (no console groups, no phone offer); for measuring its cost.
LABBET_SIMILAR_POSTS = env_bool("LABBET_SIMILAR_POSTS", True)
LABBET_REPLAY_LIMIT = 200  # more missed events than this: the client gets a fresh wall instead
LABBET_PUBLIC_URL = os.environ.get("LABBET_PUBLIC_URL", "").rstrip("/")
# Anyone may create a labber account at /accounts/signup/ (otherwise staff create them).
LABBET_OPEN_SIGNUP = env_bool("LABBET_OPEN_SIGNUP", False)


def _env_rate(name: str, default: tuple[int, int] | None) -> tuple[int, int] | None:
    """A rate from the environment: COUNT/SECONDS (e.g. 5/30), or off."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"off", "0", "none"}:
        return None
    try:
        count, seconds = (int(part) for part in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be COUNT/SECONDS (e.g. 5/30) or off; got {raw!r}."
        ) from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"{name} must be COUNT/SECONDS, both above 0; got {raw!r}.")
    return count, seconds


# Abuse limits (labbet/limits.py), each (count, seconds) or None for no limit.
LABBET_RATE_LIMITS = {
    # Posts from one phone, over HTTP or the socket alike (labbers are not limited).
    "post": _env_rate("LABBET_RATE_POST", (5, 30)),
    # Dots put on or taken back by one phone.
    "vote": _env_rate("LABBET_RATE_VOTE", (30, 30)),
    # New phones joining from one address: loose, a venue's wifi puts 500 phones behind one.
    "join": _env_rate("LABBET_RATE_JOIN", (600, 60)),
    # Unknown join codes tried from one address; then that address looks up no code until the
    # window ends (phones already in a workshop and signed-in labbers keep theirs).
    "code_guess": _env_rate("LABBET_RATE_CODE_GUESS", (20, 300)),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The report's PDF: WeasyPrint logs every screen-only CSS rule it skips, on every render.
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}
