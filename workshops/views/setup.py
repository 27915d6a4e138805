"""Preparing one workshop at /w/<CODE>/setup/: details, challenges and their ordered
obstacles, people, the readiness checklist, the QR poster, and the projector's first opening."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from challenges import actions as challenge_actions
from challenges.actions import challenger_changes
from challenges.forms import ChallengerChoiceForm, ChallengerInviteForm
from challenges.models import Challenge, Obstacle
from workshops.access import get_workshop_for_labber, get_workshop_or_404, projector_key_ok
from workshops.actions import setup as actions
from workshops.forms import (
    ChallengeForm,
    CoLabberForm,
    MoveForm,
    ObstacleForm,
    WorkshopForm,
)
from workshops.log import annotate
from workshops.models import Participant, Workshop
from workshops.views.join import use_workshop_language
from workshops.views.projector import join_url, qr_svg


def readiness(workshop: Workshop) -> list[dict[str, Any]]:
    """What should be in place before the room fills up."""
    return [
        {
            "done": Obstacle.objects.filter(challenge__workshop=workshop).exists(),
            "text": _("A challenge with its obstacles is written"),
        },
        {
            "done": workshop.participants.filter(role=Participant.Role.RECEIVER).exists(),
            "text": _("Receivers are invited"),
        },
        {
            "done": workshop.projector_opened_at is not None,
            "text": _("The projector link was opened on the room's computer"),
        },
    ]


def challenge_rows(workshop: Workshop, failed: dict[str, Any]) -> list[Challenge]:
    """Each challenge with its row's forms (a refused one as it was typed) and what its
    challenger changed since a labber last looked."""
    challenges = list(
        Challenge.objects.filter(workshop=workshop)
        .select_related("challenger")
        .prefetch_related("obstacles")
    )
    for challenge in challenges:
        mine = failed.get("pk") == challenge.pk
        challenge.choice_form = (mine and failed.get("choice")) or ChallengerChoiceForm(
            workshop=workshop,
            initial={"challenger": challenge.challenger_id},
            auto_id=f"challenger-{challenge.pk}-%s",
        )
        challenge.invite_form = (mine and failed.get("invite")) or ChallengerInviteForm(
            auto_id=f"invite-{challenge.pk}-%s"
        )
        challenge.changes = annotate(list(challenger_changes(challenge)))
        for obstacle in challenge.obstacles.all():
            if failed.get("obstacle") == obstacle.pk:
                obstacle.reword_form = failed.get("reword")
    return challenges


def setup_page(
    request: HttpRequest,
    workshop: Workshop,
    status: int = 200,
    failed: dict[str, Any] | None = None,
    **forms: Any,
) -> HttpResponse:
    projector = reverse("workshops:projector", args=[workshop.code])
    context = {
        "workshop": workshop,
        "details_form": forms.get("details_form") or WorkshopForm(instance=workshop),
        "challenge_form": forms.get("challenge_form") or ChallengeForm(),
        "obstacle_form": ObstacleForm(),
        "colabber_form": forms.get("colabber_form") or CoLabberForm(),
        "challenges": challenge_rows(workshop, failed or {}),
        "people": workshop.participants.exclude(role=Participant.Role.AUDIENCE)
        .select_related("user")
        .order_by("role", "display_name"),
        "checklist": readiness(workshop),
        "projector_url": f"{projector}?key={workshop.projector_token}",
        "join_url": join_url(request, workshop),
    }
    return render(request, "workshops/dashboard_setup.html", context, status=status)


def _back(workshop: Workshop, anchor: str = "") -> HttpResponse:
    url = reverse("workshops:setup", args=[workshop.code])
    return redirect(f"{url}#{anchor}" if anchor else url)


@never_cache
def setup(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    return setup_page(request, workshop)


@require_POST
def details(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    form = WorkshopForm(request.POST, instance=Workshop.objects.get(pk=workshop.pk))
    if not form.is_valid():
        return setup_page(request, workshop, status=400, details_form=form)
    actions.update_workshop(workshop, **{name: form.cleaned_data[name] for name in form.fields})
    messages.success(request, _("Details saved."))
    return _back(workshop, "details")


@require_POST
def challenge_add(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    form = ChallengeForm(request.POST)
    if not form.is_valid():
        return setup_page(request, workshop, status=400, challenge_form=form)
    actions.setup_challenge(workshop, **form.cleaned_data)
    messages.success(request, _("Challenge added."))
    return _back(workshop, "challenges")


@require_POST
def challenge_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    actions.remove_challenge(get_object_or_404(Challenge, pk=pk, workshop=workshop))
    messages.success(request, _("Challenge removed."))
    return _back(workshop, "challenges")


@require_POST
def obstacle_add(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    challenge = get_object_or_404(Challenge, pk=pk, workshop=workshop)
    form = ObstacleForm(request.POST)
    if form.is_valid():
        challenge_actions.add_obstacle(challenge, form.cleaned_data["text"], labber)
        messages.success(request, _("Obstacle added."))
    else:
        messages.error(request, _("Write the obstacle first."))
    return _back(workshop, f"challenge-{challenge.pk}")


def _obstacle(workshop: Workshop, pk: int) -> Obstacle:
    return get_object_or_404(
        Obstacle.objects.select_related("challenge"), pk=pk, challenge__workshop=workshop
    )


@require_POST
def obstacle_move(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    obstacle = _obstacle(workshop, pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        challenge_actions.move_obstacle(obstacle, form.cleaned_data["step"], labber)
    return _back(workshop, f"challenge-{obstacle.challenge_id}")


@require_POST
def obstacle_delete(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    obstacle = _obstacle(workshop, pk)
    challenge_actions.remove_obstacle(obstacle, labber)
    messages.success(request, _("Obstacle removed."))
    return _back(workshop, f"challenge-{obstacle.challenge_id}")


@require_POST
def colabber(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    form = CoLabberForm(request.POST)
    if not form.is_valid():
        return setup_page(request, workshop, status=400, colabber_form=form)
    person = actions.add_colabber(workshop, form.cleaned_data["account"])
    messages.success(request, _("%(name)s labbers with you.") % {"name": person.display_name})
    return _back(workshop, "people")


@never_cache
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """A one-page poster for the room: the question, the QR code and the join code."""
    workshop, _labber = get_workshop_for_labber(request, code)
    use_workshop_language(request, workshop)
    url = join_url(request, workshop)
    return render(
        request,
        "workshops/poster.html",
        {
            "workshop": workshop,
            "join_url": url,
            "join_url_short": url.split("://", 1)[-1],
            "join_url_base": url.split("://", 1)[-1].removesuffix(f"{workshop.code}/"),
            "qr": qr_svg(url, _("QR code: join the workshop on your phone")),
        },
    )


@require_POST
def projector_opened(request: HttpRequest, code: str) -> HttpResponse:
    """The projector page reports that it opened with its secret link (a link preview or a
    labber's own look does not count for the readiness checklist)."""
    workshop = get_workshop_or_404(code)
    if not projector_key_ok(workshop, request.GET.get("key")):
        raise PermissionDenied
    actions.mark_projector_opened(workshop)
    return HttpResponse(status=204)
