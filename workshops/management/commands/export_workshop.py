"""`manage.py export_workshop CODE > file.json`: the whole workshop as JSON, for a backup or a
move to another Labbet (read back with `import_workshop`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workshops.access import find_workshop
from workshops.report import build_export
from workshops.report_formats import to_json


class Command(BaseCommand):
    help = (
        "Write a workshop as JSON to standard output: the report's data, complete (hidden and "
        "pending contributions flagged, merges, each participant's dots). "
        "Schema: workshops/schema/workshop-export.schema.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The workshop's join code (an open one, else the newest).")

    def handle(self, *args: Any, **options: Any) -> None:
        workshop = find_workshop(options["code"])
        if workshop is None:
            raise CommandError(f"No workshop has the join code {options['code']!r}.")
        self.stdout.write(to_json(build_export(workshop, complete=True)), ending="")
