"""The backups the README documents, each restored into a fresh database and compared with
the original: `export_workshop` / `import_workshop`, SQLite's online backup (what
`sqlite3 var/labbet.sqlite3 ".backup backup.sqlite3"` does, here through Python's
`sqlite3.Connection.backup`), and `pg_dump` / `pg_restore`.

Each runs `manage.py` in a process of its own against its own database, as an operator would."""

from __future__ import annotations

import contextlib
import glob
import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, require_or_skip
from tests.servers import fault_env

pytestmark = [pytest.mark.slow]

# What an export may differ in after a round trip: when it was written.
VOLATILE = {"exported_at", "generated_at"}


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result.stdout


def sqlite_env(tmp: Path, name: str) -> dict:
    return fault_env(tmp, f"sqlite:///{tmp / name}")


def comparable(export: str) -> dict:
    data = json.loads(export)

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        # Table names come from the catalog, not from input.
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}  # noqa: S608


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A SQLite database with the demo workshop (contributions, votes, claims), and its
    export."""
    tmp = tmp_path_factory.mktemp("backup-original")
    env = sqlite_env(tmp, "labbet.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo", "--with-contributions")
    return tmp / "labbet.sqlite3", env, manage(env, "export_workshop", "STAD26")


def test_export_and_import_round_trip_into_a_fresh_database(original, tmp_path):
    _path, _env, exported = original
    (tmp_path / "STAD26.json").write_text(exported)
    fresh = sqlite_env(tmp_path, "fresh.sqlite3")
    manage(fresh, "migrate", "--noinput", "-v0")
    out = manage(fresh, "import_workshop", str(tmp_path / "STAD26.json"))
    assert "Imported workshop STAD26" in out
    again = manage(fresh, "export_workshop", "STAD26")
    before, after = comparable(exported), comparable(again)
    counts = {k: len(v) for k, v in before.items() if isinstance(v, list)}
    assert counts.get("contributions", 0) > 0, counts
    assert after == before, "the workshop came back different"
    print(f"BACKUP export/import: {counts} restored identically")

    # A second import of the same file is refused while the workshop is open: nothing twice.
    result = subprocess.run(
        [sys.executable, "manage.py", "import_workshop", str(tmp_path / "STAD26.json")],
        cwd=ROOT,
        env=fresh,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0 and "Nothing was imported" in result.stderr
    assert comparable(manage(fresh, "export_workshop", "STAD26")) == before


def test_sqlite_online_backup_restores_identical_data(original, tmp_path):
    path, _env, exported = original
    backup = tmp_path / "backup.sqlite3"
    # What `sqlite3 var/labbet.sqlite3 ".backup backup.sqlite3"` does: a consistent copy,
    # safe while the server writes (WAL).
    with (
        contextlib.closing(sqlite3.connect(path)) as source,
        contextlib.closing(sqlite3.connect(backup)) as target,
    ):
        source.backup(target)
    # Restoring is putting the copy where the database was.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(backup, restored_dir / "labbet.sqlite3")
    restored = sqlite_env(restored_dir, "labbet.sqlite3")
    assert table_rows(restored_dir / "labbet.sqlite3") == table_rows(path)
    manage(restored, "migrate", "--check", "--noinput")  # nothing left to migrate
    assert comparable(manage(restored, "export_workshop", "STAD26")) == comparable(exported)
    rows = sum(len(v) for v in table_rows(path).values())
    print(f"BACKUP sqlite .backup: {rows} rows restored identically")


def pg_binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        require_or_skip(f"{name} was not found (install the postgresql-client package)")
    return found


def pg_rows(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        # Table names come from the catalog, not from input.
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}  # noqa: S608


def test_pg_dump_and_pg_restore_round_trip(original, postgres_server, tmp_path):
    _path, _env, exported = original
    base = postgres_server.url.rsplit("/", 1)[0]
    source, target = (f"labbet_backup_{uuid.uuid4().hex[:8]}" for _ in range(2))
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        for name in (source, target):
            conn.execute(f'CREATE DATABASE "{name}"')
    # The workshop moves onto PostgreSQL by its export (itself a check of the JSON path
    # across databases), then PostgreSQL's own dump and restore.
    env = fault_env(tmp_path, f"{base}/{source}")
    manage(env, "migrate", "--noinput", "-v0")
    (tmp_path / "STAD26.json").write_text(exported)
    manage(env, "import_workshop", str(tmp_path / "STAD26.json"))
    # New ids after the restore must not collide with restored ones: post one more row
    # through the ORM in the restored database below.
    dump = tmp_path / "labbet.dump"
    subprocess.run(
        [pg_binary("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), f"{base}/{source}"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        [pg_binary("pg_restore"), "--no-owner", "-d", f"{base}/{target}", str(dump)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert pg_rows(f"{base}/{target}") == pg_rows(f"{base}/{source}")
    restored = fault_env(tmp_path, f"{base}/{target}")
    manage(restored, "migrate", "--check", "--noinput")
    assert comparable(manage(restored, "export_workshop", "STAD26")) == comparable(exported)
    # The sequences came along: a new post gets a fresh id, not a restored one's.
    new_id = manage(
        restored,
        "shell",
        "--no-imports",
        "-c",
        "from insights.actions.posts import post_contribution\n"
        "from workshops.models import Workshop, Participant\n"
        "w = Workshop.objects.get(code='STAD26')\n"
        "p = Participant.objects.create(workshop=w, role='audience')\n"
        "c, _ = post_contribution(workshop=w, author=p, kind='insight', text='After restore')\n"
        "print(c.pk)",
    )
    assert int(new_id.strip()) > 0
    rows = sum(len(v) for v in pg_rows(f"{base}/{source}").values())
    print(f"BACKUP pg_dump/pg_restore: {rows} rows restored identically")
