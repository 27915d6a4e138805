"""The deployment, run for real: the repository's deploy/nginx.conf (rewritten only for ports,
paths and a self-signed certificate) in front of two daphne processes started with
labbet@.service's own command line, on PostgreSQL and Redis. Chromium joins a phone and opens
the projector through nginx over HTTPS; the phone posts, the projector shows it. Also checked
through nginx: the websocket upgrade, static files with their cache headers, /healthz, and
the redirect from plain HTTP."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from labbet.services import free_port, wait_for_port
from tests.conftest import fresh_redis_url, require_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.services]

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def nginx_binary() -> str:
    """nginx from Debian's package: installed here when root (as scripts/system-deps.sh does)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"],
            env=env,
            capture_output=True,
            check=False,
        )
        found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        require_or_skip("nginx is not installed (apt-get install nginx-light)")
    return found


def replace_once(text: str, old: str, new: str) -> str:
    """Each rewrite must match exactly once: a changed deploy file fails here, by name."""
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} exactly once"
    return text.replace(old, new)


def unit_lines(name: str, key: str) -> list[list[str]]:
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    return [
        shlex.split(line.split("=", 1)[1]) for line in text.splitlines() if line.startswith(key)
    ]


def as_here(command: list[str], port: int | None = None) -> list[str]:
    """A unit's command line with only the install path and the instance's port changed."""
    out = []
    for arg in command:
        if arg.startswith("/srv/labbet/.venv/bin/"):
            arg = str(BIN / Path(arg).name)
        if port is not None:
            arg = arg.replace("800%i", str(port))
        out.append(arg)
    return out


def documented_env(tmp: Path, base: str, database_url: str, redis_url: str) -> dict[str, str]:
    """deploy/env.example, with this run's addresses, database, Redis and folders."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=base,
        LABBET_PUBLIC_URL=base,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LABBET_VAR_DIR=str(tmp / "var"),
        DJANGO_SETTINGS_MODULE="labbet.settings",
        PYTHONUNBUFFERED="1",
        EMAIL_URL="console://",
    )
    return env


def fresh_database(server_url: str) -> str:
    import psycopg

    name = f"labbet_nginx_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def nginx_conf(tmp: Path, https: int, http: int, upstreams: list[int]) -> Path:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1",
            "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx.conf").read_text()
    site = replace_once(site, "server 127.0.0.1:8001;", f"server 127.0.0.1:{upstreams[0]};")
    site = replace_once(site, "server 127.0.0.1:8002;", f"server 127.0.0.1:{upstreams[1]};")
    site = replace_once(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = replace_once(site, "listen 80;", f"listen 127.0.0.1:{http};")
    site = site.replace("/var/log/nginx/labbet.access.log", str(tmp / "labbet.access.log"))
    site = replace_once(
        site,
        "# ssl_certificate /etc/letsencrypt/live/labbet.example.org/fullchain.pem;",
        f"ssl_certificate {tmp / 'cert.pem'};",
    )
    site = replace_once(
        site,
        "# ssl_certificate_key /etc/letsencrypt/live/labbet.example.org/privkey.pem;",
        f"ssl_certificate_key {tmp / 'key.pem'};",
    )
    (tmp / "site.conf").write_text(site)
    # What /etc/nginx/nginx.conf gives the site file on a Debian host, in this run's folder.
    main = tmp / "nginx.conf"
    main.write_text(
        f"""
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""
    )
    return main


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_server, redis_server):
    nginx = nginx_binary()
    tmp = tmp_path_factory.mktemp("nginx")
    https, http, one, two = free_port(), free_port(), free_port(), free_port()
    base = f"https://127.0.0.1:{https}"
    env = documented_env(
        tmp, base, fresh_database(postgres_server.url), fresh_redis_url(redis_server)
    )
    # labbet-migrate.service first, as systemd orders it, then the demo workshop.
    for command in unit_lines("labbet-migrate.service", "ExecStart="):
        subprocess.run(as_here(command), cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "manage.py", "demo", "--with-contributions", "--base-url", base],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    conf = nginx_conf(tmp, https, http, [one, two])
    checked = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(conf)], capture_output=True)
    assert checked.returncode == 0, checked.stderr.decode()
    (pre,) = unit_lines("labbet@.service", "ExecStartPre=")
    (start,) = unit_lines("labbet@.service", "ExecStart=")
    processes = []
    try:
        for port in (one, two):
            subprocess.run(as_here(pre, port), cwd=ROOT, env=env, check=True, capture_output=True)
            log = (tmp / f"daphne-{port}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    as_here(start, port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        processes.append(
            subprocess.Popen(
                [nginx, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=(tmp / "nginx.out").open("wb"),
            )
        )
        for port in (one, two, https, http):
            wait_for_port(port, timeout=30)
        key = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c",
             "from workshops.models import Workshop; "
             "print(Workshop.objects.get(code='STAD26').projector_token)"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        yield {"base": base, "http": http, "key": key, "tmp": tmp}
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def fetch(url: str):
    """GET without following redirects and without checking the self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        return opener.open(url, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def watch(page, problems: list[str]) -> None:
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))


def test_a_phone_posts_through_nginx_and_the_projector_shows_it(deployment, browser):
    base, problems, sockets = deployment["base"], [], []
    contexts = [
        browser.new_context(ignore_https_errors=True, viewport=size)
        for size in ({"width": 1920, "height": 1080}, {"width": 390, "height": 844})
    ]
    try:
        projector, phone = (context.new_page() for context in contexts)
        for page in (projector, phone):
            watch(page, problems)
            page.on("websocket", lambda ws: sockets.append(ws))
        projector.goto(f"{base}/w/STAD26/projector/?key={deployment['key']}")
        projector.locator("body.is-live").wait_for(timeout=15_000)
        phone.goto(f"{base}/j/STAD26/")
        phone.locator("body.is-live").wait_for(timeout=15_000)
        phone.check("#post-form input[name=kind][value=insight]")
        phone.fill("#post-form textarea[name=text]", "Genom nginx, över HTTPS")
        phone.click("#post-form button[type=submit]")
        phone.locator(".post-confirm").wait_for(timeout=10_000)
        projector.locator(".card__text", has_text="Genom nginx, över HTTPS").wait_for(
            timeout=10_000
        )
    finally:
        for context in contexts:
            context.close()
    # Both screens' sockets went through nginx's upgrade, over TLS, to a daphne behind it.
    assert len(sockets) >= 2 and all(ws.url.startswith("wss://127.0.0.1:") for ws in sockets)
    assert problems == []


def test_static_files_health_and_the_redirect_through_nginx(deployment):
    base = deployment["base"]
    health = fetch(f"{base}/healthz")
    assert health.status == 200
    report = json.loads(health.read())
    assert report["status"] == "ok"
    page = fetch(f"{base}/j/STAD26/").read().decode()
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the phone page links no hashed stylesheet"
    static = fetch(base + stylesheet[1])
    assert static.status == 200
    cache = static.headers["Cache-Control"]
    assert "max-age=315360000" in cache and "immutable" in cache
    plain = fetch(f"http://127.0.0.1:{deployment['http']}/j/STAD26/")
    assert plain.status == 301
    assert plain.headers["Location"].startswith("https://127.0.0.1")


def test_the_websocket_upgrade_is_answered_101_through_nginx(deployment):
    """A phone's handshake on the socket path, by hand: nginx passes Upgrade and Connection on
    and daphne answers 101 (without them Django would answer the path as a page: 404)."""
    import socket

    joined = fetch(f"{deployment['base']}/j/STAD26/")
    cookies = "; ".join(
        value.split(";", 1)[0] for value in joined.headers.get_all("Set-Cookie") or []
    )
    assert "sessionid=" in cookies
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = urlsplit(deployment["base"]).port
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(
            (
                "GET /ws/w/STAD26/ HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {deployment['base']}\r\nCookie: {cookies}\r\n\r\n"
            ).encode()
        )
        status = tls.recv(4096).decode(errors="replace").split("\r\n", 1)[0]
    assert status.startswith("HTTP/1.1 101"), status


def test_the_access_log_keeps_only_the_last_four_characters_of_secrets(deployment):
    """Invite links and the projector's key stay valid for months; nginx's log must not hand
    them to whoever reads it."""
    token = "abcdefghijklmnopqrstuvwxyz0123456789WXYZ"
    fetch(f"{deployment['base']}/i/{token}/")
    fetch(f"{deployment['base']}/w/STAD26/projector/?key={deployment['key']}")
    log = deployment["tmp"] / "labbet.access.log"
    for _ in range(50):  # nginx writes the line after the response
        text = log.read_text() if log.exists() else ""
        if "/i/...WXYZ/" in text and "key=..." in text:
            break
        time.sleep(0.1)
    assert "/i/...WXYZ/" in text
    assert f"key=...{deployment['key'][-4:]}" in text
    assert token not in text and deployment["key"] not in text
