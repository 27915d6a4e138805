"""The workshop socket, through the real ASGI application: who may connect, what each view
receives, replay after a cursor, and posting over the socket."""

import json

import pytest

from insights.actions.posts import set_status
from insights.models import Contribution
from live.events import FRAME_CURSOR
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from tests.live import connect, db, frames, phone_session, send_post, user_session
from workshops.models import Workshop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def cursor_of(frame: str) -> int:
    return int(FRAME_CURSOR.match(frame).group(1))


async def setup_room(username: str = "lena", **kwargs):
    user = await db(make_user)(username)
    workshop = await db(make_workshop)(labber_user=user, **kwargs)
    _, phone_key = await db(phone_session)(workshop)
    labber_key = await db(user_session)(user)
    return workshop, phone_key, labber_key


async def test_phone_post_reaches_phone_projector_and_console():
    workshop, phone_key, labber_key = await setup_room()
    phone, ok1, _ = await connect(workshop.code, session_key=phone_key)
    projector, ok2, _ = await connect(workshop.code, view="projector", key=workshop.projector_token)
    console, ok3, _ = await connect(workshop.code, view="console", session_key=labber_key)
    assert ok1 and ok2 and ok3
    contribution = await db(post)(workshop, text="Pilots with citizens")
    for communicator in (phone, projector, console):
        (frame,) = await frames(communicator, 1)
        assert cursor_of(frame) == 1
        assert f'id="c-{contribution.pk}"' in frame
        assert "Pilots with citizens" in frame
    for communicator in (phone, projector, console):
        assert await communicator.receive_nothing(timeout=0.1)
        await communicator.disconnect()


async def test_phone_never_receives_a_pending_or_hidden_contribution():
    workshop, phone_key, labber_key = await setup_room(moderation=Workshop.Moderation.PRE)
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    projector, _, _ = await connect(workshop.code, view="projector", key=workshop.projector_token)
    console, _, _ = await connect(workshop.code, view="console", session_key=labber_key)

    pending = await db(post)(workshop, text="A slur waiting for a labber")
    (phone_frame,) = await frames(phone, 1)
    (projector_frame,) = await frames(projector, 1)
    (console_frame,) = await frames(console, 1)
    assert "A slur" not in phone_frame and "A slur" not in projector_frame
    assert cursor_of(phone_frame) == cursor_of(console_frame) == 1
    assert "A slur" in console_frame

    await db(set_status)(pending, Contribution.Status.HIDDEN)
    (phone_frame,) = await frames(phone, 1)
    (console_frame,) = await frames(console, 1)
    assert "A slur" not in phone_frame
    assert 'hx-swap-oob="delete"' in phone_frame
    assert "A slur" in console_frame and "card--hidden" in console_frame
    await frames(projector, 1)

    approved = await db(post)(workshop, text="Fine thought")
    await frames(phone, 1)
    await db(set_status)(approved, Contribution.Status.VISIBLE)
    (phone_frame,) = await frames(phone, 1)
    assert "Fine thought" in phone_frame
    for communicator in (phone, projector, console):
        await communicator.disconnect()


async def test_a_foreign_origin_is_refused():
    workshop, phone_key, _ = await setup_room()
    _, connected, _ = await connect(
        workshop.code, session_key=phone_key, origin="https://evil.example"
    )
    assert not connected


async def test_an_unknown_code_is_refused():
    _, phone_key, _ = await setup_room()
    _, connected, _ = await connect("ZZZZZZ", session_key=phone_key)
    assert not connected


async def test_a_phone_without_a_session_in_this_workshop_is_refused():
    workshop, _, _ = await setup_room()
    _, other_key, _ = await setup_room("olle")
    _, connected, _ = await connect(workshop.code, session_key=other_key)
    assert not connected
    _, connected, _ = await connect(workshop.code)
    assert not connected


async def test_projector_needs_its_secret_link_or_a_labber():
    workshop, phone_key, labber_key = await setup_room()
    _, connected, _ = await connect(workshop.code, view="projector", session_key=phone_key)
    assert not connected
    _, connected, _ = await connect(workshop.code, view="projector", key="wrong")
    assert not connected
    communicator, connected, _ = await connect(
        workshop.code, view="projector", session_key=labber_key
    )
    assert connected
    await communicator.disconnect()


async def test_audience_cannot_open_the_console_socket():
    workshop, phone_key, _ = await setup_room()
    _, connected, _ = await connect(workshop.code, view="console", session_key=phone_key)
    assert not connected


async def test_replay_after_a_cursor_returns_exactly_the_missed_events():
    workshop, phone_key, _ = await setup_room()
    texts = ["first", "second", "third", "fourth"]
    for text in texts:
        await db(post)(workshop, text=text)
    phone, connected, _ = await connect(workshop.code, session_key=phone_key, cursor=1)
    assert connected
    replayed = await frames(phone, 3)
    assert [cursor_of(f) for f in replayed] == [2, 3, 4]
    assert [t for f in replayed for t in texts if f">{t}<" in f] == ["second", "third", "fourth"]
    assert await phone.receive_nothing(timeout=0.2)
    # Live events continue after the replay, without a gap or a repeat.
    await db(post)(workshop, text="fifth")
    (frame,) = await frames(phone, 1)
    assert cursor_of(frame) == 5 and "fifth" in frame
    await phone.disconnect()


async def test_a_large_gap_gets_a_fresh_wall_instead_of_a_replay(settings):
    settings.LABBET_REPLAY_LIMIT = 2
    workshop, phone_key, _ = await setup_room()
    for i in range(5):
        await db(post)(workshop, text=f"post {i}")
    phone, _, _ = await connect(workshop.code, session_key=phone_key, cursor=0)
    (frame,) = await frames(phone, 1)
    assert frame.startswith("<!--c:5 r-->")
    assert 'id="wall"' in frame and all(f"post {i}" in frame for i in range(5))
    await phone.disconnect()


async def test_resume_request_replays_from_the_clients_cursor():
    workshop, phone_key, _ = await setup_room()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    await db(post)(workshop, text="one")
    await db(post)(workshop, text="two")
    await frames(phone, 2)
    await phone.send_to(text_data=json.dumps({"action": "resume", "cursor": 0}))
    again = await frames(phone, 2)
    assert [cursor_of(f) for f in again] == [1, 2]
    await phone.disconnect()


async def test_post_over_the_socket_is_acknowledged_and_broadcast():
    workshop, phone_key, _ = await setup_room()
    _, other_key = await db(phone_session)(workshop)
    poster, _, _ = await connect(workshop.code, session_key=phone_key)
    other, _, _ = await connect(workshop.code, session_key=other_key)
    await send_post(poster, kind="suggestion", text="Pilots with citizens", client_key="k-1")
    received = await frames(poster, 2)
    ack = next(f for f in received if 'id="post-form"' in f)
    card = next(f for f in received if f.startswith("<!--c:"))
    assert 'data-sent-key="k-1"' in ack and "on the wall" in ack
    assert "Pilots with citizens" in card
    (seen,) = await frames(other, 1)
    assert "Pilots with citizens" in seen
    saved = await db(lambda: list(Contribution.objects.values_list("text", "kind")))()
    assert saved == [("Pilots with citizens", "suggestion")]
    await poster.disconnect()
    await other.disconnect()


async def test_a_resend_after_a_lost_acknowledgement_saves_once():
    workshop, phone_key, _ = await setup_room()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    for _ in range(3):
        await send_post(phone, kind="insight", text="Say it once", client_key="same-key")
    received = await frames(phone, 4)
    acks = [f for f in received if 'data-sent-key="same-key"' in f]
    assert len(acks) == 3
    assert len([f for f in received if f.startswith("<!--c:")]) == 1
    assert await db(Contribution.objects.count)() == 1
    await phone.disconnect()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "insight", "text": ""}, "the field is empty"),
        ({"kind": "insight", "text": "   \n\t "}, "the field is empty"),
        ({"kind": "insight", "text": "x" * 401}, "keep it to 400 characters"),
        ({"kind": "opinion", "text": "hello"}, "Choose insight or suggestion"),
    ],
)
async def test_bad_posts_over_the_socket_get_a_clear_message_and_save_nothing(fields, message):
    workshop, phone_key, _ = await setup_room()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    await send_post(phone, client_key="k", **fields)
    (ack,) = await frames(phone, 1)
    assert message in ack
    assert 'role="alert"' in ack
    assert await db(Contribution.objects.count)() == 0
    await phone.disconnect()


async def test_an_obstacle_of_another_workshop_is_refused_over_the_socket():
    workshop, phone_key, _ = await setup_room()
    other = await db(make_workshop)()
    foreign = await db(lambda: other.challenges.get().obstacles.first().pk)()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    await send_post(phone, kind="insight", text="hi", obstacle=str(foreign), client_key="k")
    (ack,) = await frames(phone, 1)
    assert "not part of this workshop" in ack
    assert await db(Contribution.objects.count)() == 0
    await phone.disconnect()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"posting_open": False}, "Posting is paused"),
        ({"status": Workshop.Status.CLOSED}, "has closed"),
    ],
)
async def test_posting_to_a_locked_or_closed_workshop_is_refused(change, message):
    workshop, phone_key, _ = await setup_room()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    await db(lambda: Workshop.objects.filter(pk=workshop.pk).update(**change))()
    await send_post(phone, kind="insight", text="Too late?", client_key="k")
    (ack,) = await frames(phone, 1)
    assert message in ack
    assert await db(Contribution.objects.count)() == 0
    await phone.disconnect()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "could not be read"),
        ("[1, 2, 3]", "could not be read"),
        ("[" * 5000 + "]" * 5000, "could not be read"),  # nested past Python's recursion limit
        (json.dumps({"action": "post", "text": "x" * 20000}), "too large"),
        (json.dumps({"action": "hide", "id": 1}), "not possible here"),
    ],
)
async def test_malformed_or_oversized_frames_get_a_typed_error(payload, message):
    workshop, phone_key, _ = await setup_room()
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    await phone.send_to(text_data=payload)
    (frame,) = await frames(phone, 1)
    assert 'id="socket-error"' in frame and message in frame
    assert await db(Contribution.objects.count)() == 0
    # The socket stays usable afterwards.
    await send_post(phone, kind="insight", text="still here", client_key="k2")
    assert any("still here" in f for f in await frames(phone, 2))
    await phone.disconnect()


async def test_a_muted_participant_is_told_and_nothing_is_saved():
    workshop, _, _ = await setup_room()
    audience = await db(make_audience)(workshop)
    audience.muted = True
    await db(audience.save)()
    _, key = await db(phone_session)(workshop, audience)
    phone, _, _ = await connect(workshop.code, session_key=key)
    await send_post(phone, kind="insight", text="spam", client_key="k")
    (ack,) = await frames(phone, 1)
    assert "paused posting from this phone" in ack
    await phone.disconnect()


async def test_guessing_codes_over_the_socket_meets_the_same_limit_as_on_the_web(settings):
    from django.core.cache import cache

    cache.clear()
    settings.LABBET_RATE_LIMITS = {"code_guess": (3, 300)}
    workshop, phone_key, _ = await setup_room()
    closes = [(await connect(f"ZZZZZ{n}"))[2] for n in range(4)]
    assert closes == [4404, 4404, 4404, 4429]
    # Past the limit a stranger cannot tell a real code from a guess ...
    _, connected, close = await connect(workshop.code)
    assert (connected, close) == (False, 4429)
    # ... while a phone already in the workshop keeps its wall.
    communicator, connected, _ = await connect(workshop.code, session_key=phone_key)
    assert connected
    await communicator.disconnect()
    cache.clear()


# --- Revocation reaches open sockets (issue 18, finding 3). ---


async def test_a_revoked_receivers_open_socket_is_closed_at_once_and_a_new_one_refused():
    from workshops.actions.invites import revoke_invite

    workshop, _, _ = await setup_room()
    receiver = await db(make_receiver)(workshop)
    _, key = await db(phone_session)(workshop, receiver)
    socket, connected, _ = await connect(workshop.code, session_key=key)
    assert connected
    await db(revoke_invite)(receiver)
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    _, connected, close = await connect(workshop.code, session_key=key)
    assert (connected, close) == (False, 4403)
    assert await db(Contribution.objects.filter(author=receiver).count)() == 0


async def test_a_receiver_whose_link_ran_out_cannot_post_over_a_socket_opened_before():
    from datetime import timedelta

    from django.utils import timezone

    workshop, _, _ = await setup_room()
    receiver = await db(make_receiver)(workshop)
    _, key = await db(phone_session)(workshop, receiver)
    socket, connected, _ = await connect(workshop.code, session_key=key)
    assert connected
    receiver.invite_expires_at = timezone.now() - timedelta(minutes=1)
    await db(receiver.save)(update_fields=["invite_expires_at"])
    await send_post(socket, kind="suggestion", text="As Vinnova", client_key="late")
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    assert await db(Contribution.objects.filter(author=receiver).count)() == 0
