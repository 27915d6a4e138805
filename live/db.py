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
# The jobs a batch's handling leaves for after its answers (after_answers), on the socket
# thread that handles it; None on any other thread.
_after = threading.local()


def after_answers(job: Callable[[], object]) -> bool:
    """Run `job` on this socket thread once the answers of the batch it is handling have been
    handed to their sockets, before the next batch; False when this thread is not handling a
    batch (the caller runs the job some other way). Work a post causes but its answer need
    not wait for (its comparison with the wall): on another thread it cost the server more
    CPU than the work itself, each post waking that thread and trading the GIL with it
    (measured at 1,000 phones: 0.55 ms a post less with it off, 0.18 ms of it measured in
    the work)."""
    jobs = getattr(_after, "jobs", None)
    if jobs is None:
        return False
    jobs.append(job)
    return True


def _handle_leaving_jobs(handle: Callable, key: object, items: list) -> tuple[list, list]:
    _after.jobs = jobs = []
    try:
        return handle(key, items), jobs
    except Exception:
        # What committed before the fault still gets its jobs (its comparison).
        _run_jobs(jobs)
        raise
    finally:
        _after.jobs = None


def _run_jobs(jobs: list[Callable[[], object]]) -> None:
    for job in jobs:
        try:
            job()
        except Exception:  # one job's fault is not the next one's
            logger.exception("live: a job left for after a batch's answers failed")


class Batches:
    """Items handed in while an earlier batch is being handled go together into the next one:
    one call of `handle` (a sync function, on the socket thread) for what a room sent at the
    same moment, and no wait at all for an item that comes alone. What the call leaves for
    after its answers (after_answers) runs next on the same thread.

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
                jobs: list = []
                try:
                    results, jobs = await socket_database_sync_to_async(_handle_leaving_jobs)(
                        self.handle, key, [item for item, _waiting in batch]
                    )
                except Exception as fault:  # every caller of this batch hears of it
                    results = [fault] * len(batch)
                for (_item, waiting), result in zip(batch, results, strict=True):
                    if not waiting.done():  # its socket may have gone meanwhile
                        waiting.set_result(result)
                if jobs:
                    await socket_database_sync_to_async(_run_jobs)(jobs)
        finally:
            self.pending.pop(key, None)
