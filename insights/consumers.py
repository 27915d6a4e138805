"""The workshop's websocket: authorise, join the view's group, replay what a client missed,
forward frames, and hand posts to the same form and action as the HTTP path."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from insights.fanout import get_hub, server_protocol
from insights.live import frame, live_group, missed_events
from labbet import limits
from labbet.db import socket_database_sync_to_async as database_sync_to_async
from workshops.access import find_workshop, screen_access, still_allowed
from workshops.models import Participant, Workshop
from workshops.regions import render_region

logger = logging.getLogger(__name__)

MAX_FRAME = 16 * 1024
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429


class Budget:
    """A token bucket per socket: `burst` messages at once, refilled at burst/seconds a second.
    A phone sends a message when it posts or finds a gap in its frames; far fewer than this."""

    def __init__(self, burst: int, seconds: float) -> None:
        self.burst, self.rate = burst, burst / seconds
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self, count: int = 1) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < count:
            return False
        self.tokens -= count
        return True


# The open sockets of each session in this process, oldest first: past the cap the oldest is
# closed (a phone whose old socket has not noticed its wifi drop yet still gets in).
_session_sockets: dict[str, deque] = {}


@dataclass
class Access:
    workshop: Workshop
    participant: Participant | None
    view: str


def session_user(session) -> AbstractBaseUser | AnonymousUser:
    """The user signed in on this session, as Django's own middleware would find it."""
    if session is None:
        return AnonymousUser()
    return get_user(SimpleNamespace(session=session))


def authorise(scope: dict, code: str, view: str, key: str | None) -> Access | int:
    """Who may open this socket; one database round for the whole decision. Guessing codes
    over the socket counts against the address's limit as on the web; past it, a socket
    without access learns nothing (not even whether the code exists)."""
    address = (scope.get("client") or ["unknown"])[0]
    workshop = find_workshop(code)
    if workshop is None:
        within = limits.hit("code_guess", address)
        return CLOSE_NOT_FOUND if within else CLOSE_TOO_MANY
    access = _access(scope, workshop, view, key)
    if access == CLOSE_FORBIDDEN and limits.over("code_guess", address):
        return CLOSE_TOO_MANY
    session_key = getattr(scope.get("session"), "session_key", None)
    if isinstance(access, Access) and session_key and not limits.hit("socket_open", session_key):
        # A socket opened with an old cursor costs a replay or a fresh wall: a session that
        # reconnects in a loop is held to a rate far above a phone's reconnects on bad wifi.
        return CLOSE_TOO_MANY
    return access


def _access(scope: dict, workshop: Workshop, view: str, key: str | None) -> Access | int:
    session = scope.get("session")
    # The phone view needs no user: most sockets are phones, so the user is read only for
    # the views that need one.
    user = session_user(session) if view != "phone" else AnonymousUser()
    allowed, participant = screen_access(workshop, view, session=session, user=user, key=key)
    return Access(workshop, participant, view) if allowed else CLOSE_FORBIDDEN


class WorkshopConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the process's Hub relays frames (see insights/fanout.py).
    channel_layer_alias = "labbet-no-per-socket-channel"

    group: str | None = None
    wire = None
    participant_id: int | None = None
    session_key: str | None = None

    async def connect(self) -> None:
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        view = params.get("view", ["phone"])[0]
        key = params.get("key", [None])[0]
        try:
            cursor = int(params.get("cursor", [""])[0])
        except ValueError:
            cursor = None
        code = self.scope["url_route"]["kwargs"]["code"]
        access = await database_sync_to_async(authorise)(self.scope, code, view, key)
        if isinstance(access, int):
            await self.close(code=access)
            return
        self.access = access
        self.participant_id = access.participant.pk if access.participant else None
        self.budget = Budget(*settings.LABBET_SOCKET_MESSAGES)
        # Messages dropped past that budget: a socket that goes on flooding after it was told
        # costs the server a read per message, so past these it is closed.
        self.drops = Budget(*settings.LABBET_SOCKET_DROPS)
        # Frames a socket may be sent again on request: one full replay per refresh period.
        self.replays = Budget(settings.LABBET_REPLAY_LIMIT, settings.LABBET_SOCKET_REFRESH_EVERY)
        self.refreshed_at = -float("inf")
        self.told_to_slow_down = False
        self.language = self.chosen_language(params) or access.workshop.language
        current = access.workshop.live_seq
        # A cursor from the future (a database restored from a backup) counts as "seen all".
        self.sent_seq = min(cursor, current) if cursor is not None else current
        self.replaying = True
        self.buffer: list[tuple[int, str]] = []
        # The hub writes live frames straight to daphne's protocol (see insights/fanout.py).
        self.wire = server_protocol(self.scope.get("labbet.server_send"))
        self.group = live_group(access.workshop.pk, view, self.language)
        # Join before reading what was missed: nothing can fall between the two.
        hub = get_hub()
        await hub.join(self.group, self, start=current)
        await self.accept()
        await self.count_session_socket()
        if self.sent_seq >= hub.position(self.group):
            # The usual case (a phone that just loaded the page): nothing was missed, and all
            # that comes next arrives through the hub; no second database round.
            await self.flush_buffer()
        else:
            await self.catch_up(self.sent_seq)

    def chosen_language(self, params: dict[str, list[str]]) -> str | None:
        """The language of the page that opened the socket (its `lang`), else the one its
        person chose with the switcher: every frame, replay and answer comes in it."""
        languages = dict(settings.LANGUAGES)
        for chosen in (
            params.get("lang", [None])[0],
            self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME),
        ):
            if chosen in languages:
                return chosen
        return None

    async def count_session_socket(self) -> None:
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        if not key:
            return  # a projector by its secret link: no session to count
        self.session_key = key
        sockets = _session_sockets.setdefault(key, deque())
        sockets.append(self)
        while len(sockets) > settings.LABBET_SOCKETS_PER_SESSION:
            oldest = sockets.popleft()
            await oldest.close(code=CLOSE_TOO_MANY)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await get_hub().leave(self.group, self)
        sockets = _session_sockets.get(self.session_key or "")
        if sockets is not None:
            with contextlib.suppress(ValueError):  # closed as the oldest: already taken out
                sockets.remove(self)
            if not sockets:
                _session_sockets.pop(self.session_key, None)

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
        elif not self.replays.take(missed):
            return
        await self.catch_up(cursor)

    async def catch_up(self, cursor: int) -> None:
        self.replaying = True
        workshop_id, view = self.access.workshop.pk, self.access.view
        frames, current = await database_sync_to_async(missed_events)(
            workshop_id, view, self.language, cursor
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

    def render_refresh(self) -> str:
        workshop = Workshop.objects.get(pk=self.access.workshop.pk)
        with translation.override(self.language):
            return render_region(workshop, self.access.view, self.access.participant, oob=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Messages to this screen in its language (the socket has no request).
        with translation.override(self.language):
            await self.handle_message(text_data)

    async def handle_message(self, text_data: str | None) -> None:
        if not self.budget.take():
            if not self.drops.take():
                await self.close(code=CLOSE_TOO_MANY)
                return
            # Dropped; told once, so that a flood gets no flood of answers back.
            if not self.told_to_slow_down:
                self.told_to_slow_down = True
                await self.send_error(
                    _("This screen is sending too fast; wait a moment. Nothing was saved.")
                )
            return
        self.told_to_slow_down = False
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.send_error(_("That message was too large or not text, and was not saved."))
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: deeply nested arrays fit well within MAX_FRAME.
            message = None
        if not isinstance(message, dict):
            await self.send_error(_("That message could not be read, and was not saved."))
            return
        action = message.get("action")
        if action == "resume":
            cursor = message.get("cursor")
            if isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0:
                await self.resume(cursor)
            return
        if action == "post" and self.access.view == "phone":
            html = await database_sync_to_async(self.handle_post)(message)
            if html is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send(text_data=html)
            return
        await self.send_error(_("That request is not possible here."))

    def handle_post(self, message: dict) -> str | None:
        """The post's answer; None when this socket's person may no longer act as themselves
        (their invitation was revoked or ran out since the socket opened)."""
        from insights.views.phone import submit_post

        data = {k: v for k, v in message.items() if isinstance(v, str)}
        with translation.override(self.language):
            # Both as they are now, in one query.
            participant = Participant.objects.select_related("workshop").get(
                pk=self.access.participant.pk, workshop=self.access.workshop.pk
            )
            if not still_allowed(participant):
                return None
            return submit_post(participant.workshop, participant, data, oob=True)

    async def send_error(self, text: str) -> None:
        html = render_to_string("insights/_socket_error.html", {"message": text})
        await self.send(text_data=html)
