"""The projector's wall holds a big room: 300 posts on top of the demo workshop's, at 1080p and
at 4K. It says how many posts there are in all and how many are not on this page, turns to the
next cards, keeps every card's text at 28 px or more at 1080p (the same share of the width at
4K), no text runs out of its card and no word breaks without a hyphen. Every screen with the
300 posts meets WCAG 2.1 AA (axe-core), in Swedish and in English."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PHONE, PROJECTOR, screenshot
from tests.e2e.test_accessibility import Audit, serve, sign_in, too_small_to_read

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

POSTS = 300
LONG = "Samverkansplattformar för kommunöverskridande informationsförsörjning"

FILL = f"""
from challenges.models import Obstacle
from insights.actions.posts import post_contribution
from workshops.models import Participant, Workshop
w = Workshop.objects.get(code='STAD26')
Workshop.objects.filter(pk=w.pk).update(moderation='open', phase='suggestions', voting_open=False)
w.refresh_from_db()
people = [Participant.objects.create(workshop=w, role='audience', session_key=f'wall-{{i}}')
          for i in range(25)]
# Spread over the challenge's obstacles and the challenge as a whole, as a room posts.
obstacles = [None, *Obstacle.objects.filter(challenge__workshop=w).order_by('pk')]
for i in range({POSTS}):
    text = (f'{LONG} {{i}}' if i % 7 == 0
            else f'Förslag nummer {{i}}: gör data öppna och lätta att hitta')
    post_contribution(workshop=w, author=people[i % 25], text=text,
                      obstacle=obstacles[i % len(obstacles)],
                      kind='suggestion' if i % 2 else 'insight', client_key=f'wall-{{i}}')
print(w.projector_token)
"""

# What the wall shows now, measured in the page: every card on screen, its text's size, and
# whether anything runs out of its card or off the wall's column.
MEASURE = """() => {
  const pager = document.querySelector('[data-wall-pager]');
  const cards = [...document.querySelectorAll('.projector-wall .card')]
    .filter(c => getComputedStyle(c).display !== 'none');
  const out = [];
  for (const card of cards) {
    const box = card.getBoundingClientRect();
    const column = card.closest('.wall-column__cards').getBoundingClientRect();
    const text = card.querySelector('.card__text');
    const textBox = text.getBoundingClientRect();
    out.push({
      id: card.id,
      px: parseFloat(getComputedStyle(text).fontSize),
      overflows: card.scrollWidth > card.clientWidth + 1
        || card.scrollHeight > card.clientHeight + 1
        || text.scrollWidth > text.clientWidth + 1
        || textBox.right > box.right + 1 || textBox.bottom > box.bottom + 1,
      clipped: box.bottom > column.bottom + 1 || box.right > column.right + 1,
    });
  }
  return {cards: out, total: +pager.dataset.total, more: +pager.dataset.more,
          shown: +pager.dataset.shown, page: +pager.dataset.page, pages: +pager.dataset.pages,
          text: pager.innerText, width: innerWidth};
}"""


@pytest.fixture(scope="module")
def live_server():
    yield from serve()


@pytest.fixture(scope="module")
def full_wall(live_server) -> dict:
    # Seeded, not tested: each of the 25 people posts 12 times within seconds, past the
    # posting limit, and 300 near-alike posts made the console's similar groups anew after
    # each (112 s of the shell's 120, measured; 2.8 s without). The server keeps both on: the
    # console still shows the groups, read from the wall.
    key = live_server.shell(
        FILL, env={"LABBET_RATE_POST": "off", "LABBET_SIMILAR_POSTS": "off"}
    ).splitlines()[-1]
    total = live_server.shell(
        "from insights.models import Contribution\n"
        "print(Contribution.objects.filter(workshop__code='STAD26', status='visible',"
        " merged_into__isnull=True).count())"
    ).splitlines()[-1]
    return {"key": key, "total": int(total)}


def open_wall(new_context, live_server, full_wall, viewport: dict, language: str = "sv"):
    page = new_context("projector", language=language, viewport=viewport).new_page()
    page.goto(f"{live_server.url}/w/STAD26/projector/?key={full_wall['key']}")
    page.locator("body.is-live").wait_for()
    page.locator("[data-wall-pager]:not([hidden])").wait_for()
    page.wait_for_timeout(300)
    return page


def check_what_shows(wall: dict, total: int, least_px: float) -> None:
    assert wall["total"] == total
    assert wall["shown"] == len(wall["cards"]) > 0
    assert wall["more"] == total - wall["shown"]
    assert f"+{wall['more']}" in wall["text"] and str(total) in wall["text"]
    assert wall["pages"] > 1
    small = [c for c in wall["cards"] if c["px"] < least_px - 0.01]
    assert not small, f"card text below {least_px:.1f} px: {small[:3]}"
    assert not [c for c in wall["cards"] if c["overflows"]], "text runs out of its card"
    assert not [c for c in wall["cards"] if c["clipped"]], "a card is cut off by the wall"


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("1080p", PROJECTOR["viewport"]), ("4k", {"width": 3840, "height": 2160})],
)
def test_a_wall_of_300_posts_pages_with_an_honest_count(
    new_context, live_server, full_wall, name, viewport
):
    page = open_wall(new_context, live_server, full_wall, viewport)
    first = page.evaluate(MEASURE)
    # 28 px at 1080p, the same share of the screen's width at 4K.
    least = 28 * first["width"] / 1920
    check_what_shows(first, full_wall["total"], least)
    assert first["page"] == 1
    assert f"1 av {first['pages']}" in first["text"]
    screenshot(page, f"wall-300-{name}")

    page.evaluate("window.labbetWall.turn()")
    second = page.evaluate(MEASURE)
    check_what_shows(second, full_wall["total"], least)
    assert second["page"] == 2
    before, after = {c["id"] for c in first["cards"]}, {c["id"] for c in second["cards"]}
    assert after and not before & after, "a page turn shows the next cards, none twice"
    screenshot(page, f"wall-300-{name}-page-2")


def test_the_newest_posts_lead_and_a_long_swedish_word_breaks_at_a_hyphen(
    new_context, live_server, full_wall
):
    page = open_wall(new_context, live_server, full_wall, PROJECTOR["viewport"])
    assert page.locator("html").get_attribute("lang") == "sv"
    # Newest first in every column.
    for column in page.locator(".wall-column__cards").all():
        numbers = [
            int(match.group(1))
            for text in column.locator(".card__text").all_inner_texts()
            if (match := re.match(r"(?:Förslag nummer|Samverkans\S+ \S+) (\d+)", text.strip()))
        ]
        assert numbers == sorted(numbers, reverse=True) and numbers
    # The card's language is Swedish, so hyphens: auto may break a compound with a hyphen;
    # nothing breaks a word elsewhere unless the word is wider than its card.
    style = page.evaluate(
        "getComputedStyle(document.querySelector('.projector-wall .card')).hyphens"
    )
    assert style == "auto"
    # The join address never breaks inside the code: the code is on one line.
    assert page.evaluate("document.querySelector('.join-url__code').getClientRects().length") == 1
    breaks = page.evaluate(BREAKS)
    assert breaks["lines"] > 0, "the long words do wrap on these cards"
    assert not breaks["bad"], f"words broken without a hyphen: {breaks['bad'][:5]}"


# Every line break inside the visible cards' text: the character before it must be a space,
# a hyphen or a soft hyphen (which the browser shows as a hyphen at a line's end).
BREAKS = r"""() => {
  const bad = []; let lines = 0;
  const shown = '.projector-wall .card:not(.card--off-page) .card__text';
  const cards = [...document.querySelectorAll(shown)];
  for (const el of cards) {
    const node = el.firstChild;
    if (!node || node.nodeType !== 3) continue;
    const text = node.textContent, range = document.createRange();
    let lastTop = null;
    for (let i = 0; i < text.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = [...range.getClientRects()].find(r => r.width > 0);
      if (!rect) continue;
      if (lastTop !== null && rect.top > lastTop + 2) {
        lines += 1;
        // (Chromium measures the letter after a soft hyphen at a break on the line above.)
        const ok = /[\s\u00ad-]/.test(text[i - 1]) || text[i - 2] === '\u00ad';
        if (!ok) bad.push(text.slice(Math.max(0, i - 12), i) + '|' + text.slice(i, i + 8));
      }
      lastTop = rect.top;
    }
  }
  return {bad, lines};
}"""


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_wall_of_300_posts_meets_wcag_aa_on_every_screen(
    new_context, live_server, full_wall, language
):
    audit = Audit(live_server.url, language)
    projector = open_wall(new_context, live_server, full_wall, PROJECTOR["viewport"], language)
    audit.check(projector, "projector, 300 cards", enhanced=True)
    audit.found.extend(
        f"[{language}] projector, 300 cards: {p}" for p in too_small_to_read(projector)
    )
    phone = new_context("phone", language=language).new_page()
    audit.visit(phone, "/j/STAD26/", "phone, 300 cards")
    for name, viewport in (("1920 px", PROJECTOR["viewport"]), ("390 px", PHONE["viewport"])):
        desk = new_context("projector", language=language, viewport=viewport).new_page()
        sign_in(desk, live_server.url, language)
        audit.visit(desk, "/w/STAD26/console/", f"console at {name}, 300 cards")
    audit.assert_clean()
