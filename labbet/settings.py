"""Labbet's one settings module, driven by the environment (see the README's table)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from labbet.env import (
    channel_layers_config,
    database_config,
    email_config,
    env_bool,
    env_int,
    env_list,
)

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
    "live",
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
    # The partials every post renders, per view and language (labbet/jinja.py): each app's
    # jinja2/ folder.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "labbet.jinja.environment"},
    },
]

DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), VAR_DIR / "labbet.sqlite3")}
# HTTP requests served at the same moment by one process (labbet/handlers.py); more wait for a
# thread. SQLite keeps as many idle connections (labbet/sqlite/base.py). On PostgreSQL, two
# fewer than the pool's connections (the sockets' thread and the similar posts' thread hold
# one each): a request then never waits for a connection, nor runs out of time waiting.
_POOL = DATABASES["default"].get("OPTIONS", {}).get("pool")
LABBET_REQUEST_THREADS = env_int(
    "LABBET_REQUEST_THREADS", max(2, _POOL["max_size"] - 2) if isinstance(_POOL, dict) else 32
)
CHANNEL_LAYERS = channel_layers_config(os.environ.get("REDIS_URL"))
# The abuse limits' counters (labbet/limits.py). In memory they are per process: with several
# daphne processes each allows the full rate; with REDIS_URL they are shared.
# Two caches: "default" holds small entries that must last their time (the abuse limits'
# counters, which live groups read which language: live/events.py), "rooms" the room's
# renders (workshops/regions.py: tens of kilobytes each, many a minute). Embedded, each is a
# bounded local-memory cache that drops its least recently used entries when full; kept apart,
# a busy room's renders cannot push out a counter or a language's presence (at the default
# 300 entries, a thousand phones' counters did: English phones then got no live frame until
# the hub's resync, 4 s late, profiled with `python -m bench --phones 1000`). In a scale-out
# both are the one Redis.
_REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": os.environ.get("REDIS_URL", ""),
    "KEY_PREFIX": "labbet",
}
CACHES = (
    {"default": _REDIS_CACHE, "rooms": _REDIS_CACHE}
    if os.environ.get("REDIS_URL")
    else {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "labbet",
            # A few hundred bytes each: a counter per phone and limit, a key per language.
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        },
        "rooms": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "labbet-rooms",
            # A render per cursor and language, 30 s each: enough for the renders in use.
            "OPTIONS": {"MAX_ENTRIES": 500},
        },
    }
)

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

# Django's database sessions, read by one plain statement (labbet/sessions.py).
SESSION_ENGINE = "labbet.sessions"
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

# Email (issue 19): EMAIL_URL or EMAIL_HOST & co.; the console backend when neither is set.
globals().update(email_config())

# Product limits.
LABBET_MAX_CONTRIBUTION_LENGTH = env_int("LABBET_MAX_CONTRIBUTION_LENGTH", 400)
# Similar posts (insights/duplicates.py) are compared after the post commits: a socket's batch
# on its own thread once its answers are rendered (live/db.py: after_batch), a request's in a
# background thread, so that its answer does not wait for the comparison.
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
    # New phones joining from one address: loose, a venue's wifi puts a whole hall behind one.
    "join": _env_rate("LABBET_RATE_JOIN", (2000, 60)),
    # Unknown join codes tried from one address; then that address looks up no code until the
    # window ends (phones already in a workshop and signed-in labbers keep theirs).
    "code_guess": _env_rate("LABBET_RATE_CODE_GUESS", (20, 300)),
}

# --- Fair and safe behind one address (issue 18; README: Fairness). ---
INSTALLED_APPS.append("axes")
# Last: django-axes answers a locked-out sign-in (it must see the response of the view).
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in: 10 wrong passwords for one account, or from one address, lock that account or
# address out for 10 minutes (not longer, and failures meanwhile do not extend it: the real
# labber is never kept out for more than the window). Success resets the count.
AXES_FAILURE_LIMIT = env_int("LABBET_SIGNIN_FAILURES", 10)
AXES_COOLOFF_TIME = timedelta(minutes=10)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "labbet.addresses.signin_address"
# Only failures are recorded: no row per successful sign-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "workshops.views.accounts.signin_locked"
AXES_VERBOSE = False
LABBET_RATE_LIMITS.update(
    {
        # Password-reset emails asked for one account, and from one address.
        "reset_account": _env_rate("LABBET_RATE_RESET_ACCOUNT", (3, 900)),
        "reset_address": _env_rate("LABBET_RATE_RESET_ADDRESS", (20, 900)),
        # Posts and dots from all the phones of one network (a keyed hash of the address),
        # sized for a full hall behind one venue wifi; README: Fairness.
        "post_network": _env_rate("LABBET_RATE_POST_NETWORK", (240, 60)),
        "vote_network": _env_rate("LABBET_RATE_VOTE_NETWORK", (1500, 60)),
        # Sockets one browser session opens (a reconnect with an old cursor costs a replay).
        "socket_open": _env_rate("LABBET_RATE_SOCKET_OPEN", (30, 60)),
        # Unknown join codes tried by one browser (the address's count is "code_guess").
        "code_guess_session": _env_rate("LABBET_RATE_CODE_GUESS_SESSION", (10, 300)),
    }
)
# The console's signal: this many phones from one network, each joined within the last
# LABBET_CROWD_NEW_PHONE seconds, post the same text or dot the same suggestion within a minute.
LABBET_CROWD_SIGNAL = env_int("LABBET_CROWD_SIGNAL", 8)
LABBET_CROWD_NEW_PHONE = 15 * 60
# Sockets one session may hold open in a process; past it the oldest is closed.
LABBET_SOCKETS_PER_SESSION = env_int("LABBET_SOCKETS_PER_SESSION", 4)
# Messages one socket may send: a burst of 20, then 2 a second (a phone sends a handful).
LABBET_SOCKET_MESSAGES = (20, 10)
# Messages past that budget a socket may go on sending (dropped) before it is closed.
LABBET_SOCKET_DROPS = (50, 10)
# A socket asking for more than LABBET_REPLAY_LIMIT missed events gets a fresh region at most
# this often (seconds); the live frames that follow keep it current meanwhile.
LABBET_SOCKET_REFRESH_EVERY = 10

# The live layer (live/): the model whose rows are the streams live events are numbered in
# (its `live_seq` is the cursor, its `language` the stream's own), and the views a stream's
# screens are in; each (view, language) is one channel-layer group, rendered once.
LABBET_LIVE_STREAM = "workshops.Workshop"
LABBET_LIVE_VIEWS = ("phone", "projector", "console")
# The fan-out writes prepared frames straight to daphne's websocket protocol (live/wire.py);
# LABBET_LIVE_DIRECT_WRITE=0 sends every frame through the consumer's documented `send`
# instead (slower, and independent of daphne's, Twisted's and autobahn's internals).
LABBET_LIVE_DIRECT_WRITE = env_bool("LABBET_LIVE_DIRECT_WRITE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Invite tokens and the projector's key never reach a log (labbet/accesslog.py).
    "filters": {"redact": {"()": "labbet.accesslog.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The report's PDF: WeasyPrint logs every screen-only CSS rule it skips, on every render.
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}
