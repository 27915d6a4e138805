"""Heartbeats: a phone that walked out of the wifi (stops answering pings) is noticed and
cleaned up, and the room's socket count says so."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from labbet.services import free_port
from tests.clients import Phone, health
from tests.conftest import prepare_database, server_env, start_daphne

pytestmark = pytest.mark.slow


def silent_websocket(phone: Phone, port: int) -> socket.socket:
    """Open a websocket by hand and then never read again: no pong ever comes back."""
    sock = socket.create_connection(("127.0.0.1", port))
    path = phone.ws_url().split(str(port), 1)[1]
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {phone.base}\r\n"
            f"Cookie: sessionid={phone.cookie('sessionid')}\r\n\r\n"
        ).encode()
    )
    assert b" 101 " in sock.recv(4096).split(b"\r\n", 1)[0]
    return sock


def test_a_phone_that_stops_answering_pings_is_disconnected(tmp_path):
    tmp = Path(tempfile.mkdtemp(prefix="labbet-heartbeat-"))
    env = server_env(tmp, f"sqlite:///{tmp / 'db.sqlite3'}")
    prepare_database(env)
    port = free_port()
    process = start_daphne(env, port, tmp / "daphne.log", ping=(1, 2))
    try:
        base = f"http://127.0.0.1:{port}"
        sock = silent_websocket(Phone(base), port)
        assert health(base)["sockets"] == 1
        deadline = time.monotonic() + 15
        while health(base)["sockets"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert health(base)["sockets"] == 0
        sock.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
