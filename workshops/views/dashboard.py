"""The labber's dashboard: their workshops (upcoming, live, closed), a new one, a copy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workshops.access import get_workshop_for_labber
from workshops.actions.setup import create_workshop, duplicate_workshop
from workshops.forms import WorkshopForm
from workshops.models import Participant, Workshop


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = Workshop.objects.filter(
        Q(created_by=user) | Q(participants__user=user, participants__role=Participant.Role.LABBER)
    ).distinct()
    groups = [
        {
            "key": "live",
            "title": _("Live now"),
            "workshops": mine.filter(status=Workshop.Status.LIVE).order_by("-created_at"),
        },
        {
            "key": "upcoming",
            "title": _("Upcoming"),
            "workshops": mine.filter(status=Workshop.Status.DRAFT).order_by(
                F("date").asc(nulls_last=True), "-created_at"
            ),
        },
        {
            "key": "closed",
            "title": _("Closed"),
            "workshops": mine.filter(status=Workshop.Status.CLOSED).order_by(
                F("date").desc(nulls_last=True), "-created_at"
            ),
        },
    ]
    return render(request, "workshops/dashboard.html", {"groups": groups})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        workshop = create_workshop(
            question=data["question"],
            event=data["event"],
            place=data["place"],
            day=data["date"],
            language=data["language"],
            moderation=data["moderation"],
            dots_per_person=data["dots_per_person"],
            created_by=request.user,
        )
        messages.success(
            request, _("Workshop created. Its join code is %(code)s.") % {"code": workshop.code}
        )
        return redirect("workshops:setup", code=workshop.code)
    status = 400 if form.errors else 200
    return render(request, "workshops/dashboard_new.html", {"form": form}, status=status)


@require_POST
def duplicate(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber = get_workshop_for_labber(request, code)
    copy = duplicate_workshop(workshop, request.user)
    messages.success(
        request,
        _("This is a copy of %(code)s, with a new join code and projector link.")
        % {"code": workshop.code},
    )
    return redirect("workshops:setup", code=copy.code)
