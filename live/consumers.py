"""The live side of a screen's websocket: join the view's group in the process's hub, replay
what a client missed (or send a fresh region), and leave again. Who may open the socket, in
which language, and what it may send are the subclass's (insights/consumers.py)."""

from __future__ import annotations

import time
from abc import abstractmethod

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live.db import socket_database_sync_to_async as database_sync_to_async
from live.events import frame, live_group, missed_events
from live.hub import get_hub
from live.wire import NO_PER_SOCKET_CHANNEL, server_protocol


class LiveConsumer(AsyncWebsocketConsumer):
    """A websocket that is a member of the hub (live/hub.py: Member).

    A subclass authorises in `connect`, then calls `join_live(...)`, accepts, and calls
    `start_live()`; it implements `render_refresh` (the view's whole region, for a client too
    far behind to replay) and may limit replays with `replay_allowed`."""

    # No channel of its own: the process's Hub relays frames (see live/wire.py).
    channel_layer_alias = NO_PER_SOCKET_CHANNEL

    # What the hub reads and writes (live/hub.py: Member).
    group: str | None = None
    wire = None
    sent_seq: int = 0
    replaying: bool = True
    participant_id: int | None = None
    # The stream, view and language this socket reads (set by join_live).
    live_stream_id: int | None = None
    live_view: str = ""
    language: str = ""
    refreshed_at: float = -float("inf")

    async def join_live(
        self, stream_id: int, view: str, language: str, cursor: int | None, current: int
    ) -> None:
        """Join the group of (stream, view, language); `cursor` is the last event the client
        has, `current` the stream's cursor as read while authorising."""
        self.live_stream_id, self.live_view, self.language = stream_id, view, language
        # A cursor from the future (a database restored from a backup) counts as "seen all".
        self.sent_seq = min(cursor, current) if cursor is not None else current
        self.replaying = True
        self.buffer: list[tuple[int, str]] = []
        # The hub writes live frames straight to daphne's protocol (see live/wire.py).
        self.wire = server_protocol(self.scope.get("labbet.server_send"))
        self.group = live_group(stream_id, view, language)
        # Join before reading what was missed: nothing can fall between the two.
        await get_hub().join(self.group, self, start=current)

    async def start_live(self) -> None:
        """After accept: send what the client missed, then let the hub send directly."""
        assert self.group is not None
        if self.sent_seq >= get_hub().position(self.group):
            # The usual case (a phone that just loaded the page): nothing was missed, and all
            # that comes next arrives through the hub; no second database round.
            await self.flush_buffer()
        else:
            await self.catch_up(self.sent_seq)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await get_hub().leave(self.group, self)

    def replay_allowed(self, missed: int) -> bool:
        """Whether `missed` frames may be sent again on the client's request (a budget)."""
        return True

    async def resume(self, cursor: int) -> None:
        """What the client says it missed, at no more cost than that, and bounded: frames this
        socket never sent are not missed; within LABBET_SOCKET_REFRESH_EVERY seconds a socket
        is sent again at most LABBET_REPLAY_LIMIT frames, and a gap too large to replay gets
        a fresh region at most once. Past that the request is dropped: the live frames that
        follow keep the screen current, and its next gap asks again."""
        cursor = min(cursor, self.sent_seq)
        missed = self.sent_seq - cursor
        if missed <= 0:
            return
        if missed > settings.LABBET_REPLAY_LIMIT:
            if time.monotonic() - self.refreshed_at < settings.LABBET_SOCKET_REFRESH_EVERY:
                return
        elif not self.replay_allowed(missed):
            return
        await self.catch_up(cursor)

    async def catch_up(self, cursor: int) -> None:
        self.replaying = True
        frames, current = await database_sync_to_async(missed_events)(
            self.live_stream_id, self.live_view, self.language, cursor
        )
        if frames is None:
            self.refreshed_at = time.monotonic()
            html = await database_sync_to_async(self.render_refresh)()
            await self.send(text_data=frame(current, html, refresh=True))
            self.sent_seq = current
        else:
            for seq, text in frames:
                await self.send(text_data=text)
                self.sent_seq = seq
        await self.flush_buffer()

    async def flush_buffer(self) -> None:
        """Send what the hub held back during the replay, and let it send directly again."""
        while self.buffer:
            seq, text = self.buffer.pop(0)
            if seq > self.sent_seq:
                self.sent_seq = seq
                await self.send(text_data=text)
        self.replaying = False

    @abstractmethod
    def render_refresh(self) -> str:
        """The view's whole region in self.language, as fresh HTML (run in a worker thread);
        each subclass renders its own (insights.consumers.WorkshopConsumer)."""
