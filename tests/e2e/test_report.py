"""The report in real Chromium: a labber opens it, prints it as a document someone would send,
and publishes it so that anyone with the link can read it."""

import pytest
from playwright.sync_api import expect

from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
A4_AT_96_DPI = {"width": 794, "height": 1123}
QUESTION = "Hur kan vi tillsammans utveckla den smarta och hållbara staden?"


def signed_in_labber(new_context, base_url: str, language: str | None = "en"):
    page = new_context("projector", viewport=A4_AT_96_DPI, language=language).new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", "labbare")
    page.fill("input[name=password]", "labbet-demo")
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.mark.parametrize("language", ["sv", "en"])
def test_labber_prints_the_report_as_an_a4_document(new_context, live_server, language):
    page = signed_in_labber(new_context, live_server.url, language)
    page.goto(f"{live_server.url}/w/STAD26/report/")
    expect(page.locator("h1")).to_have_text(QUESTION)
    expect(page.locator(".report-tools")).to_be_visible()
    expect(page.locator(".time-rel").first).to_be_visible()
    assert page.locator("html").get_attribute("lang") == language
    screenshot(page, f"report-screen-{language}")

    page.emulate_media(media="print")
    # On paper: no site header, tools or switches; exact dates instead of "3 weeks ago".
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".report-tools")).to_be_hidden()
    expect(page.locator(".time-abs").first).to_be_visible()
    expect(page.locator(".time-rel").first).to_be_hidden()
    expect(page.get_by_text("Få alla att inse värdet av att dela data")).to_be_visible()
    screenshot(page, f"report-print-{language}")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")


def test_a_published_report_opens_for_anyone_with_the_link(new_context, live_server):
    visitor = new_context("phone").new_page()
    response = visitor.goto(f"{live_server.url}/w/STAD26/report/")
    assert response.status == 404

    labber = signed_in_labber(new_context, live_server.url)
    labber.goto(f"{live_server.url}/w/STAD26/report/")
    labber.get_by_role("button", name="Make the report public").click()
    expect(labber.locator(".messages")).to_contain_text("anyone with the link")

    response = visitor.goto(f"{live_server.url}/w/STAD26/report/")
    assert response.status == 200
    expect(visitor.locator("h1")).to_have_text(QUESTION)
    expect(visitor.get_by_role("button", name="Make the report private")).to_have_count(0)
    screenshot(visitor, "report-phone")
