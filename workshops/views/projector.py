"""The projector: the room's big screen at /w/<CODE>/projector/."""

from __future__ import annotations

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from workshops.access import can_view_projector, get_workshop_or_404
from workshops.models import Workshop
from workshops.regions import region_context, room_counts
from workshops.views.join import use_workshop_language


def join_url(request: HttpRequest, workshop: Workshop) -> str:
    path = reverse("workshops:join", args=[workshop.code])
    base = settings.LABBET_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return base + path


def qr_svg(url: str, title: str) -> str:
    qr = segno.make(url, error="m")
    # Our own SVG from our own URL; nothing a participant typed goes into it.
    return mark_safe(  # noqa: S308
        qr.svg_inline(scale=1, border=2, dark="#000", light="#fff", title=title, omitsize=True)
    )


def _projector_workshop(request: HttpRequest, code: str) -> Workshop:
    workshop = get_workshop_or_404(code)
    if not can_view_projector(request, workshop):
        raise PermissionDenied
    return workshop


def render_projector(
    request: HttpRequest, workshop: Workshop, key: str = "", preview: bool = False
) -> HttpResponse:
    """The projector page: for the room's computer, and framed small in the console."""
    use_workshop_language(request, workshop)
    # The cursor is read before the wall: whatever commits in between is replayed, not lost.
    cursor = workshop.live_seq
    context = region_context(workshop, "projector")
    url = join_url(request, workshop)
    context.update(
        {
            "cursor": cursor,
            "join_url": url,
            "join_url_short": url.split("://", 1)[-1],
            # The address in two parts, so that it may wrap before the code, never inside it.
            "join_url_base": url.split("://", 1)[-1].removesuffix(f"{workshop.code}/"),
            "qr": qr_svg(url, _("QR code: join the workshop on your phone")),
            "key": key,
            "preview": preview,
        }
    )
    return render(request, "workshops/projector.html", context)


@never_cache
def projector(request: HttpRequest, code: str) -> HttpResponse:
    workshop = _projector_workshop(request, code)
    return render_projector(request, workshop, key=request.GET.get("key", ""))


@never_cache
def projector_counts(request: HttpRequest, code: str) -> HttpResponse:
    workshop = _projector_workshop(request, code)
    use_workshop_language(request, workshop)
    return render(
        request,
        "workshops/_projector_counts.html",
        {"workshop": workshop, "counts": room_counts(workshop)},
    )
