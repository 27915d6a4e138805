"""Error pages that help: what went wrong and where to go instead."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The static 500 page (it needs no database). When the database is what failed (down,
    restarting, or every pooled connection busy past its wait) it is a 503 with Retry-After:
    a passing state, and the phone keeps what it wrote and sends it again."""
    html = loader.get_template("500.html").render()
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponse(html, status=500)
