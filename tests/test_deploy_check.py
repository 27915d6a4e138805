"""Production settings: Django's deployment checklist is clean under the documented
environment (deploy/env.example), and signing in rotates the session."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session

from tests.factories import make_user, make_workshop
from workshops.access import SESSION_KEY

ROOT = Path(__file__).resolve().parent.parent


def documented_environment(tmp_path: Path) -> dict[str, str]:
    """deploy/env.example as systemd reads it, with a real secret key in place of its
    placeholder and a writable folder for var/."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT"}
    }
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    assert env["DEBUG"] == "0" and env["HTTPS"] == "1" and env["ALLOWED_HOSTS"]
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["LABBET_VAR_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "labbet.settings"
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checklist_is_clean_in_production(tmp_path):
    result = manage(
        documented_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_checklist_does_catch_a_production_setup_without_https(tmp_path):
    env = documented_environment(tmp_path)
    env["HTTPS"] = "0"
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr or "security.W008" in result.stderr


@pytest.mark.django_db
def test_signing_in_rotates_the_session_and_keeps_the_phone_in_its_workshop(client):
    workshop = make_workshop()
    make_user("lena")
    client.get(f"/j/{workshop.code}/")
    before = client.cookies["sessionid"].value
    response = client.post("/accounts/login/", {"username": "lena", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # The old key is worth nothing now; the new session keeps what the phone had.
    assert str(workshop.pk) in client.session[SESSION_KEY]


@pytest.mark.django_db
def test_an_invite_link_rotates_the_session(client):
    workshop = make_workshop()
    challenger = workshop.participants.get(role="challenger")
    client.get("/")
    client.session.save()
    client.get(f"/j/{workshop.code}/")
    before = client.cookies["sessionid"].value
    client.get(f"/i/{challenger.invite_token}/")
    assert client.cookies["sessionid"].value != before
