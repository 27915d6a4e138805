"""Database access from the websocket side (consumers and the hub)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections


class SocketDatabaseSyncToAsync(SyncToAsync):
    """Channels' `database_sync_to_async`, keeping the connection open between calls.

    All socket work runs on asgiref's one thread-sensitive worker thread. With Django's
    default CONN_MAX_AGE=0, channels' wrapper opens and closes a database connection around
    every call: in a join storm that was a fifth of the server's CPU (profiled). Here the
    connection of that one thread stays open; one that failed and is no longer usable is
    closed as before (a restarted PostgreSQL is reconnected on the next call). HTTP requests
    keep Django's per-request connections."""

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            for connection in connections.all(initialized_only=True):
                connection.close_at = None  # not closed for its age: see above
            close_old_connections()


socket_database_sync_to_async = SocketDatabaseSyncToAsync

logger = logging.getLogger(__name__)
# What the batch this socket thread is handling leaves for its end (after_batch,
# send_after_batch); None on any other thread.
_batch = threading.local()


def after_batch(job: Callable[[], object]) -> bool:
    """Run `job` on this socket thread once the batch it is handling has made its answers,
    before they and its frames go to the event loop; False when this thread is not handling
    a batch (the caller runs the job some other way). Work a post causes but its answer need
    not include (its comparison with the wall): on another thread it cost the server more
    CPU than the work itself, each post waking that thread and trading the GIL with it
    (measured at 1,000 phones: 0.55 ms a post less with it off, 0.18 ms of it measured in
    the work)."""
    jobs = getattr(_batch, "jobs", None)
    if jobs is None:
        return False
    jobs.append(job)
    return True


def send_after_batch(send: Callable[[], object]) -> bool:
    """Call `send` (which hands frames to the event loop) when the batch this socket thread
    is handling is done, its jobs included; False when this thread is not handling a batch
    (the caller sends now). The batch's work then runs in one stretch and the event loop
    takes its frames and answers together: a frame handed over at commit started its
    fan-out to every socket while this thread still rendered answers and compared posts, the
    two trading the GIL and each other's caches (measured at 1,000 phones, three interleaved
    rounds: post handling 6.28/5.83/5.98 -> 5.9/5.32/5.43 ms, the event loop's 17.8/16.75/
    16.77 -> 17.6/15.7/15.9 ms a post, delivery p95 alike)."""
    sends = getattr(_batch, "sends", None)
    if sends is None:
        return False
    sends.append(send)
    return True


def _handle_batch(handle: Callable, key: object, items: list) -> list:
    """`handle(key, items)`, then the jobs it left (even when it failed: what committed before
    the fault is still compared), then the frames it left for the event loop."""
    _batch.jobs = jobs = []
    _batch.sends = sends = []
    try:
        return handle(key, items)
    finally:
        _batch.jobs = None
        _run_jobs(jobs)  # a job may leave frames of its own
        _batch.sends = None
        # As a send on commit always was: a failed one is logged, not raised (the change is
        # committed; the screens catch up from the stored event).
        _run_jobs(sends, "live: sending a batch's frames failed")


def _run_jobs(
    jobs: list[Callable[[], object]], failed: str = "live: a job left for the end of a batch failed"
) -> None:
    for job in jobs:
        try:
            job()
        except Exception:  # one job's fault is not the next one's
            logger.exception(failed)


class Batches:
    """Items handed in while an earlier batch is being handled go together into the next one:
    one call of `handle` (a sync function, on the socket thread) for what a room sent at the
    same moment, and no wait at all for an item that comes alone. What the call leaves for
    the batch's end (after_batch, send_after_batch) runs next on the same thread.

    `handle(key, items)` returns one result per item, in order; a result that is an exception
    is raised to that item's caller alone. Items are batched per key (a workshop, say)."""

    def __init__(self, handle, most: int = 64) -> None:
        self.handle, self.most = handle, most
        self.pending: dict = {}
        self.draining: set[asyncio.Task] = set()  # held: the loop keeps only weak references

    async def submit(self, key, item):
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        queue = self.pending.get(key)
        if queue is None:
            queue = self.pending[key] = []
            task = loop.create_task(self._drain(key, queue))
            self.draining.add(task)
            task.add_done_callback(self.draining.discard)
        queue.append((item, waiting))
        result = await waiting
        if isinstance(result, BaseException):
            raise result
        return result

    async def _drain(self, key, queue: list) -> None:
        try:
            while queue:
                batch = queue[: self.most]
                del queue[: self.most]
                try:
                    results = await socket_database_sync_to_async(_handle_batch)(
                        self.handle, key, [item for item, _waiting in batch]
                    )
                except Exception as fault:  # every caller of this batch hears of it
                    results = [fault] * len(batch)
                for (_item, waiting), result in zip(batch, results, strict=True):
                    if not waiting.done():  # its socket may have gone meanwhile
                        waiting.set_result(result)
        finally:
            self.pending.pop(key, None)
