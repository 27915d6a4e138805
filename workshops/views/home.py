"""The front door: a join-code box for the room, a way in for labbers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from workshops.access import find_workshop
from workshops.codes import normalise_code


def home(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("code", "")
    error = ""
    if "code" in request.GET:
        code = normalise_code(raw)
        workshop = find_workshop(code) if code else None
        if workshop is not None:
            return redirect("workshops:join", code=workshop.code)
        if not code:
            error = _("Type the code shown on the big screen.")
        else:
            error = _(
                "No workshop has the code “%(code)s”. Check the code on the screen — "
                "it has six letters and digits."
            ) % {"code": raw.strip()[:12]}
    status = 404 if error and raw.strip() else 200
    return render(request, "workshops/home.html", {"code": raw[:12], "error": error}, status=status)
