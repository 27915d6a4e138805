"""Dot voting in the prioritise phase: a labber opens and closes it, the audience spends its
dots on suggestions, and the projector's ranking follows live. Each move runs in one
transaction and publishes on commit, like every action (see insights/actions.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights import crowd
from insights.errors import ActionRefused
from insights.live import publish
from insights.models import Contribution, Vote
from labbet.limits import check_vote_rate
from workshops.models import LogEntry, Participant, Workshop, lock_workshop

PROJECTOR_RANKING_SIZE = 10
CONSOLE_RANKING_SIZE = 40
MAX_DOTS = 20


def _locked_workshop(workshop: Workshop) -> Workshop:
    return lock_workshop(workshop.pk)


# --- What the screens show. ---


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
    from workshops.regions import label_cards

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


def _publish_votes(workshop: Workshop, contribution: Contribution) -> None:
    from workshops.regions import card_context

    publish(
        workshop,
        "vote.changed",
        {
            **card_context(contribution),
            **ranking_context(workshop, "projector"),
            "console_ranking": ranking_context(workshop, "console"),
            "tallies_public": tallies_public(workshop),
            "phone_vote_max": leading_dots(workshop),
        },
    )


# --- The labber's moves. ---


def _log(workshop: Workshop, actor: Participant | None, action: str, before, after) -> None:
    # The same shape as the console's other room moves (workshops.log): before and after.
    LogEntry.objects.create(
        workshop=workshop,
        actor=actor,
        action=action,
        data={"workshop": {"before": before, "after": after}},
    )


VOTING_FIELDS = (
    "voting_open",
    "dots_per_person",
    "dots_per_suggestion",
    "hide_tallies",
    "late_voters",
)


def _set_voting(
    workshop: Workshop, actor: Participant | None, is_open: bool, **settings: Any
) -> Workshop:
    with transaction.atomic():
        workshop = _locked_workshop(workshop)
        if is_open and (workshop.is_closed or workshop.phase == Workshop.Phase.CLOSED):
            raise ActionRefused(_("This workshop has closed; voting cannot open again."), "closed")
        values = {"voting_open": is_open, **{k: v for k, v in settings.items() if v is not None}}
        per_person = values.get("dots_per_person", workshop.dots_per_person)
        per_suggestion = values.get("dots_per_suggestion", workshop.dots_per_suggestion)
        if not 1 <= per_person <= MAX_DOTS:
            raise ActionRefused(
                _("Give each person between 1 and %(max)d dots.") % {"max": MAX_DOTS}, "invalid"
            )
        if not 1 <= per_suggestion <= per_person:
            raise ActionRefused(
                _("Dots on one suggestion: at least 1 and at most the dots a person has."),
                "invalid",
            )
        before = {name: getattr(workshop, name) for name in VOTING_FIELDS}
        for name, value in values.items():
            setattr(workshop, name, value)
        after = {name: getattr(workshop, name) for name in VOTING_FIELDS}
        if before == after:
            return workshop
        fields = list(values)
        if is_open and not before["voting_open"]:
            # Phones that join from now on do not vote, unless late_voters (see _check_voting).
            workshop.voting_opened_at = timezone.now()
            fields.append("voting_opened_at")
        workshop.save(update_fields=fields)
        _log(workshop, actor, "voting:open" if is_open else "voting:close", before, after)
        publish(workshop, "voting.changed", _voting_event_context(workshop))
    return workshop


def _voting_event_context(workshop: Workshop) -> dict[str, Any]:
    from workshops.regions import PHONE_WALL_SIZE, contributions_for, label_cards, region_context

    # The projector's whole region (ranking or wall), the phones' wall (tallies may show or
    # hide now) and the console's voting controls and ranking.
    context = region_context(workshop, "projector")
    context["phone_contributions"] = label_cards(
        list(contributions_for(workshop, "phone")[:PHONE_WALL_SIZE])
    )
    context["console_ranking"] = ranking_context(workshop, "console")
    context["dots_spent"] = context["console_ranking"]["dots_spent"]
    context["phone_vote_max"] = leading_dots(workshop)
    return context


def open_voting(
    workshop: Workshop,
    actor: Participant | None,
    *,
    dots_per_person: int | None = None,
    dots_per_suggestion: int | None = None,
    hide_tallies: bool | None = None,
    late_voters: bool | None = None,
) -> Workshop:
    """Open dot voting (optionally with new dots and tally settings); phones show their dots
    and the projector the ranking."""
    return _set_voting(
        workshop,
        actor,
        True,
        dots_per_person=dots_per_person,
        dots_per_suggestion=dots_per_suggestion,
        hide_tallies=hide_tallies,
        late_voters=late_voters,
    )


def close_voting(workshop: Workshop, actor: Participant | None) -> Workshop:
    """Close voting; hidden tallies show now. The dots stay where they are."""
    return _set_voting(workshop, actor, False)


# --- The audience's moves. ---


def _voting_suggestion(workshop: Workshop, contribution_id: int) -> Contribution:
    contribution = (
        Contribution.objects.select_for_update()
        .filter(pk=contribution_id, workshop=workshop)
        .first()
    )
    if contribution is None:
        raise ActionRefused(_("That suggestion is not part of this workshop."), "invalid")
    if not contribution.is_suggestion:
        raise ActionRefused(_("Dots go on suggestions, not on insights."), "invalid")
    if not contribution.is_visible:
        raise ActionRefused(_("That suggestion is no longer on the wall."), "gone")
    return contribution


def _check_voting(workshop: Workshop, participant: Participant) -> None:
    if participant.workshop_id != workshop.pk:
        raise ActionRefused(_("You can only vote in the workshop you joined."), "forbidden")
    if workshop.is_closed or workshop.phase == Workshop.Phase.CLOSED:
        raise ActionRefused(_("This workshop has closed; the dots stay where they are."), "closed")
    if not workshop.voting_open:
        raise ActionRefused(
            _("Voting is not open right now. The labbers will open it in the prioritise phase."),
            "closed",
        )
    if not can_vote(participant):
        raise ActionRefused(_("The dots are for the audience."), "forbidden")
    if late_to_vote(workshop, participant):
        raise ActionRefused(
            _(
                "Voting opened before this phone joined, so the dots are for those who were "
                "already here. Ask a labber if you should have some."
            ),
            "late",
        )


def late_to_vote(workshop: Workshop, participant: Participant) -> bool:
    """A phone that joined after voting opened, unless the labbers let late joiners vote: a
    cookie made during the vote is not one more voter (README: Fairness)."""
    opened = workshop.voting_opened_at
    return not workshop.late_voters and opened is not None and participant.created_at > opened


def add_dot(workshop: Workshop, participant: Participant, contribution_id: int) -> int:
    """Put one dot on a suggestion; the dots this person has left."""
    check_vote_rate(participant)
    with transaction.atomic():
        workshop = _locked_workshop(workshop)
        _check_voting(workshop, participant)
        contribution = _voting_suggestion(workshop, contribution_id)
        used = dots_used(workshop, participant)
        if used >= workshop.dots_per_person:
            raise ActionRefused(
                ngettext(
                    "You have used your %(count)d dot. Take it back to move it.",
                    "You have used all your %(count)d dots. Take one back to move it.",
                    workshop.dots_per_person,
                )
                % {"count": workshop.dots_per_person},
                "budget",
            )
        vote = Vote.objects.filter(contribution=contribution, participant=participant).first()
        if vote is not None and vote.dots >= workshop.dots_per_suggestion:
            raise ActionRefused(
                ngettext(
                    "At most %(count)d dot per suggestion: spend the others elsewhere.",
                    "At most %(count)d dots per suggestion: spend the others elsewhere.",
                    workshop.dots_per_suggestion,
                )
                % {"count": workshop.dots_per_suggestion},
                "budget",
            )
        if vote is None:
            Vote.objects.create(contribution=contribution, participant=participant)
        else:
            vote.dots += 1
            vote.save(update_fields=["dots"])
        crowd.note(workshop, participant, "votes", str(contribution.pk), contribution)
        _publish_votes(workshop, contribution)
        return workshop.dots_per_person - used - 1


def take_back_dot(workshop: Workshop, participant: Participant, contribution_id: int) -> int:
    """Take one dot back from a suggestion; the dots this person has left."""
    check_vote_rate(participant)
    with transaction.atomic():
        workshop = _locked_workshop(workshop)
        _check_voting(workshop, participant)
        contribution = _voting_suggestion(workshop, contribution_id)
        vote = Vote.objects.filter(contribution=contribution, participant=participant).first()
        if vote is None:
            raise ActionRefused(_("You have no dot on that suggestion to take back."), "invalid")
        if vote.dots > 1:
            vote.dots -= 1
            vote.save(update_fields=["dots"])
        else:
            vote.delete()
        _publish_votes(workshop, contribution)
        return workshop.dots_per_person - dots_used(workshop, participant)
