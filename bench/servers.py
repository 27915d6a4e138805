"""The servers a bench run loads, started fresh and always stopped: the app as `make serve`
runs it (daphne on core 0), or the raw broadcast server; and a sampler of their CPU and memory."""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

from labbet.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = "STAD26"
# The machine has two cores: the server gets one, the load generator the other, so neither
# steals the other's time and the generator's own CPU can be judged.
SERVER_CORE, GENERATOR_CORE = 0, 1
PINNING = (os.cpu_count() or 1) >= 2
PROJECTOR_KEY = re.compile(r"Projector:\s+\S*[?&]key=([\w-]+)")


class ServerFailed(RuntimeError):
    """The server could not be prepared or started (the message carries its output)."""


def pin_generator() -> None:
    if PINNING and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {GENERATOR_CORE})


def pinned(command: list[str]) -> list[str]:
    if PINNING and shutil.which("taskset"):
        return ["taskset", "-c", str(SERVER_CORE), *command]
    return command


@dataclass
class Server:
    """A running server: its ports (one per process), its processes, its projector key."""

    ports: list[int]
    processes: list[subprocess.Popen]
    log: Path
    projector_key: str = ""
    cleanups: list = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        while self.cleanups:
            self.cleanups.pop()()


def _fresh_postgres(url: str) -> tuple[str, object]:
    """A database of its own on the given PostgreSQL server, and how to drop it."""
    import psycopg

    name = f"labbet_bench_{secrets.token_hex(5)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}")), drop


def app_env(tmp: Path, database_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LABBET_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _manage(app_dir: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise ServerFailed(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _wait(server: Server) -> None:
    for port, process in zip(server.ports, server.processes, strict=True):
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            raise ServerFailed(f"the server did not start; its log:\n{server.log_tail()}") from None
        if process.poll() is not None:
            raise ServerFailed(f"the server exited; its log:\n{server.log_tail()}")


@contextmanager
def app_server(database_url: str | None = None, app_dir: Path = ROOT) -> Iterator[Server]:
    """The app in `app_dir` as `make serve` runs it, with the demo workshop, in a fresh
    temporary dir (LABBET_VAR_DIR).

    Scale-out (REDIS_URL, several daphne processes) will start more processes here; the
    rest of the bench already spreads phones over `Server.ports` and samples every pid."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-bench-"))
    # Made first, so that whatever fails below, `stop` ends what was started and cleans up.
    server = Server([], [], tmp / "daphne.log", cleanups=[lambda: shutil.rmtree(tmp, True)])
    try:
        url = f"sqlite:///{tmp / 'labbet.sqlite3'}"
        if database_url:
            url, drop = _fresh_postgres(database_url)
            server.cleanups.append(drop)
        env = app_env(tmp, url)
        _manage(app_dir, env, "migrate", "--noinput", "-v0")
        _manage(app_dir, env, "collectstatic", "--noinput", "-v0")
        match = PROJECTOR_KEY.search(_manage(app_dir, env, "demo"))
        if match is None:
            raise ServerFailed("manage.py demo printed no `Projector: ...?key=` line")
        server.projector_key = match[1]
        port = free_port()
        daphne = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "--ping-interval", "15"]
        with server.log.open("ab") as log:
            server.processes.append(
                subprocess.Popen(
                    pinned([*daphne, "labbet.asgi:application"]),
                    cwd=app_dir,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        server.ports.append(port)
        _wait(server)
        yield server
    finally:
        server.stop()


@contextmanager
def raw_server(pad: int) -> Iterator[Server]:
    """bench/raw_server.py on core 0: the same sockets, nothing but a broadcast loop."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-bench-raw-"))
    server = Server([], [], tmp / "raw.log", cleanups=[lambda: shutil.rmtree(tmp, True)])
    try:
        port = free_port()
        command = [sys.executable, "-m", "bench.raw_server", "--port", str(port), "--pad", str(pad)]
        with server.log.open("ab") as log:
            server.processes.append(
                subprocess.Popen(pinned(command), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            )
        server.ports.append(port)
        _wait(server)
        yield server
    finally:
        server.stop()


class Sampler(threading.Thread):
    """CPU % (of one core) and RSS of the server's processes, every 100 ms."""

    def __init__(self, pids: list[int], interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.processes = [psutil.Process(pid) for pid in pids]
        self.interval = interval
        self.samples: list[tuple[float, float, int]] = []  # (monotonic, cpu %, rss bytes)
        self.halt = threading.Event()

    def run(self) -> None:
        for process in self.processes:
            process.cpu_percent(None)  # the first call only sets the baseline
        while not self.halt.wait(self.interval):
            try:
                cpu = sum(p.cpu_percent(None) for p in self.processes)
                rss = sum(p.memory_info().rss for p in self.processes)
            except psutil.Error:
                return
            self.samples.append((time.monotonic(), cpu, rss))

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used so far (exact, unlike the samples)."""
        try:
            return sum(sum(p.cpu_times()[:2]) for p in self.processes)
        except psutil.Error:
            return math.nan

    def summary(self, start: float, end: float) -> dict[str, float]:
        """Mean and peak CPU % inside [start, end] (the load window), peak RSS over the run."""
        window = [cpu for t, cpu, _ in self.samples if start <= t <= end] or [0.0]
        rss = max((r for _, _, r in self.samples), default=0)
        return {
            "server_cpu_pct": round(sum(window) / len(window), 1),
            "server_cpu_peak_pct": round(max(window), 1),
            "server_rss_peak_mb": round(rss / 2**20, 1),
        }
