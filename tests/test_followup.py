"""After the workshop: a receiver comes back weeks later and reports; the challenger sees and
reports too; the public follow-up page tells the story without private notes or addresses;
contributors who asked are told; quiet claims get one reminder."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from insights.actions.claims import claim_suggestion, post_follow_up, set_contributor_email
from insights.actions.posts import merge_contributions
from insights.actions.votes import add_dot, open_voting
from insights.errors import ActionRefused
from insights.models import Claim, FollowUp
from live.models import LiveEvent
from tests.factories import (
    enter_by_invite,
    make_audience,
    make_receiver,
    make_user,
    make_workshop,
    post,
)
from workshops.models import Workshop

pytestmark = pytest.mark.django_db
START = datetime(2026, 6, 30, 14, 0, tzinfo=UTC)


@pytest.fixture
def story():
    """Almedalen in June: a contributor who left an address, a vote, a claim with a note."""
    with time_machine.travel(START, tick=False):
        lena = make_user("lena")
        workshop = make_workshop(labber_user=lena)
        kim = make_audience(workshop, name="Kim")
        set_contributor_email(kim, "kim@example.org")
        suggestion = post(workshop, author=kim, text="Open the sensor data of the city")
        post(workshop, text="Silos between departments", kind="insight")
        voter = make_audience(workshop)
        open_voting(workshop, None)
        add_dot(workshop, voter, suggestion.pk)
        receiver = make_receiver(workshop, "Vinnova")
        receiver.email = "jakob@vinnova.example"
        receiver.save()
        claim = claim_suggestion(suggestion, receiver, note="Secret: ask the minister first")
        Workshop.objects.filter(pk=workshop.pk).update(status="closed", phase="closed")
    mail.outbox.clear()
    return workshop, lena, suggestion, receiver, claim


def report(client, claim, **fields):
    data = {"status": "in_progress", "text": "Pilot started in Skurup.", "link": "", **fields}
    return client.post(reverse("insights:claim-follow-up", args=[claim.pk]), data)


def test_weeks_later_the_receiver_comes_back_and_reports(
    client, story, django_capture_on_commit_callbacks
):
    workshop, _, _suggestion, receiver, claim = story
    with time_machine.travel(START + timedelta(weeks=6), tick=False):
        response = enter_by_invite(client, receiver)
        # Dates read as "… ago" (with no-break spaces), the exact date on hover and in print.
        dashboard = client.get(response["Location"]).content.decode().replace("\xa0", " ")
        assert "Open the sensor data of the city" in dashboard
        assert "no follow-up yet" in dashboard and "1 month, 1 week ago" in dashboard
        with django_capture_on_commit_callbacks(execute=True):
            response = report(client, claim, link="https://vinnova.example/pilot")
        assert response.status_code == 302
        claim.refresh_from_db()
        assert claim.status == Claim.Status.IN_PROGRESS
        saved = FollowUp.objects.get()
        assert (saved.author, saved.link) == (receiver, "https://vinnova.example/pilot")
        public = client.get(reverse("insights:follow-up", args=[workshop.code])).content.decode()
    assert "Pilot started in Skurup." in public and "https://vinnova.example/pilot" in public
    assert "Vinnova: In progress" in public
    (message,) = mail.outbox
    assert message.to == ["kim@example.org"]
    assert "Pilot started in Skurup." in message.body
    assert message.subject == "News on your suggestion from Vinnova: In progress"
    # Any screen still open on the workshop sees the new status on the badge.
    badges = LiveEvent.objects.filter(kind="claim.changed").last().fragments["projector"]
    assert "Vinnova" in badges and "in progress" in badges


def test_the_public_page_shows_no_private_notes_and_no_email_addresses(client, story):
    workshop, _, _, receiver, claim = story
    post_follow_up(claim, receiver, text="Talked to the city.", status="in_progress")
    page = client.get(reverse("insights:follow-up", args=[workshop.code])).content.decode()
    assert "Vinnova" in page and "Jakob" in page and "Talked to the city." in page
    assert "Secret: ask the minister first" not in page
    assert "@" not in page.split("<main", 1)[1]
    assert "Kim" not in page  # the audience stays anonymous here


def test_the_timeline_runs_from_posted_to_each_status_change(client):
    def at(minutes):
        return time_machine.travel(START + timedelta(minutes=minutes), tick=False)

    with at(0):
        workshop = make_workshop()
        suggestion = post(workshop, text="Open the sensor data of the city")
        twin = post(workshop, text="Sensor data should be open")
    with at(5):
        merge_contributions(suggestion, [(twin, None)], None)
    with at(30):
        voter = make_audience(workshop)
        open_voting(workshop, None)
        add_dot(workshop, voter, suggestion.pk)
    with at(45):
        receiver = make_receiver(workshop, "Vinnova")
        claim = claim_suggestion(suggestion, receiver)
    with at(60 * 24 * 14):
        post_follow_up(claim, receiver, status="in_progress", text="Started.")
    with at(60 * 24 * 21):
        post_follow_up(claim, receiver, text="Met the city again.")
    with at(60 * 24 * 63):
        post_follow_up(claim, receiver, status="parked", text="No budget this year.")
    page = client.get(reverse("insights:follow-up", args=[workshop.code])).content.decode()
    steps = [
        "Posted in the workshop",
        "A similar post was merged into it",
        "Got 1 dot in the vote",
        "Taken forward by Vinnova",
        "Vinnova: In progress",
        "Vinnova reported",
        "Vinnova: Parked",
    ]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "Sensor data should be open" in page and "No budget this year." in page
    parked = timezone.localtime(START + timedelta(days=63)).isoformat()
    assert f'datetime="{parked}"' in page


def test_parking_needs_a_reason(client, story):
    _, _, _, receiver, claim = story
    enter_by_invite(client, receiver)
    response = report(client, claim, status="parked", text="")
    assert response.status_code == 400
    assert "Say why it is parked" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CLAIMED and not FollowUp.objects.exists()


def test_an_empty_report_is_refused(client, story):
    _, _, _, receiver, claim = story
    enter_by_invite(client, receiver)
    response = report(client, claim, status="claimed", text="   ")
    assert response.status_code == 400
    assert "Write what happened, or choose a new status." in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_labber_may_change_a_claims_status(client, story):
    _, lena, _, _, claim = story
    client.force_login(lena)
    assert report(client, claim, status="done", text="Confirmed by the city.").status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DONE


def test_another_receiver_cannot_touch_the_claim(client, story):
    workshop, _, _, _, claim = story
    enter_by_invite(client, make_receiver(workshop, "Telia"))
    assert client.get(reverse("insights:claim-detail", args=[claim.pk])).status_code == 403
    assert report(client, claim, status="done").status_code == 403
    with pytest.raises(ActionRefused, match="can report"):
        post_follow_up(claim, make_receiver(workshop, "Telia"), status="done", text="Ours now")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CLAIMED


def test_the_challenger_sees_everything_and_reports_but_does_not_change_the_status(client, story):
    workshop, _, suggestion, _, claim = story
    challenger = workshop.participants.get(role="challenger")
    enter_by_invite(client, challenger)
    page = client.get(reverse("workshops:challenger", args=[workshop.code])).content.decode()
    assert suggestion.text in page and "Silos between departments" in page
    assert "Vinnova" in page and "Secret: ask the minister first" in page  # they may see it

    detail = client.get(reverse("insights:claim-detail", args=[claim.pk])).content.decode()
    assert 'name="status"' not in detail
    assert report(client, claim, status="", text="The city will host it.").status_code == 302
    response = report(client, claim, status="done", text="Done, surely?")
    assert response.status_code == 403
    assert "Only the receiver who claimed it or a labber can change its status." in (
        response.content.decode()
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CLAIMED
    assert FollowUp.objects.get().author == challenger


def test_a_stranger_cannot_open_a_claim(client, story):
    _, _, _, _, claim = story
    response = client.get(reverse("insights:claim-detail", args=[claim.pk]))
    assert response.status_code == 403
    assert "Open your personal link first" in response.content.decode()


def test_a_contributor_leaves_an_email_after_posting_and_can_clear_it(client):
    workshop = make_workshop()
    client.get(reverse("workshops:join", args=[workshop.code]))
    page = client.get(reverse("workshops:join", args=[workshop.code])).content.decode()
    assert "Hear what becomes of your suggestions" in page
    url = reverse("insights:contributor-email", args=[workshop.code])
    response = client.post(url, {"email": "kim@example.org"}, HTTP_HX_REQUEST="true")
    assert "We will email you" in response.content.decode()
    phone = workshop.participants.get(role="audience")
    assert phone.email == "kim@example.org"
    response = client.post(url, {"email": "kim@"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "does not look like an email address" in response.content.decode()
    phone.refresh_from_db()
    assert phone.email == "kim@example.org"
    client.post(url, {"email": ""}, HTTP_HX_REQUEST="true")
    phone.refresh_from_db()
    assert phone.email == ""


# --- Reminders: manage.py send_followup_reminders --days N ---


def remind(days=14, **kwargs):
    call_command("send_followup_reminders", days=days, base_url="https://labbet.example", **kwargs)


def test_a_quiet_claim_gets_one_reminder_and_never_the_same_one_twice(story):
    _, _, _, receiver, _claim = story
    with time_machine.travel(START + timedelta(days=10), tick=False):
        remind()
        assert not mail.outbox  # not quiet for long enough yet
    with time_machine.travel(START + timedelta(days=15), tick=False):
        remind()
        remind()  # cron runs again: nothing new to say
    (message,) = mail.outbox
    assert message.to == ["jakob@vinnova.example"]
    assert f"https://labbet.example/i/{receiver.invite_token}/" in message.body
    assert "Open the sensor data of the city" in message.body
    with time_machine.travel(START + timedelta(days=60), tick=False):
        remind()
    assert len(mail.outbox) == 1


def test_after_a_report_a_new_quiet_spell_earns_a_new_reminder(story):
    _, _, _, receiver, claim = story
    with time_machine.travel(START + timedelta(days=15), tick=False):
        remind()
    with time_machine.travel(START + timedelta(days=20), tick=False):
        post_follow_up(claim, receiver, status="in_progress", text="Started.")
    with time_machine.travel(START + timedelta(days=30), tick=False):
        remind()
    assert len(mail.outbox) == 1
    with time_machine.travel(START + timedelta(days=35), tick=False):
        remind()
    assert len(mail.outbox) == 2


def test_done_or_parked_claims_and_revoked_receivers_get_no_reminder(story):
    workshop, _, suggestion, receiver, claim = story
    post_follow_up(claim, receiver, status="done", text="Shipped.")
    other = make_receiver(workshop, "Telia")
    other.email = "mia@telia.example"
    other.invite_revoked_at = timezone.now()
    other.save()
    Claim.objects.create(contribution=suggestion, receiver=other, created_at=START)
    with time_machine.travel(START + timedelta(days=90), tick=False):
        remind()
    assert not mail.outbox


def test_a_dry_run_sends_nothing_and_marks_nothing(story, capsys):
    with time_machine.travel(START + timedelta(days=15), tick=False):
        remind(dry_run=True)
    assert "Would remind 1 receiver(s) about 1 claim(s)." in capsys.readouterr().out
    assert not mail.outbox
    assert Claim.objects.get().last_reminded_at is None


def test_the_command_needs_an_address_for_its_links(story, settings):
    settings.LABBET_PUBLIC_URL = ""
    with pytest.raises(CommandError, match="LABBET_PUBLIC_URL"):
        call_command("send_followup_reminders", days=14)
    assert not mail.outbox
