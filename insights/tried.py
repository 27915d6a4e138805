"""What others already tried: the suggestions of earlier published workshops most like a given
one, with their receivers, statuses and latest follow-ups. Read side only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import QuerySet

from insights import similarity
from insights.models import Claim, Contribution
from workshops.models import Workshop
from workshops.report import claim_data, claims_prefetch, participant_data
from workshops.report_sections import claim_view, person_view

# Lower than a duplicate's: "something like it", the same idea in other words or a near one.
RELATED_THRESHOLD = 0.45
LIMIT = 3


def archived_suggestions() -> QuerySet[Contribution]:
    """Published: a closed workshop whose report is public; never a hidden, pending or merged
    card."""
    return Contribution.objects.filter(
        kind=Contribution.Kind.SUGGESTION,
        status=Contribution.Status.VISIBLE,
        merged_into__isnull=True,
        workshop__status=Workshop.Status.CLOSED,
        workshop__report_public=True,
    )


def archive_claim(claim: Claim) -> dict[str, Any]:
    """A claim in the report's own shape, so both pages tell its story the same way."""
    receiver = person_view(participant_data(claim.receiver))
    return claim_view(claim_data(claim, lambda _person: None), receiver)


def tried_elsewhere(
    contributions: Sequence[Contribution], limit: int = LIMIT
) -> dict[int, list[dict[str, Any]]]:
    """For each contribution: up to `limit` archived suggestions from other workshops in its
    language, most alike first, as {"suggestion", "claims", "score"}. One query and one sparse
    product per language, however many contributions."""
    found: dict[int, list[tuple[int, float]]] = {}
    by_language: dict[str, list[Contribution]] = {}
    for c in contributions:
        by_language.setdefault(c.workshop.language, []).append(c)
    for language, mine in by_language.items():
        archive = list(
            archived_suggestions()
            .filter(workshop__language=language)
            .values_list("pk", "text", "workshop_id")
        )
        if not archive:
            continue
        theirs = similarity.vectors([text for _, text, _ in archive], language)
        scores = (similarity.vectors([c.text for c in mine], language) @ theirs.T).toarray()
        for c, row in zip(mine, scores, strict=True):
            picked = []
            for i in np.argsort(-row, kind="stable"):
                if row[i] < RELATED_THRESHOLD or len(picked) == limit:
                    break
                if archive[i][2] != c.workshop_id:
                    picked.append((archive[i][0], float(row[i])))
            found[c.pk] = picked
    wanted = {pk for picked in found.values() for pk, _ in picked}
    rows = {
        c.pk: c
        for c in archived_suggestions()
        .filter(pk__in=wanted)
        .select_related("workshop")
        .prefetch_related(claims_prefetch())
    }
    return {
        pk: [
            {
                "suggestion": rows[other],
                "claims": [archive_claim(claim) for claim in rows[other].claims.all()],
                "score": score,
            }
            for other, score in picked
            if other in rows
        ]
        for pk, picked in found.items()
    }
