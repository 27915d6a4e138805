"""The unsubscribe link in every automatic email: no account, no sign-in. A GET shows one
button (a link checker must not unsubscribe anyone); a POST — the button, or a mail client's
one-click request of RFC 8058, which carries no CSRF token — stops the emails."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from insights.actions.claims import unsubscribe as do_unsubscribe
from labbet.mail import participant_pk_from_token
from workshops.models import Participant
from workshops.views.join import use_workshop_language


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    pk = participant_pk_from_token(token)
    participant = Participant.objects.select_related("workshop").filter(pk=pk).first()
    if participant is None:
        return render(request, "insights/unsubscribe.html", {"problem": True}, status=404)
    use_workshop_language(request, participant.workshop)
    if request.method == "POST":
        participant = do_unsubscribe(participant)
    return render(
        request,
        "insights/unsubscribe.html",
        {"participant": participant, "workshop": participant.workshop, "token": token},
    )
