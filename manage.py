#!/usr/bin/env python
"""Django's command-line utility for Labbet."""

import os
import sys

# Commands that open the database at once: PostgreSQL is checked first, in one line, before
# the connection pool would log a warning per retry (others, like `check`, run without it).
NEEDS_DATABASE = {
    "migrate",
    "showmigrations",
    "createsuperuser",
    "changepassword",
    "demo",
    "send_followup_reminders",
    "export_workshop",
    "import_workshop",
    "loaddata",
    "dumpdata",
    "flush",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labbet.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the environment now, to fail with its message
    except ImproperlyConfigured as exc:
        sys.exit(f"Labbet cannot start: {exc}")

    from django.db import OperationalError, connection

    if connection.vendor == "postgresql" and sys.argv[1:2] and sys.argv[1] in NEEDS_DATABASE:
        from labbet.preflight import database_problem

        # Before the connection pool: it would log a warning per retry, then time out.
        problem = database_problem(connection.settings_dict)
        if problem:
            sys.exit(problem)
    try:
        execute_from_command_line(sys.argv)
    except OperationalError as exc:
        # An unreachable PostgreSQL: one line with its address, not a page of traceback.
        if connection.vendor != "postgresql":
            raise
        from labbet.preflight import database_line

        sys.exit(database_line(connection.settings_dict, exc))


if __name__ == "__main__":
    main()
