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


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


def sqlite_config(path: Path) -> dict[str, Any]:
    # WAL lets the projector and phones read while a post is written; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on the busy timeout instead of deadlocking.
    return {
        "ENGINE": "django.db.backends.sqlite3",
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
