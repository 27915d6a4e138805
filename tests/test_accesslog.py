"""Logs without secrets (issue 18, finding 7): a real daphne with its access log on, as an
operator runs it, is sent invite links, a projector link and a reset link; neither its access
log nor its own log holds a whole token, and each line still tells links apart (`/i/…abcd/`)."""

import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import daphne.cli

from labbet.accesslog import RedactingAccessLog, install, redact
from labbet.services import daphne_args, free_port, wait_for_port
from tests.conftest import ROOT, _fresh_database_url, prepare_database, server_env

TOKEN = "Zq8sWm3kR2vLxY7pTb9nCe4hJd6fGa1uKo5iMw0yEr"
KEY = "P3xT7vQ9mZ2kW5nB8cR1yL4sH6jD0fGaUoIeYtAs"


def test_secrets_in_paths_keep_only_their_last_four_characters():
    assert redact(f"GET /i/{TOKEN}/") == "GET /i/…0yEr/"
    assert redact(f"/w/STAD26/projector/?key={KEY}&x=1") == "/w/STAD26/projector/?key=…YtAs&x=1"
    assert redact(f"WSCONNECT /ws/w/STAD26/?view=projector&key={KEY}") == (
        "WSCONNECT /ws/w/STAD26/?view=projector&key=…YtAs"
    )
    assert redact("/accounts/reset/MQ/cz4k1w-0123456789abcdef/") == "/accounts/reset/MQ/…cdef/"
    assert redact("/j/STAD26/ and /i/abc/") == "/j/STAD26/ and /i/abc/"  # nothing to hide


def test_daphne_builds_its_access_log_from_the_class_we_replace():
    """If a daphne release moves this, redaction would silently stop: fail by name here."""
    install()
    assert daphne.cli.AccessLogGenerator is RedactingAccessLog


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_served_invite_link_reaches_no_log_whole():
    tmp = Path(tempfile.mkdtemp(prefix="labbet-accesslog-"))
    try:
        env = server_env(tmp, _fresh_database_url(tmp))
        prepare_database(env)
        port = free_port()
        access_log, server_log = tmp / "access.log", tmp / "daphne.log"
        args = daphne_args("127.0.0.1", port)
        args[-1:-1] = ["--access-log", str(access_log)]
        process = subprocess.Popen(
            [sys.executable, "-m", "live.serve", *args],
            cwd=ROOT,
            env=env,
            stdout=server_log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, timeout=30)
            base = f"http://127.0.0.1:{port}"
            assert fetch(f"{base}/i/{TOKEN}/") == 404  # logged by Django as "Not Found"
            assert fetch(f"{base}/w/STAD26/projector/?key={KEY}") in (403, 404)
            assert fetch(f"{base}/j/STAD26/") == 200
        finally:
            process.terminate()
            process.wait(timeout=10)
        logged = access_log.read_text()
        everything = logged + server_log.read_text()
        assert TOKEN not in everything and KEY not in everything
        assert f"/i/…{TOKEN[-4:]}/" in logged and f"key=…{KEY[-4:]}" in logged
        assert "/j/STAD26/" in logged
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
