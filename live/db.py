"""Database access from the websocket side (consumers and the hub)."""

from __future__ import annotations

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections


class SocketDatabaseSyncToAsync(SyncToAsync):
    """Channels' `database_sync_to_async`, keeping the connection open between calls.

    All socket work runs on asgiref's one thread-sensitive worker thread. With Django's
    default CONN_MAX_AGE=0, channels' wrapper opens and closes a database connection around
    every call: in a join storm that was a fifth of the server's CPU (profiled). Here the
    connection of that one thread stays open; one that failed and is no longer usable is
    closed as before (a restarted PostgreSQL is reconnected on the next call). HTTP requests
    keep Django's per-request connections."""

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            for connection in connections.all(initialized_only=True):
                connection.close_at = None  # not closed for its age: see above
            close_old_connections()


socket_database_sync_to_async = SocketDatabaseSyncToAsync
