"""Who may see and do what: one helper per object, so a 404 or 403 is decided in one place."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.crypto import constant_time_compare

from labbet import compiled
from labbet.addresses import client_address, network_of
from workshops.codes import is_well_formed, normalise_code
from workshops.models import Participant, Workshop

SESSION_KEY = "labbet_participants"


def find_workshop(code: str, request: HttpRequest | None = None) -> Workshop | None:
    """The open workshop with this join code, else the newest closed one (for its report).

    Given the request, the answer is kept on it: the limits middleware and the view ask for
    the same workshop, and a post from a phone should read it once."""
    code = normalise_code(code)
    if not is_well_formed(code):
        return None
    found = getattr(request, "_labbet_workshops", None) if request is not None else None
    if found is not None and code in found:
        return found[code]
    # One query, no ORDER BY (compiling the model's ordering was most of this look-up's cost
    # under a burst of posts, profiled): a code names one open workshop and a few closed ones.
    # By a statement compiled once (labbet/compiled.py): every request of a phone asks this.
    workshops = compiled.rows(
        Workshop,
        "by_code",
        lambda values: Workshop.objects.filter(code=values[0]).order_by(),
        [code],
    )
    workshop = next(
        (w for w in workshops if w.status != Workshop.Status.CLOSED),
        max(workshops, key=lambda w: (w.created_at, w.pk), default=None),
    )
    if request is not None:
        if found is None:
            found = request._labbet_workshops = {}
        found[code] = workshop
    return workshop


def get_workshop_or_404(code: str, request: HttpRequest | None = None) -> Workshop:
    workshop = find_workshop(code, request)
    if workshop is None:
        raise Http404("No workshop with that code")
    return workshop


def session_participant_id(session, workshop: Workshop) -> int | None:
    return (session.get(SESSION_KEY) or {}).get(str(workshop.pk))


def remember_participant(session, participant: Participant) -> None:
    mapping = dict(session.get(SESSION_KEY) or {})
    mapping[str(participant.workshop_id)] = participant.pk
    session[SESSION_KEY] = mapping


def session_participant(session, workshop: Workshop) -> Participant | None:
    pid = session_participant_id(session, workshop)
    if pid is None:
        return None
    try:  # .get(), not .first(): no ORDER BY to compile for a look-up by key
        return Participant.objects.get(pk=pid, workshop=workshop)
    except Participant.DoesNotExist:
        return None


def _revoked_guest(participant: Participant) -> bool:
    """A receiver or challenger whose link was revoked (or ran out): on the phone view this
    browser is one more phone in the room, not them — it may not post in their name."""
    guest = participant.role in (Participant.Role.RECEIVER, Participant.Role.CHALLENGER)
    return guest and not participant.invite_is_valid()


def still_allowed(participant: Participant) -> bool:
    """Whether this participant may still act as themselves (checked again on every socket
    message: an invitation can be revoked or run out while a socket is open)."""
    return not _revoked_guest(participant)


def phone_participant(session, workshop: Workshop) -> Participant | None:
    """Who this browser is in the workshop, unless that is a guest whose link was revoked."""
    participant = session_participant(session, workshop) if session is not None else None
    return participant if participant is not None and still_allowed(participant) else None


def screen_access(
    workshop: Workshop,
    view: str,
    *,
    session,
    user: AbstractBaseUser | AnonymousUser,
    key: str | None = None,
) -> tuple[bool, Participant | None]:
    """(may follow `view` of `workshop`, as which participant): the one rule for the pages
    and the socket alike. The phone view needs this browser's own participant (the page
    makes one on first visit; a socket never does)."""
    if view == "phone":
        participant = phone_participant(session, workshop)
        return participant is not None, participant
    if view == "projector":
        if projector_key_ok(workshop, key):
            return True, None
        return labber_participant(user, workshop) is not None, None
    if view == "console":
        participant = labber_participant(user, workshop)
        return participant is not None, participant
    return False, None


def join_audience(request: HttpRequest, workshop: Workshop) -> Participant:
    """The phone's participant in this workshop, made on first visit (no account)."""
    participant = phone_participant(request.session, workshop)
    if participant is not None:
        return participant
    labber = labber_participant(request.user, workshop)
    if labber is not None:
        remember_participant(request.session, labber)
        return labber
    if not request.session.session_key:
        request.session.save()
    participant = Participant.objects.create(
        workshop=workshop,
        role=Participant.Role.AUDIENCE,
        session_key=request.session.session_key or "",
        network=network_of(client_address(request)),
    )
    remember_participant(request.session, participant)
    return participant


def labber_participant(
    user: AbstractBaseUser | AnonymousUser, workshop: Workshop
) -> Participant | None:
    if not user.is_authenticated:
        return None
    participant = workshop.participants.filter(user=user, role=Participant.Role.LABBER).first()
    if participant is None and (user.is_staff or workshop.created_by_id == user.pk):
        participant, _ = Participant.objects.get_or_create(
            workshop=workshop,
            user=user,
            role=Participant.Role.LABBER,
            defaults={"display_name": user.get_full_name() or user.get_username()},
        )
    return participant


def is_labber(user: AbstractBaseUser | AnonymousUser, workshop: Workshop) -> bool:
    return labber_participant(user, workshop) is not None


def get_workshop_for_labber(request: HttpRequest, code: str) -> tuple[Workshop, Participant]:
    workshop = get_workshop_or_404(code)
    allowed, participant = screen_access(
        workshop, "console", session=request.session, user=request.user
    )
    if not allowed or participant is None:
        raise PermissionDenied
    return workshop, participant


def projector_key_ok(workshop: Workshop, key: str | None) -> bool:
    return bool(key) and constant_time_compare(key, workshop.projector_token)


def can_view_projector(request: HttpRequest, workshop: Workshop) -> bool:
    allowed, _participant = screen_access(
        workshop,
        "projector",
        session=request.session,
        user=request.user,
        key=request.GET.get("key"),
    )
    return allowed
