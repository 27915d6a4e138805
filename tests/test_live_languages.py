"""Each screen in its own language, through the real ASGI application: a live event is
rendered once per view and language read in the room (only the workshop's own when nobody
reads another), each socket gets its language's frame, and a replay comes in it too."""

import pytest
from django.core.cache import cache

from live.events import FRAME_CURSOR
from live.models import LiveEvent
from tests.factories import make_user, make_workshop, post
from tests.live import connect, db, frames, phone_session, user_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def _nobody_present():
    # Which languages the room reads is kept in the cache; ids repeat between tests.
    cache.clear()
    yield
    cache.clear()


def cursor_of(frame: str) -> int:
    return int(FRAME_CURSOR.match(frame).group(1))


async def swedish_room():
    user = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=user, language="sv")
    return workshop, user


async def last_event(workshop) -> LiveEvent:
    return await LiveEvent.objects.filter(workshop=workshop).order_by("seq").alast()


async def test_a_room_that_reads_only_the_workshops_language_renders_each_view_once():
    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    phone, connected, _ = await connect(workshop.code, session_key=key, lang="sv")
    assert connected
    await db(post)(workshop, text="Pilotprojekt med medborgare")
    (frame,) = await frames(phone, 1)
    assert "Förslag" in frame and 'lang="sv"' in frame
    assert set((await last_event(workshop)).fragments) == {"phone", "projector", "console"}
    await phone.disconnect()


async def test_english_and_swedish_phones_in_a_swedish_workshop_each_get_their_language():
    workshop, user = await swedish_room()
    _, english_key = await db(phone_session)(workshop)
    _, swedish_key = await db(phone_session)(workshop)
    english, ok1, _ = await connect(workshop.code, session_key=english_key, lang="en")
    swedish, ok2, _ = await connect(workshop.code, session_key=swedish_key, lang="sv")
    labber_key = await db(user_session)(user)
    console, ok3, _ = await connect(
        workshop.code, view="console", session_key=labber_key, lang="en"
    )
    assert ok1 and ok2 and ok3
    contribution = await db(post)(workshop, text="Pilotprojekt med medborgare")
    (in_english,) = await frames(english, 1)
    (in_swedish,) = await frames(swedish, 1)
    (on_console,) = await frames(console, 1)
    assert cursor_of(in_english) == cursor_of(in_swedish) == cursor_of(on_console) == 1
    for frame in (in_english, on_console):
        assert f'id="c-{contribution.pk}" lang="en"' in frame and "</span> Suggestion" in frame
        # The post itself stays in the workshop's language for screen readers.
        assert 'lang="sv">Pilotprojekt med medborgare<' in frame
    assert f'id="c-{contribution.pk}" lang="sv"' in in_swedish and "Förslag" in in_swedish
    # Rendered once per view and language present: no English projector, none rendered.
    assert set((await last_event(workshop)).fragments) == {
        "phone",
        "projector",
        "console",
        "phone.en",
        "console.en",
    }
    for communicator in (english, swedish, console):
        await communicator.disconnect()


async def test_an_english_phone_in_a_crowded_room_gets_each_event_in_english_at_once():
    """A thousand phones fill the cache with their rate counters and the room's renders: the
    room still knows someone reads English, so the event is rendered in English and reaches
    the English phone as it happens (not Swedish, not seconds later from a resync)."""
    from django.core.cache import caches

    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    english, connected, _ = await connect(workshop.code, session_key=key, lang="en")
    assert connected

    def crowd() -> None:  # as the limits' counters (labbet/limits.py) and phone_room do
        for i in range(3000):
            cache.set(f"labbet:limit:join:phone-{i}:1", 1, 60)
            caches["rooms"].set(f"room:{workshop.pk}.1:{i}:phone:sv", {"wall": "x" * 100}, 30)

    await db(crowd)()
    contribution = await db(post)(workshop, text="Pilotprojekt med medborgare")
    (frame,) = await frames(english, 1)
    assert f'id="c-{contribution.pk}" lang="en"' in frame and "</span> Suggestion" in frame
    assert "phone.en" in (await last_event(workshop)).fragments
    await english.disconnect()


async def test_a_replay_after_a_reconnect_is_in_the_sockets_language():
    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    phone, _, _ = await connect(workshop.code, session_key=key, lang="en")
    await db(post)(workshop, text="first")
    await frames(phone, 1)
    await phone.disconnect()
    await db(post)(workshop, text="second")
    await db(post)(workshop, text="third")
    phone, _, _ = await connect(workshop.code, session_key=key, lang="en", cursor=1)
    replayed = await frames(phone, 2)
    assert [cursor_of(f) for f in replayed] == [2, 3]
    assert all("</span> Suggestion" in f and "Förslag" not in f for f in replayed)
    await phone.disconnect()


async def test_events_nobody_read_in_english_replay_as_a_fresh_english_wall():
    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    await db(post)(workshop, text="first")
    await db(post)(workshop, text="second")
    assert set((await last_event(workshop)).fragments) == {"phone", "projector", "console"}
    phone, _, _ = await connect(workshop.code, session_key=key, lang="en", cursor=0)
    (frame,) = await frames(phone, 1)
    assert frame.startswith("<!--c:2 r-->")
    assert 'id="wall" lang="en"' in frame and "first" in frame and "second" in frame
    assert "Förslag" not in frame
    await phone.disconnect()


async def test_a_socket_without_a_language_follows_its_persons_choice_then_the_workshop():
    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    phone, _, _ = await connect(workshop.code, session_key=key, lang="xx")
    await db(post)(workshop, text="first")
    (frame,) = await frames(phone, 1)
    assert "Förslag" in frame
    await phone.disconnect()


async def test_an_event_rendered_before_the_room_read_english_reaches_an_english_phone_in_english():
    """A publish and an English phone's join a moment apart: the event has no English frame.
    The phone's group notices the gap when the next event arrives and gets a fresh wall in
    English, never the Swedish card."""
    from live.events import live_group, mark_present

    workshop, _ = await swedish_room()
    _, key = await db(phone_session)(workshop)
    english, connected, _ = await connect(workshop.code, session_key=key, lang="en")
    assert connected
    await db(cache.clear)()  # the publish does not see the join yet
    await db(post)(workshop, text="Pilotprojekt med medborgare")
    assert "phone.en" not in (await last_event(workshop)).fragments
    await db(mark_present)([live_group(workshop.pk, "phone", "en")])
    await db(post)(workshop, text="Ett öppet datalabb")
    (frame,) = await frames(english, 1)
    assert frame.startswith("<!--c:2 r-->")
    assert 'id="wall" lang="en"' in frame and "</span> Suggestion" in frame
    assert "Pilotprojekt med medborgare" in frame and "Ett öppet datalabb" in frame
    assert "Förslag" not in frame
    assert await english.receive_nothing(timeout=0.5)
    await english.disconnect()
