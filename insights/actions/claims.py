"""Claims and follow-ups: a receiver takes a suggestion forward, reports on it afterwards, and
the people who posted it hear about it by email (only if they left an address). Each move runs
in one transaction and publishes on commit, like every action (see insights/actions/posts.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insights.errors import ActionRefused
from insights.live import publish
from insights.models import Claim, Contribution, FollowUp
from labbet.mail import MailRun, build_email, send_each, unsubscribe_token
from workshops.invites import public_url
from workshops.models import Participant, Workshop, locked_workshop

logger = logging.getLogger(__name__)

MAX_NOTE = 1000


def _publish_claims(workshop: Workshop, contribution: Contribution) -> None:
    """Every screen that shows the suggestion's card updates its badges in place."""
    publish(
        workshop,
        "claim.changed",
        {
            "contribution": Contribution.objects.prefetch_related("claims__receiver").get(
                pk=contribution.pk
            )
        },
    )


def claim_suggestion(
    contribution: Contribution, receiver: Participant, note: str = "", *, base_url: str = ""
) -> Claim:
    """The receiver takes the suggestion forward ("we take this forward"); the room sees
    their organisation on its card at once, and whoever posted it is told by email."""
    if receiver.role != Participant.Role.RECEIVER:
        raise ActionRefused(_("Only receivers can take suggestions forward."), "forbidden")
    if not receiver.invite_is_valid():
        raise ActionRefused(
            _("Your invitation has been withdrawn. Ask a labber for a new link."), "forbidden"
        )
    if receiver.workshop_id != contribution.workshop_id:
        raise ActionRefused(
            _(
                "You are a receiver in another workshop. Open this workshop's invitation "
                "link to take its suggestions forward."
            ),
            "forbidden",
        )
    with transaction.atomic():
        workshop = locked_workshop(contribution.workshop_id)
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if not contribution.is_suggestion:
            raise ActionRefused(_("Only suggestions can be taken forward, not insights."))
        if not contribution.is_visible:
            raise ActionRefused(_("That suggestion is no longer on the wall."), "gone")
        if Claim.objects.filter(contribution=contribution, receiver=receiver).exists():
            raise ActionRefused(_("You have already claimed this suggestion."), "duplicate")
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    contribution=contribution, receiver=receiver, note=note[:MAX_NOTE]
                )
        except IntegrityError:
            # A double tap raced the check above; the first one stands.
            raise ActionRefused(
                _("You have already claimed this suggestion."), "duplicate"
            ) from None
        _publish_claims(workshop, contribution)
        transaction.on_commit(lambda: notify_contributors(claim, None, base_url))
    return claim


def _is_labber_of(actor: Participant, workshop_id: int) -> bool:
    return actor.is_labber and actor.workshop_id == workshop_id


def withdraw_claim(claim: Claim, actor: Participant) -> None:
    """Take a claim back (a wrong tap, a change of mind in the room). Once someone has
    reported on it, the history stays: park it instead."""
    with transaction.atomic():
        workshop = locked_workshop(claim.contribution.workshop_id)
        claim = Claim.objects.select_for_update().filter(pk=claim.pk).first()
        if claim is None:
            raise ActionRefused(_("That claim was already withdrawn."), "gone")
        if actor.pk != claim.receiver_id and not _is_labber_of(actor, workshop.pk):
            raise ActionRefused(
                _("Only the receiver who claimed it or a labber can withdraw a claim."),
                "forbidden",
            )
        if claim.follow_ups.exists():
            raise ActionRefused(
                _(
                    "This claim already has follow-up reports, so it stays. "
                    "Park it with a reason instead."
                )
            )
        contribution = claim.contribution
        claim.delete()
        _publish_claims(workshop, contribution)


def may_change_status(actor: Participant, claim: Claim) -> bool:
    """Only the claim's receiver or a labber moves its status; a challenger reports only."""
    return actor.pk == claim.receiver_id or _is_labber_of(actor, claim.receiver.workshop_id)


def may_report(actor: Participant, claim: Claim) -> bool:
    if may_change_status(actor, claim):
        return actor.is_labber or actor.invite_is_valid()
    if actor.role != Participant.Role.CHALLENGER or not actor.invite_is_valid():
        return False
    challenge = claim.contribution.challenge
    if actor.workshop_id != claim.contribution.workshop_id:
        return False
    # A suggestion about the challenge as a whole belongs to every challenger of the workshop.
    return challenge is None or challenge.challenger_id == actor.pk


def post_follow_up(
    claim: Claim,
    author: Participant,
    *,
    text: str = "",
    status: str | None = None,
    link: str = "",
    base_url: str = "",
) -> FollowUp:
    """A dated report on a claim, and with it (receiver or labber only) a new status:
    claimed → in progress → done, or parked with a reason."""
    text = text.strip()
    with transaction.atomic():
        workshop = locked_workshop(claim.contribution.workshop_id)
        claim = (
            # Lock the claim only: PostgreSQL cannot lock the nullable side of a join.
            Claim.objects.select_for_update(of=("self",))
            .select_related("receiver", "contribution__challenge")
            .filter(pk=claim.pk)
            .first()
        )
        if claim is None:
            raise ActionRefused(_("That claim was withdrawn."), "gone")
        if not may_report(author, claim):
            raise ActionRefused(
                _("Only the receiver who claimed it, its challenger or a labber can report."),
                "forbidden",
            )
        new_status = status or claim.status
        if new_status not in Claim.Status.values:
            raise ActionRefused(_("There is no such status."), "invalid")
        changed = new_status != claim.status
        if changed and not may_change_status(author, claim):
            raise ActionRefused(
                _("Only the receiver who claimed it or a labber can change its status."),
                "forbidden",
            )
        if changed and new_status == Claim.Status.PARKED and not text:
            raise ActionRefused(_("Say why it is parked: the reason is the report."), "invalid")
        if not changed and not text:
            raise ActionRefused(_("Write what happened, or choose a new status."), "invalid")
        follow_up = FollowUp.objects.create(
            claim=claim, author=author, status=new_status, text=text, link=link
        )
        claim.status = new_status
        claim.updated_at = timezone.now()
        claim.save(update_fields=["status", "updated_at"])
        _publish_claims(workshop, claim.contribution)
        transaction.on_commit(lambda: notify_contributors(claim, follow_up, base_url))
    return follow_up


@transaction.atomic
def set_contributor_email(participant: Participant, email: str) -> Participant:
    """A contributor's address for news of their suggestions (empty: no more emails)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.email != email:
        participant.email = email
        # Leaving an address again is asking again: it undoes an earlier unsubscribe.
        participant.unsubscribed_at = None
        participant.save(update_fields=["email", "unsubscribed_at"])
    return participant


@transaction.atomic
def unsubscribe(participant: Participant) -> Participant:
    """No more automatic emails to this person (the link in every notice and reminder)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.unsubscribed_at is None:
        participant.unsubscribed_at = timezone.now()
        participant.save(update_fields=["unsubscribed_at"])
    return participant


def unsubscribe_url(participant: Participant, base_url: str = "") -> str:
    return public_url(reverse("unsubscribe", args=[unsubscribe_token(participant.pk)]), base_url)


# --- Telling the people who posted a suggestion. ---


def contributors_to_tell(contribution: Contribution) -> list[Participant]:
    """Who posted the suggestion (or a duplicate merged into it) and left an address."""
    people = [contribution.author, *(m.author for m in contribution.merged.all())]
    seen: set[str] = set()
    found = []
    for person in people:
        if person is None or person.role != Participant.Role.AUDIENCE or not person.email:
            continue
        if person.unsubscribed_at is not None:
            continue
        if person.email.lower() not in seen:
            seen.add(person.email.lower())
            found.append(person)
    return found


def notify_contributors(claim: Claim, follow_up: FollowUp | None, base_url: str = "") -> int:
    """Email each opted-in contributor (one message each: no one sees another's address).
    Runs after commit; a mail server that is down must not undo the claim, so it logs, and one
    refused address does not keep the news from the others."""
    contribution = Contribution.objects.select_related("workshop").get(pk=claim.contribution_id)
    workshop = contribution.workshop
    people = contributors_to_tell(contribution)
    if not people:
        return 0
    kind = "follow_up" if follow_up else "claimed"
    with translation.override(workshop.language):
        context = {
            "workshop": workshop,
            "contribution": contribution,
            "claim": claim,
            "receiver": claim.receiver,
            "follow_up": follow_up,
            "link": public_url(reverse("insights:follow-up", args=[workshop.code]), base_url),
        }
        messages = [
            build_email(
                kind, context, person.email, unsubscribe_url=unsubscribe_url(person, base_url)
            )
            for person in people
        ]
    return send_each(messages, f"news on suggestion {contribution.pk}").sent


# --- Reminding receivers (manage.py send_followup_reminders, from cron). ---


def claims_due_for_reminder(days: int, now: datetime | None = None) -> QuerySet[Claim]:
    """Open claims (claimed or in progress) with no follow-up for `days` days, whose receiver
    has not been reminded since the last thing that happened on them."""
    now = now or timezone.now()
    last_report = Subquery(
        FollowUp.objects.filter(claim=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Claim.objects.filter(status__in=[Claim.Status.CLAIMED, Claim.Status.IN_PROGRESS])
        .exclude(receiver__email="")
        .filter(receiver__unsubscribed_at__isnull=True)
        .annotate(last_activity=Coalesce(last_report, "created_at"))
        .filter(last_activity__lte=now - timedelta(days=days))
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=F("last_activity")))
        .select_related("receiver__workshop", "contribution")
        .order_by("receiver_id", "created_at")
    )


@dataclass
class ReminderRun(MailRun):
    """A reminder run: people reminded (`sent`), the claims in their emails, who failed."""

    claims: int = 0


def remind_receivers(days: int, base_url: str, *, dry_run: bool = False) -> ReminderRun:
    """Email each receiver once about their quiet claims.

    Safe to run again and again, and twice at once: each claim is marked with a
    compare-and-set update before its email goes out, in one transaction per receiver, so a
    second run finds nothing to take, and a failed email leaves the claim for the next run.
    One receiver's failure (a refused address, a server error) is logged and counted; the
    others are still reminded."""
    now = timezone.now()
    groups: dict[int, list[Claim]] = {}
    for claim in claims_due_for_reminder(days, now):
        if claim.receiver.invite_is_valid():
            groups.setdefault(claim.receiver_id, []).append(claim)
    run = ReminderRun()
    for group in groups.values():
        if dry_run:
            run.sent, run.claims = run.sent + 1, run.claims + len(group)
            continue
        run.add(_remind_one(group[0].receiver, group, days, base_url, now))
    return run


class _NotSent(Exception):
    """Rolls back one recipient's marks when their email did not go."""


def _remind_one(
    receiver: Participant, claims: list[Claim], days: int, base_url: str, now: datetime
) -> ReminderRun:
    """Mark the claims and send the reminder in one transaction: a failed send undoes the
    marks, so the claims wait for the next run. One kind of recipient per call: another (a
    challenger, say) is one more caller with its own template."""
    try:
        with transaction.atomic():
            taken = [
                claim
                for claim in claims
                if Claim.objects.filter(
                    pk=claim.pk,
                    last_reminded_at=claim.last_reminded_at,
                    updated_at=claim.updated_at,
                ).update(last_reminded_at=now)
            ]
            if not taken:
                return ReminderRun()
            sent = send_each([_reminder_email(receiver, taken, days, base_url)], "reminder")
            if sent.failed:
                raise _NotSent
    except _NotSent:
        return ReminderRun(failed=[receiver.email])
    return ReminderRun(sent=1, claims=len(taken))


def _reminder_email(receiver: Participant, claims: list[Claim], days: int, base_url: str):
    from workshops.invites import invite_path

    workshop = receiver.workshop
    with translation.override(workshop.language):
        context = {
            "receiver": receiver,
            "workshop": workshop,
            "claims": claims,
            "days": days,
            "link": public_url(invite_path(receiver), base_url),
        }
        return build_email(
            "reminder",
            context,
            receiver.email,
            unsubscribe_url=unsubscribe_url(receiver, base_url),
        )
