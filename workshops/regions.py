"""The live regions of each screen, and the data they show: used by the full page, by an
htmx response and by a socket's fresh refresh alike (one template per thing)."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.db.models import Count, QuerySet, Value
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from challenges import kept as kept_obstacles
from challenges.models import Challenge, Obstacle
from insights.cards import label_cards
from insights.duplicates import similar_context
from insights.models import Contribution, Theme
from insights.posting import posting_refusal
from insights.ranking import vote_panel_context, voting_context
from labbet import compiled
from workshops.log import annotate
from workshops.models import LogEntry, Participant, Workshop

logger = logging.getLogger(__name__)

PHONE_WALL_SIZE = 60
# The projector pages through its wall (static/js/projector.js), so it gets the whole wall up
# to a limit far past a big room's; what is past it still counts in the wall's total.
PROJECTOR_COLUMN_SIZE = 500
WALL_LIMIT = 500
# The console shows what waits and what was hidden as well, so its columns run longer.
CONSOLE_COLUMN_SIZE = 60
CONSOLE_LOG_SIZE = 30
# The room as every phone sees it, kept this long per (workshop, cursor, language): a hall
# that scans the QR code together is served one render. Every change moves the cursor (a new
# key); the time limit only bounds what a change made without an event could leave stale.
ROOM_CACHE_SECONDS = 30


def contributions_for(workshop: Workshop, view: str) -> QuerySet[Contribution]:
    qs = (
        Contribution.objects.filter(workshop=workshop, merged_into__isnull=True)
        .select_related("author", "obstacle", "theme")
        .prefetch_related("merged__author", "votes", "claims__receiver")
        .order_by("-pinned", "-created_at", "-id")
    )
    if view != "console":
        qs = qs.filter(status=Contribution.Status.VISIBLE)
    else:
        qs = qs.prefetch_related("edits")
    return qs


def obstacles_of(workshop: Workshop | int) -> QuerySet[Obstacle]:
    """The workshop's obstacles, in the challenge's order (each with its challenge, which
    the phone's choice is grouped by when there are several)."""
    return (
        Obstacle.objects.filter(challenge__workshop=workshop)
        .select_related("challenge")
        .order_by("challenge__order", "challenge_id", "order", "id")
    )


def workshop_obstacles(workshop: Workshop) -> tuple[Obstacle, ...]:
    """`obstacles_of`, asked by every post (its form's choice, its card's column, the next
    form) and every page. Kept in this process under the workshop's challenges_version, which
    every change of a challenge or obstacle moves in the same transaction: the room's row, read
    anyway, tells whether they are still what was read. Measured in process with the caches
    emptied between posts: 0.35 ms of a post's 4-5 ms was this read (the ORM's objects of
    each obstacle and challenge), though they change only while a labber prepares the room."""
    known = workshop.__dict__.get("_obstacles")
    if known is not None:
        return known
    key = (workshop.pk, workshop.created_at)  # a test database reuses primary keys
    kept = kept_obstacles.OBSTACLES.get(key)
    if kept is not None and kept[0] == workshop.challenges_version:
        known = kept[1]
    else:
        known = tuple(
            compiled.rows(
                Obstacle, "obstacles_of", lambda values: obstacles_of(values[0]), [workshop.pk]
            )
        )
        if len(kept_obstacles.OBSTACLES) >= kept_obstacles.KEPT:
            kept_obstacles.OBSTACLES.clear()
        # The version read with the room, before these rows: a change in between is kept
        # under the older version, and read again by the next request that sees the new one.
        kept_obstacles.OBSTACLES[key] = (workshop.challenges_version, known)
    workshop.__dict__["_obstacles"] = known
    return known


def by_obstacle(workshop: Workshop) -> bool:
    return bool(workshop_obstacles(workshop))


def resolved_layout(workshop: Workshop) -> str:
    """The wall's columns: by theme, by kind, or by obstacle when the challenge has any."""
    if workshop.wall_layout == Workshop.WallLayout.THEME:
        return "theme"
    if workshop.wall_layout == Workshop.WallLayout.KIND or not by_obstacle(workshop):
        return "kind"
    return "obstacle"


def column_key(contribution: Contribution, layout: str) -> str:
    if layout == "obstacle":
        return f"o{contribution.obstacle_id}" if contribution.obstacle_id else "general"
    if layout == "theme":
        return f"t{contribution.theme_id}" if contribution.theme_id else "unthemed"
    return contribution.kind


def card_contexts(contributions: Sequence[Contribution]) -> list[dict[str, Any]]:
    """What the live card templates need about each contribution: labelled in one pass, with
    the wall's layout read once (not once per card)."""
    cards = list(contributions)
    if not cards:
        return []
    label_cards(cards)
    layout = resolved_layout(cards[0].workshop)
    return [{"contribution": c, "column": column_key(c, layout)} for c in cards]


def card_context(contribution: Contribution) -> dict[str, Any]:
    return card_contexts([contribution])[0]


def room_counts(workshop: Workshop) -> dict[str, int]:
    """The room's counters. Read on every post, so both are counted from an index alone (see
    the Contribution's and the Participant's indexes), not from the rows, in one round trip:
    the posts by status, and the people who joined."""
    sql, params = _room_counts_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [workshop.pk if p == _ANY_WORKSHOP else p for p in params])
        by_status = dict(cursor.fetchall())
    return {
        "joined": by_status.get("joined", 0),
        "posts": by_status.get(Contribution.Status.VISIBLE, 0),
        "hidden": by_status.get(Contribution.Status.HIDDEN, 0),
        "pending": by_status.get(Contribution.Status.PENDING, 0),
    }


_ANY_WORKSHOP = -1  # no workshop has it: where the query's workshop id goes


@functools.cache
def _room_counts_query(vendor: str) -> tuple[str, tuple]:
    """room_counts's query as the ORM writes it, compiled once per database: compiling the
    union took seven times as long as the database takes to answer it (0.68 against 0.09 ms,
    on every post)."""
    joined = (
        Participant.objects.filter(workshop_id=_ANY_WORKSHOP, role=Participant.Role.AUDIENCE)
        .annotate(label=Value("joined"))
        .values_list("label")
        .annotate(n=Count("*"))
        .order_by()
    )
    query = (
        Contribution.objects.filter(workshop_id=_ANY_WORKSHOP, merged_into__isnull=True)
        .values_list("status")
        .annotate(n=Count("*"))
        .order_by()
        .union(joined, all=True)
    )
    return query.query.sql_with_params()


def _layout_columns(workshop: Workshop, layout: str) -> list[dict[str, Any]]:
    if layout == "theme":
        columns = [
            {"key": f"t{t.pk}", "title": t.name, "number": None, "theme": t}
            for t in Theme.objects.filter(workshop=workshop)
        ]
        columns.append({"key": "unthemed", "title": _("Not grouped yet"), "number": None})
        return columns
    if layout == "obstacle":
        columns = [
            {"key": f"o{o.pk}", "title": o.text, "number": i}
            for i, o in enumerate(workshop_obstacles(workshop), start=1)
        ]
        columns.append({"key": "general", "title": None, "number": None})
        return columns
    return [
        {"key": kind, "title": label, "number": None} for kind, label in Contribution.Kind.choices
    ]


def wall_columns(workshop: Workshop, view: str) -> list[dict[str, Any]]:
    size = CONSOLE_COLUMN_SIZE if view == "console" else PROJECTOR_COLUMN_SIZE
    layout = resolved_layout(workshop)
    contributions = label_cards(list(contributions_for(workshop, view)[:WALL_LIMIT]))
    columns = _layout_columns(workshop, layout)
    index = {c["key"]: c for c in columns}
    for column in columns:
        column["contributions"] = []
    for contribution in contributions:
        column = index.get(column_key(contribution, layout))
        if column is not None and len(column["contributions"]) < size:
            column["contributions"].append(contribution)
    return columns


def recent_log(workshop: Workshop, limit: int | None = CONSOLE_LOG_SIZE) -> list[LogEntry]:
    entries = LogEntry.objects.filter(workshop=workshop).select_related("actor", "contribution")
    return annotate(list(entries[:limit] if limit else entries))


def console_context(workshop: Workshop) -> dict[str, Any]:
    """What the console shows beyond the wall: the controls' state and the moderation log."""
    return {
        "log": recent_log(workshop),
        "themes": list(Theme.objects.filter(workshop=workshop)),
        "prompts": list(workshop.prompts.order_by("-created_at")[:6]),
        "phases": Workshop.Phase.choices,
        "moderation_modes": Workshop.Moderation.choices,
        "wall_layouts": Workshop.WallLayout.choices,
        "projector_themes": Workshop.ProjectorTheme.choices,
    }


def room_context(workshop: Workshop, wall: bool = False) -> dict[str, Any]:
    """The context of a room-wide live event: the projector's region, the phone's prompt and
    the console's controls (and its wall, when the columns themselves changed)."""
    context = region_context(workshop, "projector")
    context.update(console_context(workshop))
    context["console_columns"] = wall_columns(workshop, "console") if wall else None
    return context


def region_context(
    workshop: Workshop, view: str, participant: Participant | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "workshop": workshop,
        "view": view,
        "participant": participant,
        "challenges": list(
            Challenge.objects.filter(workshop=workshop)
            .select_related("challenger")
            .prefetch_related("obstacles")
        ),
        "prompt": workshop.current_prompt,
        "timer": timer_state(workshop),
        "posting_refusal": posting_refusal(workshop),
    }
    if view == "phone":
        context["contributions"] = label_cards(
            list(contributions_for(workshop, view)[:PHONE_WALL_SIZE])
        )
    else:
        context["columns"] = wall_columns(workshop, view)
        context["counts"] = room_counts(workshop)
        context["spotlight"] = spotlight_of(workshop)
    if view == "console":
        context.update(console_context(workshop))
        context.update(similar_context(workshop))
    # Voting (issue 5): the projector's and the console's ranking, a phone's own dots.
    context.update(voting_context(workshop, view, participant))
    return context


def clock(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timer_state(workshop: Workshop) -> dict[str, Any]:
    """The countdown as the screens show it. A running timer carries its end (seconds since
    the epoch): each screen counts down by itself, so no event is needed per second."""
    if workshop.timer_ends_at is not None:
        left = math.ceil((workshop.timer_ends_at - timezone.now()).total_seconds())
        return {
            "state": "running",
            "ends": f"{workshop.timer_ends_at.timestamp():.3f}",
            "seconds": max(0, left),
            "clock": clock(left),
        }
    if workshop.timer_remaining:
        left = workshop.timer_remaining
        return {"state": "paused", "seconds": left, "clock": clock(left)}
    if workshop.timer_remaining == 0:
        return {"state": "done", "seconds": 0, "clock": clock(0)}
    return {"state": "off", "seconds": 0, "clock": clock(workshop.timer_duration)}


def spotlight_of(workshop: Workshop) -> Contribution | None:
    """The one contribution the projector shows large (only ever a visible one)."""
    found = contributions_for(workshop, "projector").filter(spotlight=True).first()
    return label_cards([found])[0] if found else None


def phone_room(workshop: Workshop, cursor: int, oob: bool = False) -> dict[str, SafeString]:
    """The parts of the phone's page that are the same for every phone in the room (its
    prompt with the timer, and the wall), in the current language, rendered once per change
    and kept in the cache (Redis in a scale-out, this process's memory embedded). The
    per-person parts (the form, one's own dots) are rendered per request.

    `cursor` is the room's event cursor read before this call: what the cache holds for it
    was rendered at that cursor or later, and a phone replays everything after its cursor
    (replaying an event already shown changes nothing), as with a render of its own."""
    born = int(workshop.created_at.timestamp() * 1e6)  # a reused id is another workshop
    key = f"room:{workshop.pk}.{born}:{cursor}:phone{':oob' if oob else ''}:"
    key += translation.get_language()
    if workshop.timer_ends_at is not None:
        # A running countdown's clock text, and the lock at zero, move with time.
        key += f":{int(timezone.now().timestamp())}"
    parts = _cached(key)
    if parts is None:
        context = region_context(workshop, "phone")
        context["oob"] = oob
        parts = {
            "prompt": render_to_string("workshops/_phone_prompt.html", context),
            "wall": render_to_string("workshops/_phone_wall.html", context),
        }
        _keep(key, {k: str(v) for k, v in parts.items()})
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 (rendered)


def _cached(key: str) -> Any:
    try:
        return caches["rooms"].get(key)
    except Exception:
        # Redis in a scale-out; while it is down every phone gets a render of its own rather
        # than an error page (as labbet.limits lets people in).
        logger.warning("room cache unavailable; rendering without it", exc_info=True)
        return None


def _keep(key: str, value: Any) -> None:
    try:
        caches["rooms"].set(key, value, ROOM_CACHE_SECONDS)
    except Exception:
        logger.warning("room cache unavailable; the render is not kept", exc_info=True)


def render_region(
    workshop: Workshop, view: str, participant: Participant | None = None, oob: bool = False
) -> str:
    if view == "phone":
        context = phone_context(workshop, participant, oob)
        return render_to_string("workshops/_phone_live.html", context)
    context = region_context(workshop, view, participant)
    context["oob"] = oob
    return render_to_string(f"workshops/_{view}_live.html", context)


def phone_context(
    workshop: Workshop, participant: Participant | None, oob: bool = False
) -> dict[str, Any]:
    """A phone's page or fresh region: the room's part from the cache, the person's own
    part (their dots) rendered for them."""
    # The cursor is read before the wall: whatever commits in between is replayed, not lost.
    cursor = workshop.live_seq
    context = {
        "workshop": workshop,
        "view": "phone",
        "participant": participant,
        "cursor": cursor,
        "oob": oob,
        "room": phone_room(workshop, cursor, oob),  # the same for every phone: rendered once
    }
    if participant is not None and workshop.voting_open:
        context.update(vote_panel_context(workshop, participant))
    return context
