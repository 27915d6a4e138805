"""Posting from a phone: the HTTP path here, and the helper the socket path shares."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insights.duplicates import similar_on_wall
from insights.forms import ContributionForm, blank_form, post_form_context
from insights.models import Contribution
from workshops.access import get_workshop_or_404, join_audience
from workshops.models import Participant, Workshop
from workshops.views.join import phone_page, use_workshop_language


def handle_post(
    workshop: Workshop, participant: Participant, data: dict
) -> tuple[ContributionForm, Contribution | None]:
    """Validate and save; (the form to show next, the saved contribution or None)."""
    form = ContributionForm(data, workshop=workshop)
    if not form.is_valid():
        return form, None
    if not data.get("anyway"):
        # Very like a card on the wall: offer it (a dot instead, or send anyway); the text
        # stays in the form, and the next send goes through. A resend of a saved post is
        # its answer, not an offer.
        form.offer = similar_on_wall(workshop, form.cleaned_data["text"], participant)
        if form.offer is not None and not _is_resend(participant, form):
            return form, None
    contribution, _created = form.save(participant)
    if contribution is None:
        return form, None
    return blank_form(workshop, participant, previous=form), contribution


def _is_resend(participant: Participant, form: ContributionForm) -> bool:
    key = form.cleaned_data.get("client_key")
    return bool(key) and Contribution.objects.filter(author=participant, client_key=key).exists()


def submit_post(workshop: Workshop, participant: Participant, data: dict, oob: bool = False) -> str:
    form, sent = handle_post(workshop, participant, data)
    return render_to_string(
        "insights/_post_form.html", post_form_context(workshop, participant, form, sent, oob)
    )


@require_POST
def post(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code, request)
    use_workshop_language(request, workshop)
    participant = join_audience(request, workshop)
    if request.htmx:
        html = submit_post(workshop, participant, request.POST)
        return HttpResponse(html)
    # Without JavaScript: post, redirect, get — or the whole page with the errors.
    form, sent = handle_post(workshop, participant, request.POST)
    if sent is not None:
        messages.success(request, _("Thank you! Your post arrived."))
        return redirect("workshops:join", code=workshop.code)
    status = 200 if getattr(form, "offer", None) else 400
    return phone_page(request, workshop, participant, form=form, status=status)
