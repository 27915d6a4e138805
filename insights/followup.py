"""What came of a workshop's suggestions: the claimed ones with their reports, and a timeline
per suggestion (posted → merged → voted → claimed → each status change). Read-only; shared
by the public follow-up page, the receiver's dashboard and the challenger's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights.models import Claim, Contribution, FollowUp
from workshops.models import LogEntry, Participant, Workshop


@dataclass
class Moment:
    """One step of a suggestion's story. Never carries a private note or an address."""

    when: datetime
    kind: str  # posted, merged, voted, claimed, status, report
    title: str
    text: str = ""
    link: str = ""


def who(participant: Participant | None) -> str:
    if participant is None:
        return _("Someone")
    if participant.role == Participant.Role.RECEIVER:
        return participant.organisation or participant.display_name
    if participant.role == Participant.Role.CHALLENGER:
        return _("The challenger")
    if participant.role == Participant.Role.LABBER:
        return _("A labber")
    return _("Someone")


def claims_prefetch() -> Prefetch:
    follow_ups = FollowUp.objects.select_related("author").order_by("created_at", "id")
    return Prefetch(
        "claims",
        queryset=Claim.objects.select_related("receiver").prefetch_related(
            Prefetch("follow_ups", queryset=follow_ups)
        ),
    )


def with_story(qs: QuerySet[Contribution]) -> QuerySet[Contribution]:
    return qs.select_related("challenge", "obstacle").prefetch_related(
        claims_prefetch(), "votes", "merged"
    )


def timeline(contribution: Contribution) -> list[Moment]:
    """The suggestion's story, oldest first (the contribution comes from `with_story`)."""
    moments = [Moment(contribution.created_at, "posted", _("Posted in the workshop"))]
    merges = list(
        LogEntry.objects.filter(contribution=contribution, action="merge", undone_at__isnull=True)
    )
    for merged in contribution.merged.all():
        when = next(
            (e.created_at for e in merges if merged.pk in (e.data or {}).get("merged", [])),
            merged.updated_at,
        )
        moments.append(Moment(when, "merged", _("A similar post was merged into it"), merged.text))
    votes = list(contribution.votes.all())
    if votes:
        dots = sum(v.dots for v in votes)
        moments.append(
            Moment(
                max(v.created_at for v in votes),
                "voted",
                ngettext("Got %(n)d dot in the vote", "Got %(n)d dots in the vote", dots)
                % {"n": dots},
            )
        )
    for claim in contribution.claims.all():
        moments.append(
            Moment(
                claim.created_at,
                "claimed",
                _("Taken forward by %(who)s") % {"who": who(claim.receiver)},
            )
        )
        status = Claim.Status.CLAIMED
        for report in claim.follow_ups.all():
            if report.status != status:
                title = _("%(who)s: %(status)s") % {
                    "who": who(claim.receiver),
                    "status": report.get_status_display(),
                }
                kind, status = "status", report.status
            else:
                title = _("%(who)s reported") % {"who": who(report.author)}
                kind = "report"
            moments.append(Moment(report.created_at, kind, title, report.text, report.link))
    return sorted(moments, key=lambda m: m.when)


def claimed_suggestions(workshop: Workshop) -> list[Contribution]:
    """The workshop's claimed suggestions, most recently active first, each with `story`."""
    suggestions = list(
        with_story(
            Contribution.objects.filter(
                workshop=workshop,
                kind=Contribution.Kind.SUGGESTION,
                status=Contribution.Status.VISIBLE,
                merged_into__isnull=True,
                claims__isnull=False,
            ).distinct()
        )
    )
    for suggestion in suggestions:
        suggestion.story = timeline(suggestion)
        suggestion.dot_total = sum(v.dots for v in suggestion.votes.all())
    return sorted(suggestions, key=lambda s: s.story[-1].when, reverse=True)
