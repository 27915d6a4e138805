"""Process-local fan-out: one channel-layer subscription per process and group, and one loop
that hands the same bytes to every socket of that group in this process.

Channels' usual pattern (every consumer in the group, one layer message per socket) costs a
layer hop per socket per event and caps a process at a few thousand frames/s; this costs one
hop per process per event, on the in-memory layer and across processes on Redis alike."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


class Member(Protocol):
    async def deliver(self, seq: int, text: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.members: dict[str, set[Member]] = {}
        self.channel: str | None = None
        self.subscribed: set[str] = set()
        self.relay_task: asyncio.Task | None = None
        # Guards the relay channel and each group subscription: a race here would subscribe
        # twice and double every frame.
        self.lock = asyncio.Lock()

    async def join(self, group: str, member: Member) -> None:
        async with self.lock:
            self.members.setdefault(group, set()).add(member)
            if self.channel is None:
                self.channel = await self.layer.new_channel("relay.")
                self.relay_task = asyncio.get_running_loop().create_task(self._relay())
            if group not in self.subscribed:
                await self.layer.group_add(group, self.channel)
                self.subscribed.add(group)

    async def leave(self, group: str, member: Member) -> None:
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                return
            members.discard(member)
            if not members:
                del self.members[group]
                if group in self.subscribed and self.channel is not None:
                    self.subscribed.discard(group)
                    await self.layer.group_discard(group, self.channel)

    def count(self, group: str) -> int:
        return len(self.members.get(group, ()))

    async def _relay(self) -> None:
        assert self.channel is not None
        while True:
            message = await self.layer.receive(self.channel)
            members = self.members.get(message.get("group", ""))
            if not members:
                continue
            seq, text = message["seq"], message["text"]
            for member in list(members):
                try:
                    await member.deliver(seq, text)
                except Exception:
                    # One broken socket must not stop the frame reaching the rest of the room.
                    logger.exception("live: delivering frame %s failed", seq)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [key for key in _hubs if key.is_closed()]:
            del _hubs[old]
        hub = _hubs[loop] = Hub()
    return hub


def local_socket_count() -> int:
    """Sockets this process is serving now (read from another thread: an estimate is enough)."""
    hubs = list(_hubs.values())
    return sum(len(members) for hub in hubs for members in list(hub.members.values()))
