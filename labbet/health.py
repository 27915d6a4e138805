"""/healthz: is the database answering, and the channel layer?"""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from live.hub import local_socket_count


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


async def _layer_roundtrip() -> None:
    # A publish to a group nobody listens to: it reaches the layer's server (Redis) and leaves
    # no subscription behind, unlike a receive on a fresh channel.
    layer = get_channel_layer()
    await asyncio.wait_for(layer.group_send("healthz", {"type": "healthz.ping"}), timeout=2)


def _channel_layer_ok() -> str | None:
    try:
        async_to_sync(_layer_roundtrip)()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
    return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    failures = {}
    if error := _database_ok():
        failures["database"] = error
    if error := _channel_layer_ok():
        failures["channel_layer"] = error
    if failures:
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    return JsonResponse(
        {"status": "ok", "database": "ok", "channel_layer": "ok", "sockets": local_socket_count()}
    )
