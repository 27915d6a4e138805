"""`manage.py prune_live_events --days N`: delete the screens' live events older than N days
that no reconnecting screen can still ask for. Each event holds the HTML rendered for every
view, so a busy room leaves megabytes behind; the posts, claims and reports live elsewhere.
Safe to run twice, and while workshops run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import F
from django.utils import timezone

from live.models import LiveEvent


class Command(BaseCommand):
    help = "Delete live events older than N days that are past every screen's replay."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14, help="Keep this many days (14).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=options["days"])
        # A screen that reconnects is sent at most the last LABBET_REPLAY_LIMIT events (past
        # that it gets a fresh region), so those are kept however old they are.
        deleted, _ = LiveEvent.objects.filter(
            created_at__lt=cutoff,
            seq__lte=F("workshop__live_seq") - settings.LABBET_REPLAY_LIMIT,
        ).delete()
        self.stdout.write(f"Deleted {deleted} live event(s) older than {options['days']} days.")
