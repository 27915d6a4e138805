"""What one session's sockets may cost the room (issue 18, finding 5): a cap on sockets per
session, a message rate per socket, and a resume that costs no more than what was missed."""

import json

import pytest

from live.events import FRAME_CURSOR
from tests.factories import make_user, make_workshop, post
from tests.live import connect, db, frames, phone_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def resume(cursor: int) -> str:
    return json.dumps({"action": "resume", "cursor": cursor})


async def room():
    workshop = await db(make_workshop)(labber_user=await db(make_user)("lena"))
    _, key = await db(phone_session)(workshop)
    return workshop, key


async def test_a_session_past_its_socket_cap_loses_its_oldest_socket_not_its_newest(settings):
    settings.LABBET_SOCKETS_PER_SESSION = 3
    workshop, key = await room()
    sockets = [(await connect(workshop.code, session_key=key))[0] for _ in range(4)]
    assert await sockets[0].receive_output(timeout=2) == {"type": "websocket.close", "code": 4429}
    for socket in sockets[1:]:
        assert await socket.receive_nothing(timeout=0.1)
    # The three that are left follow the room.
    await db(post)(workshop, text="still live")
    for socket in sockets[1:]:
        (frame,) = await frames(socket, 1)
        assert "still live" in frame
        await socket.disconnect()
    # Another session is not counted with this one.
    _, other = await db(phone_session)(workshop)
    socket, connected, _ = await connect(workshop.code, session_key=other)
    assert connected and await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_a_socket_that_sends_too_fast_is_told_once_and_the_rest_is_dropped(settings):
    settings.LABBET_SOCKET_MESSAGES = (5, 60)
    workshop, key = await room()
    socket, _, _ = await connect(workshop.code, session_key=key)
    for _ in range(20):
        await socket.send_to(text_data=resume(0))
    (answer,) = await frames(socket, 1)
    assert 'id="socket-error"' in answer and "sending too fast" in answer
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_socket_that_goes_on_flooding_after_it_was_told_is_closed(settings):
    settings.LABBET_SOCKET_MESSAGES = (5, 60)
    settings.LABBET_SOCKET_DROPS = (10, 60)
    workshop, key = await room()
    socket, _, _ = await connect(workshop.code, session_key=key)
    for _ in range(30):
        await socket.send_to(text_data=resume(0))
    (answer,) = await frames(socket, 1)
    assert "sending too fast" in answer
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4429}


async def test_resume_replays_only_what_this_socket_sent_and_a_wall_at_most_every_few_seconds(
    settings,
):
    settings.LABBET_REPLAY_LIMIT = 3
    workshop, key = await room()
    for n in range(10):
        await db(post)(workshop, text=f"post {n}")
    socket, _, _ = await connect(workshop.code, session_key=key)
    # Nothing was missed: a resume from the socket's own cursor, or beyond it, costs nothing.
    await socket.send_to(text_data=resume(10))
    await socket.send_to(text_data=resume(99))
    assert await socket.receive_nothing(timeout=0.3)
    # A small gap is replayed frame by frame, as before.
    await socket.send_to(text_data=resume(8))
    replayed = await frames(socket, 2)
    assert [int(FRAME_CURSOR.match(f).group(1)) for f in replayed] == [9, 10]
    # Asked again at once, past the socket's replay budget (3 frames per 10 s): nothing.
    await socket.send_to(text_data=resume(8))
    assert await socket.receive_nothing(timeout=0.3)
    # A gap too large to replay gets one fresh wall, then no more for a while.
    for _ in range(5):
        await socket.send_to(text_data=resume(0))
    (wall,) = await frames(socket, 1)
    assert wall.startswith("<!--c:10 r-->")
    assert await socket.receive_nothing(timeout=0.3)
    # Live frames still arrive.
    await db(post)(workshop, text="after")
    (frame,) = await frames(socket, 1)
    assert "after" in frame
    await socket.disconnect()


async def test_a_session_that_reconnects_in_a_loop_is_refused_past_its_rate(settings):
    from django.core.cache import cache

    cache.clear()
    settings.LABBET_RATE_LIMITS = {"socket_open": (3, 60)}
    workshop, key = await room()
    for _ in range(3):
        socket, connected, _ = await connect(workshop.code, session_key=key, cursor=0)
        assert connected
        await socket.disconnect()
    _, connected, close = await connect(workshop.code, session_key=key, cursor=0)
    assert (connected, close) == (False, 4429)
    # Another phone is not held back by it.
    _, other = await db(phone_session)(workshop)
    socket, connected, _ = await connect(workshop.code, session_key=other)
    assert connected
    await socket.disconnect()
    cache.clear()
