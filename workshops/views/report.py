"""The workshop report at /w/<CODE>/report/, its files (.md, .csv, .json, .pdf), and the
labbers' switch that makes it public."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from workshops.access import (
    get_workshop_for_labber,
    get_workshop_or_404,
    is_labber,
    session_participant,
)
from workshops.models import Participant, Workshop
from workshops.report import set_report_public
from workshops.report_formats import (
    CSV_DELIMITERS,
    PdfUnavailable,
    pdf_available,
    to_csv,
    to_json,
    to_markdown,
    to_pdf,
    to_xlsx,
)
from workshops.report_sections import Report
from workshops.views.join import use_workshop_language


def get_workshop_for_reader(request: HttpRequest, code: str) -> tuple[Workshop, bool]:
    """The workshop whose report this person may read, and whether they may publish it (a
    signed-in labber: the same test `get_workshop_for_labber` applies to the switch).

    Everyone else gets a 404, not a 403: an unpublished report does not reveal that it
    exists. The workshop's own challengers and receivers read it through their session."""
    workshop = get_workshop_or_404(code)
    labber = is_labber(request.user, workshop)
    if labber or workshop.report_public:
        return workshop, labber
    participant = session_participant(request.session, workshop)
    if (
        participant is not None
        and participant.role in Participant.INVITED_ROLES
        # A revoked (or expired) link locks its holder out at once, here as everywhere.
        and (participant.role == Participant.Role.LABBER or participant.invite_is_valid())
    ):
        return workshop, False
    raise Http404("No report here")


def report_url(request: HttpRequest, workshop: Workshop) -> str:
    path = reverse("workshops:report", args=[workshop.code])
    base = settings.LABBET_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return base + path


def _report(request: HttpRequest, code: str) -> tuple[Workshop, bool, Report]:
    workshop, labber = get_workshop_for_reader(request, code)
    use_workshop_language(request, workshop)
    return workshop, labber, Report.for_workshop(workshop, report_url(request, workshop))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(
    content: str | bytes, content_type: str, workshop: Workshop, ext: str, inline: bool
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    filename = f"labbet-{workshop.code.lower()}-report.{ext}"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@never_cache
def report(request: HttpRequest, code: str) -> HttpResponse:
    workshop, labber, report = _report(request, code)
    context = {
        "workshop": workshop,
        "report": report,
        "can_publish": labber,
        "pdf": pdf_available(),
    }
    return render(request, "workshops/report.html", context)


@never_cache
def report_markdown(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber, report = _report(request, code)
    return _file(to_markdown(report), "text/markdown; charset=utf-8", workshop, "md", True)


@never_cache
def report_csv(request: HttpRequest, code: str) -> HttpResponse:
    """?sep=semicolon for an Excel set to Swedish (the report page links both)."""
    workshop, _labber, report = _report(request, code)
    sep = request.GET.get("sep", "comma")
    if sep not in CSV_DELIMITERS:
        return HttpResponseBadRequest(
            _("Choose sep=comma or sep=semicolon for the CSV file."),
            content_type="text/plain; charset=utf-8",
        )
    content = to_csv(report, CSV_DELIMITERS[sep])
    return _file(content, "text/csv; charset=utf-8", workshop, "csv", False)


@never_cache
def report_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber, report = _report(request, code)
    return _file(to_xlsx(report), XLSX_TYPE, workshop, "xlsx", False)


@never_cache
def report_json(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber, report = _report(request, code)
    return _file(to_json(report.data), "application/json", workshop, "json", True)


@never_cache
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    workshop, _labber, report = _report(request, code)
    html = render_to_string(
        "workshops/report_pdf.html", {"workshop": workshop, "report": report}, request=request
    )
    try:
        pdf = to_pdf(html)
    except PdfUnavailable:
        context = {"workshop": workshop, "report": report}
        return render(request, "workshops/report_pdf_unavailable.html", context, status=503)
    return _file(pdf, "application/pdf", workshop, "pdf", False)


class PublishForm(forms.Form):
    public = forms.BooleanField(required=False)


@require_POST
def report_publish(request: HttpRequest, code: str) -> HttpResponse:
    workshop, labber = get_workshop_for_labber(request, code)
    form = PublishForm(request.POST)
    if form.is_valid():
        public = form.cleaned_data["public"]
        set_report_public(workshop, public, labber)
        if public:
            messages.success(request, _("The report is public: anyone with the link can read it."))
        else:
            messages.success(
                request,
                _("The report is private again: only this workshop's people can read it."),
            )
    return redirect("workshops:report", code=workshop.code)
