"""Settings from the environment: parsed right, and a clear stop naming the bad variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from labbet.env import channel_layers_config, database_config, env_bool

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_under_var_with_wal_and_busy_timeout_by_default(tmp_path):
    config = database_config(None, tmp_path / "db.sqlite3")
    # Django's SQLite backend, keeping closed connections for the next request thread
    assert config["ENGINE"] == "labbet.sqlite"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgres_database_url(tmp_path):
    config = database_config("postgres://lab:secret@db.example:6543/labbet", tmp_path / "x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("labbet", "lab", "secret")
    assert (config["HOST"], config["PORT"]) == ("db.example", 6543)
    # Requests run on several threads (labbet/handlers.py): connections come from a pool.
    assert config["OPTIONS"]["pool"]["max_size"] == 20
    assert config["CONN_MAX_AGE"] == 0 and config["CONN_HEALTH_CHECKS"]
    assert config["DISABLE_SERVER_SIDE_CURSORS"]


def test_sqlite_database_url_keeps_wal(tmp_path):
    config = database_config(f"sqlite:///{tmp_path}/other.sqlite3", tmp_path / "x")
    assert config["NAME"].endswith("other.sqlite3")
    assert "WAL" in config["OPTIONS"]["init_command"]


@pytest.mark.parametrize(
    "url", ["mysql://x@y/z", "not a url", "postgres://host:notaport/db", "postgres://host/"]
)
def test_malformed_database_url_names_the_variable(url, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_config(url, tmp_path / "x")


def test_in_memory_channel_layer_without_redis():
    config = channel_layers_config(None)["default"]
    assert config["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_redis_url_selects_the_redis_pubsub_layer():
    config = channel_layers_config("redis://127.0.0.1:6380/1")["default"]
    assert config["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert config["CONFIG"]["hosts"] == ["redis://127.0.0.1:6380/1"]


@pytest.mark.parametrize("url", ["http://redis:6379", "redis://:x/0", "redis://host:port/0"])
def test_malformed_redis_url_names_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        channel_layers_config(url)


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


def run_check(tmp_path, **env):
    full = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "1",
        "LABBET_VAR_DIR": str(tmp_path),
        **env,
    }
    full.pop("DATABASE_URL", None) if "DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_URL", "mysql://u@h/db"), ("REDIS_URL", "http://localhost:6379")],
)
def test_startup_stops_with_a_message_naming_the_variable(tmp_path, variable, value):
    result = run_check(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert result.stderr.startswith("Labbet cannot start:"), result.stderr


def test_the_server_will_not_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "0",
        "SECRET_KEY": "",
        "LABBET_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import labbet.asgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Labbet cannot start: SECRET_KEY must be set" in result.stderr
    # Commands that need no key, such as the migration check, still run.
    assert run_check(tmp_path, DEBUG="0", SECRET_KEY="").returncode == 0


def test_local_secret_key_is_generated_once_and_kept(tmp_path):
    assert run_check(tmp_path, SECRET_KEY="").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_check(tmp_path, SECRET_KEY="").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("short-but-not-empty", "shorter than 50 characters"),
        (None, "the one from deploy/env.example"),
    ],
)
def test_the_server_refuses_a_weak_secret_key_when_debug_is_off(tmp_path, key, message):
    if key is None:  # the example file's own value, made long enough to pass the length check
        example = tmp_path / "env.example"
        key = "copied-from-the-example-file-" + "y" * 30
        example.write_text(f"DEBUG=0\nSECRET_KEY={key}\n")
        code = (
            "import pathlib, labbet.asgi as a; "
            f"a.EXAMPLE_ENV = pathlib.Path({str(example)!r}); a.weak_secret_key({key!r})"
        )
    else:
        code = "import labbet.asgi"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labbet.settings",
        "DEBUG": "0",
        "SECRET_KEY": key,
        "LABBET_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr


def request_threads(tmp_path, **env) -> int:
    """LABBET_REQUEST_THREADS as the settings work it out from this environment."""
    full = {**os.environ, "DEBUG": "1", "LABBET_VAR_DIR": str(tmp_path), **env}
    for name in ("DATABASE_URL", "LABBET_REQUEST_THREADS", "LABBET_DB_POOL_SIZE"):
        if name not in env:
            full.pop(name, None)
    code = "from labbet import settings; print(settings.LABBET_REQUEST_THREADS)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_no_more_request_threads_than_the_database_pool_can_serve_at_once(tmp_path):
    assert request_threads(tmp_path) == 32  # SQLite: as many connections are kept
    postgres = {"DATABASE_URL": "postgres://lab@db.example/labbet"}
    # Two connections stay for the sockets' thread and the similar posts' thread.
    assert request_threads(tmp_path, **postgres) == 18
    assert request_threads(tmp_path, **postgres, LABBET_DB_POOL_SIZE="40") == 38
    assert request_threads(tmp_path, **postgres, LABBET_REQUEST_THREADS="8") == 8
