"""The live regions of each screen, and the data they show: used by the full page, by an
htmx response and by a socket's fresh refresh alike (one template per thing)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string

from challenges.models import Challenge, Obstacle
from insights.models import Contribution
from workshops.models import Participant, Workshop

PHONE_WALL_SIZE = 60
PROJECTOR_COLUMN_SIZE = 24


def contributions_for(workshop: Workshop, view: str) -> QuerySet[Contribution]:
    qs = (
        Contribution.objects.filter(workshop=workshop, merged_into__isnull=True)
        .select_related("author", "obstacle", "theme")
        .order_by("-created_at", "-id")
    )
    if view != "console":
        qs = qs.filter(status=Contribution.Status.VISIBLE)
    return qs


def by_obstacle(workshop: Workshop) -> bool:
    return Obstacle.objects.filter(challenge__workshop=workshop).exists()


def column_key(contribution: Contribution, obstacle_columns: bool) -> str:
    if obstacle_columns:
        return f"o{contribution.obstacle_id}" if contribution.obstacle_id else "general"
    return contribution.kind


def card_context(contribution: Contribution) -> dict[str, Any]:
    """What the live card templates need about one contribution."""
    return {
        "contribution": contribution,
        "column": column_key(contribution, by_obstacle(contribution.workshop)),
    }


def room_counts(workshop: Workshop) -> dict[str, int]:
    return workshop.participants.aggregate(
        joined=Count("pk", filter=Q(role=Participant.Role.AUDIENCE)),
    ) | {
        "posts": Contribution.objects.filter(
            workshop=workshop, status=Contribution.Status.VISIBLE, merged_into__isnull=True
        ).count()
    }


def wall_columns(workshop: Workshop, view: str) -> list[dict[str, Any]]:
    contributions = list(contributions_for(workshop, view)[:400])
    obstacles = list(
        Obstacle.objects.filter(challenge__workshop=workshop).order_by(
            "challenge__order", "order", "id"
        )
    )
    if obstacles:
        columns = [
            {"key": f"o{o.pk}", "title": o.text, "number": i}
            for i, o in enumerate(obstacles, start=1)
        ]
        columns.append({"key": "general", "title": None, "number": None})
    else:
        columns = [
            {"key": kind, "title": label, "number": None}
            for kind, label in Contribution.Kind.choices
        ]
    index = {c["key"]: c for c in columns}
    for column in columns:
        column["contributions"] = []
    for contribution in contributions:
        column = index[column_key(contribution, bool(obstacles))]
        if len(column["contributions"]) < PROJECTOR_COLUMN_SIZE:
            column["contributions"].append(contribution)
    return columns


def region_context(
    workshop: Workshop, view: str, participant: Participant | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "workshop": workshop,
        "view": view,
        "participant": participant,
        "challenges": list(
            Challenge.objects.filter(workshop=workshop).prefetch_related("obstacles")
        ),
        "prompt": workshop.current_prompt,
    }
    if view == "phone":
        context["contributions"] = list(contributions_for(workshop, view)[:PHONE_WALL_SIZE])
    else:
        context["columns"] = wall_columns(workshop, view)
        context["counts"] = room_counts(workshop)
        context["spotlight"] = contributions_for(workshop, view).filter(spotlight=True).first()
    return context


def render_region(
    workshop: Workshop, view: str, participant: Participant | None = None, oob: bool = False
) -> str:
    context = region_context(workshop, view, participant)
    context["oob"] = oob
    return render_to_string(f"workshops/_{view}_live.html", context)
