"""Invitations: the labber's list of invited people (/w/<CODE>/invites/) with their personal
links to copy, send or revoke, and the personal link itself (/i/<token>/)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from insights.errors import ActionRefused
from insights.views.claims import base_url
from insights.views.votes import console_url
from workshops.access import get_workshop_for_labber, remember_participant
from workshops.actions.invites import (
    accept_labber_invite,
    invite,
    renew_invite,
    revoke_invite,
    send_invite,
)
from workshops.forms_invites import InviteForm
from workshops.invites import UNKNOWN, find_invite, invite_path
from workshops.models import Participant, Workshop
from workshops.views.join import use_workshop_language

logger = logging.getLogger(__name__)


def _invalid(request: HttpRequest, problem: str, message: str = "") -> HttpResponse:
    # Unknown: 404. Revoked or expired: 410, the link existed and is gone for good.
    status = 404 if problem == UNKNOWN else (403 if message else 410)
    return render(
        request,
        "workshops/invites_invalid.html",
        {"problem": problem, "message": message},
        status=status,
    )


@never_cache
def invite_landing(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link: remember who this is, then straight on to their page, so the
    token never sits in the address bar of a page that links elsewhere."""
    participant, problem = find_invite(token)
    if problem:
        return _invalid(request, problem)
    workshop = participant.workshop
    use_workshop_language(request, workshop)
    if participant.role == Participant.Role.LABBER:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            accept_labber_invite(participant, request.user)
        except ActionRefused as refusal:
            return _invalid(request, "taken", refusal.message)
        return redirect(console_url(workshop))
    request.session.cycle_key()
    remember_participant(request.session, participant)
    Participant.objects.filter(pk=participant.pk).update(last_seen_at=timezone.now())
    if participant.role == Participant.Role.RECEIVER:
        if workshop_is_over(workshop):
            return redirect("workshops:receiver")
        return redirect("insights:handover", code=workshop.code)
    return redirect("workshops:challenger", code=workshop.code)


def workshop_is_over(workshop: Workshop) -> bool:
    """Closed, or its day has passed (a labber may never press "close")."""
    if workshop.is_closed or workshop.phase == Workshop.Phase.CLOSED:
        return True
    return workshop.date is not None and workshop.date < timezone.localdate()


def _invited(workshop: Workshop, pk: int) -> Participant:
    participant = workshop.participants.filter(pk=pk, invite_token__isnull=False).first()
    if participant is None:
        raise Http404("No such invitation in this workshop")
    return participant


def _send(request: HttpRequest, participant: Participant) -> bool:
    try:
        send_invite(participant, base_url(request))
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
        return False
    except Exception:  # a mail server that is down is a message, not an error page
        logger.exception("Could not send the invitation of participant %s", participant.pk)
        messages.error(request, _("The email could not be sent. Copy the link instead."))
        return False
    messages.success(
        request, _("The link is on its way to %(email)s.") % {"email": participant.email}
    )
    return True


@never_cache
def invites(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                participant = invite(
                    workshop,
                    role=data["role"],
                    name=data["name"],
                    title=data["title"],
                    organisation=data["organisation"],
                    email=data["email"],
                )
            except ActionRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request, _("%(name)s is invited.") % {"name": participant.display_name}
                )
                if data["send_email"]:
                    _send(request, participant)
                return redirect("workshops:invites", code=workshop.code)
        status = 400
    people = list(
        workshop.participants.filter(invite_token__isnull=False).order_by("role", "display_name")
    )
    for person in people:
        person.link = request.build_absolute_uri(invite_path(person))
    return render(
        request,
        "workshops/invites.html",
        {"workshop": workshop, "people": people, "form": form},
        status=status,
    )


@require_POST
def invite_send(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    _send(request, _invited(workshop, pk))
    return redirect("workshops:invites", code=workshop.code)


@require_POST
def invite_revoke(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    participant = revoke_invite(_invited(workshop, pk))
    messages.success(
        request,
        _("The link of %(name)s no longer works.") % {"name": participant.display_name},
    )
    return redirect("workshops:invites", code=workshop.code)


@require_POST
def invite_renew(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    participant = renew_invite(_invited(workshop, pk))
    messages.success(
        request,
        _("%(name)s has a new link; the old one no longer works.")
        % {"name": participant.display_name},
    )
    return redirect("workshops:invites", code=workshop.code)
