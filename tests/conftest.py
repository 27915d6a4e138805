"""Shared fixtures: servers the tests start themselves (PostgreSQL, Redis, daphne) and a real
headless Chromium. Absent binaries skip with a reason, or fail under REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from labbet.services import (
    ServiceUnavailable,
    daphne_args,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = ROOT / "var" / "screenshots"


def require_or_skip(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: nothing may be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = start_postgres()
    except ServiceUnavailable as exc:
        require_or_skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    try:
        server = start_redis()
    except ServiceUnavailable as exc:
        require_or_skip(str(exc))
    yield server
    server.stop()


def _fresh_database_url(tmp: Path) -> str:
    """A database of its own for a server process: on the suite's PostgreSQL when the suite
    runs on PostgreSQL, else a SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"labbet_live_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/{name}"))
    return f"sqlite:///{tmp / 'live.sqlite3'}"


@dataclass
class LiveServer:
    url: str
    env: dict
    processes: list

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code).strip()


def server_env(
    tmp: Path, database_url: str, redis_url: str | None = None, email_dir: Path | None = None
) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "0",
        "SECRET_KEY": "live-server-tests-" + "y" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LABBET_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if email_dir is not None:
        # Each email the server sends becomes a file a test can read.
        env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        env["EMAIL_FILE_PATH"] = str(email_dir)
    return env


def start_daphne(
    env: dict, port: int, log: Path, ping: tuple[int, int] = (15, 30)
) -> subprocess.Popen:
    """daphne as `make run` starts it; `ping` is (interval, timeout) of its heartbeats."""
    daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
    process = subprocess.Popen(
        [daphne, *daphne_args("127.0.0.1", port, ping)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
    except TimeoutError:
        process.kill()
        raise RuntimeError(f"daphne did not start; its log:\n{log.read_text()[-3000:]}") from None
    return process


def prepare_database(env: dict) -> None:
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["demo", "--with-contributions"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )


@pytest.fixture(scope="session", autouse=True)
def _close_the_socket_threads_connection(request):
    """The websocket side keeps its database connection open in asgiref's one thread-sensitive
    worker thread (labbet/db.py); close it before the test database is dropped (PostgreSQL
    refuses to drop a database that still has a session)."""
    request.getfixturevalue("django_db_setup")  # set up first, so torn down after this
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture(autouse=True)
def _language_of_the_suite():
    # A view that switches to a workshop's language leaves it active in the thread; each test
    # starts from the suite's language (English, labbet/settings_test.py).
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _live_server_helper():
    # pytest-django's helper of this name gives every test that uses a fixture called
    # `live_server` a test database; ours is a separate daphne process with its own database.
    yield


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The app as `make run` serves it (daphne, one process), with the demo workshop loaded."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-live-"))
    env = server_env(tmp, _fresh_database_url(tmp), email_dir=tmp / "mail")
    prepare_database(env)
    port = free_port()
    process = start_daphne(env, port, tmp / "daphne.log")
    yield LiveServer(url=f"http://127.0.0.1:{port}", env=env, processes=[process])
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    # Tests of PostgreSQL-only features run in the suite's PostgreSQL pass (make test-postgres,
    # which .ci/run runs); on SQLite they are deselected, not skipped.
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        postgres_only = [item for item in items if item.get_closest_marker("postgresql")]
        if postgres_only:
            config.hook.pytest_deselected(items=postgres_only)
            items[:] = [item for item in items if item not in postgres_only]
    # The browser tests (everything under tests/e2e/) run last, after every async test: see
    # `browser` below.
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


# Per module, not per session: while sync Playwright is open it keeps an event loop running
# in the main thread, and the async tests and Django's ORM that run after it would fail.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        require_or_skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}


@pytest.fixture
def new_context(browser):
    contexts = []

    def make(kind: str = "phone", language: str | None = "en", **kwargs):
        """A phone or projector; by default it has chosen English with the language switcher
        (the demo workshop is Swedish), so tests read one language. language=None: no choice."""
        options = {**(PHONE if kind == "phone" else PROJECTOR), **kwargs}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        if language:
            context.add_cookies(
                [{"name": "django_language", "value": language, "domain": "127.0.0.1", "path": "/"}]
            )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
