"""Facilitation in real Chromium: a labber prepares a workshop from the dashboard, then steers
the room from the console while a projector and two phones follow live."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "How can we make the city smarter together?"
LIVE = 3000  # ms; the one-second promise itself is measured in tests/test_console_live.py


def wait_live(page) -> None:
    page.locator("body.is-live").wait_for(timeout=10_000)


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("labbare")
    page.get_by_label("Password").fill("labbet-demo")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def phone_post(page, text: str, kind: str = "insight") -> None:
    page.check(f"#post-form input[name=kind][value={kind}]")
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button[type=submit]")
    page.locator(".post-confirm").wait_for(timeout=LIVE)


def card_on(page, text: str):
    return page.locator(".card", has_text=text)


def card_id(console, text: str) -> str:
    card = card_on(console, text)
    card.wait_for(timeout=LIVE)
    return card.get_attribute("id")


def press_on_card(console, text: str, key: str) -> None:
    console.locator(f"#{card_id(console, text)}").focus()
    console.keyboard.press(key)


def test_labber_prepares_a_workshop_from_the_dashboard_and_opens_its_projector(
    new_context, live_server
):
    labber = new_context("projector", viewport={"width": 1440, "height": 900}).new_page()
    sign_in(labber, live_server.url)

    labber.get_by_role("link", name="New workshop").click()
    labber.get_by_label("Question:").fill(QUESTION)
    labber.get_by_label("Event:").fill("Almedalen")
    labber.get_by_label("Date:").fill("2026-07-01")
    labber.get_by_label("Place:").fill("Visby")
    labber.get_by_label("Language:").select_option("en")
    labber.get_by_label("Pre-moderated: a labber approves each post").check()
    labber.get_by_label("Dots per person:").fill("3")
    labber.get_by_role("button", name="Create the workshop").click()
    labber.wait_for_url(re.compile(r"/w/[A-Z0-9]{6}/setup/$"))
    code = labber.locator(".code-chip").first.inner_text().strip()

    labber.get_by_label("The challenge:").fill("Silos hold the smart city back")
    labber.get_by_label("Obstacles, one per line, in order:").fill(
        "No incentives to break silos\nNo trust between partners"
    )
    labber.get_by_role("button", name="Add the challenge").click()
    obstacles = labber.locator(".obstacle-row__text input[name=text]")
    obstacles.first.wait_for()
    assert [field.input_value() for field in obstacles.all()] == [
        "No incentives to break silos",
        "No trust between partners",
    ]

    with labber.context.expect_page() as opened:
        labber.get_by_role("link", name="Open the projector").click()
    projector = opened.value
    projector.wait_for_load_state()
    wait_live(projector)
    assert projector.locator(".projector-question").inner_text() == QUESTION
    assert "No trust between partners" in projector.locator(".projector-wall").inner_text()
    assert projector.locator(".join-code").inner_text() == code

    labber.reload()
    assert "is-done" in labber.locator(".checklist__item").nth(2).get_attribute("class")
    screenshot(labber, "setup")


def prepared_workshop(live_server) -> tuple[str, str]:
    """What the story above leaves: the demo labber's pre-moderated English workshop with its
    challenge; its code and the projector's link."""
    code, token = live_server.shell(
        "from django.contrib.auth import get_user_model\n"
        "from tests.factories import make_workshop\n"
        "labber = get_user_model().objects.get(username='labbare')\n"
        f"w = make_workshop(labber_user=labber, language='en', question={QUESTION!r}, "
        "moderation='pre', obstacles=('No incentives to break silos', "
        "'No trust between partners'))\n"
        "print(w.code, w.projector_token)"
    ).split()
    return code, f"{live_server.url}/w/{code}/projector/?key={token}"


def test_labber_steers_the_room_from_the_console(new_context, live_server):
    code, projector_url = prepared_workshop(live_server)
    base = live_server.url

    console = new_context("projector", viewport={"width": 1440, "height": 900}).new_page()
    sign_in(console, base)
    console.goto(f"{base}/w/{code}/console/")
    wait_live(console)
    projector = new_context("projector").new_page()
    projector.goto(projector_url)
    wait_live(projector)
    anna, bo = new_context("phone").new_page(), new_context("phone").new_page()
    for phone in (anna, bo):
        phone.goto(f"{base}/j/{code}/")
        wait_live(phone)

    # Pre-moderated: the post waits on the console, off the projector and the other phone.
    phone_post(anna, "Pilots with citizens")
    assert "A labber will put it on the wall shortly" in anna.locator(".post-confirm").inner_text()
    card_on(console, "Pilots with citizens").wait_for(timeout=LIVE)
    assert "card--pending" in card_on(console, "Pilots with citizens").get_attribute("class")
    # The projector and the other phone have had the pending post's event (their cursor is
    # the console's) and show nothing of it.
    seq = console.locator("body").get_attribute("data-cursor")
    for page in (projector, bo):
        page.locator(f'body[data-cursor="{seq}"]').wait_for(state="attached", timeout=LIVE)
    assert card_on(projector, "Pilots with citizens").count() == 0
    assert card_on(bo, "Pilots with citizens").count() == 0

    card_on(console, "Pilots with citizens").get_by_role("button", name="Approve").click()
    card_on(projector, "Pilots with citizens").wait_for(timeout=LIVE)
    card_on(bo, "Pilots with citizens").wait_for(timeout=LIVE)

    # Hide removes a card everywhere, live (by keyboard: h on the focused card).
    phone_post(bo, "Something rude")
    press_on_card(console, "Something rude", "a")
    card_on(projector, "Something rude").wait_for(timeout=LIVE)
    card_on(anna, "Something rude").wait_for(timeout=LIVE)
    press_on_card(console, "Something rude", "h")
    card_on(projector, "Something rude").wait_for(state="detached", timeout=LIVE)
    card_on(anna, "Something rude").wait_for(state="detached", timeout=LIVE)
    card_on(bo, "Something rude").wait_for(state="detached", timeout=LIVE)
    assert "1 post hidden by the labbers" in projector.locator("#projector-hidden").inner_text()
    assert "card--hidden" in card_on(console, "Something rude").get_attribute("class")

    # Merge leaves one card, with the votes of both.
    phone_post(anna, "Share data openly", kind="suggestion")
    phone_post(bo, "Open up the city's data", kind="suggestion")
    keep_id = card_id(console, "Share data openly")
    duplicate_id = card_id(console, "Open up the city's data")
    for text in ("Share data openly", "Open up the city's data"):
        press_on_card(console, text, "a")
        card_on(projector, text).wait_for(timeout=LIVE)
    live_server.shell(
        "from insights.models import Contribution, Vote; "
        f"keep = Contribution.objects.get(pk={keep_id[2:]}); "
        f"dup = Contribution.objects.get(pk={duplicate_id[2:]}); "
        "Vote.objects.create(contribution=keep, participant=keep.author, dots=1); "
        "Vote.objects.create(contribution=dup, participant=dup.author, dots=2); "
        "Vote.objects.create(contribution=dup, participant=keep.author, dots=1)"
    )
    console.locator(f"#{duplicate_id} input[name=selected]").check()
    console.locator(f"#{keep_id}").get_by_role("button", name="Merge selected into this").click()
    for page in (projector, anna, bo):
        page.locator(f"#{duplicate_id}").wait_for(state="detached", timeout=LIVE)
        assert card_on(page, "Share data openly").count() == 1
    console.locator(f"#{duplicate_id}").wait_for(state="detached", timeout=LIVE)
    assert "1 merged into it" in console.locator(f"#{keep_id}").inner_text()
    dots = live_server.shell(
        "from insights.models import Vote; "
        f"print(sorted(v.dots for v in Vote.objects.filter(contribution_id={keep_id[2:]})))"
    )
    assert dots == "[2, 2]"

    # Spotlight shows the card large on the projector.
    press_on_card(console, "Share data openly", "s")
    spotlight = projector.locator("#projector-spotlight .spotlight__text")
    spotlight.wait_for(timeout=LIVE)
    assert spotlight.inner_text() == "Share data openly"
    projector.wait_for_timeout(700)  # let the card settle in before the picture
    font_px = float(spotlight.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert font_px >= 0.04 * 1920  # 4.4vw: readable from the back of the room
    screenshot(projector, "projector-spotlight")
    screenshot(console, "console")

    # A running timer counts down on the phones.
    console.get_by_label("Timer, minutes").fill("1")
    console.get_by_role("button", name="Start the timer").click()
    clock = anna.locator("#room-timer [data-timer-clock]")
    clock.wait_for(timeout=LIVE)
    first = clock.inner_text()
    anna.wait_for_timeout(2100)
    later = clock.inner_text()
    assert re.fullmatch(r"[01]:\d\d", first) and later < first, (first, later)
    assert bo.locator("#room-timer").is_visible()

    # Locking shows the phone a clear message and a disabled form.
    console.locator("body").press("Escape")
    console.get_by_role("button", name="Lock posting").click()
    note = bo.locator("#post-form [data-post-locked]")
    note.wait_for(state="visible", timeout=LIVE)
    assert "Posting is paused" in note.inner_text()
    assert bo.locator("#post-form textarea").is_disabled()
    assert bo.locator("#post-form button[type=submit]").is_disabled()
    console.get_by_role("button", name="Unlock posting").click()
    note.wait_for(state="hidden", timeout=LIVE)
    assert bo.locator("#post-form textarea").is_enabled()

    # A phase change changes what the phones ask for.
    assert "first thought" in anna.locator(".phone-prompt__text").inner_text()
    console.locator(".phase-bar").get_by_role("button", name="Suggestions").click()
    anna.locator(".phone-prompt__text", has_text="What could solve it?").wait_for(timeout=LIVE)
    assert anna.locator("#post-form input[name=kind][value=suggestion]").is_checked()
    assert projector.locator(".phase-pill").inner_text() == "Suggestions"

    # Every move is in the log, with an undo.
    log = console.locator("#console-log").inner_text()
    for words in ("approved", "hid", "merged", "spotlight", "started the timer", "locked"):
        assert words in log
