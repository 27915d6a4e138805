"""The challengers' own follow-ups ("what we did next"), as the public pages read them."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from challenges.models import Challenge, ChallengeFollowUp
from workshops.models import Workshop


def challenges_followed_up(workshop: Workshop) -> QuerySet[Challenge]:
    """The workshop's challenges that their challenger has written a follow-up on."""
    return (
        Challenge.objects.filter(workshop=workshop, follow_ups__isnull=False)
        .distinct()
        .select_related("challenger")
        .prefetch_related(
            Prefetch("follow_ups", ChallengeFollowUp.objects.select_related("author"))
        )
        .order_by("order", "id")
    )
