"""Scale-out: two daphne processes on a real Redis channel layer and PostgreSQL; a post made
through one process reaches every socket on both, once each and in order."""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import websockets

from labbet.services import free_port
from tests.conftest import prepare_database, server_env, start_daphne

pytestmark = [pytest.mark.services, pytest.mark.slow]
CURSOR = re.compile(r"^<!--c:(\d+)")


class Phone:
    """A browser-like client: a cookie jar, the join page, and the form post."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/j/STAD26/", timeout=10).read().decode()
        self.cursor = int(re.search(r'data-cursor="(\d+)"', page).group(1))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def post(self, text: str) -> None:
        data = urllib.parse.urlencode(
            {
                "kind": "insight",
                "text": text,
                "client_key": uuid.uuid4().hex,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/j/STAD26/post/",
            data=data,
            headers={"HX-Request": "true", "Referer": f"{self.base}/j/STAD26/"},
        )
        assert self.opener.open(request, timeout=10).status == 200

    async def listen(self, expected: int, into: list[str]) -> None:
        ws_url = self.base.replace("http://", "ws://") + f"/ws/w/STAD26/?cursor={self.cursor}"
        headers = {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base}
        async with websockets.connect(ws_url, additional_headers=headers) as socket:
            into.append("open")
            while len(into) < expected + 1:
                into.append(await asyncio.wait_for(socket.recv(), timeout=10))


@pytest.fixture
def two_processes(postgres_server, redis_server):
    name = f"labbet_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = Path(tempfile.mkdtemp(prefix="labbet-scale-"))
    env = server_env(tmp, postgres_server.url.rsplit("/", 1)[0] + f"/{name}", redis_server.url)
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
    shutil.rmtree(tmp, ignore_errors=True)


def test_a_post_through_one_process_reaches_every_socket_on_both_once(two_processes):
    first, second = two_processes
    phones = [Phone(first), Phone(first), Phone(second), Phone(second), Phone(second)]
    texts = [f"Via process one, post {i}" for i in range(5)]
    received: list[list[str]] = [[] for _ in phones]

    async def run() -> None:
        listeners = [
            asyncio.create_task(phone.listen(len(texts), into))
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
