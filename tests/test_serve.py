"""The server's entry point (live/serve.py): the switch interval and the collector's
thresholds are set there, what is loaded before serving is frozen out of the garbage
collector's passes once the reactor runs, then daphne's own command line runs with the same
arguments."""

import gc
import os
import subprocess
import sys

import daphne.cli
import pytest
from django.core.exceptions import ImproperlyConfigured

from live import serve
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def keep_the_process_settings():
    """serve.main() sets the process's switch interval and the collector's thresholds: every
    test here gives them back as it found them."""
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*threshold)


@pytest.mark.parametrize(("setting", "interval"), [(None, 0.002), ("0.001", 0.001)])
def test_the_entry_point_sets_the_switch_interval_then_runs_daphnes_command_line(
    monkeypatch, setting, interval
):
    ran = []
    if setting is None:
        monkeypatch.delenv("LABBET_SWITCH_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("LABBET_SWITCH_INTERVAL", setting)
    monkeypatch.setattr(
        daphne.cli.CommandLineInterface,
        "entrypoint",
        classmethod(lambda cls: ran.append(sys.getswitchinterval())),
    )
    with pytest.raises(SystemExit):
        serve.main()
    assert ran == [interval]


@pytest.mark.parametrize(
    ("setting", "threshold"), [(None, (20000, 10, 10)), ("5000,5,5", (5000, 5, 5)), ("", None)]
)
def test_the_entry_point_sets_the_collectors_thresholds(monkeypatch, setting, threshold):
    before = gc.get_threshold()
    if setting is None:
        monkeypatch.delenv("LABBET_GC_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("LABBET_GC_THRESHOLD", setting)
    run_entry_point(monkeypatch)
    assert gc.get_threshold() == (threshold or before)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LABBET_GC_THRESHOLD", "20000;10", "LABBET_GC_THRESHOLD must be whole numbers"),
        ("LABBET_GC_THRESHOLD", "1,2,3,4", "LABBET_GC_THRESHOLD takes one to three"),
        ("LABBET_GC_THRESHOLD", "-1", "LABBET_GC_THRESHOLD takes one to three"),
        ("LABBET_SWITCH_INTERVAL", "2ms", "LABBET_SWITCH_INTERVAL must be a number"),
        ("LABBET_GC_FREEZE", "maybe", "LABBET_GC_FREEZE must be one of"),
    ],
)
def test_a_mistyped_server_setting_stops_the_server_with_its_name(
    monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        run_entry_point(monkeypatch)


def run_entry_point(monkeypatch) -> list:
    """serve.main() with daphne's command line and the reactor's start stubbed: what it asked
    the reactor to do once running."""
    from twisted.internet import reactor

    when_running = []
    monkeypatch.setattr(reactor, "callWhenRunning", when_running.append)
    monkeypatch.setattr(daphne.cli.CommandLineInterface, "entrypoint", classmethod(lambda cls: 0))
    with pytest.raises(SystemExit):
        serve.main()
    return when_running


def test_the_server_freezes_what_it_loaded_once_it_runs(monkeypatch):
    monkeypatch.delenv("LABBET_GC_FREEZE", raising=False)
    assert run_entry_point(monkeypatch) == [serve.freeze_what_is_loaded]
    try:
        serve.freeze_what_is_loaded()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_labbet_gc_freeze_0_leaves_the_collector_as_python_has_it(monkeypatch):
    monkeypatch.setenv("LABBET_GC_FREEZE", "0")
    assert run_entry_point(monkeypatch) == []


def test_importing_the_application_leaves_the_switch_interval_and_the_collector_alone():
    # In a process of its own: a command, a shell or a test keeps Python's defaults.
    code = "import gc, sys; before = sys.getswitchinterval(), gc.get_threshold(); "
    code += "import labbet.asgi; print((sys.getswitchinterval(), gc.get_threshold()) == before)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "labbet.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "True", done.stderr[-2000:]
