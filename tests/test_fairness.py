"""Fairness without accounts (issue 18, finding 2): one person with many cookies behind one
address is held back by the network's ceilings, gets no dots for cookies made during the vote,
shows up on the console, and a mute reaches the phones of theirs that are known."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from insights.actions.posts import set_muted
from insights.actions.votes import add_dot, open_voting
from insights.errors import ActionRefused
from insights.models import Contribution
from labbet.addresses import network_of
from live.models import LiveEvent
from tests.factories import make_audience, make_user, make_workshop, post
from workshops.actions.room import undo
from workshops.models import LogEntry, Participant

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    with time_machine.travel(START, tick=True):
        yield
    cache.clear()


def fresh_phone_posts(workshop, text: str, address: str = "10.5.5.5") -> bool:
    """A new cookie, joined and posting at once: what one person dropping cookies does."""
    phone = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    phone.get(reverse("workshops:join", args=[workshop.code]))
    response = phone.post(
        reverse("insights:post", args=[workshop.code]),
        # "Send anyway": one person flooding presses past the offer of the twin on the wall.
        {"kind": "insight", "text": text, "client_key": "k", "anyway": "1"},
        **HTMX,
    )
    return "on the wall" in response.content.decode()


def test_one_address_with_fresh_cookies_posts_no_more_than_the_networks_ceiling():
    """With the default limits: 240 posts a minute from one network, whatever its cookies."""
    import labbet.settings as defaults

    ceiling = defaults.LABBET_RATE_LIMITS["post_network"]
    assert ceiling == (240, 60)
    workshop = make_workshop()
    with (
        override_settings(LABBET_RATE_LIMITS=defaults.LABBET_RATE_LIMITS),
        time_machine.travel(START.replace(second=5), tick=False),
    ):
        accepted = sum(fresh_phone_posts(workshop, f"Flood {n}") for n in range(300))
        # Another network in the same hall is not held back by it.
        assert fresh_phone_posts(workshop, "Mine", address="10.5.5.6")
    assert accepted == 240
    assert Contribution.objects.count() == 241
    print(f"one address, 300 fresh cookies posting within a minute: {accepted} accepted")


@override_settings(LABBET_RATE_LIMITS={"vote_network": (5, 60)})
def test_one_networks_dots_meet_its_ceiling_with_a_message():
    workshop = make_workshop()
    suggestion = post(workshop, text="Pilots")
    phones = [make_audience(workshop) for _ in range(3)]
    for phone in phones:
        phone.network = network_of("10.5.5.7")
        phone.save()
    open_voting(workshop, None, dots_per_person=3, dots_per_suggestion=3)
    given = 0
    for phone in phones:
        for _ in range(3):
            try:
                add_dot(workshop, phone, suggestion.pk)
                given += 1
            except ActionRefused as refusal:
                assert "Very many dots are being moved from this network" in refusal.message
    assert given == 5


def test_the_network_is_a_keyed_hash_never_the_address():
    client = Client(REMOTE_ADDR="192.0.2.44")
    workshop = make_workshop()
    client.get(reverse("workshops:join", args=[workshop.code]))
    phone = workshop.participants.get(role=Participant.Role.AUDIENCE)
    assert phone.network == network_of("192.0.2.44") and "192.0.2" not in phone.network
    assert len(phone.network) == 16


@override_settings(LABBET_CROWD_SIGNAL=8)
def test_many_new_phones_from_one_network_posting_the_same_thing_show_on_the_console():
    workshop = make_workshop(labber_user=make_user("lena"))
    for _n in range(7):
        assert fresh_phone_posts(workshop, "Vote for  PLAN B")
    assert not LogEntry.objects.filter(action__startswith="signal:").exists()
    # Phones of other networks saying it too are a hall agreeing, not one person.
    assert fresh_phone_posts(workshop, "vote for plan b", address="10.5.5.99")
    assert not LogEntry.objects.filter(action__startswith="signal:").exists()
    assert fresh_phone_posts(workshop, "vote for plan b")  # the eighth from one network
    entry = LogEntry.objects.get(action="signal:posts")
    assert entry.data["phones"] == 8
    signal = LiveEvent.objects.filter(workshop=workshop, kind="crowd.signal").get()
    console = signal.fragments["console"]
    assert "Watch out: 8 new phones from one network posted" in console
    assert signal.fragments["phone"] == "" and signal.fragments["projector"] == ""
    # Once per minute and thing: the ninth adds no second entry.
    assert fresh_phone_posts(workshop, "Vote for plan B")
    assert LogEntry.objects.filter(action="signal:posts").count() == 1


@override_settings(LABBET_CROWD_SIGNAL=4)
def test_many_new_phones_from_one_network_dotting_one_suggestion_show_on_the_console():
    workshop = make_workshop(labber_user=make_user("lena"))
    suggestion = post(workshop, text="Plan B")
    phones = [make_audience(workshop) for _ in range(4)]
    for phone in phones:
        phone.network = network_of("10.5.5.8")
        phone.save()
    open_voting(workshop, None, dots_per_person=3, dots_per_suggestion=3)
    for phone in phones:
        for _ in range(3):  # it is phones that count, not dots
            add_dot(workshop, phone, suggestion.pk)
    entry = LogEntry.objects.get(action="signal:votes")
    assert entry.data["phones"] == 4 and entry.contribution == suggestion


def test_a_mute_reaches_the_persons_other_phones_where_they_are_known():
    workshop = make_workshop(labber_user=make_user("lena"))
    labber = workshop.participants.get(role=Participant.Role.LABBER)
    first = make_audience(workshop)
    first.session_key, first.email = "s-one", "kim@example.org"
    first.save()
    # The same email on a second cookie; the same browser session on a third; a stranger.
    second = Participant.objects.create(
        workshop=workshop, role=Participant.Role.AUDIENCE, email="KIM@example.org"
    )
    third = Participant.objects.create(
        workshop=workshop, role=Participant.Role.AUDIENCE, session_key="s-one"
    )
    stranger = make_audience(workshop)
    set_muted(first, True, labber)
    muted = set(Participant.objects.filter(muted=True).values_list("pk", flat=True))
    assert muted == {first.pk, second.pk, third.pk}
    assert stranger.pk not in muted
    with pytest.raises(ActionRefused, match="paused posting from this phone"):
        post(workshop, second, text="Again, under another cookie")
    # One undo lets all of them post again.
    entry = LogEntry.objects.get(action="mute")
    undo(workshop, entry.pk, labber)
    assert not Participant.objects.filter(muted=True).exists()


def test_a_labber_mutes_and_hides_one_persons_flood_from_every_phone_of_theirs():
    """Someone floods the wall from two cookies of one browser session: one press on one of
    their cards mutes both phones and takes every post of theirs off the wall; a stranger's
    post stays, and one undo brings it all back."""
    lena = make_user("lena")
    workshop = make_workshop(labber_user=lena)
    first = make_audience(workshop)
    first.session_key = "s-flood"
    first.save()
    second = Participant.objects.create(
        workshop=workshop, role=Participant.Role.AUDIENCE, session_key="s-flood"
    )
    floods = [
        post(workshop, phone, text=f"Köp min produkt nu {n}")
        for n, phone in enumerate([first, second, first, second])
    ]
    stranger_post = post(workshop, make_audience(workshop), text="Dela data mellan kommuner")

    console = Client(HTTP_ACCEPT_LANGUAGE="en")
    console.force_login(lena)
    response = console.post(
        reverse("workshops:console-mute", args=[workshop.code, floods[1].pk]),
        {"on": "1", "hide": "1"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Muted, and 4 posts of theirs hidden" in response.content.decode()
    statuses = dict(Contribution.objects.values_list("pk", "status"))
    assert {statuses[c.pk] for c in floods} == {"hidden"}
    assert statuses[stranger_post.pk] == "visible"
    assert set(Participant.objects.filter(muted=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    # Every screen is told: the wall loses the cards.
    event = LiveEvent.objects.filter(workshop=workshop).order_by("-seq").first()
    assert event.kind == "contribution.updated"
    entry = LogEntry.objects.get(action="mute")
    assert len(entry.data["contributions"]) == 4
    console_page = console.get(reverse("workshops:console", args=[workshop.code])).content
    assert "muted the author of" in console_page.decode()
    assert "hid 4 posts of theirs" in console_page.decode()

    labber = workshop.participants.get(role=Participant.Role.LABBER)
    undo(workshop, entry.pk, labber)
    statuses = dict(Contribution.objects.values_list("pk", "status"))
    assert {statuses[c.pk] for c in floods} == {"visible"}
    assert not Participant.objects.filter(muted=True).exists()


def test_mute_and_hide_of_a_person_already_muted_still_hides_their_posts():
    workshop = make_workshop(labber_user=make_user("lena"))
    labber = workshop.participants.get(role=Participant.Role.LABBER)
    phone = make_audience(workshop)
    card = post(workshop, phone, text="Spam")
    set_muted(phone, True, labber)
    _person, hidden = set_muted(phone, True, labber, hide_posts=True)
    card.refresh_from_db()
    assert hidden == 1 and card.status == "hidden"
