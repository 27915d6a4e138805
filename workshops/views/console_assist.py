"""The console's assistants: proposed themes, for the labbers' eyes only until one is
accepted through the ordinary theme move."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from insights.proposals import proposed_themes
from workshops.access import get_workshop_for_labber


@never_cache
def theme_proposals(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    if request.GET.get("drop"):  # a dropped proposal: nothing in its place
        return HttpResponse("")
    context = {"workshop": workshop, "proposals": proposed_themes(workshop)}
    return render(request, "workshops/_console_theme_proposals.html", context)
