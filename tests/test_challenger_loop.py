"""The challenger's own loop (issue 21): named on their challenge's setup row, preparing it
through their invite link (every change in the log, shown to the labber), the rules once the
room is live, their page after the workshop, their follow-up in public, and their reminder."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from challenges import actions as challenge_actions
from challenges.models import Challenge, ChallengeFollowUp
from insights.actions.claims import claim_suggestion
from tests.factories import (
    enter_by_invite,
    make_receiver,
    make_user,
    make_workshop,
    post,
)
from tests.test_report_formats import assert_valid
from workshops.actions.invites import invite, send_invite
from workshops.actions.setup import add_challenge
from workshops.models import LogEntry, Participant, Workshop

pytestmark = pytest.mark.django_db


def visitor() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def lena():
    return make_user("lena")


@pytest.fixture
def labber_client(lena):
    client = visitor()
    client.force_login(lena)
    return client


@pytest.fixture
def draft(lena):
    return make_workshop(labber_user=lena, status=Workshop.Status.DRAFT)


def therese_of(workshop: Workshop) -> Participant:
    return workshop.participants.get(role=Participant.Role.CHALLENGER, display_name="Therese")


def as_challenger(person: Participant) -> Client:
    client = visitor()
    enter_by_invite(client, person)
    return client


# --- The setup page's challenge rows ---


def test_labber_names_an_invited_challenger_on_a_challenge(labber_client, draft):
    second = add_challenge(draft, title="Open data")
    therese = therese_of(draft)
    url = f"/w/{draft.code}/setup/challenges/{second.pk}/challenger/"
    response = labber_client.post(url, {"challenger": therese.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.challenger == therese
    assert LogEntry.objects.filter(workshop=draft, action="challenge:challenger").exists()


def test_labber_cannot_name_a_receiver_as_challenger(labber_client, draft):
    challenge = draft.challenges.get()
    receiver = make_receiver(draft)
    url = f"/w/{draft.code}/setup/challenges/{challenge.pk}/challenger/"
    response = labber_client.post(url, {"challenger": receiver.pk})
    assert response.status_code == 400
    assert "Choose one of this workshop&#x27;s challengers." in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.challenger == therese_of(draft)


def test_labber_invites_a_challenger_from_the_challenges_row(labber_client, draft):
    second = add_challenge(draft, title="Open data")
    url = f"/w/{draft.code}/setup/challenges/{second.pk}/invite/"
    response = labber_client.post(
        url,
        {"name": "Anna", "organisation": "Region", "email": "anna@example.org", "send_email": "on"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.challenger.display_name == "Anna"
    assert second.challenger.role == Participant.Role.CHALLENGER
    assert mail.outbox[-1].to == ["anna@example.org"]


def test_an_invite_from_the_row_without_a_name_keeps_what_was_typed(labber_client, draft):
    challenge = draft.challenges.get()
    url = f"/w/{draft.code}/setup/challenges/{challenge.pk}/invite/"
    response = labber_client.post(url, {"name": " ", "organisation": "Region Gotland"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Write their name." in page and 'value="Region Gotland"' in page


# --- Preparing through the invite link ---


def test_challenger_prepares_their_challenge_and_the_labber_sees_each_change(labber_client, draft):
    challenge = draft.challenges.get()
    silos, trust = challenge.obstacles.order_by("order")
    client = as_challenger(therese_of(draft))
    base = f"/w/{draft.code}/challenge"
    assert (
        client.post(
            f"{base}/{challenge.pk}/edit/", {"title": "City as a platform", "description": "Why"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"{base}/{challenge.pk}/obstacles/", {"text": "No budget"}).status_code == 302
    )
    assert (
        client.post(
            f"{base}/obstacles/{silos.pk}/reword/", {"text": "Silos between agencies"}
        ).status_code
        == 302
    )
    assert client.post(f"{base}/obstacles/{trust.pk}/move/", {"step": "-1"}).status_code == 302
    assert client.post(f"{base}/obstacles/{trust.pk}/remove/").status_code == 302

    challenge.refresh_from_db()
    assert challenge.title == "City as a platform" and challenge.description == "Why"
    assert [o.text for o in challenge.obstacles.order_by("order")] == [
        "Silos between agencies",
        "No budget",
    ]
    actions = list(
        LogEntry.objects.filter(workshop=draft)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "challenge:edit",
        "obstacle:add",
        "obstacle:reword",
        "obstacle:move",
        "obstacle:remove",
    ]
    setup = labber_client.get(f"/w/{draft.code}/setup/").content.decode()
    assert "Changed by the challenger since you last looked" in setup
    assert "Therese reworded the obstacle “Silos” to “Silos between agencies”" in setup
    assert "Therese removed the obstacle “No trust”" in setup

    log = labber_client.get(f"/w/{draft.code}/console/log/").content.decode()
    assert "Therese added the obstacle “No budget” to “City as a platform”" in log

    labber_client.post(f"/w/{draft.code}/setup/challenges/{challenge.pk}/seen/")
    setup = labber_client.get(f"/w/{draft.code}/setup/").content.decode()
    assert "Changed by the challenger since you last looked" not in setup


def test_a_challenger_cannot_change_another_challengers_challenge(draft):
    other = invite(draft, role=Participant.Role.CHALLENGER, name="Anna")
    theirs = add_challenge(draft, title="Open data", challenger=other, obstacles=["Formats"])
    client = as_challenger(therese_of(draft))
    response = client.post(f"/w/{draft.code}/challenge/{theirs.pk}/obstacles/", {"text": "X"})
    assert response.status_code == 404
    obstacle = theirs.obstacles.get()
    response = client.post(f"/w/{draft.code}/challenge/obstacles/{obstacle.pk}/remove/")
    assert response.status_code == 404
    assert theirs.obstacles.count() == 1


def test_a_stranger_cannot_prepare_a_challenge(draft):
    challenge = draft.challenges.get()
    response = visitor().post(
        f"/w/{draft.code}/challenge/{challenge.pk}/edit/", {"title": "Mine now"}
    )
    assert response.status_code == 403
    challenge.refresh_from_db()
    assert challenge.title == "Our challenge"


def test_an_empty_obstacle_is_refused_with_a_message(draft):
    challenge = draft.challenges.get()
    client = as_challenger(therese_of(draft))
    response = client.post(f"/w/{draft.code}/challenge/{challenge.pk}/obstacles/", {"text": "  "})
    assert response.status_code == 400
    assert "Write the obstacle first." in response.content.decode()
    assert challenge.obstacles.count() == 2


# --- Once the workshop is live ---


def test_live_obstacle_with_posts_cannot_be_removed_through_the_challengers_link(lena):
    workshop = make_workshop(labber_user=lena)  # live
    silos = workshop.challenges.get().obstacles.get(text="Silos")
    post(workshop, text="Agencies could share a backlog", obstacle=silos)
    client = as_challenger(therese_of(workshop))

    response = client.post(
        f"/w/{workshop.code}/challenge/obstacles/{silos.pk}/remove/", follow=True
    )
    assert "the room has posted on this obstacle, so it stays as it is" in response.content.decode()
    assert workshop.challenges.get().obstacles.filter(pk=silos.pk).exists()
    response = client.post(
        f"/w/{workshop.code}/challenge/obstacles/{silos.pk}/reword/", {"text": "Walls"}
    )
    assert response.status_code == 400
    assert 'value="Walls"' in response.content.decode()  # what they typed is not lost
    silos.refresh_from_db()
    assert silos.text == "Silos"
    assert not LogEntry.objects.filter(action__startswith="obstacle:").exists()


def test_live_obstacle_without_posts_can_still_be_changed_by_the_challenger(lena):
    workshop = make_workshop(labber_user=lena)
    trust = workshop.challenges.get().obstacles.get(text="No trust")
    client = as_challenger(therese_of(workshop))
    response = client.post(f"/w/{workshop.code}/challenge/obstacles/{trust.pk}/remove/")
    assert response.status_code == 302
    assert not workshop.challenges.get().obstacles.filter(pk=trust.pk).exists()


def test_labber_can_still_correct_a_live_obstacle_with_posts_and_it_is_logged(labber_client, lena):
    workshop = make_workshop(labber_user=lena)
    silos = workshop.challenges.get().obstacles.get(text="Silos")
    post(workshop, obstacle=silos)
    response = labber_client.post(
        f"/w/{workshop.code}/setup/obstacles/{silos.pk}/reword/", {"text": "Silos in the city"}
    )
    assert response.status_code == 302
    silos.refresh_from_db()
    assert silos.text == "Silos in the city"
    entry = LogEntry.objects.get(action="obstacle:reword")
    assert entry.actor.role == Participant.Role.LABBER
    assert entry.data["before"] == "Silos"


# --- After the workshop ---


def test_challenger_page_shows_exactly_their_obstacles_posts_and_the_whole_workshops(lena):
    workshop = make_workshop(labber_user=lena)
    ours = workshop.challenges.get()
    anna = invite(workshop, role=Participant.Role.CHALLENGER, name="Anna")
    theirs = add_challenge(workshop, title="Open data", challenger=anna, obstacles=["Formats"])
    post(workshop, text="On our silos", obstacle=ours.obstacles.get(text="Silos"))
    post(workshop, text="On their formats", obstacle=theirs.obstacles.get())
    post(workshop, text="On the whole workshop")

    page = as_challenger(therese_of(workshop)).get(f"/w/{workshop.code}/challenge/")
    text = page.content.decode()
    assert "On our silos" in text and "On the whole workshop" in text
    assert "On their formats" not in text
    text = as_challenger(anna).get(f"/w/{workshop.code}/challenge/").content.decode()
    assert "On their formats" in text and "On the whole workshop" in text
    assert "On our silos" not in text


def test_challengers_follow_up_appears_on_the_public_page_and_in_the_report(lena):
    workshop = make_workshop(labber_user=lena)
    challenge = workshop.challenges.get()
    client = as_challenger(therese_of(workshop))
    response = client.post(
        f"/w/{workshop.code}/challenge/{challenge.pk}/follow-up/",
        {"text": "We opened a city data lab", "link": "lab.example.org"},
    )
    assert response.status_code == 302
    assert ChallengeFollowUp.objects.get().link == "https://lab.example.org"

    public = visitor().get(f"/w/{workshop.code}/follow-up/").content.decode()
    assert "We opened a city data lab" in public
    labber = visitor()
    labber.force_login(lena)
    assert "We opened a city data lab" in labber.get(f"/w/{workshop.code}/report/").content.decode()
    markdown = labber.get(f"/w/{workshop.code}/report.md").content.decode()
    assert "We opened a city data lab" in markdown
    data = json.loads(labber.get(f"/w/{workshop.code}/report.json").content)
    assert data["challenges"][0]["follow_ups"][0]["text"] == "We opened a city data lab"


def test_an_empty_follow_up_is_refused_with_a_message(lena):
    workshop = make_workshop(labber_user=lena)
    challenge = workshop.challenges.get()
    client = as_challenger(therese_of(workshop))
    response = client.post(
        f"/w/{workshop.code}/challenge/{challenge.pk}/follow-up/", {"text": "", "link": "x y"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write what happened first" in page and "does not look like a web address" in page
    assert not ChallengeFollowUp.objects.exists()


# --- The phone ---


def test_phone_groups_obstacles_by_challenge_when_there_are_several(lena):
    workshop = make_workshop(labber_user=lena)
    phone = visitor()
    assert "<optgroup" not in phone.get(f"/j/{workshop.code}/").content.decode()
    add_challenge(workshop, title="Open data", obstacles=["Formats"])
    page = phone.get(f"/j/{workshop.code}/").content.decode()
    assert '<optgroup label="Our challenge">' in page
    assert '<optgroup label="Open data">' in page
    assert ">The workshop as a whole</option>" in page


# --- Emails ---


def test_challengers_invite_email_says_what_they_can_prepare_and_by_when(lena):
    workshop = make_workshop(
        labber_user=lena, status=Workshop.Status.DRAFT, day=timezone.localdate()
    )
    therese = therese_of(workshop)
    therese.email = "therese@example.org"
    therese.save()
    send_invite(therese, "https://labbet.example.org")
    body = mail.outbox[-1].body
    assert "Until the workshop on" in body
    assert "add, reword, reorder and remove its obstacles" in body


def test_follow_up_reminders_include_challengers_whose_challenge_has_claims(lena):
    workshop = make_workshop(labber_user=lena)
    therese = therese_of(workshop)
    therese.email = "therese@example.org"
    therese.save()
    suggestion = post(workshop, obstacle=workshop.challenges.get().obstacles.first())
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        claim_suggestion(suggestion, make_receiver(workshop))
    mail.outbox.clear()
    out = StringIO()
    call_command(
        "send_followup_reminders", "--days", "30", "--base-url", "https://x.example", stdout=out
    )
    assert "Reminded 1 challenger(s)" in out.getvalue()
    to_therese = [m for m in mail.outbox if m.to == ["therese@example.org"]]
    assert len(to_therese) == 1 and "what did you do next" in to_therese[0].body
    call_command(
        "send_followup_reminders", "--days", "30", "--base-url", "https://x.example", stdout=out
    )
    assert len([m for m in mail.outbox if m.to == ["therese@example.org"]]) == 1


def test_no_reminder_for_a_challenger_who_wrote_a_follow_up(lena):
    workshop = make_workshop(labber_user=lena)
    challenge = workshop.challenges.get()
    therese = therese_of(workshop)
    therese.email = "therese@example.org"
    therese.save()
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        claim_suggestion(
            post(workshop, obstacle=challenge.obstacles.first()), make_receiver(workshop)
        )
    challenge_actions.write_challenge_follow_up(challenge, therese, text="We did it")
    assert challenge_actions.challengers_to_remind(30) == []


# --- Demo, export and import ---


def test_demo_export_and_import_keep_the_challenger_on_the_seeds_challenge(tmp_path):
    call_command("demo", stdout=StringIO())
    workshop = Workshop.objects.get(code="STAD26")
    challenge = workshop.challenges.get()
    assert challenge.challenger.display_name == "Therese Balksjö"
    challenge_actions.write_challenge_follow_up(
        challenge, challenge.challenger, text="Vi startade ett datalabb", link="https://x.se"
    )
    out = StringIO()
    call_command("export_workshop", "STAD26", stdout=out)
    assert_valid(json.loads(out.getvalue()))  # the schema knows the challenger's follow-ups
    path = tmp_path / "STAD26.json"
    path.write_text(out.getvalue())
    call_command("import_workshop", str(path), "--code", "KPYA23", stdout=StringIO())

    copy = Workshop.objects.get(code="KPYA23")
    restored = copy.challenges.get()
    assert restored.title == challenge.title
    assert restored.challenger is not None and restored.challenger.workshop == copy
    assert (restored.challenger.display_name, restored.challenger.organisation) == (
        "Therese Balksjö",
        "City as a platform",
    )
    assert [o.text for o in restored.obstacles.all()] == [o.text for o in challenge.obstacles.all()]
    (follow_up,) = restored.follow_ups.all()
    assert (follow_up.text, follow_up.link) == ("Vi startade ett datalabb", "https://x.se")
    assert follow_up.author == restored.challenger
    assert Challenge.objects.filter(workshop=copy, challenger__isnull=False).count() == 1


def test_a_challenger_without_a_challenge_is_told_whom_to_ask(draft):
    loner = invite(draft, role=Participant.Role.CHALLENGER, name="Sven")
    page = as_challenger(loner).get(f"/w/{draft.code}/challenge/").content.decode()
    assert "No challenge is attached to you yet" in page


def test_once_the_workshop_has_closed_the_challenge_stays_as_it_was(lena):
    workshop = make_workshop(labber_user=lena, status=Workshop.Status.CLOSED)
    challenge = workshop.challenges.get()
    client = as_challenger(therese_of(workshop))
    page = client.get(f"/w/{workshop.code}/challenge/").content.decode()
    assert "Prepare your challenge" not in page and "Publish the follow-up" in page
    response = client.post(
        f"/w/{workshop.code}/challenge/{challenge.pk}/edit/", {"title": "Too late"}
    )
    assert response.status_code == 400
    assert "its challenge can no longer be changed" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.title == "Our challenge"
