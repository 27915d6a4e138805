#!/usr/bin/env python
"""Django's command-line utility for Labbet."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labbet.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the environment now, to fail with its message
    except ImproperlyConfigured as exc:
        sys.exit(f"Labbet cannot start: {exc}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
