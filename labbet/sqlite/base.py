"""Django's SQLite backend, with a closed connection kept for the next thread that opens one.

Django closes a request's connection when the request ends (CONN_MAX_AGE=0), and requests
run on several threads (labbet/handlers.py), whose connections are their own: each request
opened SQLite afresh, the file, some thirty SQL functions registered, four PRAGMAs, and its
first query read the schema. A new connection's first query took 3.7 ms, a kept one's
0.4-0.6 ms (measured in process). PostgreSQL has Django's own pool (labbet/env.py); SQLite
has none, so here closing a connection that holds no transaction puts it back on a short
list, and opening one takes it from there. Django allows the hand-over: it opens SQLite with
check_same_thread=False and itself checks that a connection is used by one thread at a
time."""

from __future__ import annotations

from django.conf import settings
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    # Per database file: list.append and list.pop are atomic, no lock needed.
    _kept: dict[str, list] = {}

    def _idle(self) -> list:
        return self._kept.setdefault(str(self.settings_dict["NAME"]), [])

    def get_new_connection(self, conn_params):
        if not self.is_in_memory_db():
            try:
                return self._idle().pop()
            except IndexError:
                pass
        return super().get_new_connection(conn_params)

    def _close(self):
        connection = self.connection
        if (
            connection is None
            or connection.in_transaction
            or self.is_in_memory_db()
            # Enough for the request threads that run at the same moment (labbet/handlers.py);
            # more are closed as usual.
            or len(self._idle()) >= settings.LABBET_REQUEST_THREADS
        ):
            return super()._close()
        self._idle().append(connection)
        return None
