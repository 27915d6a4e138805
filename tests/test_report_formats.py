"""The report's files — Markdown, CSV, JSON, PDF — hold the same contributions as the page."""

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from insights.models import Claim
from tests.factories import make_receiver, make_user, make_workshop, post
from tests.test_report import as_demo_labber, claim, demo_workshop, vote
from workshops.report import build_export
from workshops.report_formats import to_json

pytestmark = pytest.mark.django_db
SCHEMA = json.loads(
    (
        Path(__file__).resolve().parent.parent / "workshops/schema/workshop-export.schema.json"
    ).read_text(encoding="utf-8")
)


def download(client, code: str, ext: str):
    response = client.get(f"/w/{code}/report.{ext}")
    assert response.status_code == 200
    return response


def csv_rows(response) -> list[dict]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def assert_valid(data: dict) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    validator.validate(data)


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_markdown_csv_and_json_hold_the_same_contributions_as_the_page(client):
    workshop = demo_workshop()
    as_demo_labber(client)
    texts = set(workshop.contributions.values_list("text", flat=True))
    assert len(texts) == 14
    page = client.get(f"/w/{workshop.code}/report/").content.decode()
    markdown = download(client, workshop.code, "md").content.decode()
    rows = csv_rows(download(client, workshop.code, "csv"))
    data = json.loads(download(client, workshop.code, "json").content)
    assert {row["Text"] for row in rows} == texts
    assert {c["text"] for c in data["contributions"]} == texts
    for text in texts:
        assert text in markdown and text in page
    assert "# Hur kan vi tillsammans utveckla den smarta och hållbara staden?" in markdown
    assert "- Mia Forsäng, Business Accelerator, Telia" in markdown


def test_csv_keeps_swedish_characters_for_excel(client):
    workshop = demo_workshop()
    response = download(as_demo_labber(client), workshop.code, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="labbet-stad26-report.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    texts = [row["Text"] for row in csv_rows(response)]
    assert "Få alla att inse värdet av att dela data" in texts
    assert "Få avsättning i budgeten för att köpa data" in texts


def test_csv_cells_that_look_like_formulas_are_made_harmless(client):
    user = make_user("lena")
    client.force_login(user)
    workshop = make_workshop(labber_user=user)
    dangerous = ['=HYPERLINK("http://evil.example","click")', "+46 8 123", "-1+2", "@SUM(A1:A9)"]
    for text in dangerous:
        post(workshop, text=text)
    post(workshop, text="Plain – with a dash inside")
    rows = csv_rows(download(client, workshop.code, "csv"))
    texts = {row["Text"] for row in rows}
    assert texts == {"'" + text for text in dangerous} | {"Plain – with a dash inside"}


def test_json_validates_against_its_schema_and_names_its_version(client):
    workshop = demo_workshop()
    response = download(as_demo_labber(client), workshop.code, "json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["schema_version"] == 1
    assert data["complete"] is False
    assert_valid(data)


def test_complete_export_with_claims_votes_and_hidden_posts_validates_too():
    workshop = make_workshop()
    suggestion = post(workshop, text="Pilots with citizens")
    vote(suggestion, dots=2)
    claim(suggestion, make_receiver(workshop), Claim.Status.DONE, news=[("Done!", "done")])
    hidden = post(workshop, text="Off topic")
    hidden.status = "hidden"
    hidden.save()
    data = json.loads(to_json(build_export(workshop, complete=True)))
    assert_valid(data)
    assert {c["text"]: c["status"] for c in data["contributions"]} == {
        "Pilots with citizens": "visible",
        "Off topic": "hidden",
    }
    assert data["contributions"][0]["ballots"][0]["dots"] == 2
    public = json.loads(to_json(build_export(workshop)))
    assert_valid(public)
    assert [c["text"] for c in public["contributions"]] == ["Pilots with citizens"]
    assert "ballots" not in public["contributions"][0]


def test_markdown_does_not_let_what_people_typed_become_markup(client):
    user = make_user("lena")
    client.force_login(user)
    workshop = make_workshop(labber_user=user)
    post(workshop, text="**Loud** [click](http://evil.example) <img src=x>\n# Not a heading")
    markdown = download(client, workshop.code, "md").content.decode()
    assert r"\*\*Loud\*\* \[click\](http://evil.example) \<img src=x\>" in markdown
    assert r"   \# Not a heading" in markdown
    assert "<img" not in markdown.replace(r"\<img", "")  # every < escaped


def test_report_is_a_real_pdf(client):
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the Pango library is missing on this machine
        pytest.skip(f"WeasyPrint cannot load its system libraries: {exc}")
    workshop = demo_workshop()
    response = download(as_demo_labber(client), workshop.code, "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 5_000


def test_without_pdf_support_the_server_explains_print_to_pdf(client, monkeypatch):
    from workshops.report_formats import PdfUnavailable

    def no_pango(html):
        raise PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr("workshops.views.report.to_pdf", no_pango)
    workshop = demo_workshop()
    response = as_demo_labber(client).get(f"/w/{workshop.code}/report.pdf")
    assert response.status_code == 503
    # The demo workshop is Swedish, and so is the page: it explains print-to-PDF and leads back.
    html = response.content.decode()
    assert "PDF" in html and f'href="/w/{workshop.code}/report/"' in html
