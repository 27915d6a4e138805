"""Process-local fan-out: one channel-layer subscription per process and group, and one loop
that hands the same bytes to every socket of that group in this process.

Channels' usual pattern (every consumer in the group, one layer message per socket) costs a
layer hop per socket per event and caps a process at a few thousand frames/s; this costs one
hop per process per event, on the in-memory layer and across processes on Redis alike."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from live.db import socket_database_sync_to_async as database_sync_to_async
from live.events import (
    PEOPLE_GROUP,
    frames_between,
    latest_cursors,
    mark_present,
    parse_group,
    serve_from,
)
from live.wire import Frames, is_open, prepare, write_prepared

logger = logging.getLogger(__name__)

# How many sockets get a frame before the loop lets other work (HTTP requests, pings) run.
YIELD_EVERY = 200

# At most this many frames go to a socket in one write. Frames that arrive while the group's
# last ones are still being written wait and go out together: one system call per socket
# for all of them, so a process that falls behind catches up instead of falling further.
BATCH_MAX = 32

# How often a process checks that none of its groups fell behind the database without a frame
# arriving to show it (a broadcast lost while Redis was down, say).
RESYNC_EVERY = 2.0

# After a write to a group's sockets, its delivery waits this long before the next one: the
# frames that arrive meanwhile go out together, one write per socket for all of them. A frame
# that finds the group idle goes at once. Measured with `python -m bench.burst` (200 posts
# at once, 500 phones watching): one write per socket per post was a third of the server's
# CPU.
COALESCE = 0.03

# How long a group waits for a frame that is still on its way before it reads it from the
# database instead. Frames are sent after commit from each request's own thread, so event N+1
# can overtake event N by a few milliseconds; it can never commit before N.
GAP_WAIT = 0.2

# How often a process says again which (view, language) groups it serves (live/events.py's
# PRESENCE_TTL is how long one saying lasts).
PRESENCE_EVERY = 10.0


class Member(Protocol):
    replaying: bool
    sent_seq: int
    buffer: list[tuple[int, str]]
    # daphne's websocket protocol (autobahn's) when the socket can be written to directly
    # (live/wire.py: server_protocol).
    wire: Any
    participant_id: int | None

    async def send(self, text_data: str) -> None: ...

    async def close(self, code: int | bool | None = None) -> None: ...

    async def catch_up(self, cursor: int) -> None:
        """Send what came after `cursor` (a replay, or a fresh region), then what the hub
        buffered meanwhile (live/consumers.py: LiveConsumer)."""


@dataclass
class GroupOrder:
    """Where a group stands in its stream's cursor, and the frames that came early (every
    one of them after `last`: whoever adds one checks)."""

    last: int
    early: dict[int, str] = field(default_factory=dict)
    filling: asyncio.Task | None = None
    # Delivery runs beside the relay, which goes on receiving meanwhile.
    sending: asyncio.Task | None = None
    # The relay's delivery and the gap filler's take turns, or a socket could get N+1 while
    # N is still on its way to it.
    delivering: asyncio.Lock = field(default_factory=asyncio.Lock)

    def gap(self) -> bool:
        """Frames came early and the next one is not among them."""
        return bool(self.early) and self.last + 1 not in self.early


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.members: dict[str, set[Member]] = {}
        self.channel: str | None = None
        self.subscribed: set[str] = set()
        self.relay_task: asyncio.Task | None = None
        self.order: dict[str, GroupOrder] = {}
        self.refreshing: set[asyncio.Task] = set()
        # Guards the relay channel and each group subscription: a race here would subscribe
        # twice and double every frame.
        self.lock = asyncio.Lock()

    async def join(self, group: str, member: Member, start: int = 0) -> None:
        """Add a socket; `start` is the stream's cursor as its consumer read it."""
        async with self.lock:
            self.members.setdefault(group, set()).add(member)
            self.order.setdefault(group, GroupOrder(last=start))
            if self.channel is None:
                self.channel = await self.layer.new_channel("relay.")
                serve_from(asyncio.get_running_loop())
                await self.layer.group_add(PEOPLE_GROUP, self.channel)
                self.relay_task = asyncio.get_running_loop().create_task(self._relay())
            if group not in self.subscribed:
                # Said before the first frame can be missed: publishers render this language
                # from now on.
                await _mark_present([group])
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
                order = self.order.pop(group, None)
                if order and order.filling:
                    order.filling.cancel()
                if group in self.subscribed and self.channel is not None:
                    self.subscribed.discard(group)
                    await self.layer.group_discard(group, self.channel)

    def position(self, group: str) -> int:
        """The last frame this process passed on to the group's sockets."""
        order = self.order.get(group)
        return order.last if order else 0

    def count(self, group: str) -> int:
        return len(self.members.get(group, ()))

    async def _relay(self) -> None:
        assert self.channel is not None
        resync = asyncio.get_running_loop().create_task(self._resync())
        try:
            await self._relay_frames()
        finally:
            resync.cancel()

    async def _relay_frames(self) -> None:
        assert self.channel is not None
        loop = asyncio.get_running_loop()
        while True:
            message = await self.layer.receive(self.channel)
            if message.get("type") == "live.close":
                await self._close_people(set(message["participants"]), message["code"])
                continue
            group = message.get("group", "")
            order = self.order.get(group)
            if order is None or message["seq"] <= order.last:
                continue
            order.early[message["seq"]] = message["text"]
            if order.sending is None or order.sending.done():
                order.sending = loop.create_task(self._deliver_in_order(group, order))
            if order.gap() and order.filling is None:
                order.filling = loop.create_task(self._fill_gap(group))

    async def _close_people(self, participants: set[int], code: int) -> None:
        for members in list(self.members.values()):
            for member in list(members):
                if getattr(member, "participant_id", None) in participants:
                    try:
                        await member.close(code=code)
                    except Exception:
                        logger.warning("live: closing a revoked socket failed", exc_info=True)

    async def _deliver_in_order(self, group: str, order: GroupOrder) -> None:
        """Send what can go out in cursor order, as batches of consecutive frames; frames that
        arrive meanwhile join the next batch."""
        async with order.delivering:
            while order.last + 1 in order.early:
                batch: list[tuple[int, str]] = []
                while order.last + 1 in order.early and len(batch) < BATCH_MAX:
                    seq = order.last + 1
                    batch.append((seq, order.early.pop(seq)))
                    order.last = seq
                try:
                    await self._send_to_all(group, batch)
                except Exception:
                    logger.exception("live: delivering frames to %s failed", group)
                await asyncio.sleep(COALESCE)

    async def _send_to_all(self, group: str, batch: list[tuple[int, str]]) -> None:
        first, last = batch[0][0], batch[-1][0]
        # Framed once for the whole group, when the first open socket needs them.
        prepared: dict[int, Any] = {}
        everything: Frames | None = None
        for n, member in enumerate(list(self.members.get(group, ())), start=1):
            try:
                if member.replaying:
                    member.buffer.extend(batch)
                    continue
                if last <= member.sent_seq:
                    continue
                due = (
                    batch
                    if member.sent_seq < first
                    else [f for f in batch if f[0] > member.sent_seq]
                )
                wire = member.wire
                if wire is None:
                    for seq, text in due:
                        member.sent_seq = seq
                        await member.send(text_data=text)
                    continue
                member.sent_seq = last
                if is_open(wire):
                    if everything is None:
                        prepared = {seq: prepare(wire, text) for seq, text in batch}
                        everything = Frames(list(prepared.values()))
                    part = everything if due is batch else Frames([prepared[s] for s, _ in due])
                    write_prepared(wire, part)
            except Exception:
                # One broken socket must not stop the frames reaching the rest of the room.
                logger.exception("live: delivering frames %s-%s failed", first, last)
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _resync(self) -> None:
        """Gaps show when the next frame arrives; this finds the ones no frame follows. A group
        that stays behind the stream's cursor for two rounds, with nothing on its way, reads
        what it missed from the database."""
        stuck: dict[str, int] = {}
        loop = asyncio.get_running_loop()
        said = loop.time()
        while True:
            await asyncio.sleep(RESYNC_EVERY)
            groups = {group: parse_group(group) for group in self.order}
            if not groups:
                continue
            if loop.time() - said >= PRESENCE_EVERY:
                said = loop.time()
                await _mark_present(list(groups))
            try:
                latest = await database_sync_to_async(latest_cursors)(
                    {stream_id for stream_id, _view, _lang in groups.values()}
                )
            except Exception:
                logger.warning("live: could not read the cursors to resync", exc_info=True)
                continue
            for group, (stream_id, view, language) in groups.items():
                order = self.order.get(group)
                head = latest.get(stream_id, 0)
                if order is None or head <= order.last or order.early or order.filling:
                    stuck.pop(group, None)
                    continue
                if stuck.get(group) != order.last:
                    stuck[group] = order.last  # behind: give a frame in flight one more round
                    continue
                stuck.pop(group)
                missing = await database_sync_to_async(frames_between)(
                    stream_id, view, language, order.last, head + 1
                )
                if missing is None:
                    order.last = max(order.last, head)
                    self._refresh(group)
                    continue
                logger.warning("live: %s resyncs %d missed events", group, len(missing))
                for seq, text in missing:
                    if seq > order.last:
                        order.early.setdefault(seq, text)
                await self._deliver_in_order(group, order)

    def _refresh(self, group: str) -> None:
        """Events the group missed were rendered before any screen here read its language
        (a join and a publish a moment apart): no frame of theirs is in it. Each socket gets a
        fresh region in its own language instead, and the frames after it as they come."""
        logger.info("live: %s missed events not rendered in its language; fresh regions", group)
        loop = asyncio.get_running_loop()
        for member in list(self.members.get(group, ())):
            if member.replaying:
                continue  # catching up already; a gap it still has, its client asks for
            member.replaying = True  # from now on the hub's frames wait in its buffer
            task = loop.create_task(_catch_up(member))
            self.refreshing.add(task)
            task.add_done_callback(self.refreshing.discard)

    async def _fill_gap(self, group: str) -> None:
        await asyncio.sleep(GAP_WAIT)
        order = self.order.get(group)
        if order is None:
            return
        order.filling = None
        async with order.delivering:  # the cursor stays put while the gap is read
            if not order.gap():
                return  # what was missing arrived meanwhile
            stream_id, view, language = parse_group(group)
            first_early = min(order.early)
            missing = await database_sync_to_async(frames_between)(
                stream_id, view, language, order.last, first_early
            )
            if missing is None:
                # Held back by each socket while it gets its fresh region, then sent.
                self._refresh(group)
                order.last = max(order.last, first_early - 1)
                missing = []
            for seq, text in missing:
                if seq > order.last:
                    order.early.setdefault(seq, text)
            if order.last + 1 not in order.early:
                logger.warning("live: %s skips to %s; events were not found", group, first_early)
                order.last = max(order.last, first_early - 1)
        await self._deliver_in_order(group, order)
        if order.gap() and order.filling is None:
            order.filling = asyncio.get_running_loop().create_task(self._fill_gap(group))


async def _catch_up(member: Member) -> None:
    try:
        await member.catch_up(member.sent_seq)
    except Exception:
        # Its client notices the gap and asks again (live/consumers.py: resume).
        logger.warning("live: a fresh region for a socket failed", exc_info=True)


async def _mark_present(groups: list[str]) -> None:
    try:
        await sync_to_async(mark_present, thread_sensitive=False)(groups)
    except Exception:
        # Publishers then render every language: slower, never wrong.
        logger.warning("live: could not say which groups are here", exc_info=True)


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
