"""A receiver's way back, months later (/claims/): their claims across workshops.

"Their" means the receivers this browser came in as through personal links (the session), not
everyone who shares an email address: a labber of another workshop could otherwise invite
someone's address and read that person's private notes."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from insights.models import Claim, FollowUp
from insights.views.claims import denied
from workshops.invites import remembered_participants
from workshops.models import Participant
from workshops.views.invites import workshop_is_over
from workshops.views.join import use_workshop_language


@never_cache
def receiver_dashboard(request: HttpRequest) -> HttpResponse:
    receivers = remembered_participants(request.session, Participant.Role.RECEIVER)
    if not receivers:
        return denied(request)
    use_workshop_language(request, receivers[0].workshop)
    reports = FollowUp.objects.order_by("created_at", "id")
    claims = (
        Claim.objects.filter(receiver__in=receivers)
        .select_related("contribution__workshop", "receiver")
        .prefetch_related(Prefetch("follow_ups", queryset=reports))
        .order_by("-updated_at")
    )
    by_receiver: dict[int, list[Claim]] = {}
    for claim in claims:
        claim.last_report = (list(claim.follow_ups.all()) or [None])[-1]
        by_receiver.setdefault(claim.receiver_id, []).append(claim)
    for receiver in receivers:
        receiver.claim_list = by_receiver.get(receiver.pk, [])
        receiver.in_the_room = not workshop_is_over(receiver.workshop)
    return render(
        request,
        "workshops/receiver.html",
        {"receivers": receivers, "me": receivers[0], "statuses": Claim.Status},
    )
