"""Dot voting in the prioritise phase: a labber opens and closes it, the audience spends its
dots on suggestions, and the projector's ranking follows live. Each move runs in one
transaction and publishes on commit, like every action (see insights/actions/posts.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights import crowd
from insights.cards import label_cards
from insights.errors import ActionRefused
from insights.live import publish
from insights.models import Contribution, Vote
from insights.ranking import can_vote, dots_used, leading_dots, ranking_context, tallies_public
from labbet.limits import check_vote_rate
from workshops.models import LogEntry, Participant, Workshop, locked_workshop
from workshops.regions import PHONE_WALL_SIZE, card_context, contributions_for, region_context

MAX_DOTS = 20


def _publish_votes(workshop: Workshop, contribution: Contribution) -> None:
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
        workshop = locked_workshop(workshop)
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
        workshop = locked_workshop(workshop)
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
        workshop = locked_workshop(workshop)
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
