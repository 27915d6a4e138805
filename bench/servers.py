"""The servers a bench run loads, started fresh and always stopped: the app as `make serve`
runs it (one or more daphne processes on core 0), or the raw broadcast server; the PostgreSQL
and Redis servers of a scale-out run; and a sampler of their CPU and memory."""

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

from labbet.services import daphne_args, free_port, start_postgres, start_redis, wait_for_port

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


def server_entry(app_dir: Path) -> list[str]:
    """How `make serve` starts the app in `app_dir`: `python -m live.serve`, or daphne's own
    script for a version of the app from before live/serve.py (`--app-dir` of an old commit)."""
    if (app_dir / "live" / "serve.py").exists():
        return [str(BIN / "python"), "-m", "live.serve"]
    return [str(BIN / "daphne")]


def pinned(command: list[str]) -> list[str]:
    if PINNING and shutil.which("taskset"):
        return ["taskset", "-c", str(SERVER_CORE), *command]
    return command


# A fixed pure-Python workload (dictionaries, strings, sorting: what a request's Python does)
# timed on the server's core. This machine's speed drifts by a third within an hour (a shared
# host); a run's CPU figures are read against the reference taken with them.
_REFERENCE = """
import time
best = None
for _ in range(3):
    start = time.process_time()
    table = {}
    for i in range(150_000):
        table[f"k{i}"] = (i, str(i))
    ordered = sorted(table, key=lambda k: table[k][1])
    spent = time.process_time() - start
    best = spent if best is None else min(best, spent)
print(best * 1000)
"""


def core_reference_ms() -> float | None:
    """The reference workload's CPU on the server's core, best of three, in ms."""
    try:
        done = subprocess.run(
            pinned([sys.executable, "-c", _REFERENCE]),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return round(float(done.stdout), 1)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def pin_to_core(pids: list[int], core: int = SERVER_CORE) -> None:
    """Move running processes, every thread of each, to `core` (taskset -a)."""
    if not (PINNING and shutil.which("taskset")):
        return
    for pid in pids:
        subprocess.run(
            ["taskset", "-a", "-p", "-c", str(core), str(pid)],
            capture_output=True,
            check=False,
            timeout=10,
        )


def tree_pids(pids: list[int]) -> list[int]:
    """The processes and all their children now (PostgreSQL forks a backend per connection)."""
    found: list[int] = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            found += [pid, *(child.pid for child in process.children(recursive=True))]
        except psutil.Error:
            continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (gone ones count 0)."""
    total = 0.0
    for pid in pids:
        try:
            total += sum(psutil.Process(pid).cpu_times()[:2])
        except psutil.Error:
            continue
    return total


@dataclass
class Services:
    """The PostgreSQL and Redis servers of a scale-out run: given (URLs) or started here.

    Started ones share core 0 with daphne: everything on the server side on one core, the
    generator's core stays its own. Their CPU is reported apart from daphne's."""

    database_url: str | None = None
    redis_url: str | None = None
    core: int = SERVER_CORE  # where started ones run
    roots: list[int] = field(default_factory=list)  # postmaster and redis-server pids
    stops: list[Callable[[], None]] = field(default_factory=list)

    def pids(self) -> list[int]:
        return tree_pids(self.roots)

    def stop(self) -> None:
        while self.stops:
            self.stops.pop()()


def _postmaster_pid(directory: Path) -> int | None:
    try:
        return int((directory / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def services(
    postgres: bool,
    redis: bool,
    database_url: str | None = None,
    redis_url: str | None = None,
    core: int = SERVER_CORE,
) -> Iterator[Services]:
    """PostgreSQL when `postgres` and no `database_url` is given, Redis likewise, on `core`;
    stopped after."""
    found = Services(database_url, redis_url, core)
    try:
        if postgres and not database_url:
            pg = start_postgres()
            found.stops.append(pg.stop)
            found.database_url = pg.url
            if (pid := _postmaster_pid(pg.directory)) is not None:
                found.roots.append(pid)
        if redis and not redis_url:
            rd = start_redis()
            found.stops.append(rd.stop)
            found.redis_url = rd.url
            if rd.process is not None:
                found.roots.append(rd.process.pid)
        pin_to_core(found.pids(), found.core)
        yield found
    finally:
        found.stop()


def clear_limits(redis_url: str) -> None:
    """Forget the abuse limits' counters (labbet/limits.py) a previous run left in Redis: each
    run has a fresh database, so its phones have the same ids as the last run's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match="*labbet:limit:*", count=1000):
            client.delete(key)
    finally:
        client.close()


@dataclass
class Server:
    """A running server: its ports (one per process), its processes, its projector key."""

    ports: list[int]
    processes: list[subprocess.Popen]
    log: Path  # every process appends to the same log
    projector_key: str = ""
    cleanups: list = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_text()[-chars:]

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
        # Every bench phone joins from 127.0.0.1, which the join limit (2,000 new phones a
        # minute per address) would read as one venue's wifi gone wild and refuse from the
        # 2,001st phone on. The posting limit stays on (LABBET_RATE_POST, as set, or 5 per 30 s):
        # the bench spreads its posts over enough phones to stay under it.
        "LABBET_RATE_JOIN": "off",
        # Likewise the ceilings of one network's posts and dots (240 posts a minute): the
        # bench's whole room is one address.
        "LABBET_RATE_POST_NETWORK": "off",
        "LABBET_RATE_VOTE_NETWORK": "off",
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
def app_server(
    database_url: str | None = None,
    app_dir: Path = ROOT,
    processes: int = 1,
    redis_url: str | None = None,
) -> Iterator[Server]:
    """The app in `app_dir` as `make serve` runs it, with the demo workshop, in a fresh
    temporary dir (LABBET_VAR_DIR): migrated and loaded once, then `processes` daphne
    processes on as many ports, all on core 0, sharing the database and REDIS_URL (the
    channel layer and the limits' counters). The bench spreads phones over `Server.ports`."""
    tmp = Path(tempfile.mkdtemp(prefix="labbet-bench-"))
    # Made first, so that whatever fails below, `stop` ends what was started and cleans up.
    server = Server([], [], tmp / "daphne.log", cleanups=[lambda: shutil.rmtree(tmp, True)])
    try:
        url = f"sqlite:///{tmp / 'labbet.sqlite3'}"
        if database_url:
            url, drop = _fresh_postgres(database_url)
            server.cleanups.append(drop)
        if redis_url:
            clear_limits(redis_url)
        env = app_env(tmp, url, redis_url)
        _manage(app_dir, env, "migrate", "--noinput", "-v0")
        _manage(app_dir, env, "collectstatic", "--noinput", "-v0")
        match = PROJECTOR_KEY.search(_manage(app_dir, env, "demo"))
        if match is None:
            raise ServerFailed("manage.py demo printed no `Projector: ...?key=` line")
        server.projector_key = match[1]
        for _ in range(processes):
            port = free_port()
            daphne = [*server_entry(app_dir), *daphne_args("127.0.0.1", port)]
            with server.log.open("ab") as log:
                server.processes.append(
                    subprocess.Popen(
                        pinned(daphne),
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

    def loop_cpu_seconds(self) -> float:
        """CPU time of the servers' main threads so far: the event loop, which reads and
        answers the sockets and fans every frame out. The rest of a process's time is its other
        threads': the requests', the sockets' database work (a post's validation, saving and
        rendering), the similar posts'."""
        try:
            return sum(
                t.user_time + t.system_time
                for p in self.processes
                for t in p.threads()
                if t.id == p.pid
            )
        except psutil.Error:
            return math.nan

    def rss_bytes(self) -> int:
        """The server's processes' resident memory now, together."""
        try:
            return sum(p.memory_info().rss for p in self.processes)
        except psutil.Error:
            return 0

    def summary(self, start: float, end: float) -> dict[str, float]:
        """Mean and peak CPU % inside [start, end] (the load window), peak RSS over the run."""
        window = [cpu for t, cpu, _ in self.samples if start <= t <= end] or [0.0]
        rss = max((r for _, _, r in self.samples), default=0)
        return {
            "server_cpu_pct": round(sum(window) / len(window), 1),
            "server_cpu_peak_pct": round(max(window), 1),
            "server_rss_peak_mb": round(rss / 2**20, 1),
        }
