"""Abuse limits (labbet/limits.py): one phone posts at most so fast, over HTTP and over the
socket alike; dots too; an address brings in only so many new phones; and unknown join codes
are throttled per address, each refusal a clear message on the phone."""

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from insights.actions.votes import open_voting
from insights.errors import ActionRefused
from insights.models import Contribution, Vote
from labbet.addresses import client_address
from tests.factories import make_audience, make_user, make_workshop, next_code, post
from tests.live import connect, db, frames, phone_session, send_post
from workshops.models import Participant, Workshop

HTMX = {"HTTP_HX_REQUEST": "true"}
# Every window starts on the hour: a test never straddles two windows.
START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
POSTING_FAST = "You are posting very fast"
DOTS_FAST = "You are moving dots very fast"


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    with time_machine.travel(START, tick=True):
        yield
    cache.clear()


def phone(workshop, address: str = "10.0.0.1") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    client.get(reverse("workshops:join", args=[workshop.code]))
    return client


def post_over_http(client, workshop, n: int):
    return client.post(
        reverse("insights:post", args=[workshop.code]),
        {"kind": "insight", "text": f"Thought {n}", "client_key": f"k{n}"},
        **HTMX,
    )


# --- Posting ---


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"post": (5, 30)})
def test_a_phone_posts_five_times_in_half_a_minute_then_is_asked_to_wait():
    workshop = make_workshop()
    client = phone(workshop)
    for n in range(5):
        response = post_over_http(client, workshop, n)
        assert "on the wall" in response.content.decode(), n
    refused = post_over_http(client, workshop, 5)
    html = refused.content.decode()
    assert POSTING_FAST in html and 'role="alert"' in html
    assert "Thought 5" in html  # the text stays in the form
    assert Contribution.objects.count() == 5

    # Another phone in the room is not affected, and the first one may post again later.
    assert "on the wall" in post_over_http(phone(workshop), workshop, 6).content.decode()
    with time_machine.travel(START.replace(second=31), tick=False):
        assert "on the wall" in post_over_http(client, workshop, 7).content.decode()


@override_settings(LABBET_RATE_LIMITS={"post": (3, 30)})
def test_a_flooder_stays_counted_in_a_room_of_thousands_and_their_renders():
    """Every phone that posts has a counter in the cache, and the room's renders are cached
    too; neither may push out the counter of a phone that already used up its posts (the
    embedded cache drops its least recently used entries when full)."""
    from django.core.cache import caches

    from labbet import limits

    for _ in range(3):
        assert limits.hit("post", "flooder")
    assert limits.over("post", "flooder")
    for i in range(3000):  # a hall's phones post once each, and the wall moves on
        limits.hit("post", f"phone-{i}")
        caches["rooms"].set(f"room:1.1:{i}:phone:sv", {"wall": "x" * 100}, 30)
    assert limits.over("post", "flooder")
    assert not limits.hit("post", "flooder")


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"post": (2, 30)})
def test_a_resend_of_a_saved_post_is_not_counted_and_labbers_are_not_limited():
    workshop = make_workshop(labber_user=make_user("lena"))
    author = make_audience(workshop)
    post(workshop, author, client_key="a")
    post(workshop, author, client_key="b")
    assert post(workshop, author, client_key="b").text == "Pilots with citizens"  # a resend
    with pytest.raises(ActionRefused) as refusal:
        post(workshop, author, client_key="c")
    assert refusal.value.code == "limited"
    labber = workshop.participants.get(role=Participant.Role.LABBER)
    for n in range(4):
        post(workshop, labber, client_key=f"l{n}")
    assert Contribution.objects.filter(author=labber).count() == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_socket_path_meets_the_same_limit():
    with override_settings(LABBET_RATE_LIMITS={"post": (3, 30)}):
        workshop = await db(make_workshop)()
        participant, key = await db(phone_session)(workshop)
        for n in range(2):
            await db(post)(workshop, participant, client_key=f"http-{n}")
        communicator, connected, _ = await connect(workshop.code, session_key=key)
        assert connected
        await send_post(communicator, kind="insight", text="Third", client_key="ws-1")
        received = await frames(communicator, 2)
        assert any("on the wall" in f for f in received if 'id="post-form"' in f)
        await send_post(communicator, kind="insight", text="Fourth", client_key="ws-2")
        (answer,) = await frames(communicator, 1)
        assert POSTING_FAST in answer and "Fourth" in answer
        assert await db(Contribution.objects.filter(author=participant).count)() == 3
        await communicator.disconnect()


# --- Voting ---


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"vote": (3, 30)})
def test_dots_moved_too_fast_are_refused_with_a_message():
    workshop = make_workshop(labber_user=make_user("lena"))
    suggestion = post(workshop, text="Pilots")
    client = phone(workshop)
    open_voting(workshop, None, dots_per_person=10, dots_per_suggestion=10)
    url = reverse("insights:vote", args=[workshop.code])
    for op in ("add", "remove", "add"):
        response = client.post(url, {"contribution": suggestion.pk, "op": op}, **HTMX)
        assert response.status_code == 200, op
    refused = client.post(url, {"contribution": suggestion.pk, "op": "add"}, **HTMX)
    assert refused.status_code >= 400
    assert DOTS_FAST in refused.content.decode()
    assert Vote.objects.get().dots == 1


# --- Joining and join codes ---


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"join": (3, 60)})
def test_an_address_brings_in_only_so_many_new_phones_a_minute():
    workshop = make_workshop()
    joined = [phone(workshop, "10.0.0.7") for _ in range(3)]
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).count() == 3
    late = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.7")
    response = late.get(f"/j/{workshop.code}/")
    assert response.status_code == 429
    assert "Very many phones have just joined from this network" in response.content.decode()
    # Nor can a new phone slip in by posting straight away.
    late.get("/")
    assert late.post(f"/j/{workshop.code}/post/", {"text": "x"}).status_code == 429
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).count() == 3
    # Phones already in keep their page; another address is not affected.
    assert joined[0].get(f"/j/{workshop.code}/").status_code == 200
    assert phone(workshop, "10.0.0.8") is not None
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).count() == 4


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"code_guess": (3, 300)})
def test_guessing_join_codes_is_throttled_per_address_with_a_clear_message():
    workshop = make_workshop()
    closed = make_workshop(status=Workshop.Status.CLOSED)
    guesser = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.9")
    # A report that is not public is a 404 too, but for a code that exists: not a guess.
    for _ in range(3):
        assert guesser.get(f"/w/{workshop.code}/report/").status_code == 404
    for guess in ("QQQQQ2", "QQQQQ3"):
        assert guesser.get("/", {"code": guess}).status_code == 404
    assert guesser.get("/j/QQQQQ4/").status_code == 404
    # Past the limit an unknown code and a closed workshop's code get the same refusal ...
    for code in ("QQQQQ5", closed.code):
        response = guesser.get(f"/j/{code}/")
        assert response.status_code == 429
        assert "Too many unknown codes were tried from this network" in response.content.decode()
    assert guesser.get(f"/w/{closed.code}/follow-up/").status_code == 429
    # ... while the right code of an open workshop always works, typed or from the QR code.
    assert guesser.get("/", {"code": workshop.code}).status_code in (200, 302)
    assert guesser.get(f"/j/{workshop.code}/").status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.9").get(f"/j/{workshop.code}/").status_code == 200
    # A signed-in labber at the same address is not locked out; another address is not either.
    labber = Client(REMOTE_ADDR="10.0.0.9")
    labber.force_login(make_user("lena", staff=True))
    assert labber.get(f"/w/{closed.code}/console/").status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.10").get("/j/QQQQQ6/").status_code == 404
    # After the window, the address may try again.
    with time_machine.travel(START.replace(minute=5, second=1), tick=False):
        assert guesser.get("/j/QQQQQ7/").status_code == 404


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"code_guess": (100, 300), "code_guess_session": (3, 300)})
def test_a_browser_that_guesses_is_counted_on_its_own_before_its_network():
    workshop = make_workshop()
    guesser = phone(workshop, "10.0.0.12")  # has a session: it joined one workshop
    for n in range(3):
        assert guesser.get(f"/j/QQQQQ{n + 2}/").status_code == 404
    assert guesser.get("/j/QQQQQ5/").status_code == 429
    # Its own workshop, and the right code of any open one, still work; its neighbours too.
    assert guesser.get(f"/j/{workshop.code}/").status_code == 200
    assert guesser.get(f"/j/{make_workshop().code}/").status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.12").get("/j/QQQQQ6/").status_code == 404


@pytest.mark.django_db
def test_a_thousand_phones_join_from_one_address_in_a_minute_after_fifty_wrong_codes():
    """Issue 18, finding 1, with the default limits (labbet/settings.py)."""
    import labbet.settings as defaults

    workshop = make_workshop()
    with override_settings(LABBET_RATE_LIMITS=defaults.LABBET_RATE_LIMITS):
        for n in range(50):
            typo = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.20")
            assert typo.get(f"/j/{next_code()}/").status_code in (404, 429), n
        admitted = 0
        started = time.monotonic()
        with time_machine.travel(START.replace(second=10), tick=False):
            for n in range(1000):
                latecomer = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.20")
                url = f"/j/{workshop.code}/" if n % 2 else f"/?code={workshop.code.lower()}"
                response = latecomer.get(url, follow=True)
                admitted += response.status_code == 200 and "post-form" in response.content.decode()
        elapsed = time.monotonic() - started
    assert admitted == 1000
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).count() == 1000
    print(f"1,000 phones from one address after 50 wrong codes: admitted in {elapsed:.1f} s")


@pytest.mark.django_db
@override_settings(LABBET_RATE_LIMITS={"code_guess": (1, 300)})
def test_the_throttle_page_follows_the_phone_language():
    Client(REMOTE_ADDR="10.0.0.11").get("/j/QQQQQ5/")
    response = Client(HTTP_ACCEPT_LANGUAGE="sv", REMOTE_ADDR="10.0.0.11").get("/j/QQQQQ6/")
    assert response.status_code == 429
    assert 'lang="sv"' in response.content.decode()


def test_the_client_address_is_remote_addr_unless_a_trusted_proxy_forwards_it(rf):
    request = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.5")
    with override_settings(TRUSTED_PROXY=False):
        assert client_address(request) == "10.1.1.1"
    with override_settings(TRUSTED_PROXY=True):
        assert client_address(request) == "192.0.2.5"
    with override_settings(TRUSTED_PROXY=True):
        assert client_address(rf.get("/", REMOTE_ADDR="10.1.1.1")) == "10.1.1.1"


def test_rates_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from labbet.settings import _env_rate

    monkeypatch.setenv("LABBET_RATE_JOIN", "1000/60")
    assert _env_rate("LABBET_RATE_JOIN", (600, 60)) == (1000, 60)
    monkeypatch.setenv("LABBET_RATE_JOIN", "off")
    assert _env_rate("LABBET_RATE_JOIN", (600, 60)) is None
    monkeypatch.delenv("LABBET_RATE_JOIN")
    assert _env_rate("LABBET_RATE_JOIN", (600, 60)) == (600, 60)
    monkeypatch.setenv("LABBET_RATE_JOIN", "lots")
    with pytest.raises(ImproperlyConfigured, match="LABBET_RATE_JOIN"):
        _env_rate("LABBET_RATE_JOIN", (600, 60))
