"""The archive at /archive/: the suggestions of every closed workshop whose report is public, and
what became of each — so that those who come after can find what others already tried."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from insights.models import Claim, Contribution, Vote
from insights.tried import archive_claim, archived_suggestions, tried_elsewhere
from workshops.models import Workshop
from workshops.report import claims_prefetch

PAGE_SIZE = 20
MAX_WORDS = 8
UNCLAIMED = "unclaimed"
# Newest workshop first; within one, the suggestions the room voted for most.
ORDER = (
    F("workshop__date").desc(nulls_last=True),
    "-workshop__created_at",
    "-votes_total",
    "created_at",
    "id",
)
FTS_CONFIG = {Workshop.Language.SV: "swedish", Workshop.Language.EN: "english"}


class ArchiveFilterForm(forms.Form):
    q = forms.CharField(label=_("Words in the suggestion"), required=False, max_length=200)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    organisation = forms.ChoiceField(label=_("Taken forward by"), required=False)
    status = forms.ChoiceField(label=_("What became of it"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = archived_suggestions()
        themes = (
            scope.exclude(theme=None)
            .order_by("theme__name")
            .values_list("theme__name", flat=True)
            .distinct()
        )
        organisations = (
            Claim.objects.filter(contribution__in=scope)
            .exclude(receiver__organisation="")
            .order_by("receiver__organisation")
            .values_list("receiver__organisation", flat=True)
            .distinct()
        )
        self.fields["theme"].choices = [("", _("Any theme")), *((t, t) for t in themes)]
        self.fields["organisation"].choices = [
            ("", _("Anyone, or no one yet")),
            *((o, o) for o in organisations),
        ]
        self.fields["status"].choices = [
            ("", _("Anything")),
            (UNCLAIMED, _("Not taken forward yet")),
            *Claim.Status.choices,
        ]


def word_matches(word: str) -> Q:
    # SQLite folds case for ASCII letters only: without the variants "Öppna" misses "öppna".
    match = Q(text__icontains=word)
    for variant in {word.lower(), word.capitalize(), word.upper()}:
        match |= Q(text__contains=variant)
    return match


def search(suggestions: QuerySet[Contribution], text: str) -> QuerySet[Contribution]:
    """Every word, anywhere in the text (so a stem like "samverk" finds "samverkansplattform");
    on PostgreSQL also full-text search in the workshop's language, best matches first."""
    words = text.split()[:MAX_WORDS]
    if not words:
        return suggestions
    every_word = Q()
    for word in words:
        every_word &= word_matches(word)
    if connection.vendor != "postgresql":
        return suggestions.filter(every_word)

    # Imported here: the functions need psycopg and PostgreSQL, not the contrib app.
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    matched, ranks = every_word, []
    for language, config in FTS_CONFIG.items():
        vector = SearchVector("text", config=config)
        query = SearchQuery(text, config=config, search_type="websearch")
        suggestions = suggestions.annotate(**{f"fts_{language}": vector})
        matched |= Q(workshop__language=language, **{f"fts_{language}": query})
        ranks.append(When(workshop__language=language, then=SearchRank(vector, query)))
    rank = Coalesce(Case(*ranks, output_field=FloatField()), Value(0.0))
    return suggestions.filter(matched).annotate(rank=rank).order_by("-rank", *ORDER)


def filtered(form: ArchiveFilterForm) -> QuerySet[Contribution]:
    data = form.cleaned_data if form.is_valid() else {}
    votes = (
        Vote.objects.filter(contribution=OuterRef("pk"))
        .values("contribution")
        .annotate(total=Sum("dots"))
        .values("total")
    )
    suggestions = archived_suggestions().annotate(votes_total=Coalesce(Subquery(votes), 0))
    suggestions = suggestions.order_by(*ORDER)
    if data.get("theme"):
        suggestions = suggestions.filter(theme__name=data["theme"])
    claims = Claim.objects.filter(contribution=OuterRef("pk"))
    if data.get("organisation"):
        suggestions = suggestions.filter(
            Exists(claims.filter(receiver__organisation=data["organisation"]))
        )
    if data.get("status") == UNCLAIMED:
        suggestions = suggestions.filter(~Exists(claims))
    elif data.get("status"):
        suggestions = suggestions.filter(Exists(claims.filter(status=data["status"])))
    return search(suggestions, data.get("q") or "")


def report_links(workshops: set[Workshop]) -> dict[int, str]:
    """The report URL of each workshop that its code still leads to (a code is free for reuse
    once a workshop closes, and then leads to the newer workshop instead)."""
    codes = {w.code for w in workshops}
    newest: dict[str, Workshop] = {}
    for w in Workshop.objects.filter(code__in=codes).order_by("created_at"):
        if newest.get(w.code) is None or newest[w.code].is_closed:
            newest[w.code] = w
    return {
        w.pk: reverse("workshops:report", args=[w.code])
        for w in workshops
        if newest.get(w.code) == w
    }


def archive(request: HttpRequest) -> HttpResponse:
    form = ArchiveFilterForm(request.GET or None)
    page = Paginator(
        filtered(form)
        .select_related("workshop", "theme", "obstacle")
        .prefetch_related(claims_prefetch()),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    links = report_links({c.workshop for c in page})
    tried = tried_elsewhere(list(page))
    items = [
        {
            "suggestion": c,
            "report_url": links.get(c.workshop_id),
            "claims": [archive_claim(claim) for claim in c.claims.all()],
            "tried": tried.get(c.pk, []),
        }
        for c in page
    ]
    context = {
        "form": form,
        "page": page,
        "items": items,
        "searching": any(request.GET.get(name) for name in form.fields),
        "archive_empty": not page.paginator.count and not archived_suggestions().exists(),
    }
    return render(request, "insights/archive.html", context)
