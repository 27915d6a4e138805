"""`manage.py send_followup_reminders --days N`: email receivers whose claims have had no
follow-up for N days. Safe from cron, as often as you like: never the same reminder twice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from challenges.actions import remind_challengers
from insights.actions.claims import remind_receivers


class Command(BaseCommand):
    help = "Email receivers whose claims have had no follow-up for N days (once per quiet spell)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=30, help="Days without a follow-up (default 30)."
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="The address in the emails' links (default: LABBET_PUBLIC_URL).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be reminded; send nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        base_url = (options["base_url"] or settings.LABBET_PUBLIC_URL).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(
                "The emails need a link that works: set LABBET_PUBLIC_URL or pass "
                "--base-url https://labbet.example.org. Nothing was sent."
            )
        run = remind_receivers(days, base_url, dry_run=options["dry_run"])
        verb = "Would remind" if options["dry_run"] else "Reminded"
        self.stdout.write(f"{verb} {run.sent} receiver(s) about {run.claims} claim(s).")
        challengers = remind_challengers(days, base_url, dry_run=options["dry_run"])
        self.stdout.write(f"{verb} {challengers.sent} challenger(s) to write what they did next.")
        failed = run.failed + challengers.failed
        if failed:
            # Non-zero exit, so the timer's unit shows as failed; the claims wait for the next run.
            raise CommandError(
                f"{len(failed)} reminder(s) could not be sent (see the log): " + ", ".join(failed)
            )
