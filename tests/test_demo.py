"""`manage.py demo` replays the Almedalen 2019 report as a workshop, exactly and idempotently."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from insights.models import Contribution
from tests.factories import make_workshop
from workshops.models import Participant, Workshop

pytestmark = pytest.mark.django_db
SEED = json.loads(
    (
        Path(__file__).resolve().parent.parent / "workshops/seed/almedalen-2019-workshop.json"
    ).read_text(encoding="utf-8")
)


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_creates_exactly_what_the_seed_lists():
    output = run_demo()
    workshop = Workshop.objects.get(code="STAD26")
    assert workshop.question == "Hur kan vi tillsammans utveckla den smarta och hållbara staden?"
    assert workshop.event == "Almedalsveckan 2019"
    assert workshop.language == "sv"
    challenger = workshop.participants.get(role=Participant.Role.CHALLENGER)
    assert (challenger.display_name, challenger.title, challenger.organisation) == (
        "Therese Balksjö",
        "Projektkoordinator",
        "City as a platform",
    )
    challenge = workshop.challenges.get()
    assert challenge.challenger == challenger
    assert [o.text for o in challenge.obstacles.all()] == [
        o["sv"] for o in SEED["challengers"][0]["obstacles"]
    ]
    receivers = workshop.participants.filter(role=Participant.Role.RECEIVER).order_by("pk")
    assert [(r.display_name, r.organisation) for r in receivers] == [
        ("Jakob Hellman", "Vinnova"),
        ("Filippa Jennersjö", "HackforSweden"),
        ("Mattias Lindahl", "Linköpings universitet"),
        ("Henrik Lundblad", "Skurups kommun"),
        ("Mia Forsäng", "Telia"),
    ]
    assert receivers[1].title == "Styrgruppsordförande"
    labber = workshop.participants.get(role=Participant.Role.LABBER)
    assert labber.organisation == "Förnyelselabbet vid SVID"
    assert labber.user.username == "labbare"
    assert not workshop.contributions.exists()
    assert "STAD26" in output and "labbet-demo" in output and "/i/" in output


def test_demo_with_contributions_posts_the_reports_insights_and_suggestions():
    run_demo("--with-contributions")
    workshop = Workshop.objects.get(code="STAD26")
    insights = workshop.contributions.filter(kind=Contribution.Kind.INSIGHT)
    suggestions = workshop.contributions.filter(kind=Contribution.Kind.SUGGESTION)
    assert sorted(c.text for c in insights) == sorted(i["sv"] for i in SEED["insights"])
    assert sorted(c.text for c in suggestions) == sorted(s["sv"] for s in SEED["suggestions"])
    assert all(c.status == Contribution.Status.VISIBLE for c in workshop.contributions.all())
    prompted = workshop.contributions.get(prompt__isnull=False)
    assert "felrädsla" in prompted.text
    assert workshop.current_prompt is None


def test_demo_is_idempotent():
    run_demo("--with-contributions")
    counts = (Workshop.objects.count(), Participant.objects.count(), Contribution.objects.count())
    run_demo("--with-contributions")
    run_demo()
    assert (
        Workshop.objects.count(),
        Participant.objects.count(),
        Contribution.objects.count(),
    ) == counts


def test_demo_in_english():
    run_demo("--language", "en", "--with-contributions")
    workshop = Workshop.objects.get(code="STAD26")
    assert workshop.question == SEED["workshop"]["question"]["en"]
    assert workshop.language == "en"
    assert workshop.contributions.filter(text="Pilots with citizens").exists()


def test_demo_over_a_conflicting_join_code_says_so_and_changes_nothing():
    other = make_workshop(code="STAD26", question="Something else entirely")
    before = (Workshop.objects.count(), Participant.objects.count())
    with pytest.raises(CommandError, match="STAD26 is taken"):
        run_demo("--with-contributions")
    assert (Workshop.objects.count(), Participant.objects.count()) == before
    other.refresh_from_db()
    assert other.question == "Something else entirely"
