"""Before anything claims to be serving: is the database there, is Redis there, is the port
free? Each problem is one line naming the address and the variable to check, not a traceback."""

from __future__ import annotations

import errno
import socket
from typing import Any

CONNECT_TIMEOUT = 3


def _reason(exc: BaseException) -> str:
    """The last clause of a driver's message: "Connection refused", "timeout expired", …"""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rsplit("failed: ", 1)[-1].strip().rstrip(".")


def database_line(config: dict[str, Any], exc: BaseException) -> str:
    host = config.get("HOST") or "localhost"
    port = config.get("PORT") or 5432
    return (
        f"Labbet cannot reach PostgreSQL at {host}:{port}, database {config.get('NAME')!r} "
        f"({_reason(exc)}): check DATABASE_URL and that the server is running."
    )


def database_problem(config: dict[str, Any]) -> str | None:
    """One line if PostgreSQL does not answer; None for SQLite or a reachable server."""
    if not config["ENGINE"].endswith("postgresql"):
        return None
    import psycopg

    try:
        psycopg.connect(
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            dbname=config.get("NAME"),
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            connect_timeout=CONNECT_TIMEOUT,
        ).close()
    except psycopg.Error as exc:
        return database_line(config, exc)
    return None


def redis_problem(url: str) -> str | None:
    """One line if REDIS_URL is set and Redis does not answer a PING."""
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        kwargs = client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        reason = _reason(exc).rsplit(". ", 1)[
            -1
        ]  # "Error 111 connecting to h:p. Connection refused"
        return (
            f"Labbet cannot reach Redis at {where} ({reason}): check REDIS_URL "
            "and that the server is running."
        )
    finally:
        client.close()
    return None


def port_problem(host: str, port: int) -> str | None:
    """One line if something else already listens on host:port (or it may not be used)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} on {host} is already in use: stop what runs there, or "
                    f"choose another with PORT=8080."
                )
            return f"Labbet cannot listen on {host}:{port} ({exc.strerror}): check HOST and PORT."
    return None
