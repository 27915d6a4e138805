"""Live events: each change is numbered with the workshop's cursor, rendered once per view,
stored for replay, and sent to the screens only after the transaction commits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation

from insights.models import LiveEvent
from workshops.models import Workshop

# The views a workshop's screens are in; each is one channel-layer group, rendered once.
VIEWS = ("phone", "projector", "console")
FRAME_CURSOR = re.compile(r"^<!--c:(\d+)( r)?-->")


def live_group(workshop_id: int, view: str) -> str:
    return f"labbet.w{workshop_id}.{view}"


def parse_group(group: str) -> tuple[int, str]:
    """labbet.w<id>.<view> → (id, view)."""
    _prefix, workshop, view = group.split(".")
    return int(workshop[1:]), view


def frame(seq: int, html: str, refresh: bool = False) -> str:
    """What goes over the socket: the cursor first, so a client can drop what it already has
    (and, on a fresh region, know that everything before it is covered)."""
    return f"<!--c:{seq}{' r' if refresh else ''}-->{html.strip()}"


# The ORM's update() cannot return the new value; SQLite (≥ 3.35) and PostgreSQL both speak
# UPDATE … RETURNING, so the cursor moves and is read in one statement.
_NEXT_SEQ = (
    'UPDATE "workshops_workshop" SET "live_seq" = "live_seq" + 1 WHERE "id" = %s '
    'RETURNING "live_seq"'
)


def next_seq(workshop_id: int) -> int:
    """Advance the workshop's cursor; its new value."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SEQ, [workshop_id])
        return cursor.fetchone()[0]


def publish(workshop: Workshop, kind: str, context: dict[str, Any] | None = None) -> LiveEvent:
    """Record one live event for `workshop` inside the caller's transaction.

    The template `insights/live/<kind>.html` is rendered once per view (with `view` set);
    the frames go out on commit, so no screen ever shows a row that was rolled back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the action's transaction")
    # The UPDATE takes the workshop's row lock: events of one workshop are numbered in
    # commit order, which is what lets a client trust "everything after my cursor".
    seq = workshop.live_seq = next_seq(workshop.pk)
    fragments = render_views(f"insights/live/{kind.replace('.', '_')}.html", workshop, context)
    event = LiveEvent.objects.create(workshop=workshop, seq=seq, kind=kind, fragments=fragments)
    # robust: the change is committed whatever happens to the broadcast (Redis down, say);
    # screens then catch up from the stored event (insights/fanout.py's resync, or replay).
    transaction.on_commit(lambda: send_frames(workshop.pk, seq, fragments), robust=True)
    return event


def render_views(
    template: str, workshop: Workshop, context: dict[str, Any] | None, views: Iterable[str] = VIEWS
) -> dict[str, str]:
    base = {"workshop": workshop, **(context or {})}
    # One render per view for the whole room: in the workshop's language, not the language
    # of whoever made the change.
    with translation.override(workshop.language):
        return {view: render_to_string(template, {**base, "view": view}).strip() for view in views}


def send_frames(workshop_id: int, seq: int, fragments: dict[str, str]) -> None:
    async_to_sync(_send_frames)(workshop_id, seq, fragments)


async def _send_frames(workshop_id: int, seq: int, fragments: dict[str, str]) -> None:
    layer = get_channel_layer()
    for view, html in fragments.items():
        group = live_group(workshop_id, view)
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
    from insights.fanout import PEOPLE_GROUP

    await get_channel_layer().group_send(
        PEOPLE_GROUP, {"type": "live.close", "participants": ids, "code": code}
    )


def missed_events(
    workshop_id: int, view: str, cursor: int
) -> tuple[list[tuple[int, str]] | None, int]:
    """Frames after `cursor` for `view`, oldest first, and the current cursor; None when the
    gap is too large to replay (the client then gets a fresh region instead)."""
    current = Workshop.objects.values_list("live_seq", flat=True).get(pk=workshop_id)
    if cursor >= current:
        return [], current
    if current - cursor > settings.LABBET_REPLAY_LIMIT:
        return None, current
    rows = LiveEvent.objects.filter(workshop_id=workshop_id, seq__gt=cursor).order_by("seq")
    return [
        (seq, frame(seq, frags.get(view, "")))
        for seq, frags in rows.values_list("seq", "fragments")
    ], current


def latest_cursors(workshop_ids: Iterable[int]) -> dict[int, int]:
    """Each workshop's current cursor, in one query."""
    return dict(Workshop.objects.filter(pk__in=list(workshop_ids)).values_list("pk", "live_seq"))


def frames_between(workshop_id: int, view: str, after: int, before: int) -> list[tuple[int, str]]:
    """The frames of events after `after` and before `before`, oldest first."""
    rows = LiveEvent.objects.filter(
        workshop_id=workshop_id, seq__gt=after, seq__lt=before
    ).order_by("seq")
    return [
        (seq, frame(seq, frags.get(view, "")))
        for seq, frags in rows.values_list("seq", "fragments")
    ]
