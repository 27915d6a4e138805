"""Dot voting over HTTP and its actions: a labber opens and closes it, phones spend their dots
within the budget, and the live events carry the ranking (tallies hidden when asked)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from insights.actions.votes import add_dot, close_voting, open_voting, take_back_dot
from insights.errors import ActionRefused
from insights.models import Vote
from insights.ranking import ranked_suggestions
from live.models import LiveEvent
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from workshops.models import Workshop

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def events(workshop, kind=None):
    qs = LiveEvent.objects.filter(workshop=workshop).order_by("seq")
    return list(qs.filter(kind=kind) if kind else qs)


def join(client, workshop):
    client.get(reverse("workshops:join", args=[workshop.code]))
    return workshop.participants.filter(role="audience").order_by("-pk").first()


def vote(client, workshop, contribution, op="add", htmx=True):
    return client.post(
        reverse("insights:vote", args=[workshop.code]),
        {"contribution": contribution.pk, "op": op},
        **(HTMX if htmx else {}),
    )


@pytest.fixture
def room():
    lena = make_user("lena")
    workshop = make_workshop(labber_user=lena)
    suggestions = [post(workshop, text=f"Suggestion {i}") for i in range(3)]
    return workshop, lena, suggestions


def test_labber_opens_voting_and_every_screen_hears_it(client, room):
    workshop, lena, _ = room
    client.force_login(lena)
    response = client.post(
        reverse("insights:voting-open", args=[workshop.code]),
        {"dots_per_person": "5", "dots_per_suggestion": "2", "hide_tallies": "true"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Voting is open" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.voting_open and workshop.hide_tallies
    assert (workshop.dots_per_person, workshop.dots_per_suggestion) == (5, 2)
    (event,) = events(workshop, "voting.changed")
    assert f'hx-get="/j/{workshop.code}/vote/"' in event.fragments["phone"]
    assert 'id="ranking"' in event.fragments["projector"]
    assert 'id="vote-controls"' in event.fragments["console"]


def test_the_audience_cannot_open_or_close_voting(client, room):
    workshop, _, _ = room
    join(client, workshop)
    for name in ("insights:voting-open", "insights:voting-close"):
        assert client.post(reverse(name, args=[workshop.code])).status_code == 403
    workshop.refresh_from_db()
    assert not workshop.voting_open


def test_opening_with_impossible_dots_is_refused_and_changes_nothing(client, room):
    workshop, lena, _ = room
    client.force_login(lena)
    response = client.post(
        reverse("insights:voting-open", args=[workshop.code]),
        {"dots_per_person": "2", "dots_per_suggestion": "3"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "at most the dots a person has" in response.content.decode()
    workshop.refresh_from_db()
    assert not workshop.voting_open
    assert not events(workshop, "voting.changed")


def test_a_phone_spends_its_dots_and_sees_how_many_are_left(client, room):
    workshop, _lena, (first, second, _third) = room
    phone = join(client, workshop)
    open_voting(workshop, None)
    page = client.get(reverse("workshops:join", args=[workshop.code])).content.decode()
    assert 'id="vote-panel"' in page and "Dots left: <strong>3</strong> of 3" in page

    response = vote(client, workshop, first)
    assert response.status_code == 200
    assert "Dots left: <strong>2</strong> of 3" in response.content.decode()
    vote(client, workshop, second)
    assert list(Vote.objects.filter(participant=phone).values_list("contribution", "dots")) == [
        (first.pk, 1),
        (second.pk, 1),
    ]


def test_a_dot_can_be_taken_back(client, room):
    workshop, _, (first, *_rest) = room
    join(client, workshop)
    open_voting(workshop, None)
    vote(client, workshop, first)
    response = vote(client, workshop, first, op="remove")
    assert "Dots left: <strong>3</strong> of 3" in response.content.decode()
    assert not Vote.objects.exists()


def test_voting_past_the_dot_budget_is_refused_and_changes_nothing(client, room):
    workshop, _, suggestions = room
    Workshop.objects.filter(pk=workshop.pk).update(dots_per_person=2)
    join(client, workshop)
    open_voting(workshop, None)
    vote(client, workshop, suggestions[0])
    vote(client, workshop, suggestions[1])
    before = len(events(workshop))
    response = vote(client, workshop, suggestions[2])
    assert response.status_code == 409
    html = response.content.decode()
    assert "You have used all your 2 dots. Take one back to move it." in html
    assert 'role="alert"' in html
    assert Vote.objects.count() == 2
    assert len(events(workshop)) == before


def test_more_dots_on_one_suggestion_than_allowed_is_refused(client, room):
    workshop, _, (first, *_rest) = room
    join(client, workshop)
    open_voting(workshop, None, dots_per_suggestion=2)
    vote(client, workshop, first)
    vote(client, workshop, first)
    response = vote(client, workshop, first)
    assert response.status_code == 409
    assert "At most 2 dots per suggestion" in response.content.decode()
    assert Vote.objects.get().dots == 2


def test_voting_outside_the_voting_phase_is_refused(client, room):
    workshop, _, (first, *_rest) = room
    join(client, workshop)
    response = vote(client, workshop, first)
    assert response.status_code == 409
    assert "Voting is not open right now" in response.content.decode()
    assert not Vote.objects.exists()


def test_taking_back_after_voting_closed_is_refused(client, room):
    workshop, _, (first, *_rest) = room
    join(client, workshop)
    open_voting(workshop, None)
    vote(client, workshop, first)
    close_voting(workshop, None)
    response = vote(client, workshop, first, op="remove")
    assert response.status_code == 409
    assert Vote.objects.get().dots == 1


def test_dots_on_an_insight_or_another_workshops_suggestion_are_refused(client, room):
    workshop, _, _ = room
    insight = post(workshop, text="An insight", kind="insight")
    elsewhere = post(make_workshop(), text="Not here")
    join(client, workshop)
    open_voting(workshop, None)
    assert "not on insights" in vote(client, workshop, insight).content.decode()
    assert "not part of this workshop" in vote(client, workshop, elsewhere).content.decode()
    assert vote(client, workshop, insight).status_code == 400
    assert not Vote.objects.exists()


def test_a_receiver_has_no_dots(room):
    workshop, _, (first, *_rest) = room
    open_voting(workshop, None)
    with pytest.raises(ActionRefused, match="The dots are for the audience"):
        add_dot(workshop, make_receiver(workshop), first.pk)


def test_without_javascript_a_vote_comes_back_to_the_phone_page_with_a_note(client, room):
    workshop, _, (first, *_rest) = room
    join(client, workshop)
    open_voting(workshop, None)
    response = vote(client, workshop, first, htmx=False)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your dots are saved." in page and "1 dot from you" in page


def test_a_vote_publishes_the_ranking_with_a_bar_and_a_number(room):
    workshop, _, (_first, second, _third) = room
    phone = make_audience(workshop)
    open_voting(workshop, None)
    add_dot(workshop, phone, second.pk)
    (event,) = events(workshop, "vote.changed")
    projector = event.fragments["projector"]
    assert 'id="ranking" ' in projector and 'hx-swap-oob="true"' in projector
    assert projector.index("Suggestion 1") < projector.index("Suggestion 0")
    assert '<meter class="vote-bar" min="0" max="1" value="1"' in projector
    assert f'id="votes-{second.pk}"' in event.fragments["phone"]
    assert "1</strong> dot" in event.fragments["phone"]
    assert '<meter class="vote-bar" min="0" max="1" value="1"' in event.fragments["phone"]
    assert 'id="ranking"' in event.fragments["console"]


def test_hidden_tallies_stay_hidden_until_voting_closes(room):
    workshop, _, (first, *_rest) = room
    phone = make_audience(workshop)
    open_voting(workshop, None, hide_tallies=True)
    add_dot(workshop, phone, first.pk)
    (event,) = events(workshop, "vote.changed")
    assert "dot</" not in event.fragments["phone"] and "<meter" not in event.fragments["projector"]
    assert "the tallies show when voting closes" in event.fragments["projector"]
    assert "1</strong> dot" in event.fragments["console"]  # labbers always see them

    close_voting(workshop, None)
    closed = events(workshop, "voting.changed")[-1]
    assert "1</strong> dot" in closed.fragments["phone"]
    assert "1</strong> dot" in closed.fragments["projector"]
    # Phones see the result as a bar too, once the room may see it.
    assert '<meter class="vote-bar" min="0" max="1" value="1"' in closed.fragments["phone"]


def test_equal_dots_share_a_rank_and_a_suggestion_without_dots_has_none(room):
    workshop, _, (_first, second, third) = room
    phones = [make_audience(workshop) for _ in range(2)]
    open_voting(workshop, None)
    for phone, suggestion in zip(phones, (second, third), strict=True):
        add_dot(workshop, phone, suggestion.pk)
    ranking = [(c.text, c.rank) for c in ranked_suggestions(workshop)]
    assert ranking == [("Suggestion 1", 1), ("Suggestion 2", 1), ("Suggestion 0", None)]


def test_tied_tallies_rank_1_2_2_4_and_the_undotted_stay_unranked_on_every_screen(room):
    workshop, _, suggestions = room
    more = [post(workshop, text=f"Suggestion {i}") for i in range(3, 6)]
    s0, s1, s2, s3, _s4, _s5 = [*suggestions, *more]
    voter = make_audience(workshop)  # joined before voting opened: the dots are theirs
    open_voting(workshop, None, dots_per_person=10, dots_per_suggestion=5)
    for suggestion, dots in ((s3, 3), (s1, 2), (s2, 2), (s0, 1)):
        for _ in range(dots):
            add_dot(workshop, voter, suggestion.pk)
    ranking = [(c.text, c.rank) for c in ranked_suggestions(workshop)]
    assert ranking == [
        ("Suggestion 3", 1),
        ("Suggestion 1", 2),
        ("Suggestion 2", 2),
        ("Suggestion 0", 4),
        ("Suggestion 4", None),
        ("Suggestion 5", None),
    ]
    event = events(workshop, "vote.changed")[-1]
    for view in ("projector", "console"):
        rank = r'<span class="ranking__rank">(?:<span class="visually-hidden">Rank </span>(\d+))?'
        ranks = re.findall(rank + "</span>", event.fragments[view])
        assert ranks == ["1", "2", "2", "4", "", ""], view


def test_taking_back_a_dot_you_never_gave_is_refused(room):
    workshop, _, (first, *_rest) = room
    phone = make_audience(workshop)
    open_voting(workshop, None)
    with pytest.raises(ActionRefused, match="no dot on that suggestion"):
        take_back_dot(workshop, phone, first.pk)


def test_a_closed_workshop_takes_no_more_dots(room):
    workshop, _, (first, *_rest) = room
    open_voting(workshop, None)
    Workshop.objects.filter(pk=workshop.pk).update(status="closed", phase="closed")
    with pytest.raises(ActionRefused, match="has closed"):
        add_dot(workshop, make_audience(workshop), first.pk)
    assert not Vote.objects.exists()


# --- Who may vote (issue 18: fresh cookies are not fresh voters). ---


def test_a_phone_that_joins_after_voting_opened_has_no_dots_unless_the_labbers_allow_it(
    client, room
):
    workshop, lena, (first, *_rest) = room
    early = make_audience(workshop)
    open_voting(workshop, None)
    add_dot(workshop, early, first.pk)
    late = join(client, workshop)
    response = vote(client, workshop, first)
    assert response.status_code == 409
    assert "Voting opened before this phone joined" in response.content.decode()
    assert not Vote.objects.filter(participant=late).exists()

    # The labbers let late joiners in when they open voting (the console's checkbox).
    close_voting(workshop, None)
    labber = Client(HTTP_ACCEPT_LANGUAGE="en")
    labber.force_login(lena)
    opened = labber.post(
        reverse("insights:voting-open", args=[workshop.code]), {"late_voters": "true"}, **HTMX
    )
    assert opened.status_code == 200
    assert vote(client, workshop, first).status_code == 200
    assert Vote.objects.filter(participant=late).exists()


def test_thirty_fresh_cookies_put_no_dots_once_voting_is_open(room):
    """Issue 18, finding 2: 30 fresh cookies put 90 dots on one suggestion where a phone may
    give 3. Phones made after voting opened now give none."""
    workshop, _, (first, *_rest) = room
    open_voting(workshop, None, dots_per_person=3, dots_per_suggestion=3)
    stuffed = 0
    for _n in range(30):
        fresh = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.7.7.7")
        join(fresh, workshop)
        for _ in range(3):
            stuffed += vote(fresh, workshop, first).status_code == 200
    assert stuffed == 0
    assert not Vote.objects.exists()
