"""Receivers in the room: the ranked suggestions with "we take this forward"
(/w/<CODE>/handover/), claiming one, and withdrawing a claim."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from insights.actions.claims import claim_suggestion, withdraw_claim
from insights.errors import ActionRefused
from insights.forms_claims import ClaimForm
from insights.models import Claim, Contribution
from insights.ranking import ranked_suggestions, tallies_public
from insights.tried import tried_elsewhere
from insights.views.votes import first_error, refusal_status
from workshops.access import get_workshop_or_404, labber_participant
from workshops.invites import invited_participant
from workshops.models import Participant, Workshop
from workshops.views.join import use_workshop_language


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def denied(request: HttpRequest, workshop: Workshop | None = None) -> HttpResponse:
    """Not a stack trace, not a bare 403: how a receiver gets in."""
    return render(request, "workshops/receiver_denied.html", {"workshop": workshop}, status=403)


def room_receiver(request: HttpRequest, workshop: Workshop) -> Participant | None:
    return invited_participant(request.session, workshop, Participant.Role.RECEIVER)


def item_context(
    workshop: Workshop, receiver: Participant, contribution: Contribution, error: str = ""
) -> dict[str, Any]:
    contribution = next(
        (
            c
            for c in ranked_suggestions(workshop, by_votes=tallies_public(workshop))
            if c.pk == contribution.pk
        ),
        contribution,
    )
    contribution.my_claim = contribution.claims.filter(receiver=receiver).first()
    contribution.tried = tried_elsewhere([contribution]).get(contribution.pk, [])
    return {
        "workshop": workshop,
        "participant": receiver,
        "contribution": contribution,
        "view": "receiver",
        "claim_error": error,
    }


@never_cache
def handover(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    receiver = room_receiver(request, workshop)
    if receiver is None:
        return denied(request, workshop)
    cursor = workshop.live_seq
    suggestions = ranked_suggestions(workshop, by_votes=tallies_public(workshop))
    mine = {c.contribution_id: c for c in Claim.objects.filter(receiver=receiver)}
    tried = tried_elsewhere(suggestions)
    for suggestion in suggestions:
        suggestion.my_claim = mine.get(suggestion.pk)
        suggestion.tried = tried.get(suggestion.pk, [])
    return render(
        request,
        "workshops/receiver_room.html",
        {
            "workshop": workshop,
            "participant": receiver,
            "suggestions": suggestions,
            "view": "receiver",
            "cursor": cursor,
        },
    )


def _answer(
    request: HttpRequest,
    workshop: Workshop,
    receiver: Participant,
    contribution: Contribution | None,
    message: str,
    status: int,
) -> HttpResponse:
    if request.htmx and contribution is not None:
        error = message if status >= 400 else ""
        context = item_context(workshop, receiver, contribution, error)
        context["claim_message"] = "" if error else message
        return render(request, "insights/_claim_item.html", context, status=status)
    if request.htmx:  # no suggestion to show it on (a forged or stale form)
        html = format_html('<p class="form-errors" role="alert">{}</p>', message)
        return HttpResponse(html, status=status)
    (messages.error if status >= 400 else messages.success)(request, message)
    return redirect("insights:handover", code=workshop.code)


@require_POST
def claim(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    receiver = room_receiver(request, workshop)
    if receiver is None:
        return denied(request, workshop)
    form = ClaimForm(request.POST, workshop=workshop)
    if not form.is_valid():
        return _answer(request, workshop, receiver, None, first_error(form), 400)
    contribution = form.cleaned_data["contribution"]
    try:
        claim_suggestion(
            contribution, receiver, form.cleaned_data["note"], base_url=base_url(request)
        )
    except ActionRefused as refusal:
        return _answer(
            request, workshop, receiver, contribution, refusal.message, refusal_status(refusal)
        )
    return _answer(
        request,
        workshop,
        receiver,
        contribution,
        _("You take this suggestion forward. The room sees it now."),
        200,
    )


@require_POST
def claim_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("contribution__workshop"), pk=pk)
    workshop = claim.contribution.workshop
    use_workshop_language(request, workshop)
    actor = room_receiver(request, workshop) or labber_participant(request.user, workshop)
    if actor is None or (actor.role == Participant.Role.RECEIVER and actor.pk != claim.receiver_id):
        return denied(request, workshop)
    contribution = claim.contribution
    try:
        withdraw_claim(claim, actor)
    except ActionRefused as refusal:
        status = refusal_status(refusal)
        if request.htmx and actor.role == Participant.Role.RECEIVER:
            return _answer(request, workshop, actor, contribution, refusal.message, status)
        messages.error(request, refusal.message)
        return redirect("insights:claim-detail", pk=claim.pk)
    message = _("Your claim is withdrawn.")
    if actor.role == Participant.Role.RECEIVER:
        return _answer(request, workshop, actor, contribution, message, 200)
    messages.success(request, message)
    return redirect("insights:follow-up", code=workshop.code)
