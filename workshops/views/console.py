"""The labber's console at /w/<CODE>/console/: the page, its projector preview, the
moderation log, undo, and the one wrapper every console move goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from insights.errors import ActionRefused
from workshops.access import get_workshop_for_labber
from workshops.actions.room import undo
from workshops.log import describe
from workshops.models import Participant, Workshop
from workshops.regions import recent_log, region_context
from workshops.views.projector import join_url, render_projector

Move = Callable[..., str]


def answer(
    request: HttpRequest, workshop: Workshop, message: str, status: int = 200
) -> HttpResponse:
    """The console's answer to a move: a short note in its status area (the screens follow by
    the live event); without JavaScript, back to the console with the note."""
    if request.htmx:
        html = render_to_string(
            "workshops/_console_message.html",
            {"message": message, "refused": status >= 400},
            request=request,
        )
        return HttpResponse(html, status=status)
    (messages.error if status >= 400 else messages.success)(request, message)
    return redirect("workshops:console", code=workshop.code)


def console_move(move: Move) -> Callable[..., HttpResponse]:
    """A console move: POST only, labbers of this workshop only (403 for anyone else), answered
    in the labber's own language (what it publishes reaches each screen in that screen's,
    insights/live.py), and a refusal becomes a clear message (409, or 400 for input that did
    not validate) — never an error page."""

    @wraps(move)
    @require_POST
    def view(request: HttpRequest, code: str, **kwargs) -> HttpResponse:
        workshop, labber = get_workshop_for_labber(request, code)
        try:
            message = move(request, workshop, labber, **kwargs)
        except ActionRefused as refusal:
            status = 400 if refusal.code == "invalid" else 409
            return answer(request, workshop, refusal.message, status)
        return answer(request, workshop, message)

    return view


@never_cache
def console(request: HttpRequest, code: str) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    # The cursor is read before the region: whatever commits in between is replayed.
    cursor = workshop.live_seq
    context = region_context(workshop, "console", labber)
    projector = reverse("workshops:projector", args=[workshop.code])
    context.update(
        {
            "cursor": cursor,
            "projector_url": f"{projector}?key={workshop.projector_token}",
            "join_url": join_url(request, workshop),
        }
    )
    return render(request, "workshops/console.html", context)


@never_cache
@xframe_options_sameorigin
def preview(request: HttpRequest, code: str) -> HttpResponse:
    """The projector as the room sees it, live, framed small in the console."""
    workshop, _labber = get_workshop_for_labber(request, code)
    return render_projector(request, workshop, preview=True)


@never_cache
def log(request: HttpRequest, code: str) -> HttpResponse:
    """The whole moderation log (who, what, when), for labbers."""
    workshop, _labber = get_workshop_for_labber(request, code)
    return render(
        request,
        "workshops/console_log.html",
        {"workshop": workshop, "log": recent_log(workshop, limit=None)},
    )


@console_move
def undo_move(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    entry = undo(workshop, pk, labber)
    return _("Undone: %(what)s") % {"what": describe(entry)}
