"""Voting and claims over the workshop socket, through the real ASGI application: what each
view receives when voting opens, a dot is spent, or a receiver takes a suggestion forward."""

import pytest

from insights.actions.claims import claim_suggestion
from insights.actions.votes import add_dot, open_voting
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from tests.live import connect, db, frames, phone_session, user_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def setup_room():
    user = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=user)
    suggestion = await db(post)(workshop, text="Open data for every municipality")
    _, phone_key = await db(phone_session)(workshop)
    console_key = await db(user_session)(user)
    phone, _, _ = await connect(workshop.code, session_key=phone_key)
    projector, _, _ = await connect(workshop.code, view="projector", key=workshop.projector_token)
    console, _, _ = await connect(workshop.code, view="console", session_key=console_key)
    return workshop, suggestion, (phone, projector, console)


async def close(screens):
    for screen in screens:
        assert await screen.receive_nothing(timeout=0.1)
        await screen.disconnect()


async def test_opening_voting_sends_phones_a_loader_and_the_projector_the_ranking():
    workshop, suggestion, (phone, projector, console) = await setup_room()
    await db(open_voting)(workshop, None)
    (phone_frame,) = await frames(phone, 1)
    (projector_frame,) = await frames(projector, 1)
    (console_frame,) = await frames(console, 1)
    # One render for every phone: the panel fetches that phone's own dots when it lands.
    assert f'hx-get="/j/{workshop.code}/vote/" hx-trigger="load"' in phone_frame
    assert 'id="projector-live"' in projector_frame and 'id="ranking"' in projector_frame
    assert suggestion.text in projector_frame
    assert 'id="vote-controls"' in console_frame and "Voting is open" in console_frame
    await close((phone, projector, console))


async def test_a_dot_moves_the_projectors_ranking_live():
    workshop, suggestion, screens = await setup_room()
    phone, projector, console = screens
    voter = await db(make_audience)(workshop)
    await db(open_voting)(workshop, None)
    await frames(phone, 1), await frames(projector, 1), await frames(console, 1)
    await db(add_dot)(workshop, voter, suggestion.pk)
    (projector_frame,) = await frames(projector, 1)
    assert 'id="ranking"' in projector_frame
    assert '<meter class="vote-bar" min="0" max="1" value="1"' in projector_frame
    (phone_frame,) = await frames(phone, 1)
    assert f'id="votes-{suggestion.pk}"' in phone_frame and "1</strong> dot" in phone_frame
    await frames(console, 1)
    await close(screens)


async def test_a_claim_reaches_every_screen_with_the_receivers_organisation():
    workshop, suggestion, screens = await setup_room()
    receiver = await db(make_receiver)(workshop, "Skurups kommun")
    await db(claim_suggestion)(suggestion, receiver, "Our private plan")
    for screen in screens:
        (frame,) = await frames(screen, 1)
        assert f'<ul id="claims-{suggestion.pk}"' in frame and "Skurups kommun" in frame
        assert "Our private plan" not in frame
    await close(screens)


async def test_a_receivers_page_follows_the_room_on_the_phone_socket():
    workshop, suggestion, screens = await setup_room()
    receiver = await db(make_receiver)(workshop, "Telia")
    _, key = await db(phone_session)(workshop, receiver)
    page, connected, _ = await connect(workshop.code, session_key=key)
    assert connected
    await db(claim_suggestion)(suggestion, receiver)
    (frame,) = await frames(page, 1)
    assert "Telia" in frame
    for screen in screens:
        await frames(screen, 1)
    await close((*screens, page))
