"""`export_workshop` and `import_workshop`: a workshop moves between Labbets, or back from a
backup, exactly — or not at all."""

import json
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from challenges.models import Challenge
from insights.models import Claim, Contribution, Theme, Vote
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from tests.test_report import claim, demo_workshop, vote
from workshops.models import Participant, Workshop
from workshops.report import build_export
from workshops.report_formats import to_json, to_markdown
from workshops.report_sections import Report

pytestmark = pytest.mark.django_db


def export(code: str) -> str:
    out = StringIO()
    call_command("export_workshop", code, stdout=out)
    return out.getvalue()


def import_file(tmp_path, content: str, *args: str) -> str:
    path = tmp_path / "workshop.json"
    path.write_text(content, encoding="utf-8")
    out = StringIO()
    call_command("import_workshop", str(path), *args, stdout=out)
    return out.getvalue()


def markdown(workshop: Workshop) -> str:
    return to_markdown(Report.for_workshop(workshop))


def everything(workshop: Workshop) -> dict:
    data = build_export(workshop, complete=True)
    data.pop("exported_at")
    return json.loads(to_json(data))


def empty_the_database() -> None:
    Workshop.objects.all().delete()
    get_user_model().objects.all().delete()
    assert not Contribution.objects.exists() and not Participant.objects.exists()


def a_workshop_with_everything() -> Workshop:
    """The demo, after a lively session and some months of follow-up."""
    workshop = demo_workshop()
    suggestions = list(workshop.contributions.filter(kind="suggestion").order_by("created_at"))
    theme = Theme.objects.create(workshop=workshop, name="Dela data")
    for s in suggestions[5:]:
        s.theme = theme
        s.save()
    obstacle = Challenge.objects.get(workshop=workshop).obstacles.first()
    named = make_audience(workshop, name="Kim Namnsson")
    named.name_consent = True
    named.save()
    post(workshop, author=named, text="Testbäddar i fler kommuner", obstacle=obstacle)
    hidden = post(workshop, text="Reklam för min firma")
    hidden.status = Contribution.Status.HIDDEN
    hidden.save()
    duplicate = post(workshop, text="Piloter med medborgare!")
    duplicate.merged_into = suggestions[7]
    duplicate.save()
    suggestions[0].spotlight = True
    suggestions[0].save()
    vote(suggestions[0], dots=3)
    vote(suggestions[5], dots=1)
    vinnova = workshop.participants.get(organisation="Vinnova")
    skurup = workshop.participants.get(organisation="Skurups kommun")
    claim(
        suggestions[0],
        vinnova,
        Claim.Status.IN_PROGRESS,
        news=[("Utlysning i höst", "in_progress")],
    )
    claim(suggestions[7], skurup, Claim.Status.DONE, news=[("Tre piloter klara", "done")])
    return workshop


@time_machine.travel("2026-03-01 12:00 +0100", tick=False)
def test_export_then_import_into_an_empty_database_gives_the_same_report(tmp_path):
    workshop = a_workshop_with_everything()
    report_before, data_before = markdown(workshop), everything(workshop)
    dump = export("STAD26")
    empty_the_database()

    output = import_file(tmp_path, dump)

    imported = Workshop.objects.get(code="STAD26")
    assert "Imported workshop STAD26" in output
    assert markdown(imported) == report_before
    assert everything(imported) == data_before
    assert "Testbäddar i fler kommuner (Kim Namnsson)" in report_before
    assert "Reklam för min firma" not in report_before
    assert imported.contributions.filter(status="hidden").count() == 1


@time_machine.travel("2026-03-01 12:00 +0100", tick=False)
def test_a_reports_public_json_imports_to_the_same_report(tmp_path):
    workshop = a_workshop_with_everything()
    report_before = markdown(workshop)
    public = to_json(build_export(workshop))
    empty_the_database()
    import_file(tmp_path, public)
    assert markdown(Workshop.objects.get(code="STAD26")) == report_before


def test_export_is_complete_and_flags_hidden_contributions():
    workshop = make_workshop()
    post(workshop, text="On the wall")
    hidden = post(workshop, text="Hidden by a labber")
    hidden.status = Contribution.Status.HIDDEN
    hidden.save()
    data = json.loads(export(workshop.code))
    assert data["complete"] is True
    assert {c["text"]: c["status"] for c in data["contributions"]} == {
        "On the wall": "visible",
        "Hidden by a labber": "hidden",
    }


def test_export_leaves_out_secrets_and_names_without_consent():
    workshop = make_workshop()
    post(workshop, author=make_audience(workshop, name="Anna Anonym"))
    receiver = make_receiver(workshop)
    receiver.email = "jakob@example.org"
    receiver.save()
    dump = export(workshop.code)
    for secret in (receiver.invite_token, workshop.projector_token, "jakob@example.org"):
        assert secret not in dump
    assert "Anna Anonym" not in dump


def test_export_of_an_unknown_code_says_so():
    with pytest.raises(CommandError, match="No workshop has the join code"):
        export("ZZZZZZ")


def test_import_refuses_a_file_from_a_newer_labbet_and_changes_nothing(tmp_path):
    data = json.loads(export(make_workshop().code))
    data["schema_version"] = 2
    data["workshop"]["code"] = "NEWER2"
    before = Workshop.objects.count()
    with pytest.raises(CommandError, match=r"newer Labbet \(schema version 2\).*Upgrade Labbet"):
        import_file(tmp_path, json.dumps(data))
    assert Workshop.objects.count() == before


def test_import_changes_nothing_when_any_part_of_the_file_is_wrong(tmp_path):
    workshop = make_workshop()
    suggestion = post(workshop)
    claim(suggestion, make_receiver(workshop))
    data = json.loads(export(workshop.code))
    workshop.delete()
    counts = (Workshop.objects.count(), Participant.objects.count(), Challenge.objects.count())
    # The very last thing in the file refers to someone who is not in it.
    data["contributions"][-1]["claims"][-1]["receiver"] = "p99"
    with pytest.raises(CommandError, match=r"'p99'.*Nothing was imported"):
        import_file(tmp_path, json.dumps(data))
    assert (Workshop.objects.count(), Participant.objects.count(), Challenge.objects.count()) == (
        counts
    )
    assert not Claim.objects.exists() and not Vote.objects.exists()


def test_import_checks_the_models_rules(tmp_path):
    workshop = make_workshop()
    data = json.loads(export(workshop.code))
    workshop.delete()
    data["workshop"]["language"] = "tlh"
    with pytest.raises(CommandError, match=r"cannot accept.*Nothing was imported"):
        import_file(tmp_path, json.dumps(data))
    assert not Workshop.objects.exists()


def test_import_refuses_a_join_code_an_open_workshop_uses(tmp_path):
    workshop = make_workshop(code="STAD26")
    dump = export("STAD26")
    with pytest.raises(CommandError, match="STAD26 is already used by an open workshop"):
        import_file(tmp_path, dump)
    assert Workshop.objects.count() == 1
    with pytest.raises(CommandError, match="not a join code"):
        import_file(tmp_path, dump, "--code", "OOPS01")
    import_file(tmp_path, dump, "--code", "nyk-at2")
    copy = Workshop.objects.get(code="NYKAT2")
    assert copy.question == workshop.question


def test_a_closed_workshop_does_not_block_its_code(tmp_path):
    workshop = make_workshop(code="STAD26", status=Workshop.Status.CLOSED)
    dump = export("STAD26")
    workshop.delete()
    make_workshop(code="STAD26", status=Workshop.Status.CLOSED)
    import_file(tmp_path, dump)
    assert Workshop.objects.filter(code="STAD26").count() == 2


def test_import_gives_invited_people_new_invite_links_and_can_name_an_owner(tmp_path):
    user = make_user("lena")
    workshop = make_workshop(labber_user=user)
    receiver = make_receiver(workshop)
    dump = export(workshop.code)
    workshop.delete()
    import_file(tmp_path, dump, "--owner", "lena")
    imported = Workshop.objects.get()
    assert imported.created_by == user
    assert imported.participants.get(role=Participant.Role.LABBER).user == user
    new_receiver = imported.participants.get(role=Participant.Role.RECEIVER)
    assert new_receiver.invite_token and new_receiver.invite_token != receiver.invite_token


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not json", "is not JSON"),
        ("[1, 2, 3]", "not a Labbet workshop export"),
        ('{"schema_version": 1}', "'workshop' is missing"),
    ],
)
def test_import_explains_a_file_it_cannot_read(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        import_file(tmp_path, content)
    assert not Workshop.objects.exists()


def test_import_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_workshop", str(tmp_path / "nope.json"))
