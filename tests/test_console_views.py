"""The console over HTTP, as a labber uses it: the page, each move's answer, and what a labber
is told when a move is refused."""

import re

import pytest
from django.test import Client

from insights.models import Contribution
from tests.factories import make_user, make_workshop, post
from workshops.log import card_version
from workshops.models import LogEntry, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def labber():
    user = make_user("lena")
    workshop = make_workshop(labber_user=user)
    client = Client()
    client.force_login(user)
    return client, workshop


def move(client: Client, workshop: Workshop, path: str, **data):
    return client.post(f"/w/{workshop.code}/console/{path}", data, HTTP_HX_REQUEST="true")


def test_console_shows_the_wall_with_every_control(labber):
    client, workshop = labber
    workshop.moderation = Workshop.Moderation.PRE
    workshop.save()
    waiting = post(workshop, text="Waiting for you")
    response = client.get(f"/w/{workshop.code}/console/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="console-live"' in html and 'ws-connect="/ws/w/' in html
    assert "?view=console" in html
    assert f'id="c-{waiting.pk}"' in html and "card--pending" in html
    for control in ("Approve", "Hide", "Pin", "Fix text", "Merge selected into this"):
        assert control in html
    for phase_label in ("Join", "The challenge", "Insights", "Suggestions", "Prioritise"):
        assert phase_label in html
    assert "Start the timer" in html and "Lock posting" in html and "Moderation log" in html
    assert 'id="shortcuts"' in html and "<kbd>j</kbd>" in html
    assert "/console/preview/" in html and "js/console.js" in html


def test_console_page_has_no_inline_script_or_handlers(labber):
    client, workshop = labber
    post(workshop)
    html = client.get(f"/w/{workshop.code}/console/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_console_script_is_only_loaded_by_console_pages(labber):
    client, workshop = labber
    assert "console.js" not in client.get(f"/j/{workshop.code}/").content.decode()
    assert "console.js" not in client.get(f"/w/{workshop.code}/projector/").content.decode()


def test_a_move_answers_with_a_short_note(labber):
    client, workshop = labber
    contribution = post(workshop)
    response = move(client, workshop, f"c/{contribution.pk}/status/", status="hidden")
    assert response.status_code == 200
    assert "Hidden from the projector and the phones" in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.HIDDEN


def test_without_javascript_a_move_returns_to_the_console_with_the_note(labber):
    client, workshop = labber
    response = client.post(
        f"/w/{workshop.code}/console/prompt/", {"text": "Who dares?"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/w/{workshop.code}/console/"
    assert "The question is on the projector" in response.content.decode()


def test_a_stale_move_gets_a_clear_message_not_an_error_page(labber):
    client, workshop = labber
    contribution = post(workshop)
    seen = card_version(contribution)
    keep = post(workshop, text="keep")
    hidden = move(client, workshop, f"c/{contribution.pk}/status/", status="hidden", v=seen)
    assert hidden.status_code == 200
    response = move(
        client, workshop, "merge/", keep=keep.pk, selected=[f"{contribution.pk}@{seen}"]
    )
    assert response.status_code == 409
    assert "Someone else changed this post a moment ago" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.merged_into is None and contribution.status == "hidden"


def test_merging_then_hiding_the_merged_card_is_refused_clearly(labber):
    client, workshop = labber
    keep, duplicate = post(workshop, text="keep"), post(workshop, text="dup")
    seen = card_version(duplicate)
    merged = move(client, workshop, "merge/", keep=keep.pk, selected=[f"{duplicate.pk}@{seen}"])
    assert merged.status_code == 200
    response = move(client, workshop, f"c/{duplicate.pk}/status/", status="hidden", v=seen)
    assert response.status_code == 409
    assert "merged this post into another" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Contribution.Status.VISIBLE and duplicate.merged_into == keep


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("prompt/", {"text": "   "}, "Write the question"),
        ("timer/", {"op": "start"}, "How many minutes"),
        ("timer/", {"op": "start", "minutes": "soon"}, "Write the minutes as a number"),
        ("merge/", {"keep": "1"}, "Select one or more posts"),
        ("themes/", {"name": "", "selected": ["1"]}, "Give the theme a name"),
        ("phase/", {"phase": "party"}, "valid choice"),
    ],
)
def test_input_that_does_not_validate_says_what_to_fix(labber, path, data, message):
    client, workshop = labber
    post(workshop)
    response = move(client, workshop, path, **data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_refused_state_change_says_why(labber):
    client, workshop = labber
    response = move(client, workshop, "timer/", op="pause")
    assert response.status_code == 409
    assert "The timer is not running" in response.content.decode()


def test_full_moderation_log_lists_who_did_what_and_when(labber):
    client, workshop = labber
    contribution = post(workshop, text="Rude words")
    move(client, workshop, f"c/{contribution.pk}/status/", status="hidden")
    move(client, workshop, "phase/", phase="insights")
    html = client.get(f"/w/{workshop.code}/console/log/").content.decode()
    assert "lena hid “Rude words”" in html
    assert "lena moved the room to “Insights”" in html
    assert html.count("<time") == 2


def test_undo_from_the_log_page_without_javascript(labber):
    client, workshop = labber
    contribution = post(workshop)
    move(client, workshop, f"c/{contribution.pk}/status/", status="hidden")
    entry = LogEntry.objects.get(workshop=workshop)
    response = client.post(f"/w/{workshop.code}/console/log/{entry.pk}/undo/", follow=True)
    assert "Undone" in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.is_visible


def test_the_preview_is_the_projector_framed_for_the_console(labber):
    client, workshop = labber
    response = client.get(f"/w/{workshop.code}/console/preview/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert 'id="projector-live"' in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.projector_opened_at is None


def test_the_projector_shows_hidden_counts_and_the_spotlight(labber):
    client, workshop = labber
    hidden, shown = post(workshop, text="gone"), post(workshop, text="Look at me")
    move(client, workshop, f"c/{hidden.pk}/status/", status="hidden")
    move(client, workshop, f"c/{shown.pk}/spotlight/", on="1")
    html = client.get(f"/w/{workshop.code}/projector/").content.decode()
    assert "1 post hidden by the labbers" in html
    assert re.search(r'class="spotlight__text"[^>]*>Look at me<', html)


def test_every_button_of_a_console_card_posts_to_its_own_card(labber):
    """The card's buttons are reversed once per workshop and given each card's key (the
    live fragments render many cards per event): each one is the URL Django reverses for
    that card, for two cards in a row and behind a sub-path (a deployment under /labbet/)."""
    from django.urls import reverse, set_script_prefix

    client, workshop = labber
    first, second = post(workshop, text="First card"), post(workshop, text="Second card")
    html = client.get(f"/w/{workshop.code}/console/").content.decode()
    for card in (first, second):
        for name in ("console-status", "console-pin", "console-mute", "console-edit"):
            url = reverse(f"workshops:{name}", args=[workshop.code, card.pk])
            assert f'"{url}"' in html, name
    assert f'"{reverse("workshops:console-merge", args=[workshop.code])}"' in html
    assert (
        f'action="{reverse("insights:post", args=[workshop.code])}"'
        in Client().get(f"/j/{workshop.code}/").content.decode()
    )

    from workshops.templatetags.screens import live_url

    try:
        set_script_prefix("/labbet/")
        assert live_url("workshops:console-pin", workshop.code, second.pk) == (
            f"/labbet/w/{workshop.code}/console/c/{second.pk}/pin/"
        )
        assert live_url("workshops:console-merge", workshop.code) == (
            f"/labbet/w/{workshop.code}/console/merge/"
        )
    finally:
        set_script_prefix("/")


def test_the_cards_urls_follow_the_urls_when_they_move(labber):
    from django.test import override_settings

    from workshops.templatetags.screens import live_url

    _client, workshop = labber
    assert live_url("workshops:console-pin", workshop.code, 7).startswith("/w/")
    with override_settings(ROOT_URLCONF="tests.urls_moved"):
        assert live_url("workshops:console-pin", workshop.code, 7) == (
            f"/moved/w/{workshop.code}/console/c/7/pin/"
        )
        assert live_url("insights:post", workshop.code) == f"/moved/j/{workshop.code}/post/"
    assert live_url("workshops:console-pin", workshop.code, 7).startswith("/w/")
