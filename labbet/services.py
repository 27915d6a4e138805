"""Throwaway PostgreSQL and Redis servers on free loopback ports, for tests and benchmarks.

Each starts into a temporary directory and stops cleanly; nothing touches a system service."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """The server's binaries are not installed here (the message says which)."""


# A room's phones arrive together (a QR code on the screen): the listen queue holds a join storm
# (Twisted's default is 50), and a socket waits in it rather than being dropped after 5 s.
DAPHNE_BACKLOG = 2048
DAPHNE_CONNECT_TIMEOUT = 30


def daphne_args(host: str, port: int, ping: tuple[int, int] = (15, 30)) -> list[str]:
    """daphne's arguments as `make run` and `make serve` pass them (after `python -m
    live.serve`); `ping` is (interval, timeout) of the websocket heartbeats."""
    interface = host.strip("[]").replace(":", "\\:")  # an endpoint string escapes IPv6 colons
    return [
        "-e",
        f"tcp:port={port}:interface={interface}:backlog={DAPHNE_BACKLOG}",
        "--websocket_connect_timeout",
        str(DAPHNE_CONNECT_TIMEOUT),
        "--ping-interval",
        str(ping[0]),
        "--ping-timeout",
        str(ping[1]),
        "labbet.asgi:application",
    ]


def serve_command(
    host: str, port: int, ping: tuple[int, int] = (15, 30), python: str = sys.executable
) -> list[str]:
    """The server's whole command line as `make run` and `make serve` run it (from the project's
    directory): live/serve.py, which sets what only a server sets and runs daphne's own
    command line with daphne_args."""
    return [python, "-m", "live.serve", *daphne_args(host, port, ping)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f}s")


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise ServiceUnavailable(
        f"PostgreSQL's {name} was not found (install the postgresql package, version 15)"
    )


@dataclass
class Server:
    url: str
    port: int
    directory: Path
    stop_cmd: list[str] = field(default_factory=list)
    start_cmd: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        if self.stop_cmd:
            subprocess.run(self.stop_cmd, capture_output=True, check=False, timeout=60)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> Server:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    directory = Path(tempfile.mkdtemp(prefix="labbet-pg-"))
    data, log = directory / "data", directory / "server.log"
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; the image's postgres user runs this throwaway one.
        shutil.chown(directory, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [
            *as_user,
            initdb,
            "-D",
            str(data),
            "-U",
            "labbet",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    start_cmd = [
        *as_user,
        pg_ctl,
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(log),
        "-w",
        "-t",
        "60",
        "start",
    ]
    subprocess.run(start_cmd, check=True, capture_output=True, timeout=90)
    server = Server(
        url=f"postgres://labbet@127.0.0.1:{port}/labbet",
        port=port,
        directory=directory,
        stop_cmd=[*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
        start_cmd=start_cmd,
    )
    subprocess.run(
        [
            *as_user,
            _pg_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "labbet",
            "labbet",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return server


def restart_postgres(server: Server) -> None:
    """Stop and start the same cluster (for fault tests)."""
    subprocess.run(server.stop_cmd, check=True, capture_output=True, timeout=60)
    subprocess.run(server.start_cmd, check=True, capture_output=True, timeout=90)


def redis_command(binary: str, port: int, directory: Path) -> list[str]:
    """A throwaway redis-server on a loopback port: nothing saved to disk."""
    return [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        "--protected-mode",
        "yes",
    ]


def start_redis() -> Server:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server was not found (install the redis-server package)")
    directory = Path(tempfile.mkdtemp(prefix="labbet-redis-"))
    port = free_port()
    process = subprocess.Popen(
        redis_command(binary, port, directory),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return Server(
        url=f"redis://127.0.0.1:{port}/0", port=port, directory=directory, process=process
    )
