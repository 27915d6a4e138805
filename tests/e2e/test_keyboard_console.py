"""A whole session steered from the console with the keyboard alone (only page.keyboard after
the pages are opened): the shortcuts' help, approving, hiding, the spotlight, the timer,
locking posting, a question to the room, undo, the phases and opening voting."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_accessibility import serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE = 5000  # ms


@pytest.fixture(scope="module")
def live_server():
    yield from serve()


@pytest.fixture(scope="module")
def pending(live_server) -> str:
    """The demo workshop waits for a labber before posts appear, and one post is waiting."""
    return live_server.shell(
        "from insights.actions import post_contribution\n"
        "from workshops.models import Participant, Workshop\n"
        "w = Workshop.objects.get(code='STAD26')\n"
        "w.moderation = 'pre'; w.phase = 'join'\n"
        "w.save(update_fields=['moderation', 'phase'])\n"
        "p = Participant.objects.create(workshop=w, role='audience', session_key='kbd')\n"
        "c, _ = post_contribution(workshop=w, author=p, kind='suggestion',\n"
        "    text='Gemensam datahubb för regionen', client_key='kbd-1')\n"
        "print(f'c-{c.pk}')"
    ).splitlines()[-1]


def focused(page, selector: str) -> bool:
    return page.evaluate(
        "s => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Tab (only Tab) until the focus is on what `selector` matches."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def press_until_card(page, card_id: str, key: str = "j", limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page, f"#{card_id}"):
            return
    raise AssertionError(f"{key} never reached #{card_id}")


def test_a_labber_runs_the_session_from_the_keyboard(browser, live_server, pending):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "django_language", "value": "en", "domain": "127.0.0.1", "path": "/"}]
    )
    page = context.new_page()
    keys = page.keyboard
    try:
        # Signing in: Tab to the fields, type, Enter.
        page.goto(live_server.url + "/accounts/login/")
        tab_to(page, "input[name=username]")
        keys.type("labbare")
        keys.press("Tab")
        assert focused(page, "input[name=password]")
        keys.type("labbet-demo")
        keys.press("Enter")
        page.wait_for_url(re.compile(r"/dashboard/$"))

        page.goto(live_server.url + "/w/STAD26/console/")
        page.locator("body.is-live").wait_for()
        # Skip link first: the first Tab offers it.
        keys.press("Tab")
        assert focused(page, ".skip-link")

        # The help: ? opens it, Esc closes it.
        keys.press("Escape")
        keys.press("?")
        help_box = page.locator("#shortcuts")
        help_box.wait_for(state="visible")
        assert "Keyboard shortcuts" in help_box.inner_text()
        keys.press("Escape")
        help_box.wait_for(state="hidden")

        # Approve the waiting post: j to it, a.
        card = page.locator(f"#{pending}")
        assert "card--pending" in card.get_attribute("class")
        press_until_card(page, pending)
        keys.press("a")
        page.locator(f"#{pending}:not(.card--pending)").wait_for(timeout=LIVE)
        assert focused(page, f"#{pending}"), "the focus stays on the card after a live update"

        # Hide it (h), then restore it (h again).
        keys.press("h")
        page.locator(f"#{pending}.card--hidden").wait_for(timeout=LIVE)
        assert focused(page, f"#{pending}")
        keys.press("h")
        page.locator(f"#{pending}:not(.card--hidden)").wait_for(timeout=LIVE)

        # Spotlight (s): the projector shows it; the console says so.
        keys.press("s")
        page.locator(f"#{pending} [data-shortcut=s][aria-pressed=true]").wait_for(timeout=LIVE)
        page.locator("#console-spotlight", has_text="Gemensam datahubb").wait_for(timeout=LIVE)

        # A question to the room: q focuses the field, Enter shows it, Esc leaves the field.
        keys.press("q")
        assert focused(page, "#prompt-text")
        keys.type("What would make you share your data?")
        keys.press("Enter")
        page.locator("#console-state .state-value", has_text="share your data").wait_for(
            timeout=LIVE
        )

        # The timer: t starts it with the minutes in its field, t again pauses it.
        keys.press("Escape")
        keys.press("t")
        page.locator("#console-state .timer--running").wait_for(timeout=LIVE)
        keys.press("t")
        page.locator("#console-state .timer--paused").wait_for(timeout=LIVE)

        # Lock posting (l), and undo that move (u). (The live updates come in the workshop's
        # language, so these are found by what they do rather than by their words.)
        keys.press("l")
        page.locator("#console-state [data-shortcut=l][hx-vals*='\"1\"']").wait_for(timeout=LIVE)
        keys.press("u")
        page.locator("#console-state [data-shortcut=l][hx-vals*='\"0\"']").wait_for(timeout=LIVE)

        # The phases: n moves on, one step at a time, to prioritising.
        for phase in ("challenge", "insights", "suggestions", "prioritise"):
            keys.press("n")
            page.locator(f'.phase-bar [aria-current="step"][data-phase="{phase}"]').wait_for(
                timeout=LIVE
            )

        # Voting: Tab to the dots per person, type, Enter opens it.
        tab_to(page, "#vote-dots-per-person")
        keys.press("Control+a")
        keys.type("4")
        keys.press("Enter")
        page.locator("#vote-controls form[action$='/voting/close/']").wait_for(timeout=LIVE)
        screenshot(page, "console-keyboard")
    finally:
        context.close()

    state = live_server.shell(
        "from workshops.models import Workshop\n"
        "w = Workshop.objects.get(code='STAD26')\n"
        "c = w.contributions.get(client_key='kbd-1')\n"
        "print(w.phase, w.voting_open, w.dots_per_person, w.posting_open, c.status, c.spotlight)"
    ).splitlines()[-1]
    assert state == "prioritise True 4 True visible True"
