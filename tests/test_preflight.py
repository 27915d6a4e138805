"""Errors that say what to do: an unreachable PostgreSQL or Redis, or a busy port, is one line
naming the address and the variable to check — said before anything claims to be serving."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from labbet.services import free_port

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "labbet.settings", "DEBUG": "1", **environ})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreachable_postgresql_is_one_line_with_host_port_and_database():
    port = free_port()  # nothing listens there
    done = manage("migrate", DATABASE_URL=f"postgres://labbet@127.0.0.1:{port}/labbet_db")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Labbet cannot reach PostgreSQL at 127.0.0.1:{port}, database 'labbet_db' "
        "(Connection refused): check DATABASE_URL and that the server is running."
    ]


def test_an_unreachable_redis_is_one_line_with_host_and_port():
    port = free_port()
    done = manage("preflight", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Labbet cannot reach Redis at 127.0.0.1:{port} (Connection refused): check REDIS_URL "
        "and that the server is running."
    ]


def test_a_busy_port_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = manage("preflight", "--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Port {port} on 127.0.0.1 is already in use: stop what runs there, or choose another "
        "with PORT=8080."
    ]


def test_all_is_well_is_silent():
    done = manage("preflight", "--port", str(free_port()))
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("target", ["run", "serve"])
def test_make_checks_before_it_says_serving(target):
    steps = subprocess.run(
        ["make", "-n", target, "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    preflight = next(i for i, s in enumerate(steps) if "manage.py preflight" in s)
    assert "--port 8123" in steps[preflight]
    serving = [i for i, s in enumerate(steps) if "Serving on" in s or "live.serve" in s]
    assert serving and preflight < min(serving)
