"""The audience's phone page: /j/<CODE>/."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from insights.forms import blank_form, post_form_context
from workshops.access import get_workshop_or_404, join_audience
from workshops.models import Participant, Workshop
from workshops.regions import phone_context


def use_workshop_language(request: HttpRequest, workshop: Workshop) -> None:
    """The workshop's language, unless this person chose one with the switcher."""
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(workshop.language)
        request.LANGUAGE_CODE = workshop.language


def phone_page(
    request: HttpRequest,
    workshop: Workshop,
    participant: Participant,
    form=None,
    status: int = 200,
) -> HttpResponse:
    context = phone_context(workshop, participant)
    context.update(
        post_form_context(workshop, participant, form or blank_form(workshop, participant))
    )
    return render(request, "workshops/phone.html", context, status=status)


@never_cache
def join(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code, request)
    use_workshop_language(request, workshop)
    participant = join_audience(request, workshop)
    return phone_page(request, workshop, participant)
