"""The challenger's view (/w/<CODE>/challenge/): preparing their challenge and its obstacles
before the day, then every insight, suggestion and claim on it, and their own follow-up."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from challenges.forms import ChallengeEditForm, ChallengeFollowUpForm
from challenges.models import Challenge
from insights.followup import with_story
from insights.models import Contribution
from insights.views.claims import denied
from workshops.access import get_workshop_or_404
from workshops.invites import invited_participant
from workshops.models import Participant, Workshop
from workshops.views.join import use_workshop_language


@never_cache
def challenger_page(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    challenger = invited_participant(request.session, workshop, Participant.Role.CHALLENGER)
    if challenger is None:
        return denied(request, workshop)
    return challenger_page_response(request, workshop, challenger)


def challenger_page_response(
    request: HttpRequest,
    workshop: Workshop,
    challenger: Participant,
    status: int = 200,
    failed: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page; `failed` names the form a refused move came from, as it was typed."""
    failed = failed or {}
    challenges = list(
        Challenge.objects.filter(workshop=workshop, challenger=challenger).prefetch_related(
            "obstacles", "follow_ups"
        )
    )
    for challenge in challenges:
        mine = failed.get("challenge") == challenge.pk
        challenge.edit_form = (mine and failed.get("edit")) or ChallengeEditForm(
            initial={"title": challenge.title, "description": challenge.description}
        )
        challenge.add_form = mine and failed.get("add")
        challenge.follow_up_form = (mine and failed.get("follow_up")) or ChallengeFollowUpForm()
        for obstacle in challenge.obstacles.all():
            if failed.get("obstacle") == obstacle.pk:
                obstacle.reword_form = failed.get("reword")
    # Posts about the workshop as a whole (no obstacle chosen) concern every challenger.
    contributions = list(
        with_story(
            Contribution.objects.filter(
                Q(challenge__in=challenges) | Q(challenge__isnull=True),
                workshop=workshop,
                status=Contribution.Status.VISIBLE,
                merged_into__isnull=True,
            ).order_by("kind", "created_at")
        )
    )
    for contribution in contributions:
        contribution.dot_total = sum(v.dots for v in contribution.votes.all())
        for claim in contribution.claims.all():
            claim.last_report = (list(claim.follow_ups.all()) or [None])[-1]
    return render(
        request,
        "workshops/challenger.html",
        {
            "workshop": workshop,
            "challenger": challenger,
            "challenges": challenges,
            "preparing": not workshop.is_closed,
            "insights": [c for c in contributions if not c.is_suggestion],
            "suggestions": sorted(
                (c for c in contributions if c.is_suggestion), key=lambda c: -c.dot_total
            ),
        },
        status=status,
    )
