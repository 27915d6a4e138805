"""Live events: each change is numbered with the workshop's cursor, rendered once per view,
stored for replay, and sent to the screens only after the transaction commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation

from insights.models import LiveEvent
from workshops.models import Workshop

logger = logging.getLogger(__name__)

# The views a workshop's screens are in; each (view, language) is one channel-layer group,
# rendered once.
VIEWS = ("phone", "projector", "console")
FRAME_CURSOR = re.compile(r"^<!--c:(\d+)( r)?-->")

# A process that serves a (view, language) group says so in the cache (the shared Redis in a
# scale-out) and says it again while it still does; a publisher renders the workshop's own
# language always and another only while someone there reads it. A group gone quiet costs a
# render per event for at most this long.
PRESENCE_TTL = 30

# Every process's relay channel is in this group (insights/fanout.py): a revoked invitation
# closes that person's sockets wherever they are open (close_sockets_of).
PEOPLE_GROUP = "labbet.people"


def live_group(workshop_id: int, view: str, language: str) -> str:
    return f"labbet.w{workshop_id}.{view}.{language}"


def parse_group(group: str) -> tuple[int, str, str]:
    """labbet.w<id>.<view>.<language> → (id, view, language)."""
    _prefix, workshop, view, language = group.split(".")
    return int(workshop[1:]), view, language


def fragment_key(view: str, language: str, workshop_language: str) -> str:
    """Where an event keeps a view's fragment in `language`: the workshop's own language under
    the view's name (what every room has), any other as view.language."""
    return view if language == workshop_language else f"{view}.{language}"


def fragment_for(fragments: dict[str, str], view: str, language: str) -> str:
    """The view's fragment in `language`, or in the workshop's language when the event was
    rendered before any screen in `language` joined (a join and a publish a moment apart)."""
    return fragments.get(f"{view}.{language}") or fragments.get(view, "")


def _presence_key(workshop_id: int, view: str, language: str) -> str:
    return f"live.present.w{workshop_id}.{view}.{language}"


def mark_present(groups: Iterable[str]) -> None:
    """These groups have sockets in this process (for PRESENCE_TTL seconds)."""
    keys = {_presence_key(*parse_group(group)): 1 for group in groups}
    if keys:
        cache.set_many(keys, timeout=PRESENCE_TTL)


def other_languages(workshop: Workshop) -> list[tuple[str, str]]:
    """The (view, language) pairs besides the workshop's own language that screens read now,
    in any process; one cache round."""
    wanted = {
        _presence_key(workshop.pk, view, language): (view, language)
        for view in VIEWS
        for language, _name in settings.LANGUAGES
        if language != workshop.language
    }
    if not wanted:
        return []
    return [wanted[key] for key in cache.get_many(list(wanted))]


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

    The template `insights/live/<kind>.html` is rendered once per view (with `view` set) and
    language read in the room; the frames go out on commit, so no screen ever shows a row
    that was rolled back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the action's transaction")
    # The UPDATE takes the workshop's row lock: events of one workshop are numbered in
    # commit order, which is what lets a client trust "everything after my cursor".
    seq = workshop.live_seq = next_seq(workshop.pk)
    template = f"insights/live/{kind.replace('.', '_')}.html"
    fragments = render_views(template, workshop, context)
    try:
        others = other_languages(workshop)
    except Exception:
        # The cache (Redis) is down: render every language rather than leave a screen behind.
        logger.warning("live: could not read which languages the room reads", exc_info=True)
        others = [(view, lang) for view in VIEWS for lang, _n in settings.LANGUAGES]
    for view, language in others:
        if language == workshop.language:
            continue
        rendered = render_views(template, workshop, context, views=[view], language=language)
        fragments[fragment_key(view, language, workshop.language)] = rendered[view]
    event = LiveEvent.objects.create(workshop=workshop, seq=seq, kind=kind, fragments=fragments)
    # robust: the change is committed whatever happens to the broadcast (Redis down, say);
    # screens then catch up from the stored event (insights/fanout.py's resync, or replay).
    language = workshop.language
    transaction.on_commit(lambda: send_frames(workshop.pk, language, seq, fragments), robust=True)
    return event


def render_views(
    template: str,
    workshop: Workshop,
    context: dict[str, Any] | None,
    views: Iterable[str] = VIEWS,
    language: str | None = None,
) -> dict[str, str]:
    """One render per view for the whole room, in `language` (by default the workshop's), not
    the language of whoever made the change."""
    base = {"workshop": workshop, **(context or {})}
    with translation.override(language or workshop.language):
        return {view: render_to_string(template, {**base, "view": view}).strip() for view in views}


def send_frames(workshop_id: int, language: str, seq: int, fragments: dict[str, str]) -> None:
    async_to_sync(_send_frames)(workshop_id, language, seq, fragments)


async def _send_frames(
    workshop_id: int, language: str, seq: int, fragments: dict[str, str]
) -> None:
    """`language` is the workshop's: the fragments under a bare view name are in it."""
    layer = get_channel_layer()
    for key, html in fragments.items():
        view, _dot, other = key.partition(".")
        group = live_group(workshop_id, view, other or language)
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
    workshop_id: int, view: str, language: str, cursor: int
) -> tuple[list[tuple[int, str]] | None, int]:
    """Frames after `cursor` for `view` in `language`, oldest first, and the current cursor;
    None when the gap is too large to replay, or an event was rendered before anyone read
    `language` (the client then gets a fresh region in its language instead)."""
    current, workshop_language = Workshop.objects.values_list("live_seq", "language").get(
        pk=workshop_id
    )
    if cursor >= current:
        return [], current
    if current - cursor > settings.LABBET_REPLAY_LIMIT:
        return None, current
    rows = LiveEvent.objects.filter(workshop_id=workshop_id, seq__gt=cursor).order_by("seq")
    key = fragment_key(view, language, workshop_language)
    frames = []
    for seq, frags in rows.values_list("seq", "fragments"):
        if key not in frags and key != view:
            return None, current
        frames.append((seq, frame(seq, frags.get(key, ""))))
    return frames, current


def latest_cursors(workshop_ids: Iterable[int]) -> dict[int, int]:
    """Each workshop's current cursor, in one query."""
    return dict(Workshop.objects.filter(pk__in=list(workshop_ids)).values_list("pk", "live_seq"))


def frames_between(
    workshop_id: int, view: str, language: str, after: int, before: int
) -> list[tuple[int, str]]:
    """The frames of events after `after` and before `before`, oldest first."""
    rows = LiveEvent.objects.filter(
        workshop_id=workshop_id, seq__gt=after, seq__lt=before
    ).order_by("seq")
    return [
        (seq, frame(seq, fragment_for(frags, view, language)))
        for seq, frags in rows.values_list("seq", "fragments")
    ]
