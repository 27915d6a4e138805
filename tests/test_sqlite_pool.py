"""The embedded SQLite keeps a closed connection for the next request thread (labbet/sqlite):
every HTTP request runs in a thread of its own, and opening SQLite cost 1.4 ms of a post."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections

from labbet.env import sqlite_config
from labbet.sqlite.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _files_of_its_own(django_db_blocker):
    """These tests open SQLite files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


def database(path) -> DatabaseWrapper:
    """A connection to `path` as one request thread has it, whatever database the suite
    itself runs on (the PostgreSQL pass too): the embedded configuration over Django's
    filled-in defaults."""
    return DatabaseWrapper({**connections["default"].settings_dict, **sqlite_config(path)}, "pool")


def in_a_thread(path, begin: bool = False):
    """What a request does with its connection: use it, maybe leave a transaction open
    (a bug elsewhere), then close it at the request's end. The raw connection it had."""
    seen = []

    def request():
        db = database(path)
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS t (x)")
            cursor.execute("INSERT INTO t VALUES (1)")
        seen.append(db.connection)
        if begin:
            db.connection.execute("BEGIN")
            db.connection.execute("INSERT INTO t VALUES (2)")
        db.close()

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    return seen[0]


def test_the_next_request_thread_gets_the_connection_the_last_one_closed(tmp_path):
    path = tmp_path / "labbet.sqlite3"
    first = in_a_thread(path)
    assert in_a_thread(path) is first
    assert in_a_thread(path) is first
    # and it still works: the rows of all three requests are there
    assert first.execute("SELECT count(*) FROM t").fetchone() == (3,)


def test_a_connection_left_in_a_transaction_is_closed_not_kept(tmp_path):
    path = tmp_path / "labbet.sqlite3"
    left_open = in_a_thread(path, begin=True)
    fresh = in_a_thread(path)
    assert fresh is not left_open
    # what the transaction left unfinished was rolled back with its connection
    assert fresh.execute("SELECT x FROM t ORDER BY rowid").fetchall() == [(1,), (1,)]


def test_each_database_file_keeps_its_own_connections(tmp_path):
    one, two = tmp_path / "one.sqlite3", tmp_path / "two.sqlite3"
    first = in_a_thread(one)
    assert in_a_thread(two) is not first
    assert in_a_thread(one) is first


def test_no_more_are_kept_than_there_are_request_threads(tmp_path):
    kept = settings.LABBET_REQUEST_THREADS
    path = tmp_path / "labbet.sqlite3"
    dbs = [database(path) for _ in range(kept + 5)]
    for db in dbs:
        db.ensure_connection()
    for db in dbs:
        db.close()
    assert len(DatabaseWrapper._kept[str(path)]) == kept
