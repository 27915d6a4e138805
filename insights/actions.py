"""State changes of contributions. Each runs in one transaction and publishes on commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from challenges.models import Obstacle
from insights.errors import ActionRefused
from insights.live import publish
from insights.models import Contribution
from workshops.models import Participant, Workshop
from workshops.regions import card_context, room_counts

POSTING_PHASES = {
    Workshop.Phase.JOIN,
    Workshop.Phase.CHALLENGE,
    Workshop.Phase.INSIGHTS,
    Workshop.Phase.SUGGESTIONS,
}


def _locked_workshop(workshop: Workshop) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def _publish_card(workshop: Workshop, kind: str, contribution: Contribution) -> None:
    publish(
        workshop,
        kind,
        {**card_context(contribution), "counts": room_counts(workshop)},
    )


def check_can_post(workshop: Workshop, author: Participant) -> None:
    if workshop.is_closed or workshop.phase == Workshop.Phase.CLOSED:
        raise ActionRefused(_("This workshop has closed. Thank you for taking part!"), "closed")
    if not workshop.posting_open:
        raise ActionRefused(
            _("Posting is paused right now. Keep your thought: it is saved here on your phone."),
            "locked",
        )
    if author.muted:
        raise ActionRefused(_("A labber has paused posting from this phone."), "muted")


def post_contribution(
    *,
    workshop: Workshop,
    author: Participant,
    kind: str,
    text: str,
    obstacle: Obstacle | None = None,
    client_key: str = "",
    display_name: str | None = None,
) -> tuple[Contribution, bool]:
    """Save a post from the room; (the contribution, whether it is new).

    A resend with the same client key (a lost acknowledgement, a double tap) returns the
    contribution saved the first time and changes nothing."""
    if client_key:
        existing = Contribution.objects.filter(author=author, client_key=client_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            workshop = _locked_workshop(workshop)
            author = Participant.objects.get(pk=author.pk)
            check_can_post(workshop, author)
            if display_name is not None and display_name != author.display_name:
                author.display_name = display_name
                author.save(update_fields=["display_name"])
            status = (
                Contribution.Status.PENDING
                if workshop.moderation == Workshop.Moderation.PRE and not author.is_labber
                else Contribution.Status.VISIBLE
            )
            contribution = Contribution.objects.create(
                workshop=workshop,
                kind=kind,
                text=text,
                author=author,
                obstacle=obstacle,
                challenge=obstacle.challenge if obstacle else None,
                prompt=workshop.current_prompt,
                status=status,
                client_key=client_key,
            )
            _publish_card(workshop, "contribution.added", contribution)
    except IntegrityError:
        # Two sends of the same key raced; the first one won and is the answer.
        existing = Contribution.objects.filter(author=author, client_key=client_key).first()
        if existing is None:
            raise
        return existing, False
    return contribution, True


def set_status(
    contribution: Contribution, status: str, actor: Participant | None = None
) -> Contribution:
    """Approve (visible), hide or restore a contribution; every screen follows on commit."""
    from workshops.models import LogEntry

    with transaction.atomic():
        workshop = _locked_workshop(contribution.workshop)
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        before = contribution.status
        if before == status:
            return contribution
        contribution.status = status
        contribution.save(update_fields=["status", "updated_at"])
        LogEntry.objects.create(
            workshop=workshop,
            actor=actor,
            action=f"status:{status}",
            contribution=contribution,
            data={"before": before, "after": status},
        )
        _publish_card(workshop, "contribution.changed", contribution)
    return contribution
