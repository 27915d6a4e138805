"""Email through a real SMTP server (aiosmtpd on a free loopback port): invitations, claim and
follow-up notices to contributors, reminders to receivers. Each lands with the right
recipient, a one-line subject in the workshop's language, working links and, on the automatic
ones, List-Unsubscribe with a one-click unsubscribe that needs no account. One refused
address or one server error costs that one email, never the rest of the run."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import CommandError, call_command
from django.urls import reverse

from insights.actions.claims import claim_suggestion, post_follow_up, set_contributor_email
from insights.actions.posts import merge_contributions
from insights.models import Claim
from labbet.services import free_port
from tests.factories import make_audience, make_receiver, make_workshop, post
from workshops.actions.invites import send_invite
from workshops.models import Participant

pytestmark = pytest.mark.django_db
START = datetime(2026, 6, 30, 14, 0, tzinfo=UTC)
BASE = "https://labbet.example"
TWO_LINES = "How can we build\nthe smart city together?"


@dataclass
class Inbox:
    """The SMTP server's side: what arrived, and which addresses it refuses or fails on."""

    received: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT: no such mailbox
    fail: set[str] = field(default_factory=set)  # 451 at DATA: a server error

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.fail:
            return "451 4.3.0 Temporary server error"
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield handler
    controller.stop()


def subject(message) -> str:
    # Python's folding of an encoded header leaves a space before the first word.
    return str(message["Subject"]).strip()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def links(message) -> list[str]:
    return re.findall(r"https://labbet\.example/\S+", body(message))


def path_of(url: str) -> str:
    return urlsplit(url).path


def assert_one_click_unsubscribe(client, message, participant: Participant) -> None:
    """The header a mail client shows as "unsubscribe", the same link in the body, and a
    one-click POST without an account or a CSRF token that stops the emails."""
    header = str(message["List-Unsubscribe"]).strip()
    assert header.startswith("<https://labbet.example/unsubscribe/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in links(message)
    client.logout()
    page = client.get(path_of(url))
    assert page.status_code == 200
    participant.refresh_from_db()
    assert participant.unsubscribed_at is None  # a link checker's GET unsubscribes no one
    client.handler.enforce_csrf_checks = True
    done = client.post(path_of(url), {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    participant.refresh_from_db()
    assert participant.unsubscribed_at is not None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Your personal link to the workshop “How can we build the smart city"),
        ("sv", "Din personliga länk till workshopen ”How can we build the smart city"),
    ],
)
def test_an_invitation_for_a_question_over_two_lines_arrives_with_a_one_line_subject(
    inbox, client, language, expected
):
    workshop = make_workshop(question=TWO_LINES, language=language)
    receiver = make_receiver(workshop)
    receiver.email = "jakob@vinnova.example"
    receiver.save()
    send_invite(receiver, BASE)
    (message,) = inbox.to("jakob@vinnova.example")
    assert "\n" not in subject(message)
    assert subject(message).startswith(expected)
    assert message["List-Unsubscribe"] is None  # a labber sent it to this person
    (link,) = links(message)
    assert link == f"{BASE}/i/{receiver.invite_token}/"
    assert client.get(path_of(link)).status_code in {200, 302}


@pytest.fixture
def claimed(inbox, django_capture_on_commit_callbacks):
    """Two contributors of one suggestion (a duplicate merged in) left an address; the
    first address is refused by the server."""
    workshop = make_workshop(question=TWO_LINES, language="sv")
    first, second = make_audience(workshop, "Ada"), make_audience(workshop, "Kim")
    set_contributor_email(first, "gone@example.org")
    set_contributor_email(second, "kim@example.org")
    suggestion = post(workshop, author=first, text="Open the sensor data of the city")
    duplicate = post(workshop, author=second, text="Open sensor data")
    merge_contributions(suggestion, [(duplicate, None)], None)
    receiver = make_receiver(workshop, "Vinnova")
    inbox.refuse.add("gone@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_suggestion(suggestion, receiver, base_url=BASE)
    return workshop, second, receiver, claim


def test_contributors_hear_of_the_claim_past_a_refused_address(claimed, inbox, client):
    _workshop, kim, _receiver, _claim = claimed
    (message,) = inbox.received
    assert message["To"] == "kim@example.org"
    assert subject(message) == "Vinnova tar ditt förslag vidare"
    assert "Open the sensor data of the city" in body(message)
    follow_up_link = f"{BASE}{reverse('insights:follow-up', args=[_workshop.code])}"
    assert follow_up_link in links(message)
    assert client.get(path_of(follow_up_link)).status_code == 200
    assert_one_click_unsubscribe(client, message, kim)


def test_a_follow_up_notice_reaches_contributors_until_they_unsubscribe(
    claimed, inbox, client, django_capture_on_commit_callbacks
):
    _workshop, kim, receiver, claim = claimed
    inbox.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_follow_up(claim, receiver, status="in_progress", text="Pilot started.", base_url=BASE)
    (message,) = inbox.received
    assert message["To"] == "kim@example.org"
    assert subject(message) == "Nytt om ditt förslag från Vinnova: Pågår"
    assert_one_click_unsubscribe(client, message, kim)
    inbox.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_follow_up(claim, receiver, status="done", text="Shipped.", base_url=BASE)
    assert not inbox.received


@pytest.fixture
def quiet_claims(inbox):
    """Three receivers with a quiet claim each, in an English workshop."""
    with time_machine.travel(START, tick=False):
        workshop = make_workshop(question=TWO_LINES)
        people = []
        for organisation, address in [
            ("Vinnova", "jakob@vinnova.example"),
            ("Telia", "gone@telia.example"),
            ("Region", "ola@region.example"),
        ]:
            receiver = make_receiver(workshop, organisation)
            receiver.email = address
            receiver.save()
            claim_suggestion(post(workshop, text=f"Idea for {organisation}"), receiver)
            people.append(receiver)
    return people


def remind():
    with time_machine.travel(START + timedelta(days=15), tick=False):
        call_command("send_followup_reminders", days=14, base_url=BASE)


def test_a_reminder_run_goes_on_past_a_refused_address_and_fails_with_a_summary(
    quiet_claims, inbox, client
):
    inbox.refuse.add("gone@telia.example")
    with pytest.raises(CommandError, match=r"1 reminder\(s\) could not be sent.*gone@telia"):
        remind()
    assert sorted(m["To"] for m in inbox.received) == [
        "jakob@vinnova.example",
        "ola@region.example",
    ]
    message = inbox.to("jakob@vinnova.example")[0]
    assert subject(message) == (
        "What came of it? A follow-up for “How can we build the smart city together?”"
    )
    assert f"{BASE}/i/{quiet_claims[0].invite_token}/" in links(message)
    # The refused one's claim waits for the next run; the others are not reminded twice.
    assert Claim.objects.filter(last_reminded_at__isnull=True).get().receiver.organisation == (
        "Telia"
    )
    inbox.refuse.clear()
    inbox.received.clear()
    remind()
    assert [m["To"] for m in inbox.received] == ["gone@telia.example"]
    assert_one_click_unsubscribe(client, inbox.received[0], quiet_claims[1])


def test_a_server_error_on_one_reminder_costs_only_that_one(quiet_claims, inbox):
    inbox.fail.add("jakob@vinnova.example")
    with pytest.raises(CommandError, match=r"1 reminder\(s\) could not be sent"):
        remind()
    assert sorted(m["To"] for m in inbox.received) == [
        "gone@telia.example",
        "ola@region.example",
    ]


def test_an_unsubscribed_receiver_gets_no_reminder(quiet_claims, inbox, client):
    remind()
    assert len(inbox.received) == 3
    assert_one_click_unsubscribe(client, inbox.to("ola@region.example")[0], quiet_claims[2])
    Claim.objects.update(last_reminded_at=None)
    inbox.received.clear()
    remind()
    assert sorted(m["To"] for m in inbox.received) == [
        "gone@telia.example",
        "jakob@vinnova.example",
    ]


def test_the_unsubscribe_page_speaks_the_workshops_language_and_refuses_a_forged_link(client):
    workshop = make_workshop(language="sv")
    kim = make_audience(workshop, "Kim")
    set_contributor_email(kim, "kim@example.org")
    from insights.actions.claims import unsubscribe_url

    url = unsubscribe_url(kim, BASE)
    page = client.get(path_of(url))
    assert "Stoppa mejlen" in page.content.decode()
    assert client.get(path_of(url)[:-3] + "xx/").status_code == 404
    client.post(path_of(url))
    kim.refresh_from_db()
    assert kim.unsubscribed_at is not None
    # Leaving the address again on the phone is asking again.
    set_contributor_email(kim, "kim@new.example")
    kim.refresh_from_db()
    assert kim.unsubscribed_at is None
