"""The challenger's view (/w/<CODE>/challenge/): every insight, suggestion and claim on their
challenge, and where to write a follow-up."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from challenges.models import Challenge
from insights.followup import with_story
from insights.models import Contribution
from insights.views.claims import denied
from workshops.access import get_workshop_or_404
from workshops.invites import invited_participant
from workshops.models import Participant
from workshops.views.join import use_workshop_language


@never_cache
def challenger_page(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    challenger = invited_participant(request.session, workshop, Participant.Role.CHALLENGER)
    if challenger is None:
        return denied(request, workshop)
    challenges = list(
        Challenge.objects.filter(workshop=workshop, challenger=challenger).prefetch_related(
            "obstacles"
        )
    )
    # Posts about the challenge as a whole (no obstacle chosen) concern every challenger.
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
            "insights": [c for c in contributions if not c.is_suggestion],
            "suggestions": sorted(
                (c for c in contributions if c.is_suggestion), key=lambda c: -c.dot_total
            ),
        },
    )
