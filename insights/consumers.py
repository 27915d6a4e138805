"""The workshop's websocket: authorise, choose the language, join the view's group (the live
app's LiveConsumer: the hub, replays, fresh regions), and hand posts to the same form and
action as the HTTP path."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from django.utils.translation import gettext as _

from labbet import limits
from labbet.jinja import render_fragment
from live.consumers import LiveConsumer
from live.db import Batches
from live.db import socket_database_sync_to_async as database_sync_to_async
from workshops.access import find_workshop, screen_access
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


def handle_posts(workshop_id: int, posts: list[tuple[WorkshopConsumer, dict]]) -> list:
    """The answers to posts that arrived on this process's sockets together (a room pressing
    Send at once), saved as one batch (insights/views/phone.py: submit_posts). An answer is
    None when the socket's person may no longer act as themselves (their invitation was
    revoked or ran out since the socket opened)."""
    from insights.views.phone import answer_senders, submit_posts

    sent = [(socket.participant_id, data, socket.language) for socket, data in posts]
    return answer_senders(workshop_id, sent, submit_posts)


# Posts sent while the socket thread handles earlier ones go together (live/db.py: Batches).
_posts = Batches(handle_posts)


class WorkshopConsumer(LiveConsumer):
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
        self.told_to_slow_down = False
        language = self.chosen_language(params) or access.workshop.language
        await self.join_live(
            access.workshop.pk, view, language, cursor, current=access.workshop.live_seq
        )
        await self.accept()
        await self.count_session_socket()
        await self.start_live()

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
        await super().disconnect(code)
        sockets = _session_sockets.get(self.session_key or "")
        if sockets is not None:
            with contextlib.suppress(ValueError):  # closed as the oldest: already taken out
                sockets.remove(self)
            if not sockets:
                _session_sockets.pop(self.session_key, None)

    def replay_allowed(self, missed: int) -> bool:
        # One full replay per refresh period (LiveConsumer.resume says the rest).
        return self.replays.take(missed)

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
            data = {k: v for k, v in message.items() if isinstance(v, str)}
            html = await _posts.submit(self.access.workshop.pk, (self, data))
            if html is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send(text_data=html)
            return
        await self.send_error(_("That request is not possible here."))

    async def send_error(self, text: str) -> None:
        html = render_fragment("insights/_socket_error.html", {"message": text})
        await self.send(text_data=html)
