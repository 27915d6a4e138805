"""`manage.py preflight [--host H --port P]`: the database, Redis and (with --port) the port,
checked before a server starts; each problem one line, exit status 1. `make run`, `make serve`
and the systemd unit run it first."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from labbet.preflight import database_problem, port_problem, redis_problem


class Command(BaseCommand):
    help = "Check that PostgreSQL, Redis and the port are ready before serving."
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        problems = [
            database_problem(settings.DATABASES["default"]),
            redis_problem(os.environ.get("REDIS_URL", "")),
        ]
        if options["port"] is not None:
            problems.append(port_problem(options["host"], options["port"]))
        problems = [p for p in problems if p]
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            sys.exit(1)
