"""The labber's screens at the sizes they meet (a laptop at 1280, 1440 and 1920 px, a phone at
320 px) with nothing cut off and no sideways scrolling; the invitations page between setup and
the console; the focus after a move on a phone and in a receiver's room, which stays on the
control used or moves to what the move did, never to the top of the page; and a timer that
ran out, which leaves the screens by itself and with the next phase."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PHONE, screenshot
from tests.e2e.test_accessibility import Moves, serve, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Every label, button and heading on the console: cut off (its text wider than its box, or its
# box out of its scrolling column) or pushing the page sideways.
CLIPPED = """() => {
  const out = [];
  const sel = 'label, button, .state-label, .vote-controls__state, .ranking__title, h1, h2, '
    + '.check, .phase-step, .console-nav a';
  for (const el of document.querySelectorAll(sel)) {
    const box = el.getBoundingClientRect();
    if (!box.width || el.closest('[hidden], dialog:not([open]), .visually-hidden')) continue;
    if (getComputedStyle(el).textOverflow === 'ellipsis') continue;
    const cut = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible';
    // Inside a card: within the card (the wall itself scrolls its columns into view).
    let scroller = el.closest('.card') || el.parentElement;
    while (scroller && !scroller.matches('.card')
           && !['auto', 'hidden', 'scroll'].includes(getComputedStyle(scroller).overflowX))
      scroller = scroller.parentElement;
    const outside = scroller && box.right > scroller.getBoundingClientRect().right + 1;
    const inWall = !!el.closest('.console-wall');
    if (cut || outside || (!inWall && box.right > innerWidth + 1))
      out.push(`${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
  }
  return {clipped: out, sideways: document.documentElement.scrollWidth > innerWidth};
}"""


@pytest.fixture(scope="module")
def live_server():
    yield from serve()


@pytest.mark.parametrize("width", [1280, 1440, 1920, 320])
def test_the_console_fits_at_every_laptop_width_and_reflows_on_a_phone(
    new_context, live_server, width
):
    desk = new_context("projector", viewport={"width": width, "height": 900}).new_page()
    sign_in(desk, live_server.url, "en")
    pages = ["/w/STAD26/console/", "/dashboard/", "/w/STAD26/setup/", "/w/STAD26/invites/"]
    for path in pages:
        desk.goto(live_server.url + path)
        desk.wait_for_load_state()
        found = desk.evaluate(CLIPPED)
        assert not found["sideways"], f"{path} scrolls sideways at {width} px"
        assert not found["clipped"], f"{path} at {width} px cuts off: {found['clipped'][:5]}"
    screenshot(desk, f"invites-{width}")
    desk.goto(live_server.url + "/w/STAD26/console/")
    desk.locator("body.is-live").wait_for()
    screenshot(desk, f"console-{width}")


def test_the_invitations_page_is_between_setup_and_the_console(new_context, live_server):
    desk = new_context("projector").new_page()
    sign_in(desk, live_server.url, "en")
    desk.goto(live_server.url + "/w/STAD26/console/")
    desk.locator(".console-nav").get_by_role("link", name="Invitations").click()
    desk.wait_for_url(re.compile(r"/w/STAD26/invites/$"))
    desk.get_by_role("navigation", name="This workshop").get_by_role("link", name="Setup").click()
    desk.wait_for_url(re.compile(r"/w/STAD26/setup/$"))
    desk.get_by_role("link", name="Invite challengers, receivers and co-labbers").click()
    desk.wait_for_url(re.compile(r"/w/STAD26/invites/$"))
    desk.get_by_role("navigation", name="This workshop").get_by_role("link", name="Console").click()
    desk.wait_for_url(re.compile(r"/w/STAD26/console/$"))


def focused(page) -> str:
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e === document.body ? 'BODY' : e.tagName + '#' + e.id + '.' + e.className; })()"
    )


# The answer is in place and htmx has taken it in: htmx makes a swapped form its own only
# when the swap settles (20 ms later, longer on a busy machine). A key pressed before that
# sends the form without htmx, as a page without JavaScript does (post, then the page again,
# with the focus at its top): CI pressed the second "+ Dot" that early about once in ten runs.
SETTLED = "s => !!document.activeElement.closest(s) && !document.querySelector('.htmx-settling')"


def wait_focus_in(page, selector: str) -> None:
    """The focus settles a moment after the swap (htmx settles after 20 ms)."""
    for _ in range(40):
        if page.evaluate(SETTLED, selector):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the focus is on {focused(page)}, not in {selector}")


def test_the_focus_stays_with_a_phones_posts_and_dots_and_a_receivers_claim(
    new_context, live_server
):
    room = "from workshops.models import Workshop\nWorkshop.objects.filter(code='STAD26').update"
    live_server.shell(room + "(phase='suggestions', moderation='open', posting_open=True)")
    phone = new_context("phone").new_page()
    phone.goto(live_server.url + "/j/STAD26/")
    phone.locator("body.is-live").wait_for()

    # An empty post: the focus goes to the field to fix, which names the error.
    phone.locator("#post-form button[type=submit]").focus()
    phone.keyboard.press("Enter")
    phone.locator("#post-form [role=alert]").wait_for()
    wait_focus_in(phone, "#post-form textarea")

    # "+ Dot", pressed with the keyboard: the focus stays on it; at the last dot (the button
    # is then disabled) it stays with that suggestion, not the top of the page.
    live_server.shell(
        room + "(phase='prioritise', voting_open=True, dots_per_person=2, dots_per_suggestion=2)"
    )
    phone.reload()  # (set in the database: no live event tells the phone)
    phone.locator("#vote-panel .vote-list").wait_for()
    add = phone.locator("#vote-panel button[value=add]").first
    add_id = add.get_attribute("id")
    item = add.evaluate("b => b.closest('li').id")
    add.focus()
    phone.keyboard.press("Enter")
    phone.locator("#dots-left", has_text="1").wait_for()
    wait_focus_in(phone, f"#{add_id}")
    phone.keyboard.press("Enter")
    phone.locator("#dots-left", has_text="0").wait_for()
    wait_focus_in(phone, f"#{item}")

    # The labber gives everyone a third dot meanwhile: the panel is replaced by its loading
    # shell and then by the person's own dots; the focus waits for it and returns there.
    live_server.shell(
        "from workshops.models import Workshop\nfrom insights.actions.votes import open_voting\n"
        "open_voting(Workshop.objects.get(code='STAD26'), None, dots_per_person=3,"
        " dots_per_suggestion=3)"
    )
    phone.locator("#dots-left", has_text="1 of 3").wait_for()
    wait_focus_in(phone, f"#{item}")

    # "0 dots from you" keeps to one line beside or above the buttons.
    mine = phone.locator(".vote-item__mine").nth(1)
    line = mine.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert mine.bounding_box()["height"] < 2 * line

    # A receiver's "We take this forward": the focus moves to what it did, read out.
    live_server.shell(room + "(phase='handover', voting_open=False)")
    token = live_server.shell(
        "from workshops.models import Participant\n"
        "print(Participant.objects.get(workshop__code='STAD26', role='receiver',"
        " organisation='Vinnova').invite_token)"
    ).splitlines()[-1]
    receiver = new_context("phone", viewport=PHONE["viewport"]).new_page()
    receiver.goto(f"{live_server.url}/i/{token}/")
    receiver.wait_for_url("**/w/STAD26/handover/")
    receiver.locator("body.is-live").wait_for()
    first = receiver.locator(".handover-item").first
    first_id = first.get_attribute("id")
    first.get_by_role("button", name="We take this forward").focus()
    receiver.keyboard.press("Enter")
    receiver.locator(f"#{first_id} .claim-mine").wait_for()
    wait_focus_in(receiver, f"#{first_id}")


def test_time_is_up_leaves_the_screens_by_itself_and_with_the_next_phase(new_context, live_server):
    desk = new_context("projector").new_page()
    sign_in(desk, live_server.url, "en")
    move = Moves(desk, live_server.url)
    key = live_server.shell(
        "from workshops.models import Workshop\n"
        "print(Workshop.objects.get(code='STAD26').projector_token)"
    ).splitlines()[-1]
    projector = new_context("projector").new_page()
    projector.goto(f"{live_server.url}/w/STAD26/projector/?key={key}")
    projector.locator("body.is-live").wait_for()
    timer = projector.locator("#room-timer")

    # A 6-second countdown: "Time is up" shows, then the timer leaves the screen.
    move("STAD26", "console/timer/", op="start", minutes="0.1")
    projector.locator("#room-timer.timer--done").wait_for(timeout=10_000)
    assert timer.is_visible()
    timer.wait_for(state="hidden", timeout=25_000)

    # Run out again, and the next phase takes it down at once.
    move("STAD26", "console/timer/", op="start", minutes="0.1")
    projector.locator("#room-timer.timer--done").wait_for(timeout=10_000)
    move("STAD26", "console/phase/", phase="suggestions")
    timer.wait_for(state="hidden", timeout=5_000)
    assert "timer--off" in timer.get_attribute("class")
