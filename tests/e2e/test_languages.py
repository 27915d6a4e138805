"""Every screen in its own language, live: in a Swedish workshop a phone and a console switched
to English get every live update in English, with no reload, while a Swedish phone in the same
room gets Swedish; the reverse in an English workshop; and a replay after a reconnect comes in
the socket's language too."""

from __future__ import annotations

import re

import pytest

from tests.netproxy import CuttableProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE = 5000  # ms

# The words each screen's chrome shows, in each language (locale/sv/LC_MESSAGES/django.po).
WORDS = {
    "en": {
        "switch": "English",
        "insight": "Insight",
        "suggestion": "Suggestion",
        "suggestions phase": "What could solve it? Share a suggestion.",
        "prioritise phase": "Time to prioritise: which suggestions matter most?",
        "time is up": "Time is up",
        "taken forward by": "Taken forward by",
        "dots": "Prioritise: spend your dots",
    },
    "sv": {
        "switch": "Svenska",
        "insight": "Insikt",
        "suggestion": "Förslag",
        "suggestions phase": "Vad kan lösa det? Dela ett lösningsförslag.",
        "prioritise phase": "Dags att prioritera: vilka förslag är viktigast?",
        "time is up": "Tiden är ute",
        "taken forward by": "Tas vidare av",
        "dots": "Prioritera: dela ut dina prickar",
    },
}
FIRST_LANG = re.compile(r'\blang="([a-z]{2})"')


class Screen:
    """A page that records what goes wrong in it and the frames its sockets receive."""

    def __init__(self, page, language: str) -> None:
        self.page = page
        self.language = language
        self.errors: list[str] = []
        self.frames: list[str] = []
        # While the test has cut this screen's connection, the browser's reports of the lost
        # socket are what it should say; nothing else is allowed then either.
        self.cut = False
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "requestfailed",
            lambda r: (
                None
                if r.url.startswith("ws")  # a cut socket is the point of the replay story
                else self.errors.append(f"requestfailed: {r.url} {r.failure}")
            ),
        )
        page.on("websocket", self._socket)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        lost = "WebSocket connection to" in message.text or message.text == "[object Event]"
        if not (self.cut and lost):
            self.errors.append(f"console: {message.text}")

    def _socket(self, socket) -> None:
        socket.on("framereceived", lambda payload: self.frames.append(str(payload)))

    def word(self, key: str) -> str:
        return WORDS[self.language][key]

    def live(self) -> None:
        self.page.locator("body.is-live").wait_for(timeout=10_000)

    def switch_to(self, language: str) -> None:
        """The language switch in the page's own chrome; the page comes back in it."""
        self.page.locator(".lang-switch").get_by_role(
            "button", name=WORDS[language]["switch"]
        ).click()
        self.page.locator(f'html[lang="{language}"]').wait_for()
        self.language = language
        self.live()

    def frames_in_other_languages(self) -> list[str]:
        """Frames whose chrome (the first lang= in a frame: each live region's root carries
        the viewer's language; the workshop's own text inside carries the workshop's) is not
        in this screen's language."""
        wrong = []
        for text in self.frames:
            found = FIRST_LANG.search(text)
            if found and found.group(1) != self.language:
                wrong.append(text[:300])
        return wrong


def labber_post(screen: Screen, base: str, path: str, **form) -> None:
    """A console move, as the console's buttons send it."""
    token = next(c["value"] for c in screen.page.context.cookies() if c["name"] == "csrftoken")
    response = screen.page.request.post(
        base + path, form=form, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.ok, response.text()


def post(screen: Screen, text: str, kind: str) -> None:
    page = screen.page
    page.check(f"#post-form input[name=kind][value={kind}]")
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button[type=submit]")
    page.locator(".post-confirm").wait_for(timeout=LIVE)


def card(screen: Screen, text: str):
    return screen.page.locator(".card", has_text=text)


def kind_of(screen: Screen, text: str) -> str:
    found = card(screen, text).locator(".card__kind")
    found.wait_for(timeout=LIVE)
    return found.text_content()


def shell(live_server, code: str) -> str:
    return live_server.shell(code)


def english_workshop(live_server) -> str:
    """An English workshop run by the demo labber, with a receiver; its join code."""
    return shell(
        live_server,
        "from django.contrib.auth import get_user_model\n"
        "from tests.factories import make_receiver, make_workshop\n"
        "labber = get_user_model().objects.get(username='labbare')\n"
        "w = make_workshop(labber_user=labber, language='en', "
        "question='How do we share city data?', obstacles=('Silos', 'No trust'))\n"
        "make_receiver(w, 'Vinnova')\n"
        "print(w.code)",
    )


def receiver_token(live_server, code: str) -> str:
    return shell(
        live_server,
        "from workshops.models import Participant; print(Participant.objects.filter("
        f"workshop__code={code!r}, role='receiver').order_by('pk').first().invite_token)",
    )


def open_console(new_context, base: str, code: str, language: str) -> Screen:
    page = new_context("projector", language=language, viewport={"width": 1440, "height": 900})
    page = page.new_page()
    screen = Screen(page, language)
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "labbare")
    page.fill("input[name=password]", "labbet-demo")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/w/{code}/console/")
    screen.live()
    return screen


def open_phone(new_context, base: str, code: str, language: str) -> Screen:
    page = new_context("phone", language=language).new_page()
    screen = Screen(page, language)
    page.goto(f"{base}/j/{code}/")
    screen.live()
    return screen


@pytest.mark.parametrize("workshop_language", ["sv", "en"])
def test_each_screen_gets_every_live_update_in_its_own_language(
    new_context, live_server, workshop_language, browser_errors
):
    # The cut phone's lost socket; each Screen checks that only the cut one reports it.
    browser_errors.allow(r"WebSocket connection to .* failed|console error: \[object Event\]")
    base = live_server.url
    other = "en" if workshop_language == "sv" else "sv"
    code = "STAD26" if workshop_language == "sv" else english_workshop(live_server)
    proxy = CuttableProxy(int(base.rsplit(":", 1)[1]))
    try:
        _story(new_context, live_server, base, code, workshop_language, other, proxy)
    finally:
        proxy.close()


def _story(new_context, live_server, base, code, workshop_language, other, proxy) -> None:
    # The switched phone goes through a proxy the test can cut: the wifi it walks out of.
    switched = open_phone(new_context, f"http://127.0.0.1:{proxy.port}", code, workshop_language)
    switched.switch_to(other)
    own = open_phone(new_context, base, code, workshop_language)
    console = open_console(new_context, base, code, workshop_language)
    console.switch_to(other)
    screens = (switched, own, console)
    assert switched.page.locator("html").get_attribute("lang") == other
    assert console.page.locator("html").get_attribute("lang") == other
    # The workshop's own text keeps the workshop's language inside a page in another.
    assert switched.page.locator(".phone-question").get_attribute("lang") == workshop_language
    assert console.page.locator(".console-question").get_attribute("lang") == workshop_language

    # A new card.
    post(own, "Sensordata delas öppet", kind="insight")
    for screen in screens:
        assert screen.word("insight") in kind_of(screen, "Sensordata delas öppet")
    text = card(switched, "Sensordata delas öppet").locator(".card__text")
    assert text.get_attribute("lang") == workshop_language

    # A phase.
    labber_post(console, base, f"/w/{code}/console/phase/", phase="suggestions")
    for screen in (switched, own):
        screen.page.locator(
            ".phone-prompt__text", has_text=screen.word("suggestions phase")
        ).wait_for(timeout=LIVE)

    # A prompt: the labber's question is the workshop's text, the chrome around it the screen's.
    labber_post(console, base, f"/w/{code}/console/prompt/", text="Vad saknas i er kommun?")
    for screen in (switched, own):
        prompt = screen.page.locator("#phone-prompt", has_text="Vad saknas i er kommun?")
        prompt.wait_for(timeout=LIVE)
        assert prompt.get_attribute("lang") == screen.language
        assert prompt.locator("span[lang]").get_attribute("lang") == workshop_language
    console.page.locator("#console-state", has_text="Vad saknas i er kommun?").wait_for()
    assert console.page.locator("#console-state").get_attribute("lang") == other
    labber_post(console, base, f"/w/{code}/console/prompt/clear/")

    # A timer.
    labber_post(console, base, f"/w/{code}/console/timer/", op="start", minutes="2")
    for screen in screens:
        timer = screen.page.locator("#room-timer[data-timer-ends]")
        timer.wait_for(timeout=LIVE)
        assert timer.get_attribute("data-done-label") == screen.word("time is up")

    # Two suggestions, one merged into the other.
    post(own, "Öppna stadens data", kind="suggestion")
    post(own, "Öppna data för alla", kind="suggestion")
    keep = card(console, "Öppna stadens data").get_attribute("id")
    duplicate = card(console, "Öppna data för alla")
    duplicate.wait_for(timeout=LIVE)
    duplicate_id = duplicate.get_attribute("id")
    labber_post(
        console, base, f"/w/{code}/console/merge/", keep=keep[2:], selected=duplicate_id[2:]
    )
    for screen in screens:
        screen.page.locator(f"#{duplicate_id}").wait_for(state="detached", timeout=LIVE)
        assert screen.word("suggestion") in kind_of(screen, "Öppna stadens data")

    # A theme.
    labber_post(console, base, f"/w/{code}/console/themes/", name="Data", selected=keep[2:])
    console.page.locator(".card__theme", has_text="Data").wait_for(timeout=LIVE)
    for screen in screens:
        assert screen.word("suggestion") in kind_of(screen, "Öppna stadens data")

    # Voting opens and closes.
    labber_post(console, base, f"/w/{code}/voting/open/", dots_per_person="3")
    for screen in (switched, own):
        screen.page.locator("#vote-heading", has_text=screen.word("dots")).wait_for(timeout=LIVE)
    assert console.page.locator("#vote-controls").get_attribute("lang") == other
    labber_post(console, base, f"/w/{code}/voting/close/")
    for screen in (switched, own):
        screen.page.locator("#vote-panel").wait_for(state="hidden", timeout=LIVE)
        assert screen.page.locator("#vote-panel").get_attribute("lang") == screen.language

    # A claim: a receiver takes the suggestion forward through their personal link.
    receiver = new_context("projector", language=workshop_language).new_page()
    receiver.goto(f"{base}/i/{receiver_token(live_server, code)}/")
    receiver.wait_for_url(re.compile(r"/handover/$"))
    token = next(c["value"] for c in receiver.context.cookies() if c["name"] == "csrftoken")
    response = receiver.request.post(
        f"{base}/w/{code}/claim/",
        form={"contribution": keep[2:]},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.ok, response.text()
    for screen in screens:
        badges = screen.page.locator(f"#claims-{keep[2:]} .claim-badge")
        badges.first.wait_for(timeout=LIVE)
        label = screen.page.locator(f"#claims-{keep[2:]}").get_attribute("aria-label")
        assert label == screen.word("taken forward by")

    # The switched phone walks out of the wifi; what it missed is replayed in its language.
    switched.cut = True
    proxy.cut()
    switched.page.locator("body:not(.is-live)").wait_for(timeout=LIVE)
    post(own, "Medan du var borta", kind="insight")
    labber_post(console, base, f"/w/{code}/console/phase/", phase="prioritise")
    own.page.locator(".phone-prompt__text", has_text=own.word("prioritise phase")).wait_for()
    proxy.restore()
    switched.live()
    switched.cut = False
    assert switched.word("insight") in kind_of(switched, "Medan du var borta")
    switched.page.locator(
        ".phone-prompt__text", has_text=switched.word("prioritise phase")
    ).wait_for(timeout=LIVE)

    for screen in screens:
        assert screen.frames, "no live frames reached the screen"
        assert screen.frames_in_other_languages() == []
    assert switched.errors == [] and own.errors == []
    assert console.errors == []
