"""A whole session steered from the console with the keyboard alone (only page.keyboard after
the pages are opened): the shortcuts' help, approving, hiding, the spotlight, merging, the
timer, locking posting, a question to the room, undo, the phases and opening voting, with the
focus kept on the control used after every swap. And the other side of shortcuts (WCAG 2.1.4):
a bare letter typed outside the console's cards changes nothing in the room, and the
shortcuts can be turned off."""

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
def pending(live_server) -> tuple[str, str]:
    """The demo workshop waits for a labber before posts appear; one post is waiting and a
    duplicate of it is on the wall."""
    return (
        live_server.shell(
            "from insights.actions.posts import post_contribution\n"
            "from workshops.models import Participant, Workshop\n"
            "w = Workshop.objects.get(code='STAD26')\n"
            "w.moderation = 'pre'; w.phase = 'join'\n"
            "w.save(update_fields=['moderation', 'phase'])\n"
            "p = Participant.objects.create(workshop=w, role='audience', session_key='kbd')\n"
            "c, _ = post_contribution(workshop=w, author=p, kind='suggestion',\n"
            "    text='Gemensam datahubb för regionen', client_key='kbd-1')\n"
            "d, _ = post_contribution(workshop=w, author=p, kind='suggestion',\n"
            "    text='En datahubb för hela regionen', client_key='kbd-2')\n"
            "d.status = 'visible'; d.save(update_fields=['status'])\n"
            "print(f'c-{c.pk} c-{d.pk}')"
        )
        .splitlines()[-1]
        .split()
    )


def room_state(live_server) -> str:
    return live_server.shell(
        "from workshops.models import LogEntry, Workshop\n"
        "w = Workshop.objects.get(code='STAD26')\n"
        "print(w.phase, w.posting_open, w.timer_ends_at, w.timer_remaining, w.voting_open,\n"
        "      w.current_prompt_id, LogEntry.objects.filter(workshop=w).count(),\n"
        "      sorted(w.contributions.values_list('status', 'spotlight', 'pinned')))"
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


def open_console(browser, live_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "django_language", "value": "en", "domain": "127.0.0.1", "path": "/"}]
    )
    page = context.new_page()
    keys = page.keyboard
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
    return context, page


def test_a_bare_letter_typed_outside_the_cards_changes_nothing_in_the_room(
    browser, live_server, pending
):
    before = room_state(live_server)
    context, page = open_console(browser, live_server)
    keys = page.keyboard
    try:
        # Nothing focused, then the skip link, then a button of the phase bar: every one-key
        # shortcut the console knows, typed there, is just a key.
        for where in ("body", ".skip-link", '.phase-bar [aria-current="step"]'):
            page.locator(where).first.focus()
            for key in "lntuhaspmxjkeq?g":
                keys.press(key)
        page.wait_for_timeout(1500)
        assert not page.locator("#shortcuts").is_visible()
        assert page.locator("#console-message .console-note").count() == 0
        assert room_state(live_server) == before

        # Turned off in the shortcuts dialog, not even Alt+Shift or a card's key acts.
        page.locator("[data-open-help]").focus()
        keys.press("Enter")
        page.locator("#shortcuts").wait_for(state="visible")
        tab_to(page, "[data-shortcuts-toggle]")
        keys.press("Space")
        keys.press("Escape")
        keys.press("Alt+Shift+KeyL")
        keys.press("Alt+Shift+KeyW")
        page.locator(f"#{pending[1]}").focus()
        keys.press("h")
        page.wait_for_timeout(1500)
        assert room_state(live_server) == before
    finally:
        context.close()


def test_a_labber_runs_the_session_from_the_keyboard(browser, live_server, pending):
    pending, duplicate = pending
    context, page = open_console(browser, live_server)
    keys = page.keyboard
    try:
        # Skip link first: the first Tab offers it.
        keys.press("Tab")
        assert focused(page, ".skip-link")

        # The help: to the wall (Alt+Shift+W), ? opens it, Esc closes it.
        keys.press("Alt+Shift+KeyW")
        assert focused(page, "#console-wall [data-card]")
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
        assert focused(page, f"#{pending}")

        # Spotlight (s): the projector shows it; the console says so.
        keys.press("s")
        page.locator(f"#{pending} [data-shortcut=s][aria-pressed=true]").wait_for(timeout=LIVE)
        page.locator("#console-spotlight", has_text="Gemensam datahubb").wait_for(timeout=LIVE)
        assert focused(page, f"#{pending}")

        # Merge the duplicate into it: x selects the duplicate, m on the card that stays.
        press_until_card(page, duplicate, key="k")  # newer, so above it
        keys.press("x")
        press_until_card(page, pending)
        keys.press("m")
        page.locator(f"#{duplicate}").wait_for(state="detached", timeout=LIVE)
        assert focused(page, f"#{pending}"), "the card that stays keeps the focus"

        # A question to the room: Alt+Shift+Q focuses the field, Enter shows it, Esc leaves it.
        keys.press("Alt+Shift+KeyQ")
        assert focused(page, "#prompt-text")
        keys.type("What would make you share your data?")
        keys.press("Enter")
        page.locator("#console-state .state-value", has_text="share your data").wait_for(
            timeout=LIVE
        )

        # The timer: Alt+Shift+T starts it with the minutes in its field; its button, pressed
        # with Enter, pauses it and keeps the focus (now on "Resume").
        keys.press("Escape")
        keys.press("Alt+Shift+KeyT")
        page.locator("#console-state .timer--running").wait_for(timeout=LIVE)
        tab_to(page, "#console-state [data-shortcut=t]")
        keys.press("Enter")
        page.locator("#console-state .timer--paused").wait_for(timeout=LIVE)
        assert focused(page, "#console-state [data-shortcut=t]")

        # Lock posting (Alt+Shift+L), and undo that move (Alt+Shift+U). (The live updates come
        # in the workshop's language, so these are found by what they do, not by their words.)
        keys.press("Alt+Shift+KeyL")
        page.locator("#console-state [data-shortcut=l][hx-vals*='\"1\"']").wait_for(timeout=LIVE)
        keys.press("Alt+Shift+KeyU")
        page.locator("#console-state [data-shortcut=l][hx-vals*='\"0\"']").wait_for(timeout=LIVE)

        # The phases: a step of the phase bar, pressed with Enter, keeps the focus; then
        # Alt+Shift+N moves on, one step at a time, to prioritising.
        tab_to(page, '.phase-bar [data-phase="challenge"]')
        keys.press("Enter")
        page.locator('.phase-bar [aria-current="step"][data-phase="challenge"]').wait_for(
            timeout=LIVE
        )
        assert focused(page, '.phase-bar [data-phase="challenge"]')
        for phase in ("insights", "suggestions", "prioritise"):
            keys.press("Alt+Shift+KeyN")
            page.locator(f'.phase-bar [aria-current="step"][data-phase="{phase}"]').wait_for(
                timeout=LIVE
            )

        # Voting: Tab to the dots per person, type, Enter opens it.
        tab_to(page, "#vote-dots-per-person")
        keys.press("Control+a")
        keys.type("4")
        keys.press("Enter")
        page.locator("#vote-controls form[action$='/voting/close/']").wait_for(timeout=LIVE)
        assert not focused(page, "body"), "the focus stays in the voting controls"
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
