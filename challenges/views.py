"""A challenge's own pages and moves: on the labber's setup row (its challenger, rewording an
obstacle, acknowledging the challenger's changes) and through the challenger's invite link
(preparing the challenge and its obstacles, and writing "what we did next")."""

from __future__ import annotations

from typing import Any

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
from insights.views.claims import base_url
from workshops.access import get_workshop_for_labber, get_workshop_or_404
from workshops.invites import invited_participant, send_invite
from workshops.models import Participant, Workshop
from workshops.views.challenger import challenger_page_response
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
                _send(request, challenger)
            return _setup_row(workshop, pk)
    return setup_page(request, workshop, status=400, failed={"pk": pk, "invite": form})


def _send(request: HttpRequest, challenger: Participant) -> None:
    try:
        send_invite(challenger, base_url(request))
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    except Exception:  # a mail server that is down is a message, not an error page
        messages.error(request, _("The email could not be sent. Copy the link instead."))
    else:
        messages.success(
            request, _("The link is on its way to %(email)s.") % {"email": challenger.email}
        )


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


def _refused(
    request: HttpRequest, workshop: Workshop, challenger: Participant, **failed: Any
) -> HttpResponse:
    """The page again, with the form as it was typed and why it was refused. A closed
    workshop's page has no preparing forms left to show the reason in: it goes on top."""
    if workshop.is_closed:
        for form in failed.values():
            for error in getattr(form, "non_field_errors", list)():
                messages.error(request, error)
    return challenger_page_response(request, workshop, challenger, status=400, failed=failed)


@require_POST
def prepare_challenge(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    challenge = _own_challenge(workshop, challenger, pk)
    form = ChallengeEditForm(request.POST)
    try:
        if form.is_valid():
            actions.edit_challenge(challenge, challenger, **form.cleaned_data)
            messages.success(request, _("Your challenge is saved."))
            return _back(workshop, f"prepare-{pk}")
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
    return _refused(request, workshop, challenger, challenge=pk, edit=form)


@require_POST
def prepare_obstacle_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    challenge = _own_challenge(workshop, challenger, pk)
    form = ObstacleTextForm(request.POST)
    try:
        if form.is_valid():
            actions.add_obstacle(challenge, form.cleaned_data["text"], challenger)
            messages.success(request, _("Obstacle added."))
            return _back(workshop, f"prepare-{pk}")
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
    return _refused(request, workshop, challenger, challenge=pk, add=form)


@require_POST
def prepare_obstacle_reword(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    obstacle = _own_obstacle(workshop, challenger, pk)
    form = ObstacleTextForm(request.POST)
    try:
        if form.is_valid():
            actions.reword_obstacle(obstacle, form.cleaned_data["text"], challenger)
            messages.success(request, _("Obstacle reworded."))
            return _back(workshop, f"prepare-{obstacle.challenge_id}")
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
    return _refused(request, workshop, challenger, obstacle=pk, reword=form)


@require_POST
def prepare_obstacle_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, challenger = _challenger(request, code)
    obstacle = _own_obstacle(workshop, challenger, pk)
    step = 1 if request.POST.get("step") == "1" else -1
    try:
        actions.move_obstacle(obstacle, step, challenger)
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
    try:
        if form.is_valid():
            actions.write_challenge_follow_up(challenge, challenger, **form.cleaned_data)
            messages.success(request, _("Your follow-up is published."))
            return _back(workshop, f"follow-up-{pk}")
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
    return _refused(request, workshop, challenger, challenge=pk, follow_up=form)
