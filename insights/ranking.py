"""Dot voting as the screens show it: the ranking, the tallies (unless hidden), and a phone's
own dots. Read by the screens' regions (workshops/regions.py) and by the voting moves
(insights/actions/votes.py) for the events they publish."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from insights.cards import label_cards
from insights.models import Contribution, Vote
from workshops.models import Participant, Workshop

PROJECTOR_RANKING_SIZE = 10
CONSOLE_RANKING_SIZE = 40


def tallies_public(workshop: Workshop) -> bool:
    """Whether the room may see the tallies: always, unless the labber hid them while voting
    is open (to avoid herding). Labbers on the console always see them."""
    return not (workshop.hide_tallies and workshop.voting_open)


def shows_ranking(workshop: Workshop) -> bool:
    """The projector shows the ranking instead of the wall while the room votes and hands
    over (where the receivers' claims are the news)."""
    return workshop.voting_open or workshop.phase in (
        Workshop.Phase.PRIORITISE,
        Workshop.Phase.HANDOVER,
    )


def suggestions_of(workshop: Workshop) -> QuerySet[Contribution]:
    return Contribution.objects.filter(
        workshop=workshop,
        kind=Contribution.Kind.SUGGESTION,
        status=Contribution.Status.VISIBLE,
        merged_into__isnull=True,
    )


def ranked_suggestions(
    workshop: Workshop, *, by_votes: bool = True, limit: int | None = None
) -> list[Contribution]:
    """The room's suggestions, most dots first (ties: first posted first), each labelled for
    the card template and given its `rank`: equal dots share a rank and the next rank counts
    them all (1, 2, 2, 4), and a suggestion without dots has no rank (None). With `by_votes`
    off (tallies hidden) they keep posting order: the order alone would give the tallies away."""
    qs = (
        suggestions_of(workshop)
        .annotate(total_dots=Sum("votes__dots", default=0))
        .select_related("author", "obstacle", "theme", "workshop")
        .prefetch_related("merged__author", "votes", "claims__receiver")
    )
    qs = qs.order_by("-total_dots", "created_at", "id") if by_votes else qs.order_by("created_at")
    items = label_cards(list(qs[:limit] if limit else qs))
    previous, rank = None, 0
    for position, item in enumerate(items, start=1):
        if item.total_dots != previous:
            rank, previous = position, item.total_dots
        item.rank = rank if by_votes and item.total_dots else None
    return items


def dots_spent(workshop: Workshop) -> int:
    return Vote.objects.filter(contribution__workshop=workshop).aggregate(n=Sum("dots", default=0))[
        "n"
    ]


def leading_dots(workshop: Workshop) -> int:
    """The most dots on one suggestion: the full length of every vote bar (at least 1, as a
    bar of a share of nothing is empty)."""
    top = (
        suggestions_of(workshop)
        .annotate(total_dots=Sum("votes__dots", default=0))
        .order_by("-total_dots")
        .values_list("total_dots", flat=True)
        .first()
    )
    return top or 1


def ranking_context(workshop: Workshop, view: str) -> dict[str, Any]:
    by_votes = view == "console" or tallies_public(workshop)
    size = CONSOLE_RANKING_SIZE if view == "console" else PROJECTOR_RANKING_SIZE
    ranking = ranked_suggestions(workshop, by_votes=by_votes, limit=size)
    return {
        "ranking": ranking,
        "ranking_by_votes": by_votes,
        # The bar's full length: the leader's dots (a bar of a share of nothing is empty).
        "vote_max": max((c.dot_count for c in ranking), default=0) or 1,
        "dots_spent": dots_spent(workshop),
    }


def dots_used(workshop: Workshop, participant: Participant) -> int:
    return Vote.objects.filter(participant=participant, contribution__workshop=workshop).aggregate(
        n=Sum("dots", default=0)
    )["n"]


def can_vote(participant: Participant | None) -> bool:
    # Dots are the audience's: labbers steer and receivers take things forward.
    return participant is not None and participant.role == Participant.Role.AUDIENCE


def vote_panel_context(
    workshop: Workshop, participant: Participant, error: str = ""
) -> dict[str, Any]:
    """One phone's own voting panel: its dots left and where it put them. Personal, so it is
    rendered for that phone only (an HTTP answer or its fresh region), never broadcast."""
    mine = dict(
        Vote.objects.filter(participant=participant, contribution__workshop=workshop).values_list(
            "contribution_id", "dots"
        )
    )
    suggestions = list(suggestions_of(workshop).order_by("created_at", "id"))
    for suggestion in suggestions:
        suggestion.my_dots = mine.get(suggestion.pk, 0)
        suggestion.my_dot_marks = "●" * suggestion.my_dots
    used = sum(mine.values())
    return {
        "vote_suggestions": suggestions,
        "dots_used": used,
        "dots_left": max(0, workshop.dots_per_person - used),
        "may_vote": can_vote(participant),
        "vote_error": error,
    }


def voting_context(
    workshop: Workshop, view: str, participant: Participant | None = None
) -> dict[str, Any]:
    """What a screen's live region needs about voting (see workshops.regions.region_context)."""
    context: dict[str, Any] = {
        "show_ranking": shows_ranking(workshop),
        "tallies_public": tallies_public(workshop),
    }
    if view == "console" or (view == "projector" and context["show_ranking"]):
        context.update(ranking_context(workshop, view))
    if view == "phone" and context["tallies_public"]:
        # The phones' cards show the tallies as bars too, as long as the room may see them.
        context["vote_max"] = leading_dots(workshop)
    if view == "phone" and participant is not None and workshop.voting_open:
        context.update(vote_panel_context(workshop, participant))
    return context
