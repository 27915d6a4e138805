"""Django's ASGI handler, each request's middleware and view run as one sync call on one of a
bounded set of request threads."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse


class RequestThreads:
    """At most `most` request threads, each kept for the next request when one ends.

    Django's ASGI handler made a thread for every request (a ThreadSensitiveContext of its
    own) and ended it after: 200 phones pressing Send at once were 200 threads, each opening
    its own database connection (SQLite reads its schema anew on each: a new thread's first
    query cost 1-4 ms under the burst, measured) and all taking turns on the GIL. A request
    past `most` waits for a thread on the event loop, as it would for a worker of any
    threaded server."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.idle: list[ThreadPoolExecutor] = []
        # One gate per event loop: an asyncio.Semaphore belongs to the loop it first ran in
        # (a test may serve from several loops, one after the other).
        self.gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @contextlib.asynccontextmanager
    async def one(self) -> AsyncIterator[ThreadPoolExecutor]:
        loop = asyncio.get_running_loop()
        gate = self.gates.get(loop)
        if gate is None:
            gate = self.gates[loop] = asyncio.Semaphore(self.most)
        async with gate:
            # One worker: a request's sync calls run one at a time, on one thread, as
            # Django's thread-sensitive mode asks.
            executor = (
                self.idle.pop()
                if self.idle
                else ThreadPoolExecutor(max_workers=1, thread_name_prefix="labbet-request")
            )
            try:
                yield executor
            finally:
                self.idle.append(executor)


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGIHandler, its middleware chain built sync: each request's middleware and
    view run in one call on the request's thread, one of `RequestThreads`.

    Labbet's views are all sync, and so is most middleware (sessions, CSRF, locale, messages,
    the CSP; WhiteNoise is sync only). Django's async chain adapts each of them, and its
    innermost handler is async: a sync view went from the event loop to the request's thread,
    back to the loop and out to the thread again. While the loop fans a frame out to a
    thousand sockets, every such hop waits for it. Here the loop hands a request over once.
    Everything Django runs for the request in thread-sensitive mode (the request signals,
    the response's close) runs on that same thread, as before: its database connection is
    closed or kept by Django's rules at the end of the request."""

    def __init__(self) -> None:
        base.BaseHandler.__init__(self)  # ASGIHandler's own __init__ builds the async chain
        self.load_middleware(is_async=False)
        self.threads = RequestThreads(settings.LABBET_REQUEST_THREADS)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with self.threads.one() as executor, ThreadSensitiveContext(executor=executor):
            await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponse:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
