"""The workshop report at /w/<CODE>/report/: the seed document, generated — and more."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from insights.actions.posts import set_status
from insights.models import Claim, Contribution, FollowUp, Theme, Vote
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from workshops.models import Workshop

pytestmark = pytest.mark.django_db
SEED = json.loads(
    (
        Path(__file__).resolve().parent.parent / "workshops/seed/almedalen-2019-workshop.json"
    ).read_text(encoding="utf-8")
)


def demo_workshop() -> Workshop:
    call_command("demo", "--with-contributions", stdout=StringIO())
    return Workshop.objects.get(code="STAD26")


def as_demo_labber(client):
    client.force_login(get_user_model().objects.get(username="labbare"))
    return client


def labbers_workshop(client, **kwargs) -> Workshop:
    user = make_user("lena")
    client.force_login(user)
    return make_workshop(labber_user=user, **kwargs)


def claim(suggestion: Contribution, receiver, status=Claim.Status.CLAIMED, news=()) -> Claim:
    """A receiver takes a suggestion forward (the claim actions come later; rows do for now)."""
    taken = Claim.objects.create(contribution=suggestion, receiver=receiver, status=status)
    for text, news_status in news:
        FollowUp.objects.create(claim=taken, author=receiver, status=news_status, text=text)
    return taken


def vote(suggestion: Contribution, dots: int = 1) -> Vote:
    voter = make_audience(suggestion.workshop)
    return Vote.objects.create(contribution=suggestion, participant=voter, dots=dots)


def report_html(client, workshop: Workshop) -> str:
    response = client.get(f"/w/{workshop.code}/report/")
    assert response.status_code == 200
    return response.content.decode()


def test_demo_report_holds_the_seed_document_in_swedish(client):
    workshop = demo_workshop()
    html = report_html(as_demo_labber(client), workshop)
    assert '<html lang="sv"' in html
    assert '<h1 id="report-title" lang="sv">' in html
    assert "Hur kan vi tillsammans utveckla den smarta och hållbara staden?" in html
    assert "Almedalsveckan 2019" in html and "Visby" in html
    challenger = SEED["challengers"][0]
    assert challenger["challenge"]["sv"] in html
    assert "Therese Balksjö, Projektkoordinator, City as a platform" in html
    for obstacle in challenger["obstacles"]:
        assert obstacle["sv"].replace('"', "&quot;") in html
    for receiver in SEED["receivers"]:
        title = receiver["title"] if isinstance(receiver["title"], str) else receiver["title"]["sv"]
        assert f"<strong>{receiver['name']}</strong>, {title}, {receiver['organisation']}" in html
    for item in SEED["insights"] + SEED["suggestions"]:
        assert item["sv"] in html
    assert SEED["prompt_in_report"]["sv"] in html
    assert SEED["closing"]["sv"] in html
    assert "Therese, Jakob, Filippa, Mattias, Henrik och Mia" in html
    assert "Förnyelselabbet vid SVID" in html


def test_report_shows_only_visible_unmerged_contributions(client):
    workshop = labbers_workshop(client)
    post(workshop, text="Shown on the wall")
    set_status(post(workshop, text="Hidden by a labber"), Contribution.Status.HIDDEN)
    keep = post(workshop, text="Pilots with citizens")
    duplicate = post(workshop, text="Pilots with citizens!!")
    duplicate.merged_into = keep
    duplicate.save()
    html = report_html(client, workshop)
    assert "Shown on the wall" in html and "Pilots with citizens" in html
    assert "Hidden by a labber" not in html
    assert "Pilots with citizens!!" not in html


def test_pending_posts_stay_out_of_the_report(client):
    workshop = labbers_workshop(client, moderation=Workshop.Moderation.PRE)
    post(workshop, text="Waiting for a labber")
    assert "Waiting for a labber" not in report_html(client, workshop)


def test_authors_are_named_only_with_their_consent(client):
    workshop = labbers_workshop(client)
    shy = make_audience(workshop, name="Anna Anonym")
    named = make_audience(workshop, name="Bo Named")
    named.name_consent = True
    named.save()
    receiver = make_receiver(workshop)
    post(workshop, author=shy, text="From the floor")
    post(workshop, author=named, text="With my name on it")
    post(workshop, author=receiver, text="A receiver's own idea")
    html = report_html(client, workshop)
    assert "Bo Named" in html
    assert "Anna Anonym" not in html
    assert "— Jakob" not in html  # the receiver is listed as a receiver, not as an author


def test_contributions_are_grouped_by_obstacle_then_the_challenge_as_a_whole(client):
    workshop = labbers_workshop(client, obstacles=("Silos", "No trust"))
    silos = workshop.challenges.get().obstacles.get(text="Silos")
    post(workshop, text="Rotate the leaders", obstacle=silos)
    post(workshop, text="Be curious", kind=Contribution.Kind.INSIGHT)
    html = report_html(client, workshop)
    assert "Obstacle 1: Silos" in html
    assert "The challenge as a whole" in html
    assert html.index("Obstacle 1: Silos") < html.index("Rotate the leaders")
    assert html.index("The challenge as a whole") < html.index("Be curious")
    assert "Obstacle 2: No trust</h3>" not in html  # nothing was said about it: no empty group


def test_contributions_are_grouped_by_theme_when_the_labbers_made_themes(client):
    workshop = labbers_workshop(client)
    theme = Theme.objects.create(workshop=workshop, name="Sharing data")
    shared = post(workshop, text="Buy data in the budget")
    shared.theme = theme
    shared.save()
    post(workshop, text="Pilots with citizens")
    html = report_html(client, workshop)
    assert "Sharing data</h3>" in html
    assert "Not in a theme</h3>" in html
    assert "Obstacle 1" not in html.split('id="r-contributions"')[1]
    assert html.index("Sharing data</h3>") < html.index("Buy data in the budget")


def test_votes_are_summed_per_suggestion_and_the_most_voted_comes_first(client):
    workshop = labbers_workshop(client)
    few = post(workshop, text="Few dots")
    many = post(workshop, text="Many dots")
    vote(few)
    vote(many, dots=2)
    vote(many, dots=3)
    html = report_html(client, workshop)
    assert "5 votes" in html and "1 vote<" in html
    assert html.index("Many dots") < html.index("Few dots")
    # As bars too, the most dots the full length.
    assert '<meter class="report-bar" min="0" max="5" value="5"' in html
    assert '<meter class="report-bar" min="0" max="5" value="1"' in html


def test_no_tallies_while_a_secret_vote_is_running(client):
    workshop = labbers_workshop(client)
    vote(post(workshop, text="Secret favourite"), dots=4)
    workshop.hide_tallies = workshop.voting_open = True
    workshop.save()
    html = report_html(client, workshop)
    assert "Secret favourite" in html and "4 votes" not in html


def test_report_says_who_took_what_forward_and_what_became_of_it(client):
    workshop = labbers_workshop(client)
    suggestion = post(workshop, text="Pilots with citizens")
    claim(
        suggestion,
        make_receiver(workshop, organisation="Skurups kommun"),
        Claim.Status.IN_PROGRESS,
        news=[("Three pilots start in March", Claim.Status.IN_PROGRESS)],
    )
    html = report_html(client, workshop)
    table = html.split('id="r-claims"')[1]
    assert "Pilots with citizens" in table
    assert "Skurups kommun" in table
    assert "In progress" in table
    assert "Three pilots start in March" in table
    assert "taken forward by Skurups kommun" in html


def test_dates_are_relative_with_the_exact_date_on_hover_and_in_print(client):
    workshop = labbers_workshop(client)
    claim(post(workshop), make_receiver(workshop), news=[("Started", Claim.Status.IN_PROGRESS)])
    html = report_html(client, workshop)
    assert '<time datetime="' in html and 'title="' in html
    assert 'class="time-rel">now</span>' in html or "ago</span>" in html
    assert 'class="time-abs">' in html


def test_labber_sees_download_links_and_the_publish_switch(client):
    workshop = labbers_workshop(client)
    html = report_html(client, workshop)
    for ext in ("md", "csv", "json"):
        assert f'href="/w/{workshop.code}/report.{ext}"' in html
    assert f'action="/w/{workshop.code}/report/publish/"' in html
    assert "Make the report public" in html


def test_empty_workshop_has_a_report_that_says_so(client):
    workshop = labbers_workshop(client, obstacles=())
    html = report_html(client, workshop)
    assert "Nothing has been posted yet" in html
    assert "No receiver has taken a suggestion forward yet." in html


def test_report_says_when_the_workshop_is_still_under_way(client):
    workshop = labbers_workshop(client)
    assert "this report grows as the room posts" in report_html(client, workshop)
    workshop.status = Workshop.Status.CLOSED
    workshop.save()
    assert "this report grows" not in report_html(client, workshop)
