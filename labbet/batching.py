"""Group commit for request threads: what many requests ask at the same moment is handled in
one call (one transaction, one lock, one live event), by one of them.

The first request of a key handles its item at once; requests that arrive meanwhile wait and
go together into the next call, which the first of them makes. The sockets' side of the same
idea, for calls from the event loop, is live/db.py's Batches."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any


class _Slot:
    __slots__ = ("done", "item", "lead", "result")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.result: Any = None
        self.done = threading.Event()
        self.lead = False  # handed the next batch by the request before it


class ThreadBatches:
    """`handle(key, items)` returns one result per item, in order; a result that is an
    exception is raised in that item's request alone, and an exception of the whole call in
    each of its requests."""

    def __init__(
        self, handle: Callable[[Hashable, Sequence[Any]], Sequence[Any]], most: int = 64
    ) -> None:
        self.handle, self.most = handle, most
        self.lock = threading.Lock()
        self.queues: dict[Hashable, list[_Slot]] = {}
        self.leading: set[Hashable] = set()

    def submit(self, key: Hashable, item: Any) -> Any:
        slot = _Slot(item)
        with self.lock:
            self.queues.setdefault(key, []).append(slot)
            lead = key not in self.leading
            self.leading.add(key)
        if not lead:
            slot.done.wait()
        if lead or slot.lead:
            self._run(key)
            slot.done.wait()  # its own item was in that batch or one before it
        if isinstance(slot.result, BaseException):
            raise slot.result
        return slot.result

    def _run(self, key: Hashable) -> None:
        with self.lock:
            queue = self.queues.get(key, [])
            batch = queue[: self.most]
            del queue[: self.most]
        try:
            results = list(self.handle(key, [slot.item for slot in batch]))
        except Exception as fault:
            results = [fault] * len(batch)
        finally:
            # What arrived meanwhile is the next batch, made by the first of its requests
            # (this one answers its own person now); none: the key is idle again.
            with self.lock:
                queue = self.queues.get(key)
                if queue:
                    queue[0].lead = True
                    queue[0].done.set()
                else:
                    self.queues.pop(key, None)
                    self.leading.discard(key)
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
            slot.done.set()
