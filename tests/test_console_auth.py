"""Only the workshop's labbers steer it: the audience, challengers and receivers get 403 for
every console page and move over HTTP and are refused on the console socket, and a labber
of one workshop cannot act on another."""

import pytest
from django.test import Client

from insights.actions.posts import set_pinned
from insights.models import Contribution
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from tests.live import connect, db, phone_session, user_session
from workshops.access import SESSION_KEY
from workshops.models import LogEntry, Participant, Workshop


def visitor() -> Client:
    """A browser that asks for English pages (the suite reads the English messages)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


PAGES = ["console/", "console/preview/", "console/log/", "setup/", "poster/"]


def moves(workshop: Workshop, contribution: Contribution, entry: LogEntry) -> dict[str, dict]:
    """Every console move (and setup change), with data that would be valid for a labber."""
    c, e = contribution.pk, entry.pk
    challenge = workshop.challenges.get()
    obstacle = challenge.obstacles.first()
    return {
        "console/phase/": {"phase": "insights"},
        "console/prompt/": {"text": "Who?"},
        "console/prompt/clear/": {},
        "console/moderation/": {"moderation": "pre"},
        "console/posting/": {"open": "0"},
        "console/timer/": {"op": "start", "minutes": "3"},
        "console/timer/expire/": {},
        "console/layout/": {"wall_layout": "kind"},
        "console/projector-theme/": {"projector_theme": "dark"},
        "console/spotlight/clear/": {},
        "console/close/": {},
        "console/merge/": {"keep": c, "selected": [str(c)]},
        "console/themes/": {"name": "Trust", "selected": [str(c)]},
        "console/themes/clear/": {"selected": [str(c)]},
        f"console/c/{c}/status/": {"status": "hidden"},
        f"console/c/{c}/edit/": {"text": "changed"},
        f"console/c/{c}/spotlight/": {"on": "1"},
        f"console/c/{c}/pin/": {"on": "1"},
        f"console/c/{c}/mute/": {"on": "1"},
        f"console/log/{e}/undo/": {},
        "duplicate/": {},
        "setup/details/": {"question": "Hijacked?"},
        "setup/challenges/": {"title": "Hijacked"},
        f"setup/challenges/{challenge.pk}/delete/": {},
        f"setup/challenges/{challenge.pk}/obstacles/": {"text": "Hijacked"},
        f"setup/obstacles/{obstacle.pk}/move/": {"step": "1"},
        f"setup/obstacles/{obstacle.pk}/delete/": {},
        "setup/labbers/": {"account": "mallory"},
    }


@pytest.fixture
def room(db):
    lena = make_user("lena")
    workshop = make_workshop(labber_user=lena)
    contribution = post(workshop)
    set_pinned(contribution, True, workshop.participants.get(user=lena))
    return workshop, contribution, LogEntry.objects.get(workshop=workshop)


def session_client(participant: Participant) -> Client:
    """A browser whose session is this participant (as a phone or an invite link makes it)."""
    client = visitor()
    session = client.session
    session[SESSION_KEY] = {str(participant.workshop_id): participant.pk}
    session.save()
    return client


def signed_in(user) -> Client:
    client = visitor()
    client.force_login(user)
    return client


def outsiders(workshop: Workshop) -> dict[str, Client]:
    challenger = workshop.participants.get(role=Participant.Role.CHALLENGER)
    receiver = make_receiver(workshop)
    receiver_user = make_user("receiver-with-account")
    receiver.user = receiver_user
    receiver.save()
    other_labber = make_user("labber-elsewhere")
    make_workshop(labber_user=other_labber)
    return {
        "audience": session_client(make_audience(workshop)),
        "challenger": session_client(challenger),
        "receiver": session_client(receiver),
        "receiver signed in": signed_in(receiver_user),
        "labber of another workshop": signed_in(other_labber),
        "nobody": visitor(),
    }


def unchanged(workshop: Workshop, contribution: Contribution) -> bool:
    workshop.refresh_from_db()
    contribution.refresh_from_db()
    return (
        workshop.phase == "join"
        and workshop.question.startswith("How can we")
        and not workshop.is_closed
        and contribution.is_visible
        and contribution.text == "Pilots with citizens"
        and LogEntry.objects.filter(workshop=workshop).count() == 1
        and Workshop.objects.count() == 2
    )


@pytest.mark.django_db
def test_audience_challenger_and_receiver_get_403_for_every_console_page_and_move(room):
    workshop, contribution, entry = room
    for who, client in outsiders(workshop).items():
        for page in PAGES:
            response = client.get(f"/w/{workshop.code}/{page}")
            assert response.status_code == 403, (who, page)
        for path, data in moves(workshop, contribution, entry).items():
            response = client.post(f"/w/{workshop.code}/{path}", data, HTTP_HX_REQUEST="true")
            assert response.status_code == 403, (who, path)
    assert unchanged(workshop, contribution)


@pytest.mark.django_db
def test_the_403_page_helps_a_labber_sign_in(room):
    workshop, _, _ = room
    response = visitor().get(f"/w/{workshop.code}/console/")
    assert response.status_code == 403
    assert b"Sign in" in response.content


@pytest.mark.django_db
def test_a_labber_cannot_reach_a_post_of_another_workshop(room):
    workshop, _, _ = room
    other = make_workshop()
    foreign = post(other, text="Not yours")
    client = signed_in(workshop.created_by)
    for path, data in [
        (f"console/c/{foreign.pk}/status/", {"status": "hidden"}),
        (f"console/c/{foreign.pk}/edit/", {"text": "mine now"}),
        ("console/merge/", {"keep": foreign.pk, "selected": [str(foreign.pk)]}),
    ]:
        response = client.post(f"/w/{workshop.code}/{path}", data, HTTP_HX_REQUEST="true")
        assert response.status_code == 404, path
    merged_in = client.post(
        f"/w/{workshop.code}/console/merge/",
        {"keep": workshop.contributions.get().pk, "selected": [str(foreign.pk)]},
        HTTP_HX_REQUEST="true",
    )
    assert merged_in.status_code == 409
    foreign.refresh_from_db()
    assert foreign.is_visible and foreign.text == "Not yours"


@pytest.mark.django_db
def test_console_moves_are_post_only(room):
    workshop, contribution, _ = room
    client = signed_in(workshop.created_by)
    assert client.get(f"/w/{workshop.code}/console/c/{contribution.pk}/status/").status_code == 405


# --- The console socket ---


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("role", ["audience", "challenger", "receiver"])
async def test_audience_challenger_and_receiver_are_refused_on_the_console_socket(role):
    lena = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=lena)

    def person():
        if role == "audience":
            return make_audience(workshop)
        if role == "challenger":
            return workshop.participants.get(role=Participant.Role.CHALLENGER)
        return make_receiver(workshop)

    participant = await db(person)()
    _, key = await db(phone_session)(workshop, participant)
    _, connected, code = await connect(workshop.code, view="console", session_key=key)
    assert not connected
    assert code == 4403


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_labber_of_another_workshop_is_refused_on_its_console_socket():
    lena, olle = await db(make_user)("lena"), await db(make_user)("olle")
    workshop = await db(make_workshop)(labber_user=lena)
    await db(make_workshop)(labber_user=olle)
    _, connected, code = await connect(
        workshop.code, view="console", session_key=await db(user_session)(olle)
    )
    assert not connected and code == 4403
    communicator, connected, _ = await connect(
        workshop.code, view="console", session_key=await db(user_session)(lena)
    )
    assert connected
    await communicator.disconnect()
