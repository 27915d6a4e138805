"""Two labbers act on the same contribution at the same moment — one hides it, the other
merges it into another. The room ends in one consistent state, and the second labber gets a
clear message rather than an error page. Against the real server and its database."""

from __future__ import annotations

import html
import http.cookiejar
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow]


def stale_messages() -> set[str]:
    """What the second labber is told, in either language (the demo workshop is Swedish)."""
    msgids = [
        "Someone else changed this post a moment ago. Nothing was changed: look at the card "
        "again and try once more.",
        "Someone just merged this post into another one. Nothing was changed.",
    ]
    told = set()
    for language in ("en", "sv"):
        with translation.override(language):
            told |= {gettext(msgid) for msgid in msgids}
    return told


class Labber:
    """A signed-in labber's browser, as far as HTTP goes: cookies, CSRF, htmx posts."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/accounts/login/", timeout=10).read()
        status, _ = self.post("/accounts/login/", {"username": username, "password": password})
        assert status == 200, "signing in failed"

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=10).read().decode()

    def post(self, path: str, data: dict, htmx: bool = False) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}, doseq=True)
        headers = {"X-CSRFToken": self.csrf(), "Referer": self.base + path}
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(self.base + path, data=body.encode(), headers=headers)
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def shell(live_server, code: str) -> str:
    return live_server.shell(code)


def pick_two_cards(live_server) -> tuple[int, int]:
    """Two visible demo contributions nobody has touched yet."""
    out = shell(
        live_server,
        "from insights.models import Contribution; "
        "ids = list(Contribution.objects.filter(workshop__code='STAD26', status='visible', "
        "merged_into__isnull=True, merged__isnull=True).values_list('pk', flat=True)[:2]); "
        "print(*ids)",
    )
    first, second = (int(x) for x in out.split())
    return first, second


def card_state(live_server, pk: int) -> tuple[str, str, int]:
    """The card's status, what it was merged into, and how many moves the log has for it."""
    out = shell(
        live_server,
        "from insights.models import Contribution; from workshops.models import LogEntry; "
        f"c = Contribution.objects.get(pk={pk}); "
        "n = sum(1 for e in LogEntry.objects.filter(workshop=c.workshop) "
        f"if (e.contribution_id == {pk} and e.action != 'merge') "
        f"or {pk} in e.data.get('merged', [])); "
        "print(c.status, c.merged_into_id, n)",
    )
    status, merged_into, moves = out.split()
    return status, merged_into, int(moves)


def version_of(live_server, pk: int) -> str:
    return shell(
        live_server,
        "from insights.models import Contribution; from workshops.log import card_version; "
        f"print(card_version(Contribution.objects.get(pk={pk})))",
    )


@pytest.fixture(scope="module")
def second_labber(live_server):
    shell(
        live_server,
        "from django.contrib.auth import get_user_model; "
        "from workshops.actions.setup import add_colabber; from workshops.models import Workshop; "
        "u = get_user_model().objects.create_user('olle', password='olle-labbar-42'); "
        "add_colabber(Workshop.objects.get(code='STAD26'), u)",
    )
    return "olle", "olle-labbar-42"


def test_hide_and_merge_at_once_over_http_end_in_one_state_and_a_clear_message(
    live_server, second_labber
):
    lena = Labber(live_server.url, "labbare", "labbet-demo")
    olle = Labber(live_server.url, *second_labber)
    card, keep = pick_two_cards(live_server)
    seen = version_of(live_server, card)  # both consoles show the same card
    assert f'id="c-{card}"' in lena.get("/w/STAD26/console/")

    answers: dict[str, tuple[int, str]] = {}
    start = threading.Barrier(2)

    def hide():
        start.wait()
        answers["hide"] = lena.post(
            f"/w/STAD26/console/c/{card}/status/", {"status": "hidden", "v": seen}, htmx=True
        )

    def merge():
        start.wait()
        answers["merge"] = olle.post(
            "/w/STAD26/console/merge/", {"keep": keep, "selected": [f"{card}@{seen}"]}, htmx=True
        )

    threads = [threading.Thread(target=hide), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 409], answers
    loser = next(body for status, body in answers.values() if status == 409)
    assert html.unescape(loser).count("<p") == 1 and 'role="alert"' in loser
    assert any(text in html.unescape(loser) for text in stale_messages())
    assert "<html" not in loser  # a note for the console, not an error page
    status, merged_into, moves = card_state(live_server, card)
    if answers["hide"][0] == 200:
        assert (status, merged_into) == ("hidden", "None")
    else:
        assert (status, merged_into) == ("visible", str(keep))
    assert moves == 1


MOVE = """
import time
from insights.actions.posts import merge_contributions, set_status
from insights.errors import ActionRefused
from insights.models import Contribution
from workshops.models import Participant
card = Contribution.objects.get(pk={card})
keep = Contribution.objects.get(pk={keep})
labber = Participant.objects.get(workshop__code="STAD26", user__username="{user}")
time.sleep(max(0.0, {start} - time.time()))
try:
    {move}
    print("done")
except ActionRefused as refusal:
    print("refused:", refusal.message)
"""


def test_hide_and_merge_in_two_processes_at_the_same_instant(live_server, second_labber):
    """The actions themselves, in two server processes writing the same database at once
    (as several daphne processes behind a proxy do): the row lock decides, the version
    check tells the second."""
    card, keep = pick_two_cards(live_server)
    seen = version_of(live_server, card)
    start = time.time() + 4  # both processes are up by then and start together
    moves = {
        "labbare": f"set_status(card, 'hidden', labber, expected_version='{seen}')",
        "olle": f"merge_contributions(keep, [(card, '{seen}')], labber)",
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "shell",
                "--no-imports",
                "-c",
                MOVE.format(card=card, keep=keep, user=user, start=start, move=move),
            ],
            cwd=ROOT,
            env=live_server.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user, move in moves.items()
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    results = [out.strip() for out, _err in outputs]
    assert all(process.returncode == 0 for process in processes), outputs
    assert sorted(r.split(":")[0] for r in results) == ["done", "refused"], results
    refused = next(r for r in results if r.startswith("refused"))
    assert any(text in refused for text in stale_messages())
    status, merged_into, count = card_state(live_server, card)
    assert (status, merged_into) in {("hidden", "None"), ("visible", str(keep))}
    assert count == 1
