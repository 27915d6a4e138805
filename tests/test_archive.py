"""/archive/: what others already tried — the suggestions of closed workshops with a public
report, findable by their words, theme, receiver and what became of them."""

import pytest
from django.db import connection

from insights.models import Claim, Contribution, Theme
from tests.factories import make_receiver, make_workshop, post
from tests.test_report import claim, vote
from workshops.models import Workshop

pytestmark = pytest.mark.django_db


def finished(workshop: Workshop, public: bool = True) -> Workshop:
    """The workshop closes; its labbers publish (or keep back) the report."""
    workshop.status = Workshop.Status.CLOSED
    workshop.report_public = public
    workshop.save()
    return workshop


def archive(client, **params) -> str:
    response = client.get("/archive/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def almedalen():
    workshop = make_workshop(language="sv", question="Hur utvecklar vi den smarta staden?")
    pilots = post(workshop, text="Piloter med medborgare")
    data = post(workshop, text="Få alla att inse värdet av att dela data")
    post(workshop, text="Öppna dörrar mellan kommuner")
    post(workshop, text="Fokus på rätt sak, inte rätt sätt")
    post(workshop, text="Vem vågar misslyckas?", kind=Contribution.Kind.INSIGHT)
    claim(
        pilots,
        make_receiver(workshop, organisation="Skurups kommun"),
        Claim.Status.DONE,
        news=[("Tre piloter genomförda", Claim.Status.DONE)],
    )
    claim(data, make_receiver(workshop, organisation="Vinnova"), Claim.Status.IN_PROGRESS)
    theme = Theme.objects.create(workshop=workshop, name="Dela data")
    data.theme = theme
    data.save()
    vote(data, dots=4)
    return finished(workshop)


def test_archive_finds_a_suggestion_by_a_word_of_its_text(client, almedalen):
    html = archive(client, q="medborgare")
    assert "Piloter med medborgare" in html
    assert "Få alla att inse värdet" not in html
    assert "1 suggestion" in html


def test_every_word_must_match_and_part_of_a_word_is_enough(client, almedalen):
    assert "Piloter med medborgare" in archive(client, q="pilot medborg")
    assert "Piloter med medborgare" not in archive(client, q="pilot data")


def test_search_ignores_the_case_of_swedish_letters(client, almedalen):
    assert "Öppna dörrar mellan kommuner" in archive(client, q="öppna")
    assert "Få alla att inse värdet av att dela data" in archive(client, q="VÄRDET")


def test_archive_filters_by_claim_status(client, almedalen):
    done = archive(client, status=Claim.Status.DONE)
    assert "Piloter med medborgare" in done
    assert "Få alla att inse" not in done and "Öppna dörrar" not in done
    unclaimed = archive(client, status="unclaimed")
    assert "Öppna dörrar mellan kommuner" in unclaimed
    assert "Fokus på rätt sak" in unclaimed
    assert "Piloter med medborgare" not in unclaimed


def test_archive_filters_by_theme_and_by_receiver_organisation(client, almedalen):
    themed = archive(client, theme="Dela data")
    assert "Få alla att inse värdet" in themed and "Piloter med medborgare" not in themed
    taken = archive(client, organisation="Skurups kommun")
    assert "Piloter med medborgare" in taken and "Få alla att inse värdet" not in taken
    assert '<option value="Vinnova">Vinnova</option>' in archive(client)


def test_archive_shows_what_became_of_each_suggestion(client, almedalen):
    html = archive(client)
    assert "<strong>Skurups kommun</strong>: Done" in html
    assert "Tre piloter genomförda" in html
    assert "<strong>Vinnova</strong>: In progress" in html
    assert "4 votes" in html
    assert "No receiver has taken it forward yet" in html
    assert f'href="/w/{almedalen.code}/report/"' in html


def test_only_suggestions_of_closed_workshops_with_a_public_report(client, almedalen):
    running = make_workshop(language="sv")
    post(running, text="Fortfarande live")
    private = make_workshop(language="sv")
    post(private, text="Rapporten är inte publicerad")
    finished(private, public=False)
    hidden = Contribution.objects.get(text="Fokus på rätt sak, inte rätt sätt")
    hidden.status = Contribution.Status.HIDDEN
    hidden.save()
    html = archive(client)
    assert "Piloter med medborgare" in html
    for absent in ("Fortfarande live", "Rapporten är inte", "Fokus på rätt sak", "Vem vågar"):
        assert absent not in html


def test_a_search_without_results_helps(client, almedalen):
    html = archive(client, q="blockkedja")
    assert "No suggestion matches “blockkedja”" in html
    assert "Try fewer words" in html
    assert 'href="/archive/"' in html


def test_an_empty_archive_says_how_it_fills(client):
    html = archive(client)
    assert "Nothing in the archive yet" in html
    assert "make its report public" in html


def test_archive_pages_through_many_suggestions(client):
    workshop = make_workshop(language="sv")
    for i in range(25):
        post(workshop, text=f"Förslag nummer {i:02d}")
    finished(workshop)
    first, second = archive(client), archive(client, page=2)
    assert "25 suggestions" in first and "page 1 of 2" in first
    assert "Förslag nummer 00" in first and "Förslag nummer 24" not in first
    assert "Förslag nummer 24" in second and "Förslag nummer 00" not in second
    assert 'href="?page=2"' in first


def test_a_report_link_is_left_out_once_a_new_workshop_reuses_the_code(client, almedalen):
    make_workshop(code=almedalen.code)
    html = archive(client, q="medborgare")
    assert "Piloter med medborgare" in html
    assert f'href="/w/{almedalen.code}/report/"' not in html


@pytest.mark.postgresql
def test_postgresql_full_text_search_finds_other_forms_of_a_word(client, almedalen):
    assert connection.vendor == "postgresql"
    english = make_workshop(language="en")
    post(english, text="Pilots with citizens")
    finished(english)
    # Neither word is in the texts, not even as a part: only stemming finds them.
    assert "Piloter med medborgare" in archive(client, q="piloterna")
    assert "Pilots with citizens" in archive(client, q="piloting")
    # Each text is stemmed in its own workshop's language: Swedish rules miss the English word.
    assert "Piloter med medborgare" not in archive(client, q="piloting")
