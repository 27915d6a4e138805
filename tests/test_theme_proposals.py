"""Proposed themes: on the demo workshop, "Propose themes" groups the visible cards without a
theme into a few labelled proposals, seen by labbers only; accepting one goes through the
ordinary theme move, and the projector's wall follows."""

import re
import time

import pytest
from django.urls import reverse

from insights.models import Contribution, Theme
from insights.proposals import propose, proposed_themes
from live.models import LiveEvent
from tests.factories import make_user
from tests.test_report import as_demo_labber, demo_workshop
from workshops.models import Workshop

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def proposals_html(client, workshop) -> str:
    url = reverse("workshops:console-theme-proposals", args=[workshop.code])
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_labber_gets_proposed_themes_for_the_demo_workshop(client):
    workshop = demo_workshop()
    html = proposals_html(as_demo_labber(client), workshop)
    proposals = proposed_themes(workshop)
    assert 2 <= len(proposals) <= 6
    for proposal in proposals:
        assert proposal.label and len(proposal.cards) >= 2
        assert f'value="{proposal.label}"' in html
    # Proposed, not created: nothing changed in the room.
    assert not LiveEvent.objects.filter(workshop=workshop, seq__gt=workshop.live_seq).exists()


def test_accepting_a_proposal_groups_its_cards_and_the_projector_follows(client):
    workshop = demo_workshop()
    Workshop.objects.filter(pk=workshop.pk).update(wall_layout=Workshop.WallLayout.THEME)
    html = proposals_html(as_demo_labber(client), workshop)
    form = re.search(r'<form class="theme-proposal".*?</form>', html, re.S).group(0)
    selected = re.findall(r'name="selected" value="([^"]+)"', form)
    kept, left_out = selected[:-1], selected[-1]  # the labber leaves one card out
    seq = Workshop.objects.get(pk=workshop.pk).live_seq
    response = client.post(
        reverse("workshops:console-themes", args=[workshop.code]),
        {"name": "Dela och samverka", "selected": kept},
        **HTMX,
    )
    assert response.status_code == 200, response.content
    theme = Theme.objects.get(workshop=workshop, name="Dela och samverka")
    assert theme.contributions.count() == len(kept)
    assert Contribution.objects.get(pk=int(left_out.split("@")[0])).theme is None
    (event,) = LiveEvent.objects.filter(workshop=workshop, seq__gt=seq)
    assert "Dela och samverka" in event.fragments["projector"]


def test_proposals_are_for_labbers_only(client):
    workshop = demo_workshop()
    client.force_login(make_user("mallory"))
    url = reverse("workshops:console-theme-proposals", args=[workshop.code])
    assert client.get(url).status_code == 403


def test_a_dropped_proposal_leaves_nothing(client):
    workshop = demo_workshop()
    url = reverse("workshops:console-theme-proposals", args=[workshop.code])
    assert as_demo_labber(client).get(url, {"drop": 1}, **HTMX).content == b""


def test_proposals_for_1000_posts_take_under_two_seconds():
    from bench.similarity import load_pairs

    texts = [t for p in load_pairs() if p.language == "sv" for t in (p.a, p.b)]
    posts = [
        f"{texts[i % len(texts)]} {texts[(i * 7) % len(texts)].split()[0]}" for i in range(1000)
    ]
    start = time.process_time()
    found = propose(posts, "sv")
    assert time.process_time() - start < 2.0
    assert 2 <= len(found) <= 6
