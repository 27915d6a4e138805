"""State changes of challenges and their obstacles, by a labber on the setup page or by the
challenger through their invite link; each in one transaction, each in the workshop's log."""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from challenges.models import Challenge, ChallengeFollowUp, Obstacle
from insights.actions.claims import unsubscribe_url
from insights.actions.posts import publish_room
from insights.errors import ActionRefused
from insights.models import Claim
from labbet.mail import MailRun, build_email, send_each
from workshops.actions.invites import invite
from workshops.invites import invite_path, public_url
from workshops.log import log_change
from workshops.models import LogEntry, Participant, Workshop, locked_workshop

# The log's actions for a challenge's changes; the setup page lists the challenger's own.
CHALLENGE_ACTIONS = (
    "challenge:edit",
    "challenge:challenger",
    "obstacle:add",
    "obstacle:reword",
    "obstacle:move",
    "obstacle:remove",
)


def _is_challenger(actor: Participant | None) -> bool:
    return actor is not None and actor.role == Participant.Role.CHALLENGER


def _check_open(workshop: Workshop, actor: Participant | None) -> None:
    if _is_challenger(actor) and workshop.is_closed:
        raise ActionRefused(_("The workshop has closed: its challenge can no longer be changed."))


def _check_unused(obstacle: Obstacle, workshop: Workshop, actor: Participant | None) -> None:
    """Once the room is live, the posts on an obstacle were written to its words: only a labber
    may change or remove it then (and that is logged)."""
    if not _is_challenger(actor) or workshop.status == Workshop.Status.DRAFT:
        return
    if obstacle.contributions.exists():
        raise ActionRefused(
            _(
                "The workshop is live and the room has posted on this obstacle, so it stays as "
                "it is. Ask a labber if it must change."
            )
        )


def _log(
    workshop: Workshop, actor: Participant | None, action: str, challenge: Challenge, **data
) -> None:
    log_change(workshop, actor, action, challenge=challenge.pk, title=challenge.title, **data)


@transaction.atomic
def edit_challenge(
    challenge: Challenge, actor: Participant | None, *, title: str, description: str
) -> Challenge:
    workshop = locked_workshop(challenge.workshop_id)
    _check_open(workshop, actor)
    challenge = Challenge.objects.get(pk=challenge.pk)
    before = {"title": challenge.title, "description": challenge.description}
    after = {"title": title, "description": description}
    if before == after:
        return challenge
    challenge.title, challenge.description = title, description
    challenge.save(update_fields=["title", "description"])
    _log(workshop, actor, "challenge:edit", challenge, before=before, after=after)
    publish_room(workshop, wall=True)
    return challenge


@transaction.atomic
def set_challenger(
    challenge: Challenge, challenger: Participant | None, actor: Participant | None
) -> Challenge:
    """The person who brings this challenge: one of the workshop's invited challengers."""
    workshop = locked_workshop(challenge.workshop_id)
    if challenger is not None and (
        challenger.workshop_id != workshop.pk or challenger.role != Participant.Role.CHALLENGER
    ):
        raise ActionRefused(_("Choose one of this workshop's challengers."))
    challenge = Challenge.objects.get(pk=challenge.pk)
    if challenge.challenger_id == getattr(challenger, "pk", None):
        return challenge
    challenge.challenger = challenger
    challenge.save(update_fields=["challenger"])
    _log(
        workshop,
        actor,
        "challenge:challenger",
        challenge,
        challenger_name=challenger.display_name if challenger else "",
    )
    return challenge


@transaction.atomic
def invite_challenger(
    challenge: Challenge,
    actor: Participant | None,
    *,
    name: str,
    title: str = "",
    organisation: str = "",
    email: str = "",
) -> Participant:
    """Invite a challenger right from their challenge's row, with the same rules as the
    invites page, and name them its challenger."""
    challenger = invite(
        challenge.workshop,
        role=Participant.Role.CHALLENGER,
        name=name,
        title=title,
        organisation=organisation,
        email=email,
    )
    set_challenger(challenge, challenger, actor)
    return challenger


@transaction.atomic
def add_obstacle(challenge: Challenge, text: str, actor: Participant | None = None) -> Obstacle:
    workshop = locked_workshop(challenge.workshop_id)
    _check_open(workshop, actor)
    order = (
        challenge.obstacles.order_by("-order").values_list("order", flat=True).first() or 0
    ) + 1
    obstacle = Obstacle.objects.create(challenge=challenge, text=text, order=order)
    _log(workshop, actor, "obstacle:add", challenge, obstacle=obstacle.pk, text=text)
    publish_room(workshop, wall=True)
    return obstacle


@transaction.atomic
def reword_obstacle(obstacle: Obstacle, text: str, actor: Participant | None = None) -> Obstacle:
    workshop = locked_workshop(obstacle.challenge.workshop_id)
    _check_open(workshop, actor)
    obstacle = Obstacle.objects.select_related("challenge").get(pk=obstacle.pk)
    if obstacle.text == text:
        return obstacle
    _check_unused(obstacle, workshop, actor)
    before, obstacle.text = obstacle.text, text
    obstacle.save(update_fields=["text"])
    _log(
        workshop, actor, "obstacle:reword", obstacle.challenge, obstacle=obstacle.pk,
        before=before, text=text,
    )  # fmt: skip
    publish_room(workshop, wall=True)
    return obstacle


@transaction.atomic
def move_obstacle(obstacle: Obstacle, step: int, actor: Participant | None = None) -> None:
    """Move an obstacle up (-1) or down (+1) among its challenge's obstacles."""
    workshop = locked_workshop(obstacle.challenge.workshop_id)
    _check_open(workshop, actor)
    siblings = list(obstacle.challenge.obstacles.order_by("order", "id"))
    index = next(i for i, o in enumerate(siblings) if o.pk == obstacle.pk)
    target = index + step
    if not 0 <= target < len(siblings):
        return
    siblings.insert(target, siblings.pop(index))
    for order, sibling in enumerate(siblings):
        if sibling.order != order:
            sibling.order = order
            sibling.save(update_fields=["order"])
    _log(
        workshop, actor, "obstacle:move", obstacle.challenge, obstacle=obstacle.pk,
        text=obstacle.text, position=target + 1,
    )  # fmt: skip
    publish_room(workshop, wall=True)


@transaction.atomic
def remove_obstacle(obstacle: Obstacle, actor: Participant | None = None) -> None:
    workshop = locked_workshop(obstacle.challenge.workshop_id)
    _check_open(workshop, actor)
    obstacle = Obstacle.objects.select_related("challenge").get(pk=obstacle.pk)
    _check_unused(obstacle, workshop, actor)
    _log(workshop, actor, "obstacle:remove", obstacle.challenge, text=obstacle.text)
    obstacle.delete()
    publish_room(workshop, wall=True)


def challenger_changes(challenge: Challenge) -> QuerySet[LogEntry]:
    """What the challenger changed in their challenge since a labber last acknowledged it."""
    entries = LogEntry.objects.filter(
        workshop_id=challenge.workshop_id,
        action__in=CHALLENGE_ACTIONS,
        actor__role=Participant.Role.CHALLENGER,
        data__challenge=challenge.pk,
    ).select_related("actor")
    if challenge.changes_seen_at is not None:
        entries = entries.filter(created_at__gt=challenge.changes_seen_at)
    return entries.order_by("created_at", "id")


def mark_changes_seen(challenge: Challenge) -> None:
    Challenge.objects.filter(pk=challenge.pk).update(changes_seen_at=timezone.now())


@transaction.atomic
def write_challenge_follow_up(
    challenge: Challenge, author: Participant, *, text: str, link: str = ""
) -> ChallengeFollowUp:
    """The challenger's "what we did next"; on the public follow-up page and in the report."""
    if challenge.challenger_id != author.pk:
        raise ActionRefused(_("Only the challenger of this challenge can write its follow-up."))
    return ChallengeFollowUp.objects.create(
        challenge=challenge, author=author, text=text, link=link
    )


def challengers_to_remind(days: int) -> list[Challenge]:
    """Challenges whose first claim is at least `days` old, with a challenger who can be
    reached and has written no follow-up on it, and who has not been reminded yet."""
    since = timezone.now() - timedelta(days=days)
    challenges = (
        Challenge.objects.filter(
            challenger__isnull=False,
            follow_up_reminded_at__isnull=True,
            follow_ups__isnull=True,
        )
        .exclude(challenger__email="")
        .filter(challenger__unsubscribed_at__isnull=True)
        .select_related("challenger", "workshop")
    )
    claims = (
        Claim.objects.filter(contribution__challenge__in=challenges)
        .values("contribution__challenge")
        .annotate(first=Min("created_at"), count=Count("pk"))
    )
    due = {row["contribution__challenge"]: row["count"] for row in claims if row["first"] <= since}
    found = [c for c in challenges.filter(pk__in=due) if c.challenger.invite_is_valid()]
    for challenge in found:
        challenge.claim_count = due[challenge.pk]
    return found


def remind_challengers(days: int, base_url: str, *, dry_run: bool = False) -> MailRun:
    """Email each such challenger once. The challenge is marked with a compare-and-set update
    in the transaction that sends its email, so two runs never send it twice, and a failed
    send undoes the mark: that challenger waits for the next run, the others still go."""
    run = MailRun()
    for challenge in challengers_to_remind(days):
        if dry_run:
            run.sent += 1
            continue
        try:
            with transaction.atomic():
                taken = Challenge.objects.filter(
                    pk=challenge.pk, follow_up_reminded_at__isnull=True
                ).update(follow_up_reminded_at=timezone.now())
                if not taken:
                    continue
                sent = send_each([_challenger_reminder(challenge, base_url)], "reminder")
                if sent.failed:
                    raise _NotSent
        except _NotSent:
            run.failed.append(challenge.challenger.email)
        else:
            run.sent += 1
    return run


class _NotSent(Exception):
    """Rolls back one challenge's mark when its email did not go."""


def _challenger_reminder(challenge: Challenge, base_url: str) -> EmailMessage:
    challenger, workshop = challenge.challenger, challenge.workshop
    with translation.override(workshop.language):
        context = {
            "challenger": challenger,
            "challenge": challenge,
            "workshop": workshop,
            "claims": challenge.claim_count,
            "link": public_url(invite_path(challenger), base_url),
        }
        return build_email(
            "challenger_reminder",
            context,
            challenger.email,
            unsubscribe_url=unsubscribe_url(challenger, base_url),
        )
