"""Before the session, without the Django admin: a labber signs in, sees their workshops,
creates or copies one, writes the challenge and its obstacles, invites people, checks that
the room is ready, and prints the QR poster."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from challenges.models import Challenge
from tests.factories import make_receiver, make_user, make_workshop, post
from workshops.actions.setup import add_colabber
from workshops.models import Participant, Workshop

pytestmark = pytest.mark.django_db


def visitor() -> Client:
    """A browser that asks for English pages (the suite reads the English messages)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signs_in(username: str, password: str) -> bool:
    """Through the sign-in page, as a person does (and as django-axes counts)."""
    response = visitor().post(
        "/accounts/login/", {"username": username, "password": password}, follow=True
    )
    return response.redirect_chain[-1:] == [("/dashboard/", 302)]


@pytest.fixture
def lena():
    user = make_user("lena")
    user.email = "lena@example.org"
    user.save()
    return user


@pytest.fixture
def client_of(lena):
    client = visitor()
    client.force_login(lena)
    return client


# --- Signing in ---


def test_a_labber_signs_in_and_lands_on_their_dashboard(lena):
    client = visitor()
    response = client.post(
        "/accounts/login/", {"username": "lena", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "Your workshops" in response.content.decode()


def test_thirty_wrong_passwords_lock_the_account_for_a_short_while_with_a_clear_message(lena):
    """Issue 18, finding 6: sign-in is throttled per account and per address."""
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    for n in range(30):
        attacker = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.9.0.{n}")
        attacker.post("/accounts/login/", {"username": "lena", "password": f"guess-{n}"})
    # Past the limit even the right password waits, and the page says why.
    response = visitor().post(
        "/accounts/login/", {"username": "lena", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    # Not for longer than the short window.
    with time_machine.travel(start + timedelta(minutes=11)):
        assert signs_in("lena", "pw-for-tests-1")


def test_one_address_trying_many_accounts_is_throttled_too(lena):
    guesser = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.1.1")
    for n in range(10):
        guesser.post("/accounts/login/", {"username": f"user{n}", "password": "x"})
    response = guesser.post("/accounts/login/", {"username": "lena", "password": "pw-for-tests-1"})
    assert response.status_code == 429
    # The account itself is not locked from elsewhere.
    assert signs_in("lena", "pw-for-tests-1")


def test_password_reset_emails_are_throttled_per_account_and_address(lena, settings):
    settings.LABBET_RATE_LIMITS = {"reset_account": (3, 900), "reset_address": (20, 900)}
    for n in range(3):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.9.2.{n}")
        client.post("/accounts/password-reset/", {"email": "lena@example.org"})
    assert len(mail.outbox) == 3
    refused = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.2.9").post(
        "/accounts/password-reset/", {"email": "LENA@example.org"}
    )
    assert refused.status_code == 429
    assert "Too many reset links were asked for lately" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_the_dashboard_asks_for_sign_in():
    response = visitor().get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_forgotten_password_is_reset_by_email(lena):
    client = visitor()
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password-reset/"' in page
    response = client.post("/accounts/password-reset/", {"email": "lena@example.org"}, follow=True)
    assert "Check your email" in response.content.decode()
    (email,) = mail.outbox
    assert email.to == ["lena@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", email.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"}
    )
    assert signs_in("lena", "a-new-long-pass-42")


def test_staff_create_a_labber_who_chooses_a_password_from_an_email():
    staff = make_user("admin", staff=True)
    client = visitor()
    client.force_login(staff)
    response = client.post(
        "/accounts/labbers/new/",
        {"username": "nils", "first_name": "Nils", "email": "nils@example.org"},
        follow=True,
    )
    assert "Nils has an account now" in response.content.decode()
    (email,) = mail.outbox
    assert email.to == ["nils@example.org"] and "nils" in email.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", email.body).group(1)
    newcomer = visitor()
    form = newcomer.get(link, follow=True)
    newcomer.post(
        form.redirect_chain[-1][0],
        {"new_password1": "nils-chooses-this-1", "new_password2": "nils-chooses-this-1"},
    )
    assert signs_in("nils", "nils-chooses-this-1")


def test_only_staff_create_labber_accounts(client_of):
    assert client_of.get("/accounts/labbers/new/").status_code == 403


def test_open_sign_up_is_off_unless_switched_on(settings):
    settings.LABBET_OPEN_SIGNUP = False
    assert visitor().get("/accounts/signup/").status_code == 404
    assert "/accounts/signup/" not in visitor().get("/accounts/login/").content.decode()


def test_open_sign_up_makes_a_labber_account(settings):
    settings.LABBET_OPEN_SIGNUP = True
    client = visitor()
    assert "/accounts/signup/" in client.get("/accounts/login/").content.decode()
    response = client.post(
        "/accounts/signup/",
        {
            "username": "sara",
            "email": "sara@example.org",
            "password1": "sara-secret-pass-9",
            "password2": "sara-secret-pass-9",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "Create your first workshop" in response.content.decode()


# --- The dashboard ---


def test_dashboard_groups_the_labbers_workshops_upcoming_live_and_closed(client_of, lena):
    upcoming = make_workshop(labber_user=lena, question="Next week?", status="draft")
    live = make_workshop(labber_user=lena, question="Right now?")
    closed = make_workshop(labber_user=lena, question="Last year?", status="closed")
    shared = make_workshop(labber_user=make_user("olle"), question="Co-labbed?")
    add_colabber(shared, lena)
    make_workshop(labber_user=make_user("pia"), question="Not mine?")
    html = client_of.get("/dashboard/").content.decode()
    sections = {
        key: html.split(f'id="group-{key}"')[1].split("</section>")[0]
        for key in ("live", "upcoming", "closed")
    }
    assert live.question in sections["live"] and shared.question in sections["live"]
    assert upcoming.question in sections["upcoming"]
    assert closed.question in sections["closed"]
    assert "Not mine?" not in html


def test_a_labber_creates_a_workshop(client_of, lena):
    response = client_of.post(
        "/dashboard/new/",
        {
            "question": "How do we share data?",
            "event": "Almedalen",
            "date": "2026-07-01",
            "place": "Visby",
            "language": "en",
            "moderation": "pre",
            "dots_per_person": "5",
        },
    )
    workshop = Workshop.objects.get(question="How do we share data?")
    assert response["Location"] == f"/w/{workshop.code}/setup/"
    assert (workshop.event, str(workshop.date), workshop.place) == (
        "Almedalen",
        "2026-07-01",
        "Visby",
    )
    assert (workshop.language, workshop.moderation, workshop.dots_per_person) == ("en", "pre", 5)
    assert workshop.status == Workshop.Status.DRAFT and workshop.created_by == lena
    assert workshop.participants.get(role=Participant.Role.LABBER).user == lena


def test_control_characters_are_taken_out_of_the_event_and_the_place(client_of):
    client_of.post(
        "/dashboard/new/",
        {
            "question": "Who shares?",
            "event": "Alme\u202edalen\x07",
            "date": "2026-07-01",
            "place": " Vis\u200bby\x1b ",
            "language": "en",
            "moderation": "pre",
            "dots_per_person": "5",
        },
    )
    workshop = Workshop.objects.get(question="Who shares?")
    assert (workshop.event, workshop.place) == ("Almedalen", "Visby")


def test_a_workshop_without_a_question_is_not_created(client_of):
    response = client_of.post("/dashboard/new/", {"question": " ", "dots_per_person": "3"})
    assert response.status_code == 400
    assert not Workshop.objects.exists()


def test_duplicating_copies_the_frame_but_not_the_room(client_of, lena):
    original = make_workshop(labber_user=lena, obstacles=("Silos", "No trust", "No money"))
    original.dots_per_person = 7
    original.moderation = "pre"
    original.save()
    add_colabber(original, make_user("olle"))
    post(original)
    make_receiver(original)
    response = client_of.post(f"/w/{original.code}/duplicate/")
    copy = Workshop.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/w/{copy.code}/setup/"
    assert copy.code != original.code and copy.projector_token != original.projector_token
    assert (copy.question, copy.dots_per_person, copy.moderation) == (
        original.question,
        7,
        "pre",
    )
    assert copy.status == Workshop.Status.DRAFT
    assert [o.text for o in copy.challenges.get().obstacles.all()] == [
        "Silos",
        "No trust",
        "No money",
    ]
    assert not copy.contributions.exists()
    assert {p.user.username for p in copy.participants.filter(role="labber")} == {"lena", "olle"}
    assert not copy.participants.filter(role=Participant.Role.RECEIVER).exists()


# --- Setting up one workshop ---


def test_a_labber_writes_a_challenge_with_ordered_obstacles(client_of, lena):
    workshop = make_workshop(labber_user=lena, obstacles=())
    client_of.post(
        f"/w/{workshop.code}/setup/challenges/",
        {"title": "Smart city", "obstacles": "Silos\n\n  No trust  \nNo money"},
    )
    challenge = Challenge.objects.get(workshop=workshop)
    assert [o.text for o in challenge.obstacles.all()] == ["Silos", "No trust", "No money"]
    client_of.post(
        f"/w/{workshop.code}/setup/challenges/{challenge.pk}/obstacles/", {"text": "No time"}
    )
    last = challenge.obstacles.get(text="No time")
    client_of.post(f"/w/{workshop.code}/setup/obstacles/{last.pk}/move/", {"step": "-1"})
    assert [o.text for o in challenge.obstacles.all()] == [
        "Silos",
        "No trust",
        "No time",
        "No money",
    ]
    client_of.post(f"/w/{workshop.code}/setup/obstacles/{last.pk}/delete/")
    assert challenge.obstacles.count() == 3
    page = client_of.get(f"/w/{workshop.code}/setup/").content.decode()
    assert page.index("Silos") < page.index("No trust") < page.index("No money")


def test_the_projector_follows_a_challenge_written_while_it_is_open(client_of, lena):
    workshop = make_workshop(labber_user=lena, obstacles=())
    seq = workshop.live_seq
    client_of.post(
        f"/w/{workshop.code}/setup/challenges/", {"title": "Smart city", "obstacles": "Silos"}
    )
    event = workshop.live_events.get(seq=seq + 1)
    assert event.kind == "room.changed" and "Silos" in event.fragments["projector"]


def test_a_labber_adds_a_co_labber_by_their_account(client_of, lena):
    workshop = make_workshop(labber_user=lena)
    make_user("olle")
    client_of.post(f"/w/{workshop.code}/setup/labbers/", {"account": "olle"})
    assert workshop.participants.filter(role="labber", user__username="olle").exists()
    response = client_of.post(f"/w/{workshop.code}/setup/labbers/", {"account": "nobody"})
    assert response.status_code == 400 and "No Labbet account" in response.content.decode()


def test_the_setup_page_lists_the_people_and_leads_to_the_invitations(client_of, lena):
    workshop = make_workshop(labber_user=lena)
    make_receiver(workshop, organisation="Vinnova")
    html = client_of.get(f"/w/{workshop.code}/setup/").content.decode()
    assert "Vinnova" in html and "Therese" in html
    assert f'href="/w/{workshop.code}/invites/"' in html


def test_a_labber_edits_the_details(client_of, lena):
    workshop = make_workshop(labber_user=lena)
    client_of.post(
        f"/w/{workshop.code}/setup/details/",
        {
            "question": "A better question?",
            "language": "sv",
            "moderation": "open",
            "dots_per_person": 2,
        },
    )
    workshop.refresh_from_db()
    assert (workshop.question, workshop.language, workshop.dots_per_person) == (
        "A better question?",
        "sv",
        2,
    )


def checklist(client: Client, workshop: Workshop) -> dict[str, bool]:
    html = client.get(f"/w/{workshop.code}/setup/").content.decode()
    items = re.findall(r'<li class="checklist__item( is-done)?">.*?</span> (.*?) <span', html)
    return {text: bool(done) for done, text in items}


def test_readiness_checklist_follows_what_is_in_place(client_of, lena):
    workshop = make_workshop(labber_user=lena, obstacles=())
    assert checklist(client_of, workshop) == {
        "A challenge with its obstacles is written": False,
        "Receivers are invited": False,
        "The projector link was opened on the room&#x27;s computer": False,
    }
    client_of.post(f"/w/{workshop.code}/setup/challenges/", {"title": "C", "obstacles": "O"})
    make_receiver(workshop)
    # The labber's own look at the projector does not count; the room's computer does.
    client_of.get(f"/w/{workshop.code}/projector/")
    assert not all(checklist(client_of, workshop).values())
    room = visitor()
    assert room.post(f"/w/{workshop.code}/projector/opened/?key=wrong").status_code == 403
    assert (
        room.post(
            f"/w/{workshop.code}/projector/opened/?key={workshop.projector_token}"
        ).status_code
        == 204
    )
    assert all(checklist(client_of, workshop).values())


def test_the_projector_page_reports_its_opening_with_its_secret_link(lena):
    workshop = make_workshop(labber_user=lena)
    html = visitor().get(f"/w/{workshop.code}/projector/?key={workshop.projector_token}").content
    assert f"/w/{workshop.code}/projector/opened/?key=".encode() in html


def test_the_poster_has_the_question_the_qr_code_and_the_join_code(client_of, lena):
    workshop = make_workshop(labber_user=lena, question="Who dares?")
    html = client_of.get(f"/w/{workshop.code}/poster/").content.decode()
    assert "Who dares?" in html and workshop.code in html
    # The address may wrap before the code, never inside it.
    assert "<svg" in html and f'/j/<wbr><span class="nowrap">{workshop.code}/</span>' in html
    assert "@page" not in html  # print layout lives in the stylesheet
