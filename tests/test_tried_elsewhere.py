"""What others already tried: a receiver claiming a suggestion, and a reader of the archive,
see the most similar suggestions of earlier published workshops, with their receivers,
statuses and latest follow-ups; never a hidden, pending or unpublished one."""

import datetime

import pytest
from django.urls import reverse

from insights.actions.posts import set_status
from insights.models import Claim, Contribution
from insights.tried import tried_elsewhere
from tests.factories import enter_by_invite, make_receiver, make_workshop, post
from tests.test_archive import archive, finished
from tests.test_claims import claim
from tests.test_report import claim as claimed

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2019():
    """The first workshop: closed, its report published, Skurup took a suggestion forward."""
    workshop = make_workshop(language="sv")
    workshop.date, workshop.event = datetime.date(2019, 7, 2), "Almedalen"
    pilots = post(workshop, text="Gemensam innovationsfond för flera kommuner")
    claimed(
        pilots,
        make_receiver(workshop, organisation="Skurups kommun"),
        Claim.Status.IN_PROGRESS,
        news=[("Två kommuner har skrivit på avsiktsförklaringen", Claim.Status.IN_PROGRESS)],
    )
    secret = post(workshop, text="Gemensam innovationsfond för flera kommuner i regionen")
    set_status(secret, Contribution.Status.HIDDEN, None)
    post(workshop, text="Fler cykelbanor i centrum")
    return finished(workshop)


@pytest.fixture
def this_year():
    return make_workshop(language="sv")


def test_receiver_claiming_sees_what_an_earlier_workshop_tried(client, year_2019, this_year):
    fund = post(this_year, text="En innovationsfond som flera kommuner delar på")
    enter_by_invite(client, make_receiver(this_year, "Vinnova"))
    html = claim(client, this_year, fund).content.decode()
    assert "Du tar det här vidare." in html
    assert "Gemensam innovationsfond för flera kommuner" in html
    assert "Skurups kommun prövade något liknande 2019 — Pågår" in html
    assert "Två kommuner har skrivit på avsiktsförklaringen" in html
    assert "i regionen" not in html  # the hidden card never appears
    assert "Fler cykelbanor" not in html  # nor an unrelated one
    page = client.get(reverse("insights:handover", args=[this_year.code])).content.decode()
    assert "Skurups kommun prövade något liknande 2019" in page


def test_a_hidden_pending_or_unpublished_post_is_never_offered(year_2019, this_year):
    hidden = Contribution.objects.get(text__endswith="i regionen")
    unpublished = make_workshop(language="sv")
    post(unpublished, text="Gemensam innovationsfond för flera kommuner i länet")
    finished(unpublished, public=False)
    fund = post(this_year, text="Gemensam innovationsfond för flera kommuner i regionen")
    (found,) = tried_elsewhere([fund])[fund.pk]
    assert found["suggestion"].text == "Gemensam innovationsfond för flera kommuner"
    assert found["suggestion"].pk != hidden.pk


def test_another_language_workshop_is_not_searched(year_2019):
    english = make_workshop(language="en")
    fund = post(english, text="Gemensam innovationsfond för flera kommuner")
    assert tried_elsewhere([fund]) == {}


def test_archive_suggestion_shows_what_other_workshops_tried(client, year_2019):
    later = make_workshop(language="sv")
    later.date = datetime.date(2024, 7, 1)
    post(later, text="Innovationsfond som flera kommuner delar på")
    finished(later)
    html = archive(client, q="delar")
    assert "What others already tried" in html
    assert "Skurups kommun tried something similar in 2019" in html
    assert "i regionen" not in html
