"""Hostile input, posted through the real phone in Chromium (and, for what a browser cannot
send, over a raw websocket), must be inert on every screen that shows it: the projector, the
console and the phone wall, live and reloaded; the report as HTML, Markdown and CSV; the
follow-up page; the email to the contributor.

Inert: no dialog opens, no element carries an on* attribute, no hx-* attribute, <script>,
<img src=x> or javascript: link comes from the posted text, and the text is shown literally
(control and invisible format characters are stripped; what is too long is refused with a
message or clamped by the field)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import email
import email.policy
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.conftest import ROOT, _fresh_database_url, prepare_database, screenshot
from tests.servers import HttpPhone, RestartableDaphne, fault_env, query

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MARK = "PWN"
# name → text. Every payload names MARK, so that anything it manages to inject is findable.
CORPUS: dict[str, str] = {
    "script tag": f"<script>alert('{MARK}-script')</script>",
    "img onerror": f"<img src=x onerror=\"alert('{MARK}-img')\">",
    "svg onload": f'<svg onload=alert("{MARK}-svg")><circle r=9></svg>',
    "hx attributes": (
        f'<div hx-get="/{MARK}-hx" hx-trigger="load" hx-swap-oob="true" id="wall" '
        f'hx-on::load="alert(1)">{MARK}-hx</div>'
    ),
    "on* attributes": f"<b onmouseover=\"alert('{MARK}-on')\" onclick=alert(2)>{MARK}-on</b>",
    "javascript link": f"<a href=\"javascript:alert('{MARK}-js')\">{MARK}-js</a>",
    "attribute breakout": f"\"'><img src=x onerror=alert('{MARK}-quote')>",
    "template syntax": f"{{{{ 7|add:7 }}}} {{% now 'Y' %}} ${{7*7}} {MARK}-tpl",
    "fake frame cursor": f"<!--c:999999 r--> {MARK}-cursor",
    "RTL override": f"{MARK}-rtl \u202egnp.exe\u202c done",
    "zero-width characters": f"{MARK}\u200b-\u200czero\u200dwidth\ufeff",
    "SQL-like": f"'; DROP TABLE insights_contribution; -- {MARK}-sql",
    "CSV formula": f'=HYPERLINK("http://evil.example/{MARK}","click")',
    "CSV DDE": f"@SUM(1+1)*cmd|' /C calc'!A0 {MARK}-dde",
    "CSV minus": f"-2+3+cmd|' /C calc'!A0 {MARK}-minus",
    "NUL bytes": f"{MARK}\x00-nul\x00",
    "10,000 emoji": "😀" * 10_000,
    "over-long text": f"{MARK}-long " + "x" * 5_000,
}
NAME = f"<img src=x onerror=alert('{MARK}-name')>"  # a hostile display name too
NOTE = f"<script>alert('{MARK}-note')</script> we take it"  # and a receiver's report
EMAIL = "hostile@example.org"


def shown_as(text: str) -> str:
    """What the room should see: the text without control or invisible format characters
    (insights/forms.py strips those), whitespace collapsed as a browser shows it."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())


# One DOM scan for every screen: what a payload could have injected.
SCAN = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = a.value;
      if (n.startsWith('on')) found.push(`${el.tagName} ${n}`);
      if ((n.startsWith('hx-') || n.startsWith('data-hx-')) && v.includes('PWN'))
        found.push(`${el.tagName} ${n}=${v}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(n)
          && v.replace(/\\s/g, '').toLowerCase().startsWith('javascript:'))
        found.push(`${el.tagName} ${n}=${v}`);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if (s.textContent.includes('PWN') || (s.src && new URL(s.src).origin !== location.origin))
      found.push('SCRIPT ' + (s.src || s.textContent.slice(0, 60)));
  }
  const injected = 'img[src="x"], svg circle, object, embed, iframe:not([src^="/"])';
  for (const i of document.querySelectorAll(injected))
    found.push('INJECTED ' + i.outerHTML.slice(0, 80));
  for (const el of document.querySelectorAll('#wall, [id="wall"]'))
    if (el.textContent.trim() === 'PWN-hx') found.push('DIV#wall replaced');
  return found;
}"""


class Room:
    def __init__(self, server: RestartableDaphne, database_url: str, mail: Path) -> None:
        self.server, self.database_url, self.mail = server, database_url, mail
        self.url = server.url
        self.outcome: dict[str, str] = {}  # corpus name → accepted / refused: message
        self.dialogs: list[str] = []

    def shell(self, code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.server.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout.strip()

    def projector_key(self) -> str:
        return query(
            self.database_url,
            "SELECT projector_token FROM workshops_workshop WHERE code = %s",
            ("STAD26",),
        )[0][0]

    def saved_texts(self) -> list[str]:
        return [r[0] for r in query(self.database_url, "SELECT text FROM insights_contribution")]


@pytest.fixture(scope="module")
def room():
    tmp = Path(tempfile.mkdtemp(prefix="labbet-hostile-"))
    database_url = _fresh_database_url(tmp)
    env = fault_env(tmp, database_url, email_dir=tmp / "mail")
    prepare_database(env)
    server = RestartableDaphne(env, tmp / "daphne.log")
    server.start()
    yield Room(server, database_url, tmp / "mail")
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def screens(browser, room):
    """The screens that watch live while the corpus is posted: two phones, the projector and
    a labber's console; each counts the dialogs it is asked to open."""
    contexts = []

    def page(kind: str):
        options = (
            {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
            if kind == "phone"
            else {"viewport": {"width": 1920, "height": 1080}}
        )
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.add_cookies(
            [{"name": "django_language", "value": "en", "domain": "127.0.0.1", "path": "/"}]
        )
        contexts.append(context)
        p = context.new_page()
        p.on("dialog", lambda d: (room.dialogs.append(f"{kind}: {d.message}"), d.dismiss()))
        return p

    phone, other_phone = page("phone"), page("phone")
    for p in (phone, other_phone):
        p.goto(room.url + "/j/STAD26/")
    projector = page("projector")
    projector.goto(f"{room.url}/w/STAD26/projector/?key={room.projector_key()}")
    console = page("projector")
    console.goto(room.url + "/accounts/login/")
    console.fill("input[name=username]", "labbare")
    console.fill("input[name=password]", "labbet-demo")
    console.locator("form button[type=submit]").last.click()
    console.wait_for_load_state()
    console.goto(room.url + "/w/STAD26/console/")
    for p in (phone, other_phone, projector, console):
        until(p, "document.body.classList.contains('is-live')")
    yield {"phone": phone, "other phone": other_phone, "projector": projector, "console": console}
    for context in contexts:
        context.close()


def until(page, expression: str, timeout: float = 10) -> None:
    """Poll from the test (wait_for_function polls with eval, which the pages' CSP refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(50)


def assert_inert(page, room: Room, where: str) -> None:
    found = page.evaluate(SCAN)
    assert found == [], f"{where}: injected {found}"
    assert room.dialogs == [], f"{where}: dialogs opened: {room.dialogs}"


def post_one(phone, text: str) -> str:
    """Post through the form as a person would; 'accepted' or 'refused: <the message>'."""
    phone.check("#post-form input[name=kind][value=suggestion]")
    phone.fill("#post-form textarea[name=text]", text)
    # The answer replaces the form (an acknowledgement, or the form with its errors).
    phone.evaluate("document.querySelector('#post-form').dataset.before = '1'")
    phone.click("#post-form button[type=submit]")
    until(phone, "!document.querySelector('#post-form').dataset.before")
    message = phone.evaluate(
        "(document.querySelector('#post-errors') || {textContent: ''}).textContent"
    )
    return "refused: " + " ".join(message.split()) if message.strip() else "accepted"


def test_the_corpus_is_posted_through_the_phone(room, screens):
    phone = screens["phone"]
    phone.locator(".name-field summary").click()
    phone.fill("#post-form input[name=display_name]", NAME)
    for name, text in CORPUS.items():
        room.outcome[name] = post_one(phone, text)
        print(name, "→", room.outcome[name], flush=True)
        typed_length = len(text.encode("utf-16-le")) // 2
        if room.outcome[name] == "accepted" and typed_length > 400:
            # The field's maxlength clamps what a phone can type: the start of it is posted.
            room.outcome[name] = "clamped by the field's maxlength, then accepted"
        if room.outcome[name].startswith("refused"):
            phone.fill("#post-form textarea[name=text]", "")
    print("hostile input outcomes:", json.dumps(room.outcome, ensure_ascii=False, indent=1))
    saved = [" ".join(s.split()) for s in room.saved_texts()]
    for name, text in CORPUS.items():
        if room.outcome[name] == "accepted":
            assert shown_as(text) in saved, name
        elif room.outcome[name].startswith("clamped"):
            assert any(s.startswith(shown_as(text)[:100]) for s in saved), name
        else:
            assert room.outcome[name] != "refused: ", f"{name}: refused without a message"
    assert all(MARK not in s or "\x00" not in s for s in saved), "a NUL byte was saved"
    assert not any("\u202e" in s or "\u200b" in s for s in saved), "invisible characters kept"


def literal_texts(room: Room) -> list[str]:
    """The posted texts that should appear literally (the clamped ones are checked apart)."""
    return [shown_as(t) for n, t in CORPUS.items() if room.outcome.get(n) == "accepted"]


@pytest.mark.parametrize(
    ("screen", "how"),
    [
        (s, h)
        for h in ("live", "reloaded")
        for s in ("phone", "other phone", "projector", "console")
    ],
)
def test_every_live_screen_stays_inert_and_shows_the_text_literally(room, screens, screen, how):
    page = screens[screen]
    if how == "reloaded":
        page.reload()
        until(page, "document.body.classList.contains('is-live')")
    assert_inert(page, room, f"{screen} ({how})")
    cards = page.locator(".card__text")
    # The projector pages its wall (a card on the next page is there, not displayed) and puts
    # soft hyphens in long words, which show only as a hyphen at a line's end.
    texts = cards.all_text_contents() if screen == "projector" else cards.all_inner_texts()
    shown = " ".join(" ".join(texts).replace("\u00ad", "").split())
    for text in literal_texts(room):
        assert text in shown, f"{screen} ({how}) does not show {text!r} literally"
    authors = page.locator(".card__author", has_text=f"{MARK}-name")
    assert authors.count() >= 1 and NAME in authors.first.inner_text()
    if screen == "projector":
        emoji = page.locator(".card__text", has_text="😀" * 50)
        assert emoji.count() == 1, "the (clamped) emoji post is on the wall"
        assert emoji.evaluate("e => e.getBoundingClientRect().right <= innerWidth")
        screenshot(page, f"projector-hostile-{how}")
        # The layout holds: nothing scrolls, no card is wider than its column.
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert page.evaluate("document.documentElement.scrollHeight <= innerHeight")
        assert page.evaluate(
            "[...document.querySelectorAll('.card')].every(c => c.scrollWidth <= "
            "c.clientWidth + 1 && c.getBoundingClientRect().right <= innerWidth)"
        ), "a card overflows its column"


def test_the_report_in_html_markdown_and_csv_is_inert(room, screens):
    console = screens["console"]
    console.goto(room.url + "/w/STAD26/report/")
    assert_inert(console, room, "report (HTML)")
    body = " ".join(console.locator("main").inner_text().split())
    for text in literal_texts(room):
        assert text in body, f"the report does not show {text!r} literally"

    markdown = console.request.get(room.url + "/w/STAD26/report.md").text()
    # Markdown escapes what would be markup: no raw tag of ours survives.
    assert not re.search(r"(?<!\\)<(script|img|svg|div|b|a)\b", markdown), "raw HTML in .md"
    assert "](javascript:" not in markdown

    text = console.request.get(room.url + "/w/STAD26/report.csv").text()
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    ours = [cell for cell in cells if MARK in cell or "HYPERLINK" in cell]
    assert len(ours) >= len(literal_texts(room)), "a hostile post is missing from the CSV"
    formulas = [c for c in ours if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert formulas == [], f"cells a spreadsheet would run: {formulas}"
    for start in ("'=HYPERLINK", "'@SUM", "'-2+3"):
        assert any(c.startswith(start) for c in ours), f"{start} not escaped as text"


def test_the_follow_up_page_and_the_email_are_inert(room, screens):
    saved = next(t for t in room.saved_texts() if f"{MARK}-img" in t)
    room.shell(
        "from insights.models import Contribution\n"
        "from workshops.models import Participant\n"
        "from insights.actions.claims import claim_suggestion, post_follow_up, "
        "set_contributor_email\n"
        f"c = Contribution.objects.get(workshop__code='STAD26', text={saved!r})\n"
        f"set_contributor_email(c.author, {EMAIL!r})\n"
        "r = Participant.objects.filter(workshop__code='STAD26', role='receiver').first()\n"
        f"claim = claim_suggestion(c, r, note={NOTE!r})\n"
        f"post_follow_up(claim, r, text={NOTE!r}, status='in_progress')\n"
    )
    page = screens["projector"]
    page.goto(room.url + "/w/STAD26/follow-up/")
    assert_inert(page, room, "follow-up page")
    body = " ".join(page.locator("main").inner_text().split())
    assert shown_as(saved) in body
    assert shown_as(NOTE) in body

    messages = []
    for path in sorted(room.mail.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    to_them = [m for m in messages if EMAIL in str(m["To"])]
    assert to_them, "the contributor was not emailed"
    for message in to_them:
        assert message.get_content_type() == "text/plain", "an HTML email"
        text = message.get_content()
        assert saved in text, "the email does not quote the suggestion literally"
        assert "&lt;" not in text and "&#x27;" not in text, "HTML escaping in a plain email"


def test_nul_bytes_invalid_utf8_and_oversize_over_a_raw_socket(room):
    phone = HttpPhone(room.url)
    answers: dict[str, str] = {}

    async def run() -> None:
        async with websockets.connect(
            phone.ws_url(), additional_headers=phone.ws_headers(), max_size=2**22
        ) as ws:

            async def ask(name: str, payload) -> None:
                await ws.send(payload)
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    text = await asyncio.wait_for(ws.recv(), timeout=5)
                    if not text.startswith("<!--c:"):  # an answer to this phone alone
                        answers[name] = text
                        return
                answers[name] = "(no answer)"

            def post(text: str) -> str:
                return json.dumps(
                    {"action": "post", "kind": "insight", "text": text, "client_key": name}
                )

            name = "raw-nul"
            await ask(name, post(f"{MARK}\x00raw-nul"))
            name = "raw-only-nul"
            await ask(name, post("\x00\x00\x00"))
            name = "raw-10000-emoji"
            await ask(name, post("😀" * 10_000))
            name = "raw-over-long"
            await ask(name, post("x" * 1_000))
            name = "raw-not-json"
            await ask(name, "{'action': 'post'")
            name = "raw-binary"
            await ask(name, b"\xff\xfe\x00invalid utf-8")
        # Invalid UTF-8 in a text frame: the protocol itself refuses it (close 1007).
        async with websockets.connect(phone.ws_url(), additional_headers=phone.ws_headers()) as ws:
            # websockets will not send invalid UTF-8 as text; write the frame by hand.
            frame = bytes([0x81, 0x80 | 4]) + b"\x00\x00\x00\x00" + b"\xc3\x28\xa0\xa1"
            ws.transport.write(frame)
            try:
                await asyncio.wait_for(ws.recv(), timeout=5)
                answers["raw-invalid-utf8"] = "answered"
            except websockets.ConnectionClosed as closed:
                answers["raw-invalid-utf8"] = f"closed: {closed}"

    # In a thread of its own: sync Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    summary = {
        k: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", v)).strip()[:120] for k, v in answers.items()
    }
    print("raw socket answers:", json.dumps(summary, ensure_ascii=False, indent=1))
    saved = room.saved_texts()
    # A NUL byte is refused with Django's message ("Null characters are not allowed"), in the
    # workshop's language; nothing of it is saved.
    assert not any("\x00" in s or "raw-nul" in s for s in saved)
    for name in ("raw-nul", "raw-only-nul"):
        assert "data-sent-key" not in answers[name] and "post-errors" in answers[name], name
    # The rest is refused with a message to this phone (in the workshop's language).
    for name in ("raw-10000-emoji", "raw-not-json", "raw-binary"):
        assert 'id="socket-error"' in answers[name] and summary[name], name
    assert "post-errors" in answers["raw-over-long"] and "400" in summary["raw-over-long"]
    # Invalid UTF-8 in a text frame breaks the protocol: the socket is dropped, the server
    # stays up (the health check below) and the phone reconnects.
    assert answers["raw-invalid-utf8"].startswith("closed")
    assert health_ok(room.url)


def health_ok(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        return json.load(response)["status"] == "ok"
