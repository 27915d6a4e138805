"""Helpers for socket tests: sessions for named roles, and a communicator through the real
ASGI application (origin check, sessions, routing and all)."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from labbet.asgi import application
from workshops.access import SESSION_KEY
from workshops.models import Participant, Workshop


def phone_session(workshop: Workshop, participant: Participant | None = None):
    participant = participant or Participant.objects.create(
        workshop=workshop, role=Participant.Role.AUDIENCE
    )
    session = SessionStore()
    session[SESSION_KEY] = {str(workshop.pk): participant.pk}
    session.create()
    return participant, session.session_key


def user_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(
    code: str,
    *,
    view: str = "phone",
    session_key: str | None = None,
    origin: str = "http://testserver",
    cursor: int | None = None,
    key: str | None = None,
    lang: str | None = None,
):
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    path = f"/ws/w/{code}/?view={view}"
    if cursor is not None:
        path += f"&cursor={cursor}"
    if key is not None:
        path += f"&key={key}"
    if lang is not None:
        path += f"&lang={lang}"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, close_code = await communicator.connect(timeout=5)
    return communicator, connected, close_code


async def frames(communicator, count: int, timeout: float = 3) -> list[str]:
    return [await communicator.receive_from(timeout=timeout) for _ in range(count)]


async def send_post(communicator, **fields) -> None:
    await communicator.send_to(text_data=json.dumps({"action": "post", **fields}))


db = database_sync_to_async
