"""Faults in real Chromium: daphne stopped and started again on the same port and database in
the middle of a session. Phones and the projector reconnect and catch up; a post made while
the server is gone stays on the phone and is sent when the server is back. The test ends by
counting what the database kept (`FAULT daphne-restart: …`).

Redis and PostgreSQL going away are in tests/test_faults.py. A phone that loses its
connection while typing keeps its draft: tests/e2e/test_live_room.py
(test_a_phone_that_drops_off_the_wifi_catches_up_in_order_without_duplicates for the wall,
test_a_draft_survives_a_reload for the draft), and here for a draft typed during the outage."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import _fresh_database_url, prepare_database
from tests.servers import RestartableDaphne, fault_env, fault_line, query, saved_counts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RECONNECT = 30_000  # ms: htmx's ws extension backs off (with jitter) while nothing answers
PENDING = "localStorage.getItem('labbet:pending:STAD26')"
DRAFT = "localStorage.getItem('labbet:draft:STAD26')"


@pytest.fixture(scope="module")
def restartable():
    """The app as `make run` serves it, on a port and database that outlive a restart."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-fault-daphne-"))
    database_url = _fresh_database_url(tmp)
    env = fault_env(tmp, database_url)
    prepare_database(env)
    server = RestartableDaphne(env, tmp / "daphne.log")
    server.start()
    yield server, database_url
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def until(page, expression: str, timeout: int = 10_000) -> None:
    """Poll `expression` from the test: page.wait_for_function polls with eval, which the
    pages' Content-Security-Policy (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} ms: {expression}")
        page.wait_for_timeout(100)


def wait_live(page, timeout: int = 10_000) -> None:
    until(page, "document.body.classList.contains('is-live')", timeout)


def wait_offline(page) -> None:
    until(page, "!document.body.classList.contains('is-live')")


def post(page, text: str) -> None:
    page.check("#post-form input[name=kind][value=insight]")
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button[type=submit]")


def cards(page, text: str) -> int:
    return page.locator(".card__text", has_text=text).count()


# Taking the server or the database away is the point of these tests: the browser's own
# reports of the lost connection (a socket that cannot connect, a request refused, htmx's
# sendError) are expected; anything else still fails the test.
CONNECTION_LOST = (
    r"WebSocket connection to .* failed|console error: \[object Event\]"
    r"|htmx:(afterRequest|sendError)"
    r"|net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|SOCKET_NOT_CONNECTED)"
)


def test_daphne_restarts_mid_session_and_nothing_posted_is_lost(
    new_context, restartable, browser_errors
):
    browser_errors.allow(CONNECTION_LOST)
    server, database_url = restartable
    key = query(
        database_url, "SELECT projector_token FROM workshops_workshop WHERE code = %s", ("STAD26",)
    )[0][0]
    projector = new_context("projector").new_page()
    projector.goto(f"{server.url}/w/STAD26/projector/?key={key}")
    phones = []
    for _ in range(3):
        page = new_context("phone").new_page()
        page.goto(server.url + "/j/STAD26/")
        phones.append(page)
    for page in (projector, *phones):
        wait_live(page)
    typist = phones.pop()  # the third phone only types
    first = phones[0]

    before = "Före omstarten: en gemensam datakatalog"
    post(first, before)
    first.locator(".post-confirm").wait_for()
    projector.locator(".card__text", has_text=before).wait_for(timeout=3000)

    server.stop()
    for page in (projector, *phones):
        wait_offline(page)

    # Posts made while nothing answers: kept on the phone, with a message saying so.
    during = [
        "Medan servern var nere: testa med medborgarna",
        "Medan servern var nere: dela sensordata",
    ]
    for page, text in zip(phones, during, strict=True):
        post(page, text)
        until(page, f"({PENDING} || '').includes({json.dumps(text)})")
        page.locator("#net-status").wait_for(state="visible")
        assert page.locator("#post-form textarea").input_value() == text, "the text stayed put"
    offline_message = first.locator("#net-status").inner_text()
    # A phone that lost its connection while typing: the draft stays, and survives a reload
    # once the server is back.
    draft = "Ett utkast skrivet i tunneln"
    typist.locator("#post-form textarea[name=text]").press_sequentially(draft)

    server.start()
    back = time.monotonic()
    for page in (projector, *phones, typist):
        wait_live(page, timeout=RECONNECT)
    reconnected = time.monotonic() - back
    # The kept posts are resent over the socket with their keys and acknowledged.
    for page in phones:
        until(page, f"{PENDING} === null")
        page.locator(".post-confirm").wait_for()
        assert page.locator("#post-form textarea").input_value() == ""

    assert typist.locator("#post-form textarea").input_value() == draft
    assert typist.evaluate(DRAFT) == f'"{draft}"'
    typist.reload()
    wait_live(typist)

    after = "Efter omstarten: allt kom fram"
    post(phones[1], after)
    phones[1].locator(".post-confirm").wait_for()

    texts = [before, *during, after]
    for page in (projector, *phones):
        for text in texts:
            # (On the projector, a card may be on the wall's next page: there, not displayed.)
            state = "attached" if page is projector else "visible"
            page.locator(".card__text", has_text=text).first.wait_for(state=state, timeout=5000)
    shown = {text: [cards(page, text) for page in (projector, *phones)] for text in texts}
    counts = saved_counts(database_url, texts)
    kept = sum(1 for c in counts.values() if c >= 1)
    fault_line("daphne-restart", len(texts), kept)
    print(
        "daphne-restart details:",
        {
            "offline message": offline_message,
            "all screens live again after (s)": round(reconnected, 1),
            "shown": shown,
        },
    )
    assert counts == dict.fromkeys(texts, 1), f"lost or doubled: {counts}"
    assert all(n == [1, 1, 1] for n in shown.values()), f"a screen missed or doubled: {shown}"
    assert typist.locator("#post-form textarea").input_value() == draft


@pytest.fixture
def on_postgres(postgres_server):
    """daphne on a PostgreSQL database of its own that the test can take away and give back
    (the session's cluster is stopped and started; `finally` leaves it running)."""
    import psycopg

    tmp = Path(tempfile.mkdtemp(prefix="labbet-fault-pg-e2e-"))
    name = f"labbet_fault_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # The throwaway cluster runs with synchronous_commit=off for speed, and an immediate
        # stop is a crash: this database commits as production does.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
    database_url = postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    env = fault_env(tmp, database_url)
    prepare_database(env)
    server = RestartableDaphne(env, tmp / "daphne.log")
    server.start()
    yield server, database_url, postgres_server
    server.stop()
    try:
        with psycopg.connect(postgres_server.url, connect_timeout=3):
            pass
    except psycopg.OperationalError:
        subprocess.run(postgres_server.start_cmd, check=True, capture_output=True, timeout=90)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.services
def test_a_post_made_while_postgres_restarts_is_kept_on_the_phone_and_sent_after(
    new_context, on_postgres, browser_errors
):
    browser_errors.allow(CONNECTION_LOST)
    server, database_url, postgres = on_postgres
    key = query(
        database_url, "SELECT projector_token FROM workshops_workshop WHERE code = %s", ("STAD26",)
    )[0][0]
    projector = new_context("projector").new_page()
    projector.goto(f"{server.url}/w/STAD26/projector/?key={key}")
    phone = new_context("phone").new_page()
    phone.goto(server.url + "/j/STAD26/")
    for page in (projector, phone):
        wait_live(page)
    before = "Före databasens omstart"
    post(phone, before)
    phone.locator(".post-confirm").wait_for()

    subprocess.run(postgres.stop_cmd, check=True, capture_output=True, timeout=60)
    try:
        during = "Skrivet medan databasen startade om"
        post(phone, during)
        # The socket's answer cannot be saved: the phone keeps the post (and its key).
        until(phone, f"({PENDING} || '').includes({json.dumps(during)})")
        phone.wait_for_timeout(1500)
        seen_while_down = {
            "pending kept": during in (phone.evaluate(PENDING) or ""),
            "text in the field": phone.locator("#post-form textarea").input_value() == during,
            "status line": phone.locator("#net-status").inner_text()
            if phone.locator("#net-status").is_visible()
            else "(hidden)",
            "socket error": phone.locator("#socket-error").inner_text()
            if phone.locator("#socket-error").count()
            and phone.locator("#socket-error").is_visible()
            else "(none)",
        }
    finally:
        subprocess.run(postgres.start_cmd, check=True, capture_output=True, timeout=90)
    back = time.monotonic()
    until(phone, f"{PENDING} === null", timeout=RECONNECT)
    sent_after = time.monotonic() - back
    projector.locator(".card__text", has_text=during).wait_for(timeout=5000)
    after = "Efter databasens omstart"
    post(phone, after)
    phone.locator(".post-confirm").wait_for()
    texts = [before, during, after]
    for page in (projector, phone):
        for text in texts:
            page.locator(".card__text", has_text=text).first.wait_for(timeout=5000)
    shown = {text: [cards(page, text) for page in (projector, phone)] for text in texts}
    counts = saved_counts(database_url, texts)
    fault_line("postgres-restart-phone", len(texts), sum(1 for c in counts.values() if c >= 1))
    print(
        "postgres-restart-phone details:",
        {**seen_while_down, "sent after the restart (s)": round(sent_after, 1), "shown": shown},
    )
    assert counts == dict.fromkeys(texts, 1), f"lost or doubled: {counts}"
    assert all(n == [1, 1] for n in shown.values()), f"a screen missed or doubled: {shown}"
    assert seen_while_down["pending kept"] and seen_while_down["text in the field"]
