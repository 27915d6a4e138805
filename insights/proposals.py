"""Proposed themes: the visible cards not yet in a theme, grouped into a handful of clusters,
each labelled by its most telling words. Shown on the console only; a labber accepts (through
the existing theme action), renames, drops, or leaves out single cards."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from insights import similarity
from insights.models import Contribution
from workshops.log import card_version
from workshops.models import Workshop

MAX_THEMES = 6
LABEL_WORDS = 2
# A label's words are the telling ones of four letters or more where the cluster has them:
# "få", "nya", "all" weigh much in a short post and name nothing.
LABEL_MIN_LENGTH = 4


@dataclass
class Proposal:
    label: str
    cards: list[Contribution]


def _theme_count(n: int) -> int:
    return max(1, min(MAX_THEMES, round(math.sqrt(n / 2))))


def propose(texts: list[str], language: str) -> list[tuple[str, list[int]]]:
    """Clusters of `texts` as (label, indexes), largest first; deterministic (a fixed seed)."""
    if len(texts) < 2:
        return []
    k = _theme_count(len(texts))
    features = similarity.vectors(texts, language)
    if k == 1:
        labels = np.zeros(len(texts), dtype=int)
    else:
        labels = KMeans(n_clusters=k, n_init=3, random_state=20).fit_predict(features)
    # The label: the words that weigh most in the cluster against the whole wall.
    words = TfidfVectorizer(
        analyzer=lambda text: similarity.words(text, language), sublinear_tf=True
    )
    try:
        weights = words.fit_transform(texts)
    except ValueError:  # only small words on the wall
        return []
    vocabulary = words.get_feature_names_out()
    overall = np.asarray(weights.mean(axis=0)).ravel()
    found = []
    for cluster in range(k):
        members = [i for i in range(len(texts)) if labels[i] == cluster]
        if len(members) < 2:
            continue
        inside = np.asarray(weights[members].mean(axis=0)).ravel()
        telling = inside - 0.5 * overall
        ranked = [vocabulary[i] for i in np.argsort(-telling, kind="stable")]
        long_words = [w for w in ranked if len(w) >= LABEL_MIN_LENGTH]
        top = (long_words if len(long_words) >= LABEL_WORDS else ranked)[:LABEL_WORDS]
        label = " · ".join(w.capitalize() if n == 0 else w for n, w in enumerate(top))
        found.append((label, members))
    found.sort(key=lambda item: (-len(item[1]), item[0]))
    return found


def proposed_themes(workshop: Workshop) -> list[Proposal]:
    """The workshop's visible cards without a theme, grouped."""
    cards = list(
        Contribution.objects.filter(
            workshop=workshop,
            status=Contribution.Status.VISIBLE,
            merged_into__isnull=True,
            theme__isnull=True,
        ).order_by("created_at", "pk")
    )
    for card in cards:
        card.version = card_version(card)
    return [
        Proposal(label, [cards[i] for i in members])
        for label, members in propose([c.text for c in cards], workshop.language)
    ]
