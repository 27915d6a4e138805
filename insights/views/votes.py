"""Voting over HTTP: a phone's own dots panel (/j/<CODE>/vote/), and a labber opening and
closing voting (small POST views the console links its buttons to)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from insights.actions.votes import add_dot, close_voting, open_voting, take_back_dot
from insights.errors import ActionRefused
from insights.forms_claims import VoteForm, VotingForm
from insights.ranking import ranking_context, vote_panel_context
from workshops.access import get_workshop_for_labber, get_workshop_or_404, join_audience
from workshops.models import Workshop
from workshops.views.join import use_workshop_language


def first_error(form: forms.Form) -> str:
    return next(iter(e for errors in form.errors.values() for e in errors), "")


def refusal_status(refusal: ActionRefused) -> int:
    return 400 if refusal.code == "invalid" else 409


@never_cache
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, code: str) -> HttpResponse:
    """GET: this phone's panel (fetched when voting opens). POST: add or take back a dot."""
    workshop = get_workshop_or_404(code, request)
    use_workshop_language(request, workshop)
    participant = join_audience(request, workshop)
    error, status = "", 200
    if request.method == "POST":
        form = VoteForm(request.POST)
        if not form.is_valid():
            error, status = first_error(form), 400
        else:
            move = take_back_dot if form.cleaned_data["op"] == "remove" else add_dot
            try:
                move(workshop, participant, form.cleaned_data["contribution"])
            except ActionRefused as refusal:
                error, status = refusal.message, refusal_status(refusal)
        if not request.htmx:
            # Without JavaScript: post, redirect, get; the phone page shows the note.
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("Your dots are saved."))
            return redirect("workshops:join", code=workshop.code)
        workshop.refresh_from_db()
    context = {"workshop": workshop, "participant": participant, "oob": False}
    if workshop.voting_open:
        context.update(vote_panel_context(workshop, participant, error))
    else:
        context["vote_error"] = error
    return render(request, "insights/_vote_panel.html", context, status=status)


def console_url(workshop: Workshop) -> str:
    try:
        return reverse("workshops:console", args=[workshop.code])
    except NoReverseMatch:  # the console is built alongside; its address is fixed in DESIGN.md
        return f"/w/{workshop.code}/console/"


def _voting_answer(
    request: HttpRequest, workshop: Workshop, message: str, status: int = 200
) -> HttpResponse:
    if not request.htmx:
        (messages.error if status >= 400 else messages.success)(request, message)
        return redirect(console_url(workshop))
    workshop.refresh_from_db()
    context = {
        "workshop": workshop,
        "view": "console",
        "voting_message": message,
        "voting_refused": status >= 400,
        **ranking_context(workshop, "console"),
    }
    return render(request, "insights/_vote_controls.html", context, status=status)


@require_POST
def voting_open(request: HttpRequest, code: str) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    form = VotingForm(request.POST)
    if not form.is_valid():
        return _voting_answer(request, workshop, first_error(form), 400)
    try:
        open_voting(workshop, labber, **form.cleaned_data)
    except ActionRefused as refusal:
        return _voting_answer(request, workshop, refusal.message, refusal_status(refusal))
    return _voting_answer(request, workshop, _("Voting is open: the phones show their dots."))


@require_POST
def voting_close(request: HttpRequest, code: str) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    try:
        close_voting(workshop, labber)
    except ActionRefused as refusal:
        return _voting_answer(request, workshop, refusal.message, refusal_status(refusal))
    return _voting_answer(request, workshop, _("Voting is closed. The ranking stands."))
