"""Before a phone posts: a post very close to a card already on the wall is offered that card
("give it a dot instead?") and "Send anyway". Never a block, no typing lost, over the socket
and over HTTP alike."""

import pytest
from django.urls import reverse

from insights.actions.votes import open_voting
from insights.models import Contribution, Vote
from tests.factories import make_workshop, post
from tests.live import connect, db, frames, phone_session, send_post

SEED = "Digitala samverkansplattformar där vi kan arbeta gemensamt och dela med oss"
TWIN = "Digitala samverkansplattformar där vi kan arbeta gemensamt och dela med oss!!"
HTMX = {"HTTP_HX_REQUEST": "true"}


def phone_post(client, workshop, text, **extra):
    data = {"kind": "suggestion", "text": text, "client_key": "k-1", **extra}
    return client.post(reverse("insights:post", args=[workshop.code]), data, **HTMX)


@pytest.fixture
def room(client):
    workshop = make_workshop(language="sv")
    seed = post(workshop, text=SEED)
    client.get(f"/j/{workshop.code}/")  # the phone joins
    return workshop, seed


@pytest.mark.django_db
def test_phone_is_offered_the_similar_card_and_keeps_its_text(client, room):
    workshop, _seed = room
    html = phone_post(client, workshop, TWIN).content.decode()
    assert "Någon har redan skrivit något liknande: ge den en prick i stället?" in html
    assert "Skicka ändå" in html
    assert f">{TWIN}</textarea>" in html  # nothing typed is lost
    assert 'name="anyway" value="1"' in html
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
def test_send_anyway_posts_it(client, room):
    workshop, _seed = room
    phone_post(client, workshop, TWIN)
    html = phone_post(client, workshop, TWIN, anyway="1").content.decode()
    assert "Tack!" in html
    assert Contribution.objects.filter(text=TWIN).count() == 1


@pytest.mark.django_db
def test_give_it_a_dot_instead_when_voting_is_open(client, room):
    workshop, seed = room
    open_voting(workshop, None)
    html = phone_post(client, workshop, TWIN).content.decode()
    assert "Ge den en prick" in html and f'"contribution": "{seed.pk}"' in html
    response = client.post(
        reverse("insights:vote", args=[workshop.code]),
        {"contribution": seed.pk, "op": "add"},
        **HTMX,
    )
    assert response.status_code == 200
    assert Vote.objects.get().contribution == seed
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
def test_a_different_idea_posts_at_once(client, room):
    workshop, _seed = room
    html = phone_post(client, workshop, "Fler cykelbanor i centrum").content.decode()
    assert "liknande" not in html and Contribution.objects.count() == 2


@pytest.mark.django_db
def test_without_javascript_the_offer_comes_on_the_page(client, room):
    workshop, _seed = room
    data = {"kind": "suggestion", "text": TWIN, "client_key": "k-2"}
    response = client.post(reverse("insights:post", args=[workshop.code]), data)
    assert response.status_code == 200
    assert "Skicka ändå" in response.content.decode()


@pytest.mark.django_db
def test_a_failed_check_never_blocks_the_post(client, room, monkeypatch):
    workshop, _seed = room

    def broken(*args, **kwargs):
        raise RuntimeError("index gone")

    monkeypatch.setattr("insights.duplicates._index", broken)
    phone_post(client, workshop, TWIN)
    assert Contribution.objects.filter(text=TWIN).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_offer_comes_over_the_socket_too():
    workshop = await db(make_workshop)(language="sv")
    await db(post)(workshop, text=SEED)
    _, key = await db(phone_session)(workshop)
    phone, _, _ = await connect(workshop.code, session_key=key)
    await send_post(phone, kind="suggestion", text=TWIN, client_key="k-9")
    (ack,) = await frames(phone, 1)
    assert "ge den en prick i stället?" in ack and f">{TWIN}</textarea>" in ack
    await send_post(phone, kind="suggestion", text=TWIN, client_key="k-9", anyway="1")
    # The card, the consoles' new duplicate group (an empty frame for a phone) and the answer,
    # which does not wait for the room's frames to be on their way.
    received = await frames(phone, 3)
    assert [f for f in received if 'data-sent-key="k-9"' in f]
    assert await db(Contribution.objects.filter(text=TWIN).count)() == 1
    await phone.disconnect()
