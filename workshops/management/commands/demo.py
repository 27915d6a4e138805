"""`manage.py demo`: the Almedalen 2019 workshop from the seed report, join code STAD26."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from insights.actions.posts import post_contribution
from labbet import limits
from workshops.actions.invites import invite
from workshops.actions.setup import add_challenge, add_prompt, create_workshop
from workshops.models import Participant, Workshop

SEED = Path(__file__).resolve().parents[2] / "seed" / "almedalen-2019-workshop.json"
CODE = "STAD26"
DEMO_USER = "labbare"
DEMO_PASSWORD = "labbet-demo"  # noqa: S105 - printed for local use; the demo is not production


def text(value: Any, language: str) -> str:
    return value if isinstance(value, str) else value[language]


class Command(BaseCommand):
    help = "Create the demo workshop from the Almedalen 2019 report (join code STAD26)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--with-contributions",
            action="store_true",
            help="Also post the insights and suggestions the report lists.",
        )
        parser.add_argument("--language", choices=["sv", "en"], default="sv")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Printed in front of the links."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed = json.loads(SEED.read_text(encoding="utf-8"))
        language = options["language"]
        with transaction.atomic():
            user = self.demo_user()
            workshop = self.workshop(seed, language, user)
            if options["with_contributions"]:
                # The replay posts a whole room's worth on a few people's behalf.
                with limits.suspended():
                    self.contributions(seed, language, workshop)
        self.report(workshop, options["base_url"].rstrip("/"))

    def demo_user(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USER, defaults={"first_name": "Förnyelselabbet", "last_name": "vid SVID"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def workshop(self, seed: dict, language: str, user) -> Workshop:
        question = text(seed["workshop"]["question"], language)
        existing = Workshop.objects.filter(code=CODE).exclude(status=Workshop.Status.CLOSED).first()
        if existing is not None:
            known = {seed["workshop"]["question"]["sv"], seed["workshop"]["question"]["en"]}
            if existing.question not in known:
                raise CommandError(
                    f"The join code {CODE} is taken by another open workshop "
                    f"(“{existing.question[:60]}”). Nothing was changed; close that workshop "
                    "or give it another code first."
                )
            return existing
        ws = seed["workshop"]
        workshop = create_workshop(
            code=CODE,
            question=question,
            event=ws["event"],
            place=ws["place"],
            organiser=ws["organiser"],
            language=language,
            description=text(ws["format"], language),
            closing_words=text(seed["closing"], language),
            status=Workshop.Status.LIVE,
            created_by=user,
        )
        labber = workshop.participants.get(user=user)
        labber.organisation = seed["labbers"][0]["organisation"]
        labber.save(update_fields=["organisation"])
        for person in seed["challengers"]:
            challenger = invite(
                workshop,
                role=Participant.Role.CHALLENGER,
                name=person["name"],
                title=text(person["title"], language),
                organisation=person["organisation"],
            )
            add_challenge(
                workshop,
                title=text(person["challenge"], language),
                challenger=challenger,
                obstacles=[text(o, language) for o in person["obstacles"]],
            )
        for person in seed["receivers"]:
            invite(
                workshop,
                role=Participant.Role.RECEIVER,
                name=person["name"],
                title=text(person["title"], language),
                organisation=person["organisation"],
            )
        return workshop

    def contributions(self, seed: dict, language: str, workshop: Workshop) -> None:
        audience, _ = Participant.objects.get_or_create(
            workshop=workshop, role=Participant.Role.AUDIENCE, session_key="demo-seed"
        )
        prompt_text = text(seed["prompt_in_report"], language)
        prompt = workshop.prompts.filter(text=prompt_text).first() or add_prompt(
            workshop, prompt_text
        )
        for kind, items in (("insight", seed["insights"]), ("suggestion", seed["suggestions"])):
            for i, item in enumerate(items, start=1):
                if kind == "insight" and i == 2:
                    # The report's prompt came out of this insight: post it while the prompt stands.
                    workshop.current_prompt = prompt
                    workshop.save(update_fields=["current_prompt"])
                post_contribution(
                    workshop=workshop,
                    author=audience,
                    kind=kind,
                    text=text(item, language),
                    client_key=f"demo-{kind}-{i}",
                )
                if workshop.current_prompt_id:
                    workshop.current_prompt = None
                    workshop.save(update_fields=["current_prompt"])

    def report(self, workshop: Workshop, base: str) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo workshop {workshop.code}: {workshop.question}"))
        out.write(f"  Phone (audience):  {base}{reverse('workshops:join', args=[workshop.code])}")
        projector = reverse("workshops:projector", args=[workshop.code])
        out.write(f"  Projector:         {base}{projector}?key={workshop.projector_token}")
        out.write(
            f"  Sign in (labber):  {base}{reverse('login')}  user {DEMO_USER!r}, "
            f"password {DEMO_PASSWORD!r}"
        )
        for p in workshop.participants.filter(invite_token__isnull=False).order_by("role", "pk"):
            out.write(
                f"  {p.get_role_display():<10} {p.display_name} ({p.organisation}): "
                f"{base}/i/{p.invite_token}/"
            )
