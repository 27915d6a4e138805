"""A challenge's own pages and moves: on the labber's setup row (its challenger, rewording an
obstacle, acknowledging the challenger's changes) and through the challenger's invite link
(preparing the challenge and its obstacles, and writing "what we did next")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges import actions
from challenges.forms import (
    ChallengeEditForm,
    ChallengeFollowUpForm,
    ChallengerChoiceForm,
    ChallengerInviteForm,
    ObstacleTextForm,
)
from challenges.models import Challenge, Obstacle
from insights.errors import ActionRefused
from workshops.access import get_workshop_for_labber, get_workshop_or_404
from workshops.forms import MoveForm
from workshops.invites import invited_participant
from workshops.models import Participant, Workshop
from workshops.views.challenger import challenger_page_response
from workshops.views.invites import _send as send_link
from workshops.views.join import use_workshop_language
from workshops.views.setup import setup_page

# --- The labber's setup row. ---


def _setup_row(workshop: Workshop, challenge_pk: int) -> HttpResponse:
    url = reverse("workshops:setup", args=[workshop.code])
    return redirect(f"{url}#challenge-{challenge_pk}")


@require_POST
def setup_challenger(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    challenge = get_object_or_404(Challenge, pk=pk, workshop=workshop)
    form = ChallengerChoiceForm(request.POST, workshop=workshop, auto_id=f"challenger-{pk}-%s")
    if not form.is_valid():
        return setup_page(request, workshop, status=400, failed={"pk": pk, "choice": form})
    actions.set_challenger(challenge, form.cleaned_data["challenger"], labber)
    messages.success(request, _("The challenger is saved."))
    return _setup_row(workshop, pk)


@require_POST
def setup_invite(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    challenge = get_object_or_404(Challenge, pk=pk, workshop=workshop)
    form = ChallengerInviteForm(request.POST, auto_id=f"invite-{pk}-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            challenger = actions.invite_challenger(
                challenge,
                labber,
                name=data["name"],
                title=data["title"],
                organisation=data["organisation"],
                email=data["email"],
            )
        except ActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("%(name)s is invited.") % {"name": challenger.display_name})
            if data["send_email"]:
                send_link(request, challenger)
            return _setup_row(workshop, pk)
    return setup_page(request, workshop, status=400, failed={"pk": pk, "invite": form})


@require_POST
def setup_reword(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A labber may correct an obstacle at any time; the log keeps the words it had."""
    workshop, labber = get_workshop_for_labber(request, code)
    obstacle = get_object_or_404(
        Obstacle.objects.select_related("challenge"), pk=pk, challenge__workshop=workshop
    )
    form = ObstacleTextForm(request.POST)
    if not form.is_valid():
        return setup_page(request, workshop, status=400, failed={"obstacle": pk, "reword": form})
    actions.reword_obstacle(obstacle, form.cleaned_data["text"], labber)
    messages.success(request, _("Obstacle reworded."))
    return _setup_row(workshop, obstacle.challenge_id)


@require_POST
def setup_seen(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    challenge = get_object_or_404(Challenge, pk=pk, workshop=workshop)
    actions.mark_changes_seen(challenge)
    return _setup_row(workshop, pk)


# --- Through the challenger's invite link. ---


def _challenger(request: HttpRequest, code: str) -> tuple[Workshop, Participant]:
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    challenger = invited_participant(request.session, workshop, Participant.Role.CHALLENGER)
    if challenger is None:
        raise PermissionDenied
    return workshop, challenger


def _own_challenge(workshop: Workshop, challenger: Participant, pk: int) -> Challenge:
    return get_object_or_404(Challenge, pk=pk, workshop=workshop, challenger=challenger)


def _own_obstacle(workshop: Workshop, challenger: Participant, pk: int) -> Obstacle:
    return get_object_or_404(
        Obstacle.objects.select_related("challenge"),
        pk=pk,
        challenge__workshop=workshop,
        challenge__challenger=challenger,
    )


def _back(workshop: Workshop, anchor: str) -> HttpResponse:
    return redirect(reverse("workshops:challenger", args=[workshop.code]) + f"#{anchor}")


def _submit(
    request: HttpRequest,
    workshop: Workshop,
    challenger: Participant,
    form: forms.Form,
    move: Callable[[dict[str, Any]], object],
    done: tuple[str, str],
    **failed: Any,
) -> HttpResponse:
    """Validate `form`, make the move, and back to the page with `done` (message, anchor);
    if the input or the move is refused, the page again with the form as it was typed and
    why. A closed workshop's page has no preparing forms left to say why in: it goes on top."""
    try:
        if form.is_valid():
            move(form.cleaned_data)
            messages.success(request, done[0])
            return _back(workshop, done[1])
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
        if workshop.is_closed:
            messages.error(request, refusal.message)
    return challenger_page_response(request, workshop, challenger, status=400, failed=failed)


@require_POST
def prepare_challenge(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    challenge = _own_challenge(workshop, challenger, pk)
    form = ChallengeEditForm(request.POST)
    return _submit(
        request,
        workshop,
        challenger,
        form,
        lambda data: actions.edit_challenge(challenge, challenger, **data),
        (_("Your challenge is saved."), f"prepare-{pk}"),
        challenge=pk,
        edit=form,
    )


@require_POST
def prepare_obstacle_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    challenge = _own_challenge(workshop, challenger, pk)
    form = ObstacleTextForm(request.POST)
    return _submit(
        request,
        workshop,
        challenger,
        form,
        lambda data: actions.add_obstacle(challenge, data["text"], challenger),
        (_("Obstacle added."), f"prepare-{pk}"),
        challenge=pk,
        add=form,
    )


@require_POST
def prepare_obstacle_reword(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    obstacle = _own_obstacle(workshop, challenger, pk)
    form = ObstacleTextForm(request.POST)
    return _submit(
        request,
        workshop,
        challenger,
        form,
        lambda data: actions.reword_obstacle(obstacle, data["text"], challenger),
        (_("Obstacle reworded."), f"prepare-{obstacle.challenge_id}"),
        obstacle=pk,
        reword=form,
    )


@require_POST
def prepare_obstacle_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    obstacle = _own_obstacle(workshop, challenger, pk)
    form = MoveForm(request.POST)
    try:
        if form.is_valid():
            actions.move_obstacle(obstacle, form.cleaned_data["step"], challenger)
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    return _back(workshop, f"prepare-{obstacle.challenge_id}")


@require_POST
def prepare_obstacle_remove(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    obstacle = _own_obstacle(workshop, challenger, pk)
    try:
        actions.remove_obstacle(obstacle, challenger)
    except ActionRefused as refusal:
        # Nothing typed to keep: the page again, with the reason on top.
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Obstacle removed."))
    return _back(workshop, f"prepare-{obstacle.challenge_id}")


@require_POST
def follow_up(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    challenge = _own_challenge(workshop, challenger, pk)
    form = ChallengeFollowUpForm(request.POST)
    return _submit(
        request,
        workshop,
        challenger,
        form,
        lambda data: actions.write_challenge_follow_up(challenge, challenger, **data),
        (_("Your follow-up is published."), f"follow-up-{pk}"),
        challenge=pk,
        follow_up=form,
    )
