"""Probable duplicates: phones post the same idea in other words; the console groups them
("similar to 2 others") side by side, and a labber merges them in one move. Nothing merges
without a labber."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from insights.actions.posts import set_status
from insights.duplicates import duplicate_groups
from insights.models import Contribution
from live.models import LiveEvent
from tests.factories import make_user, make_workshop, post
from workshops.models import LogEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
SEED = "Digitala samverkansplattformar där vi kan arbeta gemensamt och dela med oss"
NEAR = [
    "En digital samverkansplattform där vi arbetar gemensamt och delar med oss",
    "Digitala samverkansplattformar så att vi kan arbeta gemensamt",
    "digitala samverkansplattformar, arbeta gemensamt och dela med oss!",
]


@pytest.fixture
def room(client):
    user = make_user("lena")
    workshop = make_workshop(labber_user=user, language="sv")
    client.force_login(user)
    seed = post(workshop, text=SEED)
    post(workshop, text="Fler cykelbanor i centrum")
    return workshop, seed


def test_console_groups_near_duplicates_as_they_arrive(
    client, room, django_capture_on_commit_callbacks
):
    workshop, seed = room
    assert duplicate_groups(workshop) == []
    with django_capture_on_commit_callbacks(execute=True):
        posts = [post(workshop, text=text) for text in NEAR]
    (group,) = duplicate_groups(workshop)
    assert [c.pk for c in group] == [seed.pk, *(p.pk for p in posts)]
    # Each arrival told the consoles, and only the consoles.
    event = LiveEvent.objects.filter(workshop=workshop, kind="similar.changed").last()
    assert 'id="console-similar"' in event.fragments["console"]
    assert "liknar 3 andra" in event.fragments["console"]
    assert event.fragments["phone"] == event.fragments["projector"] == ""
    # The labber's console page in the labber's language (here the browser's English).
    page = client.get(reverse("workshops:console", args=[workshop.code])).content.decode()
    assert "similar to 3 others" in page and "Fler cykelbanor" in page
    assert Contribution.objects.filter(merged_into__isnull=False).count() == 0


def test_labber_merges_a_group_in_one_move(client, room):
    workshop, seed = room
    for text in NEAR:
        post(workshop, text=text)
    page = client.get(reverse("workshops:console", args=[workshop.code])).content.decode()
    # What a browser sends: the group's form, and the name and value of the button pressed.
    form = re.search(r'<form class="similar-group".*?</form>', page, re.S).group(0)
    data = {"selected": re.findall(r'name="selected" value="([^"]+)"', form)}
    assert len(data["selected"]) == 4
    (button,) = re.findall(
        rf'<li class="similar-card" data-similar-card="{seed.pk}">.*?'
        r'<button type="submit" name="keep" value="(\d+)"',
        form,
        re.S,
    )
    data["keep"] = button
    response = client.post(reverse("workshops:console-merge", args=[workshop.code]), data, **HTMX)
    assert response.status_code == 200, response.content
    assert Contribution.objects.filter(merged_into=seed).count() == 3
    assert LogEntry.objects.filter(workshop=workshop, action="merge").count() == 1
    assert duplicate_groups(workshop) == []
    event = LiveEvent.objects.filter(workshop=workshop).last()
    assert event.kind == "contribution.updated"
    assert 'id="console-similar"' in event.fragments["console"]
    assert "liknar" not in event.fragments["console"].split('id="console-similar"')[1]


def test_a_hidden_card_leaves_its_group(room):
    workshop, _seed = room
    twin = post(workshop, text=NEAR[0])
    assert len(duplicate_groups(workshop)) == 1
    set_status(twin, Contribution.Status.HIDDEN, None)
    assert duplicate_groups(workshop) == []


def test_an_english_workshop_reads_english(client):
    workshop = make_workshop(language="en")
    post(workshop, text="Free public transport for young people")
    post(workshop, text="Public transport should be free for young people")
    post(workshop, text="More bike lanes downtown")
    with translation.override("en"):
        (group,) = duplicate_groups(workshop)
    assert len(group) == 2


def test_a_big_group_is_one_form_that_grows_with_its_cards(client, room):
    """A room that posts the same idea forty times: the console's panel stays one form per
    group, each card named once in it, not once per other card, and shows a few to pick from."""
    workshop, _seed = room
    for i in range(40):
        post(workshop, text=f"{NEAR[i % 3]} {i}")
    (group,) = duplicate_groups(workshop)
    assert len(group) == 41
    page = client.get(reverse("workshops:console", args=[workshop.code])).content.decode()
    panel = page.split('id="console-similar"')[1].split("</section>")[0]
    assert panel.count("<form") == 1
    assert panel.count('name="selected"') == 41
    # The first eight posted to pick the one to keep from, and how many more come along.
    keep = re.findall(r'name="keep" value="(\d+)"', panel)
    assert [int(pk) for pk in keep] == [c.pk for c in group[:8]]
    assert "and 33 more like these, merged with the others" in panel


def test_a_stale_group_merges_nothing(client, room):
    """The labber presses Keep on a group whose card changed since the panel was drawn: the
    move is refused with a message, and no card is merged."""
    workshop, seed = room
    twin = post(workshop, text=NEAR[0])
    data = {"keep": seed.pk, "selected": [f"{seed.pk}@old", f"{twin.pk}@old"]}
    response = client.post(reverse("workshops:console-merge", args=[workshop.code]), data, **HTMX)
    assert response.status_code == 409
    assert "Someone else changed this post a moment ago" in response.content.decode()
    assert Contribution.objects.filter(merged_into__isnull=False).count() == 0


def test_a_post_committed_after_a_later_one_is_still_compared(room, settings):
    """Two phones' posts in flight at once (PostgreSQL numbers them as they are inserted,
    they commit in either order): the one with the lower number commits last, after the
    wall's index has read past it. It is still compared, and its group reaches the console."""
    from insights import duplicates

    workshop, seed = room
    index = duplicates._index(workshop)  # the wall as a phone's offer read it
    settings.LABBET_SIMILAR_POSTS = False  # the two rows, saved without their comparison
    twin = post(workshop, text=NEAR[0])
    later = post(workshop, text="Fler laddstolpar för elbilar")
    settings.LABBET_SIMILAR_POSTS = True
    # The next read of the wall came when only the later post had committed.
    index.add_many([(later.pk, later.text)])
    assert twin.pk not in index.texts and index.last_pk == later.pk

    duplicates.after_posts(workshop, [(twin.pk, twin.text)])
    assert [c.pk for c in duplicate_groups(workshop)[0]] == [seed.pk, twin.pk]
    event = LiveEvent.objects.filter(workshop=workshop).last()
    assert event.kind == "similar.changed" and "liknar 1 annan" in event.fragments["console"]
