"""Receivers in the room: in by their invite link, "we take this forward", several receivers
on one suggestion, withdrawing; every refusal is clear and changes nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from insights.actions.claims import claim_suggestion, post_follow_up, set_contributor_email
from insights.actions.votes import add_dot, open_voting
from insights.errors import ActionRefused
from insights.models import Claim
from live.models import LiveEvent
from tests.factories import (
    enter_by_invite,
    make_audience,
    make_receiver,
    make_user,
    make_workshop,
    post,
)
from workshops.actions.invites import revoke_invite

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def room():
    workshop = make_workshop(labber_user=make_user("lena"))
    top = post(workshop, text="Open data for every municipality")
    other = post(workshop, text="A shared pilot budget")
    phone = make_audience(workshop)
    open_voting(workshop, None)
    add_dot(workshop, phone, top.pk)
    return workshop, top, other


def claim(client, workshop, contribution, note="", htmx=True):
    return client.post(
        reverse("insights:claim", args=[workshop.code]),
        {"contribution": contribution.pk, "note": note},
        **(HTMX if htmx else {}),
    )


def claim_events(workshop):
    return list(LiveEvent.objects.filter(workshop=workshop, kind="claim.changed"))


def test_a_receivers_invite_link_opens_the_ranked_suggestions(client, room):
    workshop, top, other = room
    vinnova = make_receiver(workshop, "Vinnova")
    response = enter_by_invite(client, vinnova)
    assert response["Location"] == reverse("insights:handover", args=[workshop.code])
    page = client.get(response["Location"]).content.decode()
    assert page.index(top.text) < page.index(other.text)
    assert "We take this forward" in page
    assert f'ws-connect="/ws/w/{workshop.code}/?view=phone&amp;lang={workshop.language}"' in page


def test_a_receiver_claims_a_suggestion_and_every_screen_shows_their_organisation(client, room):
    workshop, top, _ = room
    enter_by_invite(client, make_receiver(workshop, "Vinnova"))
    response = claim(client, workshop, top, note="Fund a pilot with two municipalities")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You take this forward." in html and "Withdraw our claim" in html
    saved = Claim.objects.get()
    assert (saved.contribution, saved.receiver.organisation) == (top, "Vinnova")
    assert saved.note == "Fund a pilot with two municipalities"
    (event,) = claim_events(workshop)
    for view in ("phone", "projector", "console"):
        fragment = event.fragments[view]
        assert f'id="claims-{top.pk}"' in fragment and 'hx-swap-oob="true"' in fragment
        assert "Vinnova" in fragment
        assert "Fund a pilot" not in fragment  # the note is not for the room


def test_a_second_receiver_can_claim_the_same_suggestion(client, room):
    workshop, top, _ = room
    claim_suggestion(top, make_receiver(workshop, "Vinnova"))
    enter_by_invite(client, make_receiver(workshop, "Skurups kommun"))
    assert claim(client, workshop, top).status_code == 200
    assert Claim.objects.filter(contribution=top).count() == 2
    last = claim_events(workshop)[-1]
    assert "Vinnova" in last.fragments["projector"]
    assert "Skurups kommun" in last.fragments["projector"]


def test_claiming_the_same_suggestion_twice_is_refused_and_changes_nothing(client, room):
    workshop, top, _ = room
    enter_by_invite(client, make_receiver(workshop))
    claim(client, workshop, top)
    response = claim(client, workshop, top)
    assert response.status_code == 409
    assert "You have already claimed this suggestion." in response.content.decode()
    assert Claim.objects.count() == 1
    assert len(claim_events(workshop)) == 1


def test_claiming_an_insight_is_refused(client, room):
    workshop, _, _ = room
    insight = post(workshop, text="Silos everywhere", kind="insight")
    enter_by_invite(client, make_receiver(workshop))
    response = claim(client, workshop, insight)
    assert response.status_code == 409
    assert "Only suggestions can be taken forward, not insights." in response.content.decode()
    assert not Claim.objects.exists()


def test_a_receiver_of_one_workshop_cannot_claim_in_another(client, room):
    workshop, _, _ = room
    other = make_workshop()
    foreign = post(other, text="Elsewhere")
    enter_by_invite(client, make_receiver(workshop))
    # Through the other workshop's page: this browser is no receiver there.
    response = claim(client, other, foreign, htmx=False)
    assert response.status_code == 403
    assert "Open your personal link first" in response.content.decode()
    # Through their own workshop's page, with the other workshop's suggestion.
    response = claim(client, workshop, foreign)
    assert response.status_code == 400
    assert "not part of this workshop" in response.content.decode()
    # And the action itself, whoever calls it.
    with pytest.raises(ActionRefused, match="receiver in another workshop"):
        claim_suggestion(foreign, make_receiver(workshop))
    assert not Claim.objects.exists()


def test_only_receivers_claim(client, room):
    workshop, top, _ = room
    client.get(reverse("workshops:join", args=[workshop.code]))  # an audience phone
    assert claim(client, workshop, top).status_code == 403
    challenger = workshop.participants.get(role="challenger")
    enter_by_invite(client, challenger)
    assert claim(client, workshop, top).status_code == 403
    with pytest.raises(ActionRefused, match="Only receivers"):
        claim_suggestion(top, make_audience(workshop))
    assert not Claim.objects.exists()


def test_a_revoked_receiver_can_no_longer_claim(client, room):
    workshop, top, _ = room
    receiver = make_receiver(workshop)
    enter_by_invite(client, receiver)
    revoke_invite(receiver)
    assert claim(client, workshop, top).status_code == 403
    assert client.get(reverse("insights:handover", args=[workshop.code])).status_code == 403
    assert not Claim.objects.exists()


def test_a_receiver_withdraws_their_claim_and_the_badge_goes(client, room):
    workshop, top, _ = room
    enter_by_invite(client, make_receiver(workshop, "Telia"))
    claim(client, workshop, top)
    mine = Claim.objects.get()
    response = client.post(reverse("insights:claim-withdraw", args=[mine.pk]), **HTMX)
    assert response.status_code == 200
    assert "We take this forward" in response.content.decode()
    assert not Claim.objects.exists()
    last = claim_events(workshop)[-1]
    assert f'id="claims-{top.pk}"' in last.fragments["projector"]
    assert "Telia" not in last.fragments["projector"]


def test_another_receiver_cannot_withdraw_my_claim(client, room):
    workshop, top, _ = room
    mine = claim_suggestion(top, make_receiver(workshop, "Vinnova"))
    enter_by_invite(client, make_receiver(workshop, "Telia"))
    response = client.post(reverse("insights:claim-withdraw", args=[mine.pk]))
    assert response.status_code == 403
    assert Claim.objects.filter(pk=mine.pk).exists()


def test_a_claim_with_follow_ups_is_parked_not_withdrawn(room):
    workshop, top, _ = room
    receiver = make_receiver(workshop)
    mine = claim_suggestion(top, receiver)
    post_follow_up(mine, receiver, text="We met the city.")
    with pytest.raises(ActionRefused, match="Park it with a reason instead"):
        from insights.actions.claims import withdraw_claim

        withdraw_claim(mine, receiver)
    assert Claim.objects.filter(pk=mine.pk).exists()


def test_the_opted_in_contributor_hears_when_their_suggestion_is_claimed(
    room, django_capture_on_commit_callbacks
):
    workshop, _, _ = room
    author = make_audience(workshop, name="Kim")
    set_contributor_email(author, "kim@example.org")
    silent = make_audience(workshop)
    theirs = post(workshop, author=author, text="Open the city's sensors")
    unheard = post(workshop, author=silent, text="Nobody to tell")
    receiver = make_receiver(workshop, "Linköpings universitet")
    with django_capture_on_commit_callbacks(execute=True):
        claim_suggestion(theirs, receiver)
        claim_suggestion(unheard, receiver)
    (message,) = mail.outbox
    assert message.to == ["kim@example.org"]
    assert "Linköpings universitet takes your suggestion forward" in message.subject
    assert "Open the city's sensors" in message.body
    assert f"/w/{workshop.code}/follow-up/" in message.body
