"""The report where it is read: report.xlsx (a sheet each for posts, claims and follow-ups)
and a CSV that an Excel set to Swedish splits into columns; typed formulas stay text."""

import csv
import io

import pytest
from openpyxl import load_workbook

from insights.models import Claim, Contribution, FollowUp
from tests.factories import make_receiver, make_user, make_workshop, post
from tests.test_report import as_demo_labber, claim, demo_workshop

pytestmark = pytest.mark.django_db
DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+46 8 123", "-1+2", "@SUM(A1:A9)"]


def workbook(client, code: str):
    response = client.get(f"/w/{code}/report.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="labbet-{code.lower()}-report.xlsx"'
    )
    return load_workbook(io.BytesIO(response.content))


def rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_the_seed_report_opens_in_excel_with_its_posts_claims_and_follow_ups(client):
    workshop = demo_workshop()
    receivers = list(workshop.participants.filter(role="receiver").order_by("pk"))
    suggestions = list(
        Contribution.objects.filter(workshop=workshop, kind="suggestion").order_by("pk")
    )
    if not Claim.objects.filter(contribution__workshop=workshop).exists():
        claim(suggestions[0], receivers[0], news=[("Pilot i Skurup.", "in_progress")])
        claim(suggestions[1], receivers[1])
    book = workbook(as_demo_labber(client), workshop.code)
    posts, claims, follow_ups = (book[name] for name in ("Inlägg", "Åtaganden", "Uppföljningar"))
    assert book.sheetnames == ["Inlägg", "Åtaganden", "Uppföljningar"]
    posted = rows(posts)
    assert len(posted) == 14 == Contribution.objects.filter(workshop=workshop).count()
    assert "Få alla att inse värdet av att dela data" in {row["Text"] for row in posted}
    assert len(rows(claims)) == Claim.objects.filter(contribution__workshop=workshop).count()
    assert (
        len(rows(follow_ups))
        == FollowUp.objects.filter(claim__contribution__workshop=workshop).count()
    )
    assert rows(follow_ups)  # at least one follow-up, so the sheet is really tested
    first_follow_up = FollowUp.objects.filter(claim__contribution__workshop=workshop).first()
    assert first_follow_up.text in {row["Rapport"] for row in rows(follow_ups)}


def test_formulas_typed_into_posts_and_follow_ups_stay_text_in_the_workbook(client):
    user = make_user("lena")
    client.force_login(user)
    workshop = make_workshop(labber_user=user)
    for text in DANGEROUS:
        post(workshop, text=text)
    suggestion = post(workshop, text="=1+1")
    claim(suggestion, make_receiver(workshop), news=[('=WEBSERVICE("http://x")', "in_progress")])
    book = workbook(client, workshop.code)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    typed = [
        c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    assert {c.value for c in typed} >= {*DANGEROUS, "=1+1", '=WEBSERVICE("http://x")'}
    assert all(c.data_type == "s" for c in typed)  # a string cell, never a formula


def test_the_csv_for_swedish_excel_splits_on_semicolons_and_keeps_formulas_harmless(client):
    user = make_user("lena")
    client.force_login(user)
    workshop = make_workshop(labber_user=user, language="sv")
    for text in DANGEROUS:
        post(workshop, text=text)
    post(workshop, text="Öppna data; gärna, snart")
    response = client.get(f"/w/{workshop.code}/report.csv?sep=semicolon")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("ID;")
    found = {row["Text"] for row in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert found == {"'" + t for t in DANGEROUS} | {"Öppna data; gärna, snart"}


def test_an_unknown_separator_is_a_clear_message(client):
    user = make_user("lena")
    client.force_login(user)
    workshop = make_workshop(labber_user=user)
    response = client.get(f"/w/{workshop.code}/report.csv?sep=tab")
    assert response.status_code == 400
    assert "sep=semicolon" in response.content.decode()
