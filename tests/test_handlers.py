"""The ASGI handler (labbet/handlers.py): a request's middleware and view run in one call on
one request thread, threads are kept for the next request, and no more of them run at once
than LABBET_REQUEST_THREADS: a hall pressing Send together queues for a thread instead of
making one each."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_started
from django.test import override_settings

from labbet.handlers import SyncChainASGIHandler
from tests import urls_threads

pytestmark = pytest.mark.urls("tests.urls_threads")


def scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def get(app, path: str) -> tuple[int, str]:
    talk = ApplicationCommunicator(app, scope(path))
    await talk.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await talk.receive_output(10)
    body = b""
    while True:
        message = await talk.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await talk.wait(10)
    return start["status"], body.decode()


async def test_a_request_is_served_on_one_thread_and_that_thread_serves_the_next():
    app = SyncChainASGIHandler()
    started: list[int] = []

    def note(**_kwargs):
        started.append(threading.get_ident())

    request_started.connect(note)
    try:
        status, first = await get(app, "/thread/")
        _status, second = await get(app, "/thread/")
    finally:
        request_started.disconnect(note)
    assert status == 200
    # The request's signal and its view ran on the same thread, not on the event loop's.
    assert started[0] == int(first) != threading.get_ident()
    # The next request is served by the thread the first one left.
    assert second == first


@override_settings(LABBET_REQUEST_THREADS=2)
async def test_no_more_requests_run_at_once_than_there_are_request_threads():
    app = SyncChainASGIHandler()
    urls_threads.LET_GO.clear()
    urls_threads.MOST_AT_ONCE[0] = 0
    waiting = [asyncio.create_task(get(app, "/slow/")) for _ in range(5)]
    for _ in range(100):  # until two are in their view
        if len(urls_threads.RUNNING) == 2:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    assert len(urls_threads.RUNNING) == 2  # the other three wait for a thread
    urls_threads.LET_GO.set()
    answers = await asyncio.gather(*waiting)
    assert [status for status, _body in answers] == [200] * 5
    assert urls_threads.MOST_AT_ONCE[0] == 2
    assert len({body for _status, body in answers}) == 2  # served by the two threads
