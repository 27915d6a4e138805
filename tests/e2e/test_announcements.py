"""What a screen reader hears while the wall moves: new posts are announced through one polite
live region as a summary ("3 new insights and 1 new suggestion"), never card by card, and at
most once every few seconds however fast the room posts; in the phone's language."""

from __future__ import annotations

import itertools
import re
import time
import uuid

import pytest

from tests.conftest import PHONE
from tests.e2e.test_accessibility import serve, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EVERY = 5.0  # seconds between two announcements (static/js/labbet.js)
RECORD = """() => {
  window.heard = [];
  const el = document.querySelector('[data-announce-wall]');
  new MutationObserver(() => {
    if (el.textContent.trim()) window.heard.push({t: performance.now(), text: el.textContent});
  }).observe(el, {childList: true, characterData: true, subtree: true});
}"""
EN = re.compile(r"^(?:(\d+) new insights?)?(?: and )?(?:(\d+) new suggestions?)?$")
SV = re.compile(r"^(?:(\d+) (?:ny insikt|nya insikter))?(?: och )?(?:(\d+) (?:nytt|nya) förslag)?$")


@pytest.fixture(scope="module")
def live_server():
    yield from serve()


def context(browser, language: str, options: dict):
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(10_000)
    ctx.add_cookies(
        [{"name": "django_language", "value": language, "domain": "127.0.0.1", "path": "/"}]
    )
    return ctx


def post_burst(browser, base: str, kinds: list[str], tag: str, pause: float) -> None:
    """Posts from another phone, over HTTP, as fast as a busy room (the limits are off)."""
    ctx = browser.new_context()
    try:
        ctx.new_page().goto(base + "/j/STAD26/")
        token = next(c["value"] for c in ctx.cookies() if c["name"] == "csrftoken")
        for i, kind in enumerate(kinds):
            response = ctx.request.post(
                base + "/j/STAD26/post/",
                form={
                    "csrfmiddlewaretoken": token,
                    "action": "post",
                    "kind": kind,
                    "text": f"Snabb tanke {tag} {i}",
                    "client_key": uuid.uuid4().hex,
                    "anyway": "1",  # numbered near-twins: past the offer of a similar card
                },
            )
            assert response.ok, response.status
            time.sleep(pause)
    finally:
        ctx.close()


def heard(page) -> list[dict]:
    return page.evaluate("() => window.heard")


def totals(items: list[dict], pattern: re.Pattern) -> tuple[int, int]:
    insights = suggestions = 0
    for item in items:
        match = pattern.match(item["text"].strip())
        assert match and any(match.groups()), item["text"]
        insights += int(match.group(1) or 0)
        suggestions += int(match.group(2) or 0)
    return insights, suggestions


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_fast_wall_is_announced_as_a_polite_summary_now_and_then(browser, live_server, language):
    phone_ctx = context(browser, language, PHONE)
    desk_ctx = context(browser, language, {"viewport": {"width": 1440, "height": 900}})
    try:
        phone = phone_ctx.new_page()
        phone.goto(live_server.url + "/j/STAD26/")
        phone.locator("body.is-live").wait_for()
        desk = desk_ctx.new_page()
        sign_in(desk, live_server.url, language)
        desk.goto(live_server.url + "/w/STAD26/console/")
        desk.locator("body.is-live").wait_for()

        region = phone.locator("#wall-announcer")
        assert region.get_attribute("aria-live") == "polite"
        assert region.inner_text() == ""  # what the page came with is not news
        # Only the summary speaks: the wall and its cards are not live regions themselves.
        assert phone.locator("#wall[aria-live], #wall [aria-live]").count() == 0
        for page in (phone, desk):
            page.evaluate(RECORD)

        # Nine posts, one every few tenths of a second (as fast as this server takes them).
        kinds = ["insight"] * 6 + ["suggestion"] * 3
        started = time.monotonic()
        post_burst(browser, live_server.url, kinds, language, pause=0.2)
        burst = time.monotonic() - started

        pattern = EN if language == "en" else SV
        for page in (phone, desk):
            # Every post is told, in the end, within one interval of the last one.
            deadline = time.monotonic() + EVERY + 3
            while totals(heard(page), pattern) != (6, 3) and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            said = heard(page)
            assert totals(said, pattern) == (6, 3), said
            # A summary, not nine announcements: at most one per interval.
            assert len(said) <= burst // EVERY + 2, (burst, said)
            gaps = [b["t"] - a["t"] for a, b in itertools.pairwise(said)]
            assert all(gap >= EVERY * 1000 - 300 for gap in gaps), (gaps, said)
    finally:
        phone_ctx.close()
        desk_ctx.close()
