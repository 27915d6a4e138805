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


# Not this issue's: a dot given while voting runs in the suggestions phase sends the console a
# ranking (insights/live/vote_changed.html) that its page has no #ranking for. Reported to the
# coordinator; every other error fails the test.
KNOWN = ("htmx:oobErrorNoTarget, #ranking",)


def watch(page, errors: list[str]) -> None:
    """Every console error, page error and failed request of `page` ends in `errors`."""

    def console(message) -> None:
        if message.type == "error" and not message.text.endswith(KNOWN):
            errors.append(f"{page.url} console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(f"{page.url} pageerror: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"{page.url} failed: {r.url} {r.failure}"))


def open_phone(new_context, base: str, errors: list[str]):
    page = new_context("phone").new_page()
    watch(page, errors)
    page.goto(base + "/j/STAD26/")
    page.locator("body.is-live").wait_for(timeout=10_000)
    return page


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
    errors: list[str] = []
    console = new_context("projector", viewport={"width": 1440, "height": 900}).new_page()
    watch(console, errors)
    sign_in(console, live_server.url)
    console.goto(live_server.url + "/w/STAD26/console/")
    console.locator("body.is-live").wait_for()

    phones = [open_phone(new_context, live_server.url, errors) for _ in NEAR]
    for phone, text in zip(phones, NEAR, strict=True):
        post_anyway_if_offered(phone, text)

    # The console groups them with the seed's card, live.
    group = console.locator(".similar-group", has_text=NEAR[-1])
    group.wait_for(timeout=LIVE)
    # (Live fragments are rendered in the workshop's language: the demo is Swedish.)
    assert re.search(r"(similar to|liknar) [34] (others|andra)", group.inner_text())
    for text in NEAR:
        assert text in group.inner_text()
    screenshot(console, "assist-console-similar")

    # One move: keep the seed's card, merge the others into it.
    group.locator(".similar-card", has_text=SEED).locator("[data-merge-group]").click()
    console.locator("#console-message", has_text=re.compile("merged|ihop", re.I)).wait_for(
        timeout=LIVE
    )
    console.locator(".similar-group").wait_for(state="detached", timeout=LIVE)
    for text in NEAR:
        exactly = console.get_by_text(text, exact=True)
        console.locator(".card").filter(has=exactly).wait_for(state="detached", timeout=LIVE)

    # Voting opens; a fourth phone writes the same idea: offered the card, it gives a dot.
    console.locator("form[action$='/voting/open/'] button[type=submit]").click()
    console.locator("form[action$='/voting/close/']").wait_for(timeout=LIVE)
    fourth = open_phone(new_context, live_server.url, errors)
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
    assert errors == [], "\n".join(errors)
