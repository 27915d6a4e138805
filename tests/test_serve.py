"""The server's entry point (live/serve.py): the switch interval is set there, then daphne's
own command line runs with the same arguments."""

import os
import subprocess
import sys

import daphne.cli
import pytest

from live import serve
from tests.conftest import ROOT


def test_the_entry_point_sets_the_switch_interval_then_runs_daphnes_command_line(monkeypatch):
    before = sys.getswitchinterval()
    ran = []
    monkeypatch.setenv("LABBET_SWITCH_INTERVAL", "0.002")
    monkeypatch.setattr(
        daphne.cli.CommandLineInterface,
        "entrypoint",
        classmethod(lambda cls: ran.append(sys.getswitchinterval())),
    )
    try:
        with pytest.raises(SystemExit):
            serve.main()
    finally:
        sys.setswitchinterval(before)
    assert ran == [0.002]


def test_importing_the_application_leaves_the_switch_interval_alone():
    # In a process of its own: a command, a shell or a test keeps Python's default.
    code = "import sys; before = sys.getswitchinterval(); import labbet.asgi; "
    code += "print(sys.getswitchinterval() == before)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "labbet.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "True", done.stderr[-2000:]
