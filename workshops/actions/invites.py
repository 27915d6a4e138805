"""The moves on an invitation: invite (the one way to make a personal link), send it by
email, revoke, renew, and a co-labber accepting one. Whom a token lets in: workshops/invites.py."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insights.errors import ActionRefused
from labbet.mail import build_email
from live.events import close_sockets_of
from workshops.codes import new_token
from workshops.invites import invite_path, public_url
from workshops.models import Participant, Workshop


@transaction.atomic
def invite(
    workshop: Workshop,
    *,
    role: str,
    name: str,
    title: str = "",
    organisation: str = "",
    email: str = "",
) -> Participant:
    """An invited challenger, receiver or co-labber, with a personal link (/i/<token>/). The
    one way to invite: the invites page, a challenge's row, the demo and the tests' factories
    all come here, with its rules."""
    if role not in Participant.INVITED_ROLES:
        raise ValueError(f"{role!r} is not an invited role")
    if workshop.is_closed and role == Participant.Role.LABBER:
        raise ActionRefused(_("This workshop has closed; it needs no more labbers."))
    return Participant.objects.create(
        workshop=workshop,
        role=role,
        display_name=name,
        title=title,
        organisation=organisation,
        email=email,
        invite_token=new_token(),
    )


def send_invite(participant: Participant, base_url: str = "") -> None:
    """Email the personal link (Django's email backend; the console backend by default)."""
    if not participant.email:
        raise ActionRefused(_("Add an email address first."), "invalid")
    if not participant.invite_is_valid():
        raise ActionRefused(_("This invitation is revoked or expired: renew it first."))
    workshop = participant.workshop
    with translation.override(workshop.language):
        context = {
            "participant": participant,
            "workshop": workshop,
            "link": public_url(invite_path(participant), base_url),
        }
        # A labber sends it to this one person: no unsubscribe link (they asked for it).
        message = build_email("invite", context, participant.email)
    message.send()


@transaction.atomic
def revoke_invite(participant: Participant) -> Participant:
    """The link stops working at once, also for a browser that came in with it before."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.invite_revoked_at is None:
        participant.invite_revoked_at = timezone.now()
        participant.save(update_fields=["invite_revoked_at"])
    # Their open sockets too, in every process: a socket is no way round the revocation.
    close_sockets_of([participant.pk])
    return participant


@transaction.atomic
def renew_invite(participant: Participant) -> Participant:
    """A new link (the old one stays dead): for a lost, forwarded or revoked invitation."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    participant.invite_token = new_token()
    participant.invite_revoked_at = None
    participant.invite_expires_at = None
    participant.save(update_fields=["invite_token", "invite_revoked_at", "invite_expires_at"])
    return participant


@transaction.atomic
def accept_labber_invite(participant: Participant, user: AbstractBaseUser) -> Participant:
    """A co-labber's link ties the invitation to the account that opens it first."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.user_id == user.pk:
        return participant
    if participant.user_id is not None:
        raise ActionRefused(
            _("This invitation was already accepted with another account."), "forbidden"
        )
    existing = Participant.objects.filter(
        workshop=participant.workshop, user=user, role=Participant.Role.LABBER
    ).first()
    if existing is not None:
        return existing
    participant.user = user
    participant.save(update_fields=["user"])
    return participant
