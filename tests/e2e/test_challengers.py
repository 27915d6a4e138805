"""The challenger's own loop in real Chromium, all through the UI (issue 21): a labber makes a
workshop with two challenges and invites a challenger to each from its row; each challenger
prepares their obstacles through their own link and the labber sees the changes; phones post
on obstacles of both challenges; each challenger's page shows exactly the posts on their own
obstacles plus those on the whole workshop; one challenger's follow-up appears on the public
follow-up page and in the report. Every page must stay free of console errors, page errors
and failed requests."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIVE = 5000  # ms


class Watched:
    """Every page the story opens, with what went wrong on it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def page(self, context):
        page = context.new_page()
        page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"),
        )
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("requestfailed", self._failed)
        return page

    def _failed(self, request) -> None:
        # As every browser test's watcher (tests/conftest.py): a request the page cancelled
        # itself, going elsewhere (the console's projector preview polls its counts every 5
        # s), is no failure.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"requestfailed: {request.method} {request.url} {request.failure}")


def action(verb: str, obstacle: str) -> re.Pattern:
    """A button's accessible name: the verb, then the obstacle it acts on (read out only)."""
    return re.compile(rf"^{verb}\s*: {re.escape(obstacle)}$")


def wait_live(page) -> None:
    page.locator("body.is-live").wait_for(timeout=10_000)


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("labbare")
    page.get_by_label("Password").fill("labbet-demo")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def add_challenge(labber, title: str, obstacles: str) -> None:
    labber.get_by_label("The challenge:").fill(title)
    labber.get_by_label("Obstacles, one per line, in order:").fill(obstacles)
    labber.get_by_role("button", name="Add the challenge").click()
    labber.locator(".challenge-card h3", has_text=title).wait_for()


def invite_from_row(labber, title: str, name: str, organisation: str) -> None:
    row = labber.locator(".challenge-card", has=labber.locator("h3", has_text=title))
    row.locator("summary", has_text="Invite a new challenger").click()
    row.get_by_label("Name:").fill(name)
    row.get_by_label("Organisation:").fill(organisation)
    row.get_by_role("button", name="Invite the challenger").click()
    labber.locator(".messages", has_text=f"{name} is invited.").wait_for()


def phone_post(page, text: str, about: str) -> None:
    page.locator("#post-form select[name=obstacle]").select_option(label=about)
    page.check("#post-form input[name=kind][value=insight]")
    page.fill("#post-form textarea[name=text]", text)
    page.click("#post-form button[type=submit]")
    page.locator(".post-confirm").wait_for(timeout=LIVE)


def test_two_challengers_prepare_follow_and_report_their_own_challenges(new_context, live_server):
    watched = Watched()
    base = live_server.url

    # 1. A labber creates a workshop with two challenges and invites a challenger to each.
    labber = watched.page(new_context("projector", viewport={"width": 1440, "height": 900}))
    sign_in(labber, base)
    labber.get_by_role("link", name="New workshop").click()
    labber.get_by_label("Question:").fill("How do we share city data?")
    labber.get_by_label("Language:").select_option("en")
    labber.get_by_role("button", name="Create the workshop").click()
    labber.wait_for_url(re.compile(r"/w/[A-Z0-9]{6}/setup/$"))
    code = labber.locator(".code-chip").first.inner_text().strip()
    add_challenge(labber, "City as a platform", "Silos between agencies")
    add_challenge(labber, "Open data for all", "Formats differ")
    invite_from_row(labber, "City as a platform", "Therese", "City as a platform")
    invite_from_row(labber, "Open data for all", "Anna", "Region")
    for title, name in (("City as a platform", "Therese"), ("Open data for all", "Anna")):
        row = labber.locator(".challenge-card", has=labber.locator("h3", has_text=title))
        assert (
            row.get_by_label("Challenger:").locator("option:checked").inner_text().startswith(name)
        )

    labber.goto(f"{base}/w/{code}/invites/")
    links = {
        name: labber.get_by_label(f"Personal link of {name}").input_value()
        for name in ("Therese", "Anna")
    }

    # 2. Each challenger prepares their obstacles through their own link.
    therese = watched.page(new_context("projector"))
    therese.goto(links["Therese"])
    therese.wait_for_url(re.compile(rf"/w/{code}/challenge/$"))
    therese.get_by_label("Another obstacle").fill("No shared budget")
    therese.get_by_role("button", name="Add", exact=True).click()
    therese.locator(".messages", has_text="Obstacle added.").wait_for()
    therese.get_by_label("Obstacle 1").fill("Silos between city agencies")
    therese.get_by_role("button", name=action("Reword", "Silos between agencies")).click()
    therese.locator(".messages", has_text="Obstacle reworded.").wait_for()

    anna = watched.page(new_context("projector"))
    anna.goto(links["Anna"])
    anna.wait_for_url(re.compile(rf"/w/{code}/challenge/$"))
    anna.get_by_label("Another obstacle").fill("Nobody owns the data")
    anna.get_by_role("button", name="Add", exact=True).click()
    anna.locator(".messages", has_text="Obstacle added.").wait_for()
    with anna.expect_navigation():
        anna.get_by_role("button", name=action("Up", "Nobody owns the data")).click()
    assert anna.locator(".prepare-obstacle input[name=text]").first.input_value() == (
        "Nobody owns the data"
    )

    labber.goto(f"{base}/w/{code}/setup/")
    ours = labber.locator(".challenge-card", has=labber.locator("h3", has_text="City as a"))
    theirs = labber.locator(".challenge-card", has=labber.locator("h3", has_text="Open data"))
    changes = ours.locator(".challenger-changes").inner_text()
    assert "Therese added the obstacle “No shared budget”" in changes
    assert "Therese reworded the obstacle “Silos between agencies” to “Silos between city" in (
        changes
    )
    changes = theirs.locator(".challenger-changes").inner_text()
    assert "Anna added the obstacle “Nobody owns the data”" in changes
    assert "Anna moved the obstacle “Nobody owns the data” to place 1" in changes
    screenshot(labber, "setup-challenger-changes")
    with labber.expect_navigation():
        ours.get_by_role("button", name="Seen").click()
    assert ours.locator(".challenger-changes").count() == 0
    assert theirs.locator(".challenger-changes").count() == 1

    # 3. The room goes live; phones post on obstacles of both challenges, and on the whole.
    labber.goto(f"{base}/w/{code}/console/")
    wait_live(labber)
    labber.locator(".phase-step[data-phase=insights]").click()
    labber.locator(".phase-step.is-current[data-phase=insights]").wait_for(timeout=LIVE)
    phones = [watched.page(new_context("phone")) for _ in range(3)]
    for phone in phones:
        phone.goto(f"{base}/j/{code}/")
        wait_live(phone)
    groups = phones[0].locator("#post-form select[name=obstacle] optgroup")
    assert [groups.nth(i).get_attribute("label") for i in range(2)] == [
        "City as a platform",
        "Open data for all",
    ]
    phone_post(phones[0], "Agencies could share one backlog", "Silos between city agencies")
    phone_post(phones[1], "A data steward per region", "Nobody owns the data")
    phone_post(phones[2], "Start small, with one street", "The workshop as a whole")

    # 4. Each challenger's page shows exactly their own obstacles' posts and the whole's.
    therese.goto(f"{base}/w/{code}/challenge/")
    page = therese.locator("main").inner_text()
    assert "Agencies could share one backlog" in page
    assert "Start small, with one street" in page
    assert "A data steward per region" not in page
    anna.goto(f"{base}/w/{code}/challenge/")
    page = anna.locator("main").inner_text()
    assert "A data steward per region" in page
    assert "Start small, with one street" in page
    assert "Agencies could share one backlog" not in page

    # A live obstacle the room posted on stays as it is for the challenger, with the reason.
    therese.get_by_role("button", name=action("Remove", "Silos between city agencies")).click()
    therese.locator(".messages", has_text="the room has posted on this obstacle").wait_for()
    assert therese.get_by_label("Obstacle 1").input_value() == "Silos between city agencies"

    # 5. Therese's follow-up appears on the public follow-up page and in the report.
    therese.get_by_label("What we did next:").fill("We opened a city data lab in March.")
    therese.get_by_role("button", name="Publish the follow-up").click()
    therese.locator(".messages", has_text="Your follow-up is published.").wait_for()
    screenshot(therese, "challenger-page")

    public = watched.page(new_context("projector"))
    public.goto(f"{base}/w/{code}/follow-up/")
    assert "We opened a city data lab in March." in public.locator("main").inner_text()
    labber.goto(f"{base}/w/{code}/report/")
    assert "We opened a city data lab in March." in labber.locator("main").inner_text()

    assert watched.problems == []
