"""After the workshop: the public follow-up page (/w/<CODE>/follow-up/), one claim's page with
its reports (receiver, challenger, labbers), and a contributor leaving an email for news."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from challenges.followup import challenges_followed_up
from insights.actions.claims import (
    may_change_status,
    may_report,
    post_follow_up,
    set_contributor_email,
)
from insights.errors import ActionRefused
from insights.followup import claimed_suggestions, timeline, with_story
from insights.forms_claims import ContributorEmailForm, FollowUpForm
from insights.models import Claim, Contribution
from insights.views.claims import base_url, denied
from insights.views.votes import first_error
from workshops.access import get_workshop_or_404, join_audience, labber_participant
from workshops.invites import invited_participant
from workshops.models import Participant
from workshops.views.join import use_workshop_language


@never_cache
def follow_up_page(request: HttpRequest, code: str) -> HttpResponse:
    """Public: what was claimed, by whom, and what came of it. Names organisations and
    receivers; never a private note, an email address or an audience member's name."""
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    suggestions = claimed_suggestions(workshop)
    open_count = Contribution.objects.filter(
        workshop=workshop,
        kind=Contribution.Kind.SUGGESTION,
        status=Contribution.Status.VISIBLE,
        merged_into__isnull=True,
        claims__isnull=True,
    ).count()
    return render(
        request,
        "workshops/followup.html",
        {
            "workshop": workshop,
            "suggestions": suggestions,
            "unclaimed": open_count,
            "challenges": challenges_followed_up(workshop),
        },
    )


def claim_reader(request: HttpRequest, claim: Claim) -> Participant | None:
    """Who may open this claim's page: its receiver, the challenger it concerns, a labber."""
    workshop = claim.contribution.workshop
    labber = labber_participant(request.user, workshop)
    if labber is not None:
        return labber
    receiver = invited_participant(request.session, workshop, Participant.Role.RECEIVER)
    if receiver is not None and receiver.pk == claim.receiver_id:
        return receiver
    challenger = invited_participant(request.session, workshop, Participant.Role.CHALLENGER)
    if challenger is not None and may_report(challenger, claim):
        return challenger
    return None


def _claim_of(pk: int) -> Claim:
    return get_object_or_404(
        Claim.objects.select_related(
            "receiver", "contribution__workshop", "contribution__challenge"
        ),
        pk=pk,
    )


def _claim_page(
    request: HttpRequest, claim: Claim, reader: Participant, form=None, status: int = 200
) -> HttpResponse:
    story = with_story(Contribution.objects.filter(pk=claim.contribution_id)).get()
    changes_status = may_change_status(reader, claim)
    form = form or FollowUpForm(initial={"status": claim.status})
    return render(
        request,
        "workshops/followup_claim.html",
        {
            "claim": claim,
            "workshop": claim.contribution.workshop,
            "contribution": story,
            "story": timeline(story),
            "reader": reader,
            "form": form,
            "changes_status": changes_status,
            "can_withdraw": changes_status and not claim.follow_ups.exists(),
        },
        status=status,
    )


@never_cache
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_of(pk)
    use_workshop_language(request, claim.contribution.workshop)
    reader = claim_reader(request, claim)
    if reader is None:
        return denied(request, claim.contribution.workshop)
    return _claim_page(request, claim, reader)


@require_POST
def claim_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_of(pk)
    use_workshop_language(request, claim.contribution.workshop)
    reader = claim_reader(request, claim)
    if reader is None:
        return denied(request, claim.contribution.workshop)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _claim_page(request, claim, reader, form, 400)
    data = form.cleaned_data
    try:
        post_follow_up(
            claim,
            reader,
            text=data["text"],
            status=data.get("status") or None,
            link=data["link"],
            base_url=base_url(request),
        )
    except ActionRefused as refusal:
        form.add_error(None, refusal.message)
        return _claim_page(
            request, claim, reader, form, 403 if refusal.code == "forbidden" else 400
        )
    messages.success(request, _("Thank you! Your follow-up is on the public follow-up page."))
    return redirect("insights:claim-detail", pk=claim.pk)


@require_POST
def contributor_email(request: HttpRequest, code: str) -> HttpResponse:
    """A contributor leaves (or clears) an address to hear what becomes of their suggestions."""
    workshop = get_workshop_or_404(code)
    use_workshop_language(request, workshop)
    participant = join_audience(request, workshop)
    form = ContributorEmailForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        set_contributor_email(participant, email)
        participant.email = email
        message = (
            _("Thank you! We will email you when a receiver takes your suggestion forward.")
            if email
            else _("Done: we will not email you.")
        )
        status, error = 200, ""
    else:
        message, status, error = "", 400, first_error(form)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        return redirect("workshops:join", code=workshop.code)
    return render(
        request,
        "insights/_claim_updates.html",
        {
            "workshop": workshop,
            "participant": participant,
            "updates_message": message,
            "updates_error": error,
            "updates_value": request.POST.get("email", "")[:254],
        },
        status=status,
    )
