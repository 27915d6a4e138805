"""Shared fixtures: servers the tests start themselves (PostgreSQL, Redis, daphne) and a real
headless Chromium. Absent binaries skip with a reason, or fail under REQUIRE_SERVICES=1."""

from __future__ import annotations

import itertools
import os
import re
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
    free_port,
    serve_command,
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


_redis_databases = itertools.count(1)


def fresh_redis_url(server) -> str:
    """A Redis database of its own on the suite's server, emptied: each set of server
    processes starts with no channel groups, presence or rate-limit counters of an earlier
    test's (whose participants had the same ids in a database of their own)."""
    import redis

    url = server.url.rsplit("/", 1)[0] + f"/{next(_redis_databases) % 16}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


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

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """`manage.py` against this server's database; `env` adds to the server's own."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout

    def shell(self, code: str, env: dict[str, str] | None = None) -> str:
        return self.manage("shell", "--no-imports", "-c", code, env=env).strip()


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
    """daphne as `make run` starts it (live/serve.py); `ping` is (interval, timeout) of its
    heartbeats."""
    process = subprocess.Popen(
        serve_command("127.0.0.1", port, ping),
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
    worker thread (live/db.py); close it before the test database is dropped (PostgreSQL
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
def _an_empty_cache():
    # The room's renders are cached per workshop and cursor (workshops.regions.phone_room);
    # a rolled-back test's workshop must not lend its wall to the next test's.
    from django.conf import settings
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()
    yield


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


class BrowserErrors:
    """What the browser reported as going wrong while a test ran: console errors, uncaught page
    errors and failed requests, from every context made from the `browser` fixture. A screen
    that logs errors is not done, so any of them fails the test (`_no_browser_errors`). A test
    that breaks the network or the server on purpose names what it expects with `allow`."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.allowed: list[re.Pattern] = []
        # Pages a test opened that answered 4xx on purpose (a 404 page, a form with errors):
        # the app speaking to the person, not the browser failing.
        self.answered_4xx: set[str] = set()

    def allow(self, pattern: str) -> None:
        """Errors matching `pattern` (a regular expression) are expected in this test."""
        self.allowed.append(re.compile(pattern))

    def record(self, text: str) -> None:
        self.seen.append(text)

    def unexpected(self) -> list[str]:
        pages = tuple(f"status of 4{n}" for n in range(10))
        return [
            e
            for e in self.seen
            if not any(p.search(e) for p in self.allowed)
            and not (
                e.startswith("console error: Failed to load resource")
                and any(s in e for s in pages)
                and e.rsplit(" (", 1)[-1].rstrip(")") in self.answered_4xx
            )
        ]

    def reset(self) -> None:
        self.seen, self.allowed, self.answered_4xx = [], [], set()

    def watch(self, context) -> None:
        def on_console(message) -> None:
            if message.type == "error":
                where = message.location or {}
                self.record(f"console error: {message.text} ({where.get('url', '')})")

        def on_request_failed(request) -> None:
            if request.failure == "net::ERR_ABORTED":
                return  # cancelled by the page itself: it reloaded or went elsewhere meanwhile
            self.record(f"failed request: {request.method} {request.url}: {request.failure}")

        def on_response(response) -> None:
            request = response.request
            if 400 <= response.status < 500 and request.is_navigation_request():
                self.answered_4xx.add(response.url)
            if response.status >= 500:
                self.record(
                    f"server error: {response.status} {response.request.method} {response.url}"
                )

        context.on("console", on_console)
        context.on("weberror", lambda error: self.record(f"page error: {error.error}"))
        context.on("requestfailed", on_request_failed)
        context.on("response", on_response)


BROWSER_ERRORS = BrowserErrors()


@pytest.fixture
def browser_errors() -> BrowserErrors:
    """For a test that expects some errors: `browser_errors.allow(r"WebSocket connection")`."""
    return BROWSER_ERRORS


@pytest.fixture(autouse=True)
def _no_browser_errors(request):
    """Every Chromium test fails on a console error, a page error or a failed request."""
    if "browser" not in request.fixturenames:
        yield
        return
    BROWSER_ERRORS.reset()
    yield
    errors = BROWSER_ERRORS.unexpected()
    BROWSER_ERRORS.reset()
    if errors:
        listed = "\n".join(f"  {e}" for e in errors[:40])
        more = f"\n  … and {len(errors) - 40} more" if len(errors) > 40 else ""
        pytest.fail(f"the browser reported {len(errors)} error(s):\n{listed}{more}", pytrace=False)


# Per module, not per session: while sync Playwright is open it keeps an event loop running
# in the main thread, and the async tests and Django's ORM that run after it would fail.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        require_or_skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def watched_context(**options):
            context = new_context(**options)
            BROWSER_ERRORS.watch(context)
            return context

        def watched_page(**options):
            return watched_context(**options).new_page()

        # Every context, whether from `new_context` below or made by a test itself, is watched.
        browser.new_context = watched_context
        browser.new_page = watched_page
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
