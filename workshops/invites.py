"""Personal invite links (/i/<token>/): whom a token lets in, the labber's moves on an
invitation (invite, send by email, revoke, renew) and a co-labber accepting one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from insights.errors import ActionRefused
from labbet.mail import build_email
from live.events import close_sockets_of
from workshops.access import SESSION_KEY, session_participant
from workshops.actions import invite_participant
from workshops.codes import new_token
from workshops.models import Participant, Workshop

# The database finds a token by its first characters only; the whole token is then compared
# in constant time, so response times never tell how much of a guess was right.
TOKEN_PREFIX = 10
MAX_TOKEN = 128

UNKNOWN, REVOKED, EXPIRED = "unknown", "revoked", "expired"


def find_invite(token: str) -> tuple[Participant | None, str]:
    """(the invited participant, "") for a valid token, else (None or the participant, why):
    UNKNOWN, REVOKED or EXPIRED."""
    if not token or len(token) > MAX_TOKEN or len(token) < TOKEN_PREFIX:
        return None, UNKNOWN
    candidates = Participant.objects.filter(
        invite_token__startswith=token[:TOKEN_PREFIX]
    ).select_related("workshop", "user")
    found = next(
        (p for p in candidates if constant_time_compare(p.invite_token or "", token)), None
    )
    if found is None:
        return None, UNKNOWN
    if found.invite_revoked_at is not None:
        return found, REVOKED
    if not found.invite_is_valid():
        return found, EXPIRED
    return found, ""


def invited_participant(session, workshop: Workshop, role: str) -> Participant | None:
    """The person this browser came in as (by their invite link) in `workshop`, if they have
    `role` and their invitation still holds: a revoked link locks them out at once."""
    participant = session_participant(session, workshop)
    if participant is None or participant.role != role or not participant.invite_is_valid():
        return None
    return participant


def remembered_participants(session, role: str) -> list[Participant]:
    """Everyone this browser came in as with `role`, across workshops (newest first)."""
    ids = list((session.get(SESSION_KEY) or {}).values())
    people = (
        Participant.objects.filter(pk__in=ids, role=role)
        .select_related("workshop")
        .order_by("-workshop__date", "-workshop__created_at")
    )
    return [p for p in people if p.invite_is_valid()]


def public_url(path: str, base_url: str = "") -> str:
    """An absolute link for an email: the request's address, else LABBET_PUBLIC_URL."""
    return (base_url or settings.LABBET_PUBLIC_URL).rstrip("/") + path


def invite_path(participant: Participant) -> str:
    return reverse("workshops:invite", args=[participant.invite_token])


def invite(
    workshop: Workshop,
    *,
    role: str,
    name: str,
    title: str = "",
    organisation: str = "",
    email: str = "",
) -> Participant:
    if workshop.is_closed and role == Participant.Role.LABBER:
        raise ActionRefused(_("This workshop has closed; it needs no more labbers."))
    return invite_participant(
        workshop, role=role, name=name, title=title, organisation=organisation, email=email
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
