"""Servers a fault test can stop and start again on the same port with the same data: daphne,
Redis; and a plain look into the server's database to count what was kept."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from labbet.services import free_port, redis_command, wait_for_port
from tests.clients import Phone
from tests.conftest import server_env, start_daphne


def fault_env(tmp: Path, database_url: str, redis_url: str | None = None, **kwargs) -> dict:
    """server_env for these tests: the abuse limits off (a fault test posts a burst from one
    phone on purpose; tests/test_limits.py is where the limits are tested)."""
    env = server_env(tmp, database_url, redis_url, **kwargs)
    env.update(LABBET_RATE_POST="off", LABBET_RATE_JOIN="off", LABBET_RATE_VOTE="off")
    return env


class RestartableDaphne:
    """One daphne process on a fixed port; stop() and start() again keep port and database."""

    def __init__(self, env: dict, log: Path, port: int | None = None) -> None:
        self.env, self.log = env, log
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_daphne(self.env, self.port, self.log, ping=(2, 4))

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def errors(self) -> list[str]:
        """The distinct exception lines in the log (`SomeError: message`), in order."""
        seen: list[str] = []
        for line in self.log_text().splitlines():
            if re.match(r"^[\w.]+(Error|Exception|Refused)\b.*:", line) and line not in seen:
                seen.append(line[:200])
        return seen


class RestartableRedis:
    """A throwaway redis-server of the test's own (the session's stays up for other tests)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.directory = Path(tempfile.mkdtemp(prefix="labbet-redis-fault-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            redis_command(self.binary, self.port, self.directory),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the server's own database (SQLite file or PostgreSQL); `%s` placeholders."""
    if database_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(database_url[len("sqlite:///") :])) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def saved_counts(database_url: str, texts: list[str]) -> dict[str, int]:
    """How many contributions with each text the database holds (1 each: kept, not doubled)."""
    rows = query(database_url, "SELECT text FROM insights_contribution")
    found = [row[0] for row in rows]
    return {text: found.count(text) for text in texts}


def fault_line(name: str, posted: int, kept: int) -> str:
    line = f"FAULT {name}: posted={posted} kept={kept} lost={posted - kept}"
    print(line)
    return line


class HttpPhone(Phone):
    """A phone that posts over HTTP with a key it chooses, so it can resend the same post."""

    def post(self, text: str, key: str | None = None, kind: str = "insight") -> tuple[int, str]:
        """(HTTP status or 0 when nothing answered, body)."""
        request = self.post_request(text, kind, key)
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as error:
            return 0, str(error)

    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + f"/ws/w/{self.code}/?cursor={self.cursor}"

    def ws_headers(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base}


def health(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
