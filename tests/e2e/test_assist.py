"""The facilitator's and the phone's assistants in real Chromium, phones beside the console:
near-duplicates grouped and merged in one move, and a phone offered the card already on the
wall."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_accessibility import serve
from tests.e2e.test_facilitation import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE = 5000  # ms
SEED = "Framtagande av digitala samverkansplattformar där vi kan arbeta gemensamt och dela med oss"
NEAR = [
    "Digitala samverkansplattformar där vi kan arbeta gemensamt och dela med oss",
    "Ta fram digitala samverkansplattformar så vi kan arbeta gemensamt och dela",
    "Vi behöver digitala samverkansplattformar där vi arbetar gemensamt och delar med oss",
]
FOURTH = "Digitala samverkansplattformar för att arbeta gemensamt och dela med oss"


@pytest.fixture(scope="module")
def live_server():
    yield from serve()


@pytest.fixture(scope="module")
def room(live_server) -> dict:
    """The demo workshop, open for suggestions, with dots to spend."""
    out = live_server.shell(
        "from workshops.models import Workshop\n"
        "w = Workshop.objects.get(code='STAD26')\n"
        "w.phase = 'suggestions'; w.moderation = 'post'; w.posting_open = True\n"
        "w.save()\n"
        "print(w.projector_token)"
    )
    return {"key": out.splitlines()[-1]}


def open_phone(new_context, base: str):
    page = new_context("phone").new_page()
    page.goto(base + "/j/STAD26/")
    page.locator("body.is-live").wait_for(timeout=10_000)
    return page


def open_console(new_context, base: str):
    console = new_context("projector", viewport={"width": 1440, "height": 900}).new_page()
    sign_in(console, base)
    console.goto(base + "/w/STAD26/console/")
    console.locator("body.is-live").wait_for()
    return console


def write(page, text: str) -> None:
    page.check("#post-form input[name=kind][value=suggestion]")
    page.select_option("#post-form select[name=obstacle]", index=1)  # the first obstacle
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button.button--send")


def post_anyway_if_offered(page, text: str) -> None:
    write(page, text)
    page.locator(".post-confirm, [data-post-offer]").first.wait_for(timeout=LIVE)
    if page.locator("[data-post-offer]").count():
        assert page.locator("#post-form textarea[name=text]").input_value() == text
        page.click("[data-offer-send]")
        page.locator(".post-confirm").wait_for(timeout=LIVE)


def test_console_merges_near_duplicates_and_a_fourth_phone_gives_a_dot(
    new_context, live_server, room
):
    # Every console error, page error and failed request fails the test (tests/conftest.py).
    console = open_console(new_context, live_server.url)
    phones = [open_phone(new_context, live_server.url) for _ in NEAR]
    # In the room before voting opens (dots are for those who were there: issue 18).
    fourth = open_phone(new_context, live_server.url)
    for phone, text in zip(phones, NEAR, strict=True):
        post_anyway_if_offered(phone, text)

    # The console groups them with the seed's card, live.
    group = console.locator(".similar-group", has_text=NEAR[-1])
    group.wait_for(timeout=LIVE)
    # The console is in its labber's language (the browser's English), the posts in Swedish.
    assert re.search(r"similar to [34] others", group.inner_text())
    for text in NEAR:
        assert text in group.inner_text()
    screenshot(console, "assist-console-similar")
    # Each card's keep button stays inside its card: its label wraps, nothing runs over.
    spilled = console.evaluate(
        """() => [...document.querySelectorAll('.similar-card')].filter(card => {
          const button = card.querySelector('[data-merge-group]');
          const box = button.getBoundingClientRect(), own = card.getBoundingClientRect();
          return box.right > own.right + 1 || button.scrollWidth > button.clientWidth + 1;
        }).length"""
    )
    assert spilled == 0

    # One move: keep the seed's card, merge the others into it.
    group.locator(".similar-card", has_text=SEED).locator("[data-merge-group]").click()
    console.locator("#console-message", has_text=re.compile("merged", re.I)).wait_for(timeout=LIVE)
    console.locator(".similar-group").wait_for(state="detached", timeout=LIVE)
    for text in NEAR:
        exactly = console.get_by_text(text, exact=True)
        console.locator(".card").filter(has=exactly).wait_for(state="detached", timeout=LIVE)

    # Voting opens; a fourth phone writes the same idea: offered the card, it gives a dot.
    console.locator("form[action$='/voting/open/'] button[type=submit]").click()
    console.locator("form[action$='/voting/close/']").wait_for(timeout=LIVE)
    write(fourth, FOURTH)
    offer = fourth.locator("[data-post-offer]")
    offer.wait_for(timeout=LIVE)
    assert SEED in offer.inner_text()
    assert fourth.locator("#post-form textarea[name=text]").input_value() == FOURTH
    screenshot(fourth, "assist-phone-offer")
    voted = lambda r: r.url.endswith("/vote/") and r.request.method == "POST"  # noqa: E731
    with fourth.expect_response(voted, timeout=LIVE) as answer:
        fourth.click("[data-offer-dot]")
    assert answer.value.status == 200, answer.value.text()
    dots = live_server.shell(
        "from insights.models import Vote\n"
        f"print(Vote.objects.filter(contribution__text={SEED!r}).count())"
    )
    assert dots.splitlines()[-1] == "1"


def test_console_proposes_themes_and_the_labber_accepts_one_renamed(new_context, live_server, room):
    """'Propose themes' groups the wall's cards without a theme for the labbers' eyes only; one
    accepted under a name of the labber's, with a card left out, reaches every screen."""
    console = open_console(new_context, live_server.url)
    projector = new_context("projector").new_page()
    projector.goto(f"{live_server.url}/w/STAD26/projector/?key={room['key']}")
    projector.locator("body.is-live").wait_for(timeout=10_000)
    phone = open_phone(new_context, live_server.url)
    console.get_by_role("button", name="Propose themes").click()
    proposal = console.locator("[data-theme-proposal]").filter(has=console.locator("#proposal-1"))
    proposal.wait_for(timeout=LIVE)
    assert console.locator("[data-theme-proposal]").count() >= 2
    # Proposals are the labbers' alone: nothing of them on the projector or the phone.
    assert projector.locator("[data-theme-proposal]").count() == 0
    assert phone.locator("[data-theme-proposal]").count() == 0
    screenshot(console, "assist-console-themes")

    boxes = proposal.locator("input[name=selected]")
    assert boxes.count() >= 2
    texts = [t.strip() for t in proposal.locator(".theme-proposal__cards li").all_inner_texts()]
    left_out = texts[-1]
    boxes.last.uncheck()
    proposal.get_by_label("Proposed theme").fill("Samverkan i praktiken")
    proposal.get_by_role("button", name="Accept").click()
    proposal.wait_for(state="detached", timeout=LIVE)

    # The theme is on the accepted cards and not on the one left out, on the console and
    # live on the projector (the phone shows no themes).
    theme = console.locator(".card__theme", has_text="Samverkan i praktiken")
    theme.first.wait_for(timeout=LIVE)
    assert theme.count() == len(texts) - 1
    assert "Samverkan i praktiken" not in console.locator(".card", has_text=left_out).inner_text()
    projector.locator(".card__theme", has_text="Samverkan i praktiken").first.wait_for(
        state="attached", timeout=LIVE
    )

    # Dropping a proposal removes it and changes nothing else.
    console.get_by_role("button", name="Propose themes").click()
    dropped = console.locator("[data-theme-proposal]").filter(has=console.locator("#proposal-1"))
    dropped.wait_for(timeout=LIVE)
    before = console.locator("[data-theme-proposal]").count()
    dropped.get_by_role("button", name="Drop").click()
    console.locator("#proposal-1").wait_for(state="detached", timeout=LIVE)
    assert console.locator("[data-theme-proposal]").count() == before - 1
    assert theme.count() == len(texts) - 1
