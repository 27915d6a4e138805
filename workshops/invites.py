"""Personal invite links (/i/<token>/): whom a token lets in, and the link itself. The moves
on an invitation (invite, send, revoke, renew, accept) are in workshops/actions/invites.py."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from workshops.access import SESSION_KEY, session_participant
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
