"""Prioritise and hand over, in real Chromium against the demo workshop (STAD26): three phones
vote and the projector's ranking follows; receivers claim by their invite links and the
projector names them within a second; weeks later a receiver reports, and the public
follow-up page and the opted-in contributor's email show it.

"Weeks later" is made by moving the recorded dates of the claims, votes and posts back six
weeks with `live_server.shell` (the server's clock cannot be moved from here)."""

import email
import email.policy
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OURS = "Dela sensordata öppet mellan kommunerna"
FOLLOW_UP = "Pilot with Skurup and Linkoping started in August; first data shared."


@pytest.fixture(scope="module")
def projector_key(live_server):
    return live_server.shell(
        "from workshops.models import Workshop; "
        "print(Workshop.objects.get(code='STAD26').projector_token)"
    )


def wait_live(page) -> None:
    page.locator("body.is-live").wait_for(timeout=10_000)


def open_projector(new_context, live_server, key: str):
    page = new_context("projector").new_page()
    page.goto(f"{live_server.url}/w/STAD26/projector/?key={key}")
    wait_live(page)
    return page


def open_phone(new_context, url: str):
    page = new_context("phone").new_page()
    page.goto(url + "/j/STAD26/")
    wait_live(page)
    return page


def post(page, text: str, kind: str) -> None:
    page.check(f"#post-form input[name=kind][value={kind}]")
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button[type=submit]")


def receiver_token(live_server, organisation: str) -> str:
    return live_server.shell(
        "from workshops.models import Participant; print(Participant.objects.get("
        f"workshop__code='STAD26', role='receiver', organisation={organisation!r}).invite_token)"
    )


def signed_in_labber(new_context, live_server):
    page = new_context("projector").new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "labbare")
    page.fill("input[name=password]", "labbet-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    return page


def labber_post(page, live_server, path: str, **form) -> None:
    """A console button's POST (the console that shows these buttons is built alongside)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        live_server.url + path, form=form, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.ok, response.text()


def give_dot(phone, text: str) -> None:
    item = phone.locator(".vote-item", has_text=text)
    before = phone.locator("#dots-left").inner_text()
    item.locator("button[value=add]").click()
    # Not wait_for_function: it polls with eval, which the pages' CSP refuses.
    expect(phone.locator("#dots-left")).not_to_have_text(before)


def top_of_ranking(projector):
    return projector.locator(".ranking__item").first


def emails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if address in str(message["To"]):
                    found.append(message)
    return found


def test_the_room_votes_receivers_claim_live_and_report_weeks_later(
    new_context, live_server, projector_key
):
    url = live_server.url
    projector = open_projector(new_context, live_server, projector_key)
    phones = [open_phone(new_context, url) for _ in range(3)]

    # A contributor posts a suggestion and asks to hear what becomes of it.
    kim = phones[0]
    post(kim, OURS, kind="suggestion")
    kim.locator(".post-confirm").wait_for()
    kim.locator("#claim-updates summary").click()
    kim.fill("#updates-email", "kim@example.org")
    kim.locator("#claim-updates button[type=submit]").click()
    kim.locator("#claim-updates .updates-status", has_text="We will email you").wait_for()

    # A labber opens voting: every phone gets its own dots, the projector the ranking.
    labber = signed_in_labber(new_context, live_server)
    labber_post(labber, live_server, "/w/STAD26/voting/open/", dots_per_person="3")
    for phone in phones:
        phone.locator("#vote-panel .vote-list").wait_for()
        assert "3" in phone.locator("#dots-left").inner_text()
    projector.locator("#ranking").wait_for()

    others = [t.strip() for t in phones[0].locator(".vote-item__text").all_inner_texts()]
    others = [t for t in others if t != OURS][:2]
    give_dot(phones[0], OURS)
    top_of_ranking(projector).filter(has_text=OURS).wait_for(timeout=1000)
    give_dot(phones[0], others[0])
    give_dot(phones[1], OURS)
    give_dot(phones[1], others[1])
    give_dot(phones[2], OURS)
    screenshot(phones[2], "phone-voting")
    top = top_of_ranking(projector)
    top.locator(".vote-tally__count", has_text="3").wait_for(timeout=1000)
    assert OURS in top.inner_text()
    assert top.locator("meter.vote-bar").get_attribute("value") == "3"

    # Receivers claim by their personal links; the projector names them within a second.
    vinnova = new_context("projector").new_page()
    vinnova.goto(f"{url}/i/{receiver_token(live_server, 'Vinnova')}/")
    vinnova.wait_for_url("**/w/STAD26/handover/")
    wait_live(vinnova)
    first = vinnova.locator(".handover-item").first
    assert OURS in first.inner_text()
    first.locator("summary").click()
    first.locator("textarea[name=note]").fill("Vi finansierar en pilot (internt)")
    started = time.monotonic()
    first.get_by_role("button", name="We take this forward").click()
    top.locator(".claim-badge", has_text="Vinnova").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    vinnova.locator(".handover-item").first.locator(".claim-mine").wait_for()
    screenshot(vinnova, "receiver-room")

    skurup = new_context("phone").new_page()
    skurup.goto(f"{url}/i/{receiver_token(live_server, 'Skurups kommun')}/")
    wait_live(skurup)
    skurup.locator(".handover-item", has_text=OURS).get_by_role(
        "button", name="We take this forward"
    ).click()
    top.locator(".claim-badge", has_text="Skurups kommun").wait_for(timeout=1000)
    assert top.locator(".claim-badge", has_text="Vinnova").is_visible()
    # The Vinnova laptop saw its fellow receiver arrive, too.
    vinnova.locator(".handover-item").first.locator(
        ".claim-badge", has_text="Skurups kommun"
    ).wait_for(timeout=1000)
    assert projector.evaluate("document.documentElement.scrollHeight <= innerHeight")
    screenshot(projector, "projector-ranking-with-claims")

    # Six weeks later: the workshop is over, and the same link leads to the dashboard.
    live_server.shell(
        "from datetime import timedelta\n"
        "from insights.models import Claim, Contribution, Vote\n"
        "from workshops.models import Workshop\n"
        "ago = timedelta(weeks=6)\n"
        "for model in (Claim, Contribution, Vote):\n"
        "    for row in model.objects.filter(**{"
        "'contribution__workshop__code' if model is not Contribution else 'workshop__code': "
        "'STAD26'}):\n"
        "        row.created_at -= ago\n"
        "        row.save(update_fields=['created_at'])\n"
        "Workshop.objects.filter(code='STAD26').update(status='closed', phase='closed')\n"
    )
    vinnova.goto(f"{url}/i/{receiver_token(live_server, 'Vinnova')}/")
    vinnova.wait_for_url("**/claims/")
    card = vinnova.locator(".claim-card", has_text=OURS)
    claimed = card.locator("time").first.inner_text().replace("\xa0", " ")
    assert claimed == "1 month, 1 week ago"  # the browser chose English

    card.get_by_role("link", name="Write a follow-up").click()
    vinnova.check("input[name=status][value=in_progress]")
    vinnova.fill("textarea[name=text]", FOLLOW_UP)
    vinnova.fill("input[name=link]", "https://example.org/sensor-pilot")
    vinnova.get_by_role("button", name="Publish the follow-up").click()
    vinnova.locator(".messages", has_text="Your follow-up is on the public").wait_for()
    vinnova.goto(f"{url}/claims/")
    vinnova.locator(".claim-card .status--in_progress").wait_for()
    screenshot(vinnova, "receiver-dashboard")

    public = new_context("phone").new_page()
    public.goto(f"{url}/w/STAD26/follow-up/")
    item = public.locator(".followup-item", has_text=OURS)
    assert FOLLOW_UP in item.inner_text()
    assert "Vinnova" in item.inner_text() and "Skurups kommun" in item.inner_text()
    main = public.locator("main").inner_text()
    screenshot(public, "followup-public")
    assert "@" not in main and "Vi finansierar en pilot" not in main

    mail = Path(live_server.env["EMAIL_FILE_PATH"])
    to_kim = emails_to(mail, "kim@example.org")
    assert len(to_kim) == 3  # two claims and one follow-up
    assert FOLLOW_UP in to_kim[-1].get_body().get_content()

    # The reminder cron job, run twice against the same database: one reminder for Skurup.
    live_server.shell(
        "from workshops.models import Participant\n"
        "Participant.objects.filter(workshop__code='STAD26', organisation='Skurups kommun')"
        ".update(email='henrik@skurup.example')\n"
    )
    for _ in range(2):
        live_server.manage("send_followup_reminders", "--days", "14", "--base-url", url)
    (reminder,) = emails_to(mail, "henrik@skurup.example")
    assert OURS in reminder.get_body().get_content()
