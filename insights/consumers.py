"""The workshop's websocket: authorise, join the view's group, replay what a client missed,
forward frames, and hand posts to the same form and action as the HTTP path."""

from __future__ import annotations

import json
import logging
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
from workshops.access import (
    find_workshop,
    labber_participant,
    projector_key_ok,
    session_participant,
)
from workshops.models import Participant, Workshop
from workshops.regions import render_region

logger = logging.getLogger(__name__)

MAX_FRAME = 16 * 1024
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429


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
    return access


def _access(scope: dict, workshop: Workshop, view: str, key: str | None) -> Access | int:
    session = scope.get("session")
    if view == "phone":
        participant = session_participant(session, workshop) if session is not None else None
        return Access(workshop, participant, view) if participant else CLOSE_FORBIDDEN
    if view == "projector":
        if projector_key_ok(workshop, key) or labber_participant(session_user(session), workshop):
            return Access(workshop, None, view)
        return CLOSE_FORBIDDEN
    if view == "console":
        participant = labber_participant(session_user(session), workshop)
        return Access(workshop, participant, view) if participant else CLOSE_FORBIDDEN
    return CLOSE_FORBIDDEN


class WorkshopConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the process's Hub relays frames (see insights/fanout.py).
    channel_layer_alias = "labbet-no-per-socket-channel"

    group: str | None = None
    wire = None

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

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await get_hub().leave(self.group, self)

    async def catch_up(self, cursor: int) -> None:
        self.replaying = True
        workshop_id, view = self.access.workshop.pk, self.access.view
        frames, current = await database_sync_to_async(missed_events)(
            workshop_id, view, self.language, cursor
        )
        if frames is None:
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
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.send_error(_("That message was too large or not text, and was not saved."))
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_error(_("That message could not be read, and was not saved."))
            return
        action = message.get("action")
        if action == "resume":
            cursor = message.get("cursor")
            if isinstance(cursor, int) and cursor >= 0:
                await self.catch_up(min(cursor, self.sent_seq))
            return
        if action == "post" and self.access.view == "phone":
            html = await database_sync_to_async(self.handle_post)(message)
            await self.send(text_data=html)
            return
        await self.send_error(_("That request is not possible here."))

    def handle_post(self, message: dict) -> str:
        from insights.views.phone import submit_post

        data = {k: v for k, v in message.items() if isinstance(v, str)}
        with translation.override(self.language):
            # Both as they are now, in one query.
            participant = Participant.objects.select_related("workshop").get(
                pk=self.access.participant.pk, workshop=self.access.workshop.pk
            )
            return submit_post(participant.workshop, participant, data, oob=True)

    async def send_error(self, text: str) -> None:
        html = render_to_string("insights/_socket_error.html", {"message": text})
        await self.send(text_data=html)
