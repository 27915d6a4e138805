"""Scale-out: two daphne processes on a real Redis channel layer and PostgreSQL; a post made
through one process reaches every socket on both, once each and in order."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
import websockets

from labbet.services import free_port
from tests.clients import Phone
from tests.conftest import fresh_redis_url, prepare_database, server_env, start_daphne

pytestmark = [pytest.mark.services, pytest.mark.slow]
CURSOR = re.compile(r"^<!--c:(\d+)")


async def listen(phone: Phone, expected: int, into: list[str]) -> None:
    async with websockets.connect(phone.ws_url(), additional_headers=phone.ws_headers()) as ws:
        into.append("open")
        while len(into) < expected + 1:
            into.append(await asyncio.wait_for(ws.recv(), timeout=10))


@pytest.fixture
def two_processes(postgres_server, redis_server):
    name = f"labbet_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = Path(tempfile.mkdtemp(prefix="labbet-scale-"))
    env = server_env(
        tmp, postgres_server.url.rsplit("/", 1)[0] + f"/{name}", fresh_redis_url(redis_server)
    )
    prepare_database(env)
    ports = [free_port(), free_port()]
    processes = [start_daphne(env, port, tmp / f"daphne-{port}.log") for port in ports]
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    for port in ports:  # shown only when the test failed (pytest's captured output)
        log = tmp / f"daphne-{port}.log"
        if log.exists():
            print(f"--- daphne on port {port}:\n" + log.read_text(errors="replace")[-4000:])
    shutil.rmtree(tmp, ignore_errors=True)


def test_a_post_through_one_process_reaches_every_socket_on_both_once(two_processes):
    first, second = two_processes
    phones = [Phone(first), Phone(first), Phone(second), Phone(second), Phone(second)]
    # Five different ideas: near-duplicates would also tell the consoles of a similar group
    # (insights/duplicates.py), one more frame each.
    texts = [
        "Cykelbanor längs hela kusten",
        "Öppna data om luftkvaliteten",
        "Fler bänkar i stadsparken",
        "Skolmat från lokala bönder",
        "Nattbussar till förorterna",
    ]
    received: list[list[str]] = [[] for _ in phones]

    async def run() -> None:
        listeners = [
            asyncio.create_task(listen(phone, len(texts), into))
            for phone, into in zip(phones, received, strict=True)
        ]
        while not all(r for r in received):  # every socket is open before the first post
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        for text in texts:
            await asyncio.to_thread(phones[0].post, text)
        await asyncio.gather(*listeners)

    asyncio.run(run())
    for frames in received:
        live = frames[1:]
        cursors = [int(CURSOR.match(f).group(1)) for f in live]
        assert cursors == sorted(set(cursors)), "every frame once, in order"
        assert [t for f in live for t in texts if t in f] == texts
