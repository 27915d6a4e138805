"""Live events: each change is numbered with its stream's cursor, stored for replay, and sent
to the screens only after the transaction commits.

A stream is a row of settings.LABBET_LIVE_STREAM (the workshop): its `live_seq` is the cursor,
its `language` the language of the fragments stored under a bare view name. What an event
shows (its templates, its context) is the domain's: it hands this module rendered fragments."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from labbet import compiled
from live.db import send_after_batch
from live.models import LiveEvent

logger = logging.getLogger(__name__)

FRAME_CURSOR = re.compile(r"^<!--c:(\d+)( r)?-->")

# A process that serves a (view, language) group says so in the cache (the shared Redis in a
# scale-out) and says it again while it still does; a publisher renders the stream's own
# language always and another only while someone there reads it. A group gone quiet costs a
# render per event for at most this long.
PRESENCE_TTL = 30


def stream_model() -> Any:
    """The model whose rows are the streams (settings.LABBET_LIVE_STREAM)."""
    return apps.get_model(settings.LABBET_LIVE_STREAM)


# Every process's relay channel is in this group (live/hub.py): a revoked invitation closes
# that person's sockets wherever they are open (close_sockets_of).
PEOPLE_GROUP = "labbet.people"


def live_group(stream_id: int, view: str, language: str) -> str:
    return f"labbet.w{stream_id}.{view}.{language}"


def parse_group(group: str) -> tuple[int, str, str]:
    """labbet.w<id>.<view>.<language> → (id, view, language)."""
    _prefix, stream, view, language = group.split(".")
    return int(stream[1:]), view, language


def fragment_key(view: str, language: str, stream_language: str) -> str:
    """Where an event keeps a view's fragment in `language`: the stream's own language under
    the view's name (what every room has), any other as view.language."""
    return view if language == stream_language else f"{view}.{language}"


def _presence_key(stream_id: int, view: str, language: str) -> str:
    return f"live.present.w{stream_id}.{view}.{language}"


def mark_present(groups: Iterable[str]) -> None:
    """These groups have sockets in this process (for PRESENCE_TTL seconds)."""
    keys = {_presence_key(*parse_group(group)): 1 for group in groups}
    if keys:
        cache.set_many(keys, timeout=PRESENCE_TTL)


def other_languages(stream: Any) -> list[tuple[str, str]]:
    """The (view, language) pairs besides the stream's own language that screens read now,
    in any process; one cache round."""
    wanted = {
        _presence_key(stream.pk, view, language): (view, language)
        for view in settings.LABBET_LIVE_VIEWS
        for language, _name in settings.LANGUAGES
        if language != stream.language
    }
    if not wanted:
        return []
    return [wanted[key] for key in cache.get_many(list(wanted))]


def frame(seq: int, html: str, refresh: bool = False) -> str:
    """What goes over the socket: the cursor first, so a client can drop what it already has
    (and, on a fresh region, know that everything before it is covered)."""
    return f"<!--c:{seq}{' r' if refresh else ''}-->{html.strip()}"


def next_seq(stream_id: int) -> int:
    """Advance the stream's cursor; its new value.

    The ORM's update() cannot return the new value; SQLite (≥ 3.35) and PostgreSQL both speak
    UPDATE … RETURNING, so the cursor moves and is read in one statement. The UPDATE takes the
    stream's row lock: events of one stream are numbered in commit order, which is what lets
    a client trust "everything after my cursor"."""
    meta = stream_model()._meta
    quote = connection.ops.quote_name
    table, seq, pk = quote(meta.db_table), quote("live_seq"), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {seq} = {seq} + 1 WHERE {pk} = %s RETURNING {seq}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [stream_id])
        return cursor.fetchone()[0]


def record(stream: Any, seq: int, kind: str, fragments: dict[str, str]) -> LiveEvent:
    """Store event `seq` of `stream` inside the caller's transaction, and send its frames to
    the screens once it commits, so no screen ever shows a row that was rolled back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a live event must be recorded inside the action's transaction")
    # By a statement compiled once (labbet/compiled.py): every change of the room makes one.
    event = compiled.insert(LiveEvent(workshop=stream, seq=seq, kind=kind, fragments=fragments))
    # robust: the change is committed whatever happens to the broadcast (Redis down, say);
    # screens then catch up from the stored event (live/hub.py's resync, or replay).
    stream_id, language = stream.pk, stream.language
    transaction.on_commit(lambda: send_frames(stream_id, language, seq, fragments), robust=True)
    return event


# The serving process's event loop, once its hub relays frames (live/hub.py says so). After a
# commit (a socket's batch: once it is done, live/db.py), the worker thread hands the frames
# to it and goes on: waiting for the loop, which may
# be busy writing an earlier event to a thousand sockets, would hold every post queued behind
# this one on the one worker thread (profiled: 200 posts at once). Order is the hub's job: it
# delivers by cursor whatever order the sends arrive in. Without a serving loop (a command, a
# test without sockets) the send waits, as before.
_serving_loop: asyncio.AbstractEventLoop | None = None


def serve_from(loop: asyncio.AbstractEventLoop) -> None:
    global _serving_loop
    _serving_loop = loop


def send_frames(stream_id: int, language: str, seq: int, fragments: dict[str, str]) -> None:
    loop = _serving_loop
    if loop is not None and loop.is_running():
        # A socket's batch hands its frames over when it is done (live/db.py).
        hand_over = partial(_hand_to_loop, loop, stream_id, language, seq, fragments)
        if not send_after_batch(hand_over):
            hand_over()
        return
    async_to_sync(_send_frames)(stream_id, language, seq, fragments)


def _hand_to_loop(
    loop: asyncio.AbstractEventLoop,
    stream_id: int,
    language: str,
    seq: int,
    fragments: dict[str, str],
) -> None:
    sent = asyncio.run_coroutine_threadsafe(_send_frames(stream_id, language, seq, fragments), loop)
    sent.add_done_callback(_log_failed_send)


def _log_failed_send(sent: Any) -> None:
    # As a failed send on commit always was: logged; the hub's resync reads the event back.
    if not sent.cancelled() and sent.exception() is not None:
        logger.error("live: sending frames failed", exc_info=sent.exception())


async def _send_frames(stream_id: int, language: str, seq: int, fragments: dict[str, str]) -> None:
    """`language` is the stream's: the fragments under a bare view name are in it."""
    layer = get_channel_layer()
    for key, html in fragments.items():
        view, _dot, other = key.partition(".")
        group = live_group(stream_id, view, other or language)
        # Every view gets every cursor, even with nothing to show: a gap then means a loss.
        await layer.group_send(
            group, {"type": "live.frame", "group": group, "seq": seq, "text": frame(seq, html)}
        )


def close_sockets_of(participant_ids: Iterable[int], code: int = 4403) -> None:
    """After commit, close these people's open sockets in every process (their access was
    taken away: a revoked invitation). Their browsers reconnect and are refused, or come back
    as whoever the access rules now make them."""
    ids = sorted(set(participant_ids))
    if not ids:
        return
    transaction.on_commit(lambda: async_to_sync(_close_sockets)(ids, code), robust=True)


async def _close_sockets(ids: list[int], code: int) -> None:
    await get_channel_layer().group_send(
        PEOPLE_GROUP, {"type": "live.close", "participants": ids, "code": code}
    )


def missed_events(
    stream_id: int, view: str, language: str, cursor: int
) -> tuple[list[tuple[int, str]] | None, int]:
    """Frames after `cursor` for `view` in `language`, oldest first, and the current cursor;
    None when the gap is too large to replay, or an event was rendered before anyone read
    `language` (the client then gets a fresh region in its language instead)."""
    current, stream_language = (
        stream_model().objects.values_list("live_seq", "language").get(pk=stream_id)
    )
    if cursor >= current:
        return [], current
    if current - cursor > settings.LABBET_REPLAY_LIMIT:
        return None, current
    rows = LiveEvent.objects.filter(workshop_id=stream_id, seq__gt=cursor).order_by("seq")
    key = fragment_key(view, language, stream_language)
    frames = []
    for seq, frags in rows.values_list("seq", "fragments"):
        if key not in frags and key != view:
            return None, current
        frames.append((seq, frame(seq, frags.get(key, ""))))
    return frames, current


def latest_cursors(stream_ids: Iterable[int]) -> dict[int, int]:
    """Each stream's current cursor, in one query."""
    streams = stream_model().objects.filter(pk__in=list(stream_ids))
    return dict(streams.values_list("pk", "live_seq"))


def frames_between(
    stream_id: int, view: str, language: str, after: int, before: int
) -> list[tuple[int, str]] | None:
    """The frames of events after `after` and before `before`, oldest first; None when one of
    them was rendered before any screen read `language` (a join and a publish a moment
    apart): there is no frame in that language to send, and the group's screens get a fresh
    region in it instead (live/hub.py)."""
    stream_language = stream_model().objects.values_list("language", flat=True).get(pk=stream_id)
    key = fragment_key(view, language, stream_language)
    rows = LiveEvent.objects.filter(workshop_id=stream_id, seq__gt=after, seq__lt=before).order_by(
        "seq"
    )
    frames = []
    for seq, frags in rows.values_list("seq", "fragments"):
        if key not in frags and key != view:
            return None
        frames.append((seq, frame(seq, frags.get(key, ""))))
    return frames
