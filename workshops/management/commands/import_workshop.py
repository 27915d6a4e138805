"""`manage.py import_workshop file.json [--code NEWCODE]`: a workshop back from an export (from
`export_workshop`, or a report's .json), all of it or nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, models, transaction
from django.utils.dateparse import parse_date, parse_datetime

from challenges.models import Challenge, ChallengeFollowUp, Obstacle
from insights.models import Claim, Contribution, FollowUp, Theme, Vote
from workshops.codes import is_well_formed, new_token, normalise_code
from workshops.models import Participant, Prompt, Workshop
from workshops.report import SCHEMA_VERSION, WORKSHOP_FIELDS

Data = dict[str, Any]


class Refused(Exception):
    """The file is sound but cannot be imported here; the message says why."""


def when(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not a date and time")
    return parsed


def day(value: str | None) -> date | None:
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise ValueError(f"{value!r} is not a date")
    return parsed


def saved(obj: models.Model) -> models.Model:
    # The models' own rules (choices, lengths, who may claim) judge imported rows too.
    obj.full_clean()
    obj.save()
    return obj


class Importer:
    """Writes one export back; every reference in the file must resolve."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.refs: dict[str, dict[str, Any]] = {k: {} for k in ("p", "ch", "o", "t", "q", "c")}

    def get(self, kind: str, ref: str | None) -> Any:
        if ref is None:
            return None
        try:
            return self.refs[kind][ref]
        except KeyError:
            raise ValueError(f"the file refers to {ref!r}, which it does not contain") from None

    def run(self, code: str | None, owner) -> Workshop:
        w = self.data["workshop"]
        code = normalise_code(code or w["code"])
        if not is_well_formed(code):
            raise Refused(
                f"{code!r} is not a join code: six letters and digits, without 0, 1, I, L or O."
            )
        taken = Workshop.objects.filter(code=code).exclude(status=Workshop.Status.CLOSED).first()
        if taken is not None:
            raise Refused(
                f"The join code {code} is already used by an open workshop "
                f"(“{taken.question[:60]}”). Choose another with --code NEWCODE."
            )
        fields = {name: w[name] for name in WORKSHOP_FIELDS}
        fields.update(code=code, date=day(w["date"]), created_at=when(w["created_at"]))
        workshop = saved(Workshop(**fields, created_by=owner))
        self.participants(workshop, owner)
        self.structure(workshop)
        self.contributions(workshop)
        return workshop

    def participants(self, workshop: Workshop, owner) -> None:
        seat = None  # the owner takes the first labber's place: the report thanks no one new
        for p in self.data["participants"]:
            invited = p["role"] in Participant.INVITED_ROLES
            person = Participant(
                workshop=workshop,
                role=p["role"],
                display_name=p["name"] or "",
                title=p["title"],
                organisation=p["organisation"],
                name_consent=p["name_consent"],
                # Invite links are secrets and never exported: each invited person gets a new one.
                invite_token=new_token() if invited else None,
            )
            if owner is not None and seat is None and p["role"] == Participant.Role.LABBER:
                person.user = seat = owner
            self.refs["p"][p["id"]] = saved(person)
        if owner is not None and seat is None:
            name = owner.get_full_name() or owner.get_username()
            saved(
                Participant(
                    workshop=workshop, role=Participant.Role.LABBER, user=owner, display_name=name
                )
            )

    def structure(self, workshop: Workshop) -> None:
        for i, ch in enumerate(self.data["challenges"]):
            challenge = saved(
                Challenge(
                    workshop=workshop,
                    challenger=self.get("p", ch["challenger"]),
                    title=ch["title"],
                    description=ch["description"],
                    order=i,
                )
            )
            self.refs["ch"][ch["id"]] = challenge
            for j, o in enumerate(ch["obstacles"]):
                obstacle = Obstacle(challenge=challenge, text=o["text"], order=j)
                self.refs["o"][o["id"]] = saved(obstacle)
            for f in ch.get("follow_ups", []):
                saved(
                    ChallengeFollowUp(
                        challenge=challenge,
                        author=self.get("p", f["author"]),
                        text=f["text"],
                        link=f["link"],
                        created_at=when(f["created_at"]),
                    )
                )
        for i, t in enumerate(self.data["themes"]):
            self.refs["t"][t["id"]] = saved(Theme(workshop=workshop, name=t["name"], order=i))
        for q in self.data["prompts"]:
            prompt = Prompt(workshop=workshop, text=q["text"], created_at=when(q["created_at"]))
            self.refs["q"][q["id"]] = saved(prompt)

    def contributions(self, workshop: Workshop) -> None:
        tallies = None
        for c in self.data["contributions"]:
            self.refs["c"][c["id"]] = saved(
                Contribution(
                    workshop=workshop,
                    kind=c["kind"],
                    text=c["text"],
                    status=c["status"],
                    author=self.get("p", c["author"]),
                    challenge=self.get("ch", c["challenge"]),
                    obstacle=self.get("o", c["obstacle"]),
                    theme=self.get("t", c["theme"]),
                    prompt=self.get("q", c["prompt"]),
                    spotlight=c["spotlight"],
                    pinned=c["pinned"],
                    created_at=when(c["created_at"]),
                )
            )
        for c in self.data["contributions"]:
            contribution = self.refs["c"][c["id"]]
            if c["merged_into"]:
                contribution.merged_into = self.get("c", c["merged_into"])
                contribution.save(update_fields=["merged_into"])
            if "ballots" in c:
                for ballot in c["ballots"]:
                    voter = self.get("p", ballot["participant"])
                    saved(Vote(contribution=contribution, participant=voter, dots=ballot["dots"]))
            elif c["votes"]:
                # A report's .json has totals, not voters: one anonymous tally keeps the totals.
                tallies = tallies or saved(
                    Participant(workshop=workshop, role=Participant.Role.AUDIENCE)
                )
                saved(Vote(contribution=contribution, participant=tallies, dots=c["votes"]))
            for cl in c["claims"]:
                claim = saved(
                    Claim(
                        contribution=contribution,
                        receiver=self.get("p", cl["receiver"]),
                        status=cl["status"],
                        note=cl["note"],
                        created_at=when(cl["created_at"]),
                        updated_at=when(cl["updated_at"]),
                    )
                )
                for f in cl["follow_ups"]:
                    follow_up = FollowUp(
                        claim=claim,
                        author=self.get("p", f["author"]),
                        status=f["status"],
                        text=f["text"],
                        link=f["link"],
                        created_at=when(f["created_at"]),
                    )
                    saved(follow_up)


def read_export(path: str) -> Data:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not JSON ({exc.msg}, line {exc.lineno}).") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise CommandError(f"{path} is not a Labbet workshop export (it has no schema_version).")
    if version > SCHEMA_VERSION:
        raise CommandError(
            f"{path} was written by a newer Labbet (schema version {version}); this one reads "
            f"schema version {SCHEMA_VERSION} and older. Upgrade Labbet, then import it again. "
            "Nothing was imported."
        )
    if version < 1:
        raise CommandError(f"{path} has an unknown schema version ({version}).")
    return data


class Command(BaseCommand):
    help = (
        "Import a workshop from a JSON export (export_workshop, or a report's .json). "
        "Nothing is changed unless all of it can be imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON file.")
        parser.add_argument("--code", help="Give the workshop this join code instead of its own.")
        parser.add_argument(
            "--owner", help="Username of the labber who will own it (it keeps none otherwise)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_export(options["file"])
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user is called {options['owner']!r}. Nothing was imported.")
        try:
            with transaction.atomic():
                workshop = Importer(data).run(options["code"], owner)
        except Refused as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        except KeyError as exc:
            raise CommandError(
                f"The file is not a complete workshop export: {exc} is missing. "
                "Nothing was imported."
            ) from None
        except ValidationError as exc:
            raise CommandError(
                f"The file holds something Labbet cannot accept: {'; '.join(exc.messages)}. "
                "Nothing was imported."
            ) from None
        except (TypeError, ValueError, AttributeError, DatabaseError) as exc:
            raise CommandError(
                f"The file could not be imported: {exc}. Nothing was imported."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported workshop {workshop.code}: {workshop.question} "
                f"({workshop.contributions.count()} contributions)."
            )
        )
