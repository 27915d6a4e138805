"""deploy/labbet-reminders.{service,timer}: the timer runs the service daily, and the service's
own command line, run twice against a migrated database, sends the reminders once and exits 0."""

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / name).read_text().replace("\\\n", " "))
    return parser


def test_the_timer_runs_the_reminders_daily_and_catches_up_after_downtime():
    timer = unit("labbet-reminders.timer")["Timer"]
    assert timer["Unit"] == "labbet-reminders.service"
    assert timer["OnCalendar"].startswith("*-*-* ")
    assert timer["Persistent"] == "true"
    service = unit("labbet-reminders.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["EnvironmentFile"] == "/etc/labbet/env"


@pytest.mark.slow
def test_the_services_command_line_runs_twice_without_complaint(tmp_path):
    command = shlex.split(unit("labbet-reminders.service")["Service"]["ExecStart"])
    assert command[:3] == ["/srv/labbet/.venv/bin/python", "manage.py", "send_followup_reminders"]
    command[0] = sys.executable
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "0",
        "SECRET_KEY": "a-test-key-" + "x" * 50,
        "ALLOWED_HOSTS": "labbet.example.org",
        "LABBET_PUBLIC_URL": "https://labbet.example.org",
        "LABBET_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/labbet.sqlite3",
    }
    run = {"cwd": ROOT, "env": environ, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, **run)
    for _ in range(2):
        done = subprocess.run(command, **run)
        assert done.returncode == 0, done.stderr
        assert "Reminded 0 receiver(s) about 0 claim(s)." in done.stdout
