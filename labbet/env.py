"""Reading settings from the environment, with a clear message naming the variable at fault."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_number(name: str, default: Any, parse: Any, what: str) -> Any:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}; got {raw!r}.") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number (e.g. 0.002)")


def env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Whole numbers separated by commas (e.g. 20000,10,10); set and empty: ()."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return tuple(int(part) for part in raw.split(",")) if raw.strip() else ()
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be whole numbers separated by commas (e.g. 20000,10,10); got {raw!r}."
        ) from None


def sqlite_config(path: Path) -> dict[str, Any]:
    # WAL lets the projector and phones read while a post is written; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on the busy timeout instead of deadlocking.
    return {
        "ENGINE": "labbet.sqlite",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def database_config(url: str | None, default_sqlite: Path) -> dict[str, Any]:
    """DATABASE_URL → a Django DATABASES entry; SQLite under var/ when unset."""
    if not url:
        return sqlite_config(default_sqlite)
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:///; got scheme {scheme!r}."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL could not be read: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        if not config.get("NAME"):
            raise ImproperlyConfigured(
                "DATABASE_URL names no SQLite file (use sqlite:////abs/path)."
            )
        return sqlite_config(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://user@host/NAME).")
    # Under daphne every HTTP request runs in a thread of its own, so Django's persistent
    # connections never get reused: without a pool each request paid for a new PostgreSQL
    # backend (a fifth of the server's core in a scale-out bench). psycopg's pool, built
    # into Django, keeps them; CONN_HEALTH_CHECKS becomes the pool's check on checkout. With
    # the database down a request waits at most `timeout` s, then gets the clear 503 page.
    config.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("LABBET_DB_POOL_SIZE", 20),
        "timeout": 5,
    }
    # .iterator() (a form's choices, say) would DECLARE, FETCH and CLOSE a server-side cursor:
    # three round trips for a handful of rows. Labbet's results are small; one is enough.
    config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


def channel_layers_config(url: str | None) -> dict[str, Any]:
    """REDIS_URL → channels_redis' pub/sub layer; the in-memory layer (one process) when unset."""
    if not url:
        return {
            "default": {
                "BACKEND": "channels.layers.InMemoryChannelLayer",
                "CONFIG": {"capacity": 2000, "expiry": 60},
            }
        }
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must start with redis://, rediss:// or unix://; got {url!r}."
        )
    if parts.scheme != "unix":
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                f"REDIS_URL has a port that is not a number: {url!r}."
            ) from None
        if not parts.hostname:
            raise ImproperlyConfigured(f"REDIS_URL names no host: {url!r}.")
        del port
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_config(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The mail server: EMAIL_URL (smtp://user:pass@host:587/?tls=True, via dj-email-url) or
    EMAIL_HOST with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS/SSL; the
    console backend when neither is set. Returns Django's EMAIL_* settings."""
    import dj_email_url

    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {
        "EMAIL_BACKEND": environ.get(
            "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        ),
        "DEFAULT_FROM_EMAIL": environ.get("DEFAULT_FROM_EMAIL", "labbet@localhost"),
    }
    # A few seconds, not forever: a reminder run must not hang on a silent server.
    config["EMAIL_TIMEOUT"] = _int_from(environ, "EMAIL_TIMEOUT", 30)
    if environ.get("EMAIL_FILE_PATH"):  # for the file-based backend (one file per email)
        config["EMAIL_FILE_PATH"] = environ["EMAIL_FILE_PATH"]
    url = environ.get("EMAIL_URL", "").strip()
    if url:
        scheme = urlsplit(url).scheme
        if scheme not in dj_email_url.SCHEMES:
            raise ImproperlyConfigured(
                f"EMAIL_URL must start with smtp://, smtps:// or submission://; got {url!r}."
            )
        try:
            parsed = dj_email_url.parse(url)
        except ValueError as exc:
            raise ImproperlyConfigured(f"EMAIL_URL could not be read ({exc}): {url!r}.") from None
        if parsed["EMAIL_BACKEND"] == SMTP_BACKEND and not urlsplit(url).hostname:
            raise ImproperlyConfigured(f"EMAIL_URL names no host: {url!r}.")
        config.update({k: v for k, v in parsed.items() if v is not None and v != ""})
        config["EMAIL_BACKEND"] = environ.get("EMAIL_BACKEND", parsed["EMAIL_BACKEND"])
        return config
    if environ.get("EMAIL_HOST", "").strip():
        config.update(
            EMAIL_BACKEND=environ.get("EMAIL_BACKEND", SMTP_BACKEND),
            EMAIL_HOST=environ["EMAIL_HOST"].strip(),
            EMAIL_PORT=_int_from(environ, "EMAIL_PORT", 25),
            EMAIL_HOST_USER=environ.get("EMAIL_HOST_USER", ""),
            EMAIL_HOST_PASSWORD=environ.get("EMAIL_HOST_PASSWORD", ""),
            EMAIL_USE_TLS=_bool_from(environ, "EMAIL_USE_TLS", False),
            EMAIL_USE_SSL=_bool_from(environ, "EMAIL_USE_SSL", False),
        )
        if config["EMAIL_USE_TLS"] and config["EMAIL_USE_SSL"]:
            raise ImproperlyConfigured(
                "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both."
            )
    return config


def _int_from(environ: Any, name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


def _bool_from(environ: Any, name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )
