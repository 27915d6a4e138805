"""Fair and safe behind one address, live in real Chromium against the demo (STAD26): a
receiver's phone loses its live socket the moment a labber revokes their link (and a reload
makes it one more phone in the room, not them); and many new phones of one network posting
the same thing put a warning in the console's moderation log while the labber watches."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_claims import labber_post, receiver_token, signed_in_labber, wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def watch(page) -> list[str]:
    """Console errors, page errors and failed requests of `page`: a screen that logs errors
    is not done."""
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"requestfailed: {r.url} {r.failure}"))
    return problems


def test_a_revoked_receivers_phone_stops_following_the_room_at_once(new_context, live_server):
    url = live_server.url
    token = receiver_token(live_server, "Vinnova")
    pk = live_server.shell(
        "from workshops.models import Participant; "
        f"print(Participant.objects.get(invite_token={token!r}).pk)"
    )
    receiver = new_context("phone").new_page()
    problems = watch(receiver)
    receiver.goto(f"{url}/i/{token}/")
    receiver.goto(f"{url}/j/STAD26/")
    wait_live(receiver)

    labber = signed_in_labber(new_context, live_server)
    labber_problems = watch(labber)
    labber_post(labber, live_server, f"/w/STAD26/invites/{pk}/revoke/")
    expect(receiver.locator("body")).not_to_have_class("is-live", timeout=2_000)
    expect(receiver.locator("#net-status")).to_contain_text("cannot follow the room live")

    # A reload: the browser is one more phone in the room now, live again, not the receiver.
    receiver.reload()
    wait_live(receiver)
    joined_as = live_server.shell(
        "from workshops.models import Participant; "
        f"print(Participant.objects.get(pk={pk}).invite_revoked_at is not None, "
        "Participant.objects.filter(workshop__code='STAD26', role='audience').count() > 0)"
    )
    assert joined_as == "True True"
    assert problems == [] and labber_problems == []


def test_the_console_warns_when_new_phones_of_one_network_post_the_same_thing(
    new_context, live_server
):
    url = live_server.url
    labber = signed_in_labber(new_context, live_server)
    problems = watch(labber)
    labber.goto(f"{url}/w/STAD26/console/")
    wait_live(labber)
    # Eight fresh cookies on this one address, each posting the same words.
    for n in range(8):
        phone = new_context("phone")
        phone.request.get(f"{url}/j/STAD26/")
        csrf = next(c["value"] for c in phone.cookies() if c["name"] == "csrftoken")
        response = phone.request.post(
            f"{url}/j/STAD26/post/",
            form={
                "kind": "suggestion",
                "text": "Vote for plan B!",
                "client_key": f"crowd-{n}",
                "anyway": "1",  # a flooder presses "Send anyway" past the offer of the twin
            },
            headers={"X-CSRFToken": csrf, "HX-Request": "true", "Referer": f"{url}/j/STAD26/"},
        )
        assert response.ok, response.text()
    # Live frames are rendered once, in the workshop's language (the demo's is Swedish).
    expect(labber.locator("#console-log")).to_contain_text(
        re.compile("new phones from one network posted|nya telefoner från ett och samma nätverk"),
        timeout=2_000,
    )
    assert problems == []
