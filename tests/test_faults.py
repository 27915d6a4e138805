"""Faults that must lose nothing, against real server processes: Redis dying under two daphne
processes (scale-out), and PostgreSQL restarting under a running server. Each test ends by
counting what the database kept against what was posted and prints a `FAULT …` line.

The daphne restart with real phones is in tests/e2e/test_faults.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import websockets

from tests.conftest import prepare_database
from tests.servers import (
    HttpPhone,
    RestartableDaphne,
    RestartableRedis,
    fault_env,
    fault_line,
    health,
    saved_counts,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]
CURSOR = re.compile(r"^<!--c:(\d+)( r)?-->")


class Listener:
    """A phone's socket that reconnects with the last cursor it saw, as labbet.js does, and
    records every live frame it is handed."""

    def __init__(self, phone: HttpPhone) -> None:
        self.phone = phone
        self.cursor = phone.cursor
        self.frames: list[tuple[int, str]] = []
        self.opened = 0
        self.closes: list[str] = []
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        base = self.phone.base.replace("http://", "ws://")
        while not self.stop.is_set():
            url = f"{base}/ws/w/{self.phone.code}/?cursor={self.cursor}"
            try:
                async with websockets.connect(
                    url, additional_headers=self.phone.ws_headers(), open_timeout=5
                ) as ws:
                    self.opened += 1
                    while not self.stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), timeout=0.2)
                        except TimeoutError:
                            continue
                        match = CURSOR.match(text)
                        if match:
                            seq = int(match.group(1))
                            if seq > self.cursor or match.group(2):
                                self.cursor = seq
                                self.frames.append((seq, text))
            except (OSError, websockets.WebSocketException, TimeoutError) as exc:
                self.closes.append(type(exc).__name__)
                await asyncio.sleep(0.5)

    def count(self, text: str) -> int:
        return sum(text in frame for _seq, frame in self.frames)

    def has_all(self, texts: list[str]) -> bool:
        return all(self.count(t) >= 1 for t in texts)

    async def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=5)


async def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return predicate()


def clone_database(server_url: str, template: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def prepared(postgres_server):
    """The demo workshop, migrated once into a template database; each test gets a copy
    (CREATE DATABASE … TEMPLATE takes a tenth of a second, preparing one twenty)."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-fault-"))
    template = f"labbet_fault_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{template}"')
    try:
        prepare_database(fault_env(tmp, postgres_server.url.rsplit("/", 1)[0] + f"/{template}"))
        yield tmp, template
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def redis_to_kill(redis_server):
    """A Redis of this test's own on a port it keeps (`redis_server` only vouches that
    redis-server is installed; the session's Redis stays up for the other tests)."""
    binary = shutil.which("redis-server")
    redis = RestartableRedis(binary)
    redis.start()
    yield redis
    redis.close()


@pytest.fixture
def scaled_out(postgres_server, prepared, redis_to_kill):
    var, template = prepared
    tmp = Path(tempfile.mkdtemp(prefix="labbet-fault-redis-"))
    database_url = clone_database(postgres_server.url, template, "labbet_fault_redis")
    env = fault_env(var, database_url, redis_to_kill.url)
    servers = [RestartableDaphne(env, tmp / f"daphne-{i}.log") for i in (1, 2)]
    for server in servers:
        server.start()
    yield servers, database_url
    for server in servers:
        server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def test_redis_dies_and_comes_back_under_two_processes_and_nothing_is_lost(
    scaled_out, redis_to_kill
):
    (first, second), database_url = scaled_out
    phones = [HttpPhone(first.url), HttpPhone(second.url)]
    posted: dict[str, str] = {}  # text → client key (the phone resends with the same key)
    report: dict[str, object] = {}

    async def run() -> None:
        listeners = [Listener(HttpPhone(s.url)) for s in (first, first, second, second)]
        assert await wait_until(lambda: all(x.opened for x in listeners), 10)
        await asyncio.sleep(0.3)

        before = "Before Redis died"
        posted[before] = uuid.uuid4().hex
        assert (await asyncio.to_thread(phones[0].post, before, posted[before]))[0] == 200
        assert await wait_until(lambda: all(x.has_all([before]) for x in listeners), 5)

        ws_phone = HttpPhone(second.url)  # joined before the outage, posts over its socket in it
        redis_to_kill.stop()
        await asyncio.sleep(0.5)
        try:
            report["new phone joins during outage"] = HttpPhone(first.url).cursor is not None
        except OSError as exc:  # urllib's HTTPError is an OSError
            report["new phone joins during outage"] = f"refused: {exc}"
        statuses = []
        for i in range(3):
            for n, phone in enumerate(phones):
                text = f"While Redis was down, process {n + 1}, post {i}"
                posted[text] = uuid.uuid4().hex
                statuses.append(await asyncio.to_thread(phone.post, text, posted[text]))
        report["statuses during outage"] = [s for s, _body in statuses]

        # A post over a phone's socket while Redis is down.
        ws_text = "While Redis was down, over the socket"
        posted[ws_text] = uuid.uuid4().hex
        try:
            async with websockets.connect(
                ws_phone.ws_url(), additional_headers=ws_phone.ws_headers(), open_timeout=5
            ) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "action": "post",
                            "kind": "insight",
                            "text": ws_text,
                            "client_key": posted[ws_text],
                        }
                    )
                )
                answers = []
                with contextlib.suppress(TimeoutError):
                    while True:
                        answers.append(await asyncio.wait_for(ws.recv(), timeout=3))
                report["socket answer"] = (
                    "acknowledged"
                    if any("data-sent-key" in a for a in answers)
                    else f"{len(answers)} frames, no acknowledgement"
                )
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            report["socket answer"] = f"{type(exc).__name__}: {exc}"

        assert first.alive() and second.alive(), "a daphne process died with Redis"
        report["healthz during outage"] = health(first.url)[0]

        redis_to_kill.start()
        # Without any further post: does the room catch up by itself?
        outage = [t for t in posted if t != before]
        caught_up = await wait_until(lambda: all(x.has_all(outage) for x in listeners), 4)
        report["caught up without a further post"] = caught_up

        # The next post after Redis is back fills every gap from the database.
        after = "After Redis came back"
        posted[after] = uuid.uuid4().hex
        report["status after"] = (await asyncio.to_thread(phones[1].post, after, posted[after]))[0]
        await wait_until(lambda: all(x.has_all(list(posted)) for x in listeners), 10)

        # The phones resend whatever was not acknowledged, with the same keys.
        resent = []
        for (status, _body), (text, key) in zip(statuses, list(posted.items())[1:], strict=False):
            if status != 200:
                phone = phones[0] if "process 1" in text else phones[1]
                resent.append((await asyncio.to_thread(phone.post, text, key))[0])
        report["resend statuses"] = resent
        await asyncio.sleep(0.5)
        for listener in listeners:
            await listener.close()
        report["frames per socket"] = [
            {t: x.count(t) for t in posted if x.count(t) != 1} for x in listeners
        ]
        report["socket closes"] = [x.closes for x in listeners]
        report["healthz after"] = health(first.url)[0]
        report["server errors"] = first.errors() + second.errors()

    asyncio.run(run())
    counts = saved_counts(database_url, list(posted))
    kept = sum(1 for c in counts.values() if c >= 1)
    fault_line("redis-restart", len(posted), kept)
    print("redis-restart details:", report)
    assert first.alive() and second.alive()
    assert all(c == 1 for c in counts.values()), f"lost or doubled: {counts}"
    assert report["frames per socket"] == [{}] * 4, "a socket missed or repeated a post"
    assert report["healthz after"] == 200
    # A phone that scans the code during the outage gets its page (rendered without the cache).
    assert report["new phone joins during outage"] is True, report
    # A post saved while Redis is down is acknowledged (the broadcast fails after commit,
    # not the request), and the room sees it without waiting for a later event to show the gap.
    assert all(s == 200 for s in report["statuses during outage"]), report
    assert report["caught up without a further post"], report


# --- PostgreSQL restarting under a running daphne -----------------------------------------


def test_postgres_restarts_under_a_running_server_and_nothing_is_lost_or_doubled(
    postgres_server, prepared
):
    # The session's cluster is stopped and started again (as labbet.services.restart_postgres
    # does, with posts in between); `finally` makes sure it is up for the tests after this.
    var, template = prepared
    tmp = Path(tempfile.mkdtemp(prefix="labbet-fault-pg-"))
    database_url = clone_database(postgres_server.url, template, "labbet_fault_pg")
    # The throwaway cluster runs with synchronous_commit=off for speed, and `pg_ctl stop -m
    # immediate` is a crash: it would forget commits it had already acknowledged. This
    # database commits as production does (the default, on).
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        name = database_url.rsplit("/", 1)[1]
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
        # A database copied from a template page by page (CREATE DATABASE's WAL_LOG strategy)
        # holds sequence pages whose prefetched values no WAL record covers: a crash before
        # the next checkpoint hands out ids again. A checkpoint first, as a real server has.
        conn.execute("CHECKPOINT")
    env = fault_env(var, database_url)
    server = RestartableDaphne(env, tmp / "daphne.log")
    server.start()
    report: dict[str, object] = {}
    posted: dict[str, str] = {}
    try:
        phone = HttpPhone(server.url)

        async def run() -> None:
            listener = Listener(HttpPhone(server.url))
            assert await wait_until(lambda: listener.opened == 1, 10)
            before = "Before PostgreSQL restarted"
            posted[before] = uuid.uuid4().hex
            assert (await asyncio.to_thread(phone.post, before, posted[before]))[0] == 200

            # Stop the cluster, post into the gap, start it again.
            await asyncio.to_thread(
                subprocess.run,
                postgres_server.stop_cmd,
                check=True,
                capture_output=True,
                timeout=60,
            )
            during = [f"While PostgreSQL was down, post {i}" for i in range(3)]
            first_try = []
            for text in during:
                posted[text] = uuid.uuid4().hex
                first_try.append(await asyncio.to_thread(phone.post, text, posted[text]))
            report["statuses during outage"] = [s for s, _ in first_try]
            report["healthz during outage"] = health(server.url)[0]
            assert server.alive(), "daphne died with the database"
            await asyncio.to_thread(
                subprocess.run,
                postgres_server.start_cmd,
                check=True,
                capture_output=True,
                timeout=90,
            )

            # The phone keeps what was refused and resends it with the same key.
            resend = []
            for (status, _body), text in zip(first_try, during, strict=True):
                if status != 200:
                    resend.append(await asyncio.to_thread(phone.post, text, posted[text]))
            report["resend statuses"] = [s for s, _ in resend]
            # A second resend of everything (a lost acknowledgement) changes nothing.
            again = [await asyncio.to_thread(phone.post, t, posted[t]) for t in during]
            report["second resend statuses"] = [s for s, _ in again]
            after = "After PostgreSQL came back"
            posted[after] = uuid.uuid4().hex
            report["status after"] = (await asyncio.to_thread(phone.post, after, posted[after]))[0]
            await wait_until(lambda: listener.has_all(list(posted)), 10)
            await listener.close()
            report["frames per text"] = {t: listener.count(t) for t in posted}
            report["socket closes"] = listener.closes
            report["server errors"] = server.errors()

        asyncio.run(run())
        counts = saved_counts(database_url, list(posted))
        kept = sum(1 for c in counts.values() if c >= 1)
        fault_line("postgres-restart", len(posted), kept)
        print("postgres-restart details:", report)
        assert all(c == 1 for c in counts.values()), f"lost or doubled: {counts}"
        assert report["status after"] == 200
        assert all(s == 200 for s in report["second resend statuses"])
        assert all(s in (200, 500, 503) for s in report["statuses during outage"])
        assert set(report["frames per text"].values()) == {1}, "the socket missed or repeated"
        assert server.alive()
    finally:
        server.stop()
        ensure_running(postgres_server)
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_running(postgres_server) -> None:
    try:
        with psycopg.connect(postgres_server.url, connect_timeout=3):
            return
    except psycopg.OperationalError:
        subprocess.run(postgres_server.start_cmd, check=True, capture_output=True, timeout=90)
