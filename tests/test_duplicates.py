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
    form = re.search(
        rf'<li class="similar-card" data-similar-card="{seed.pk}">.*?</form>', page, re.S
    )
    fields = re.findall(r'name="(keep|v|selected)" value="([^"]+)"', form.group(0))
    data = {"keep": [], "v": [], "selected": []}
    for name, value in fields:
        data[name].append(value)
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
