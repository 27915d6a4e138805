"""Probable duplicates on a workshop's wall, found as posts arrive: the console's "similar to
N others" groups, side by side, merged by a labber in one move (nothing merges by itself)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

from insights import similarity
from insights.live import publish
from insights.models import Contribution
from labbet import compiled
from live.db import after_batch
from workshops.log import card_version
from workshops.models import Participant, Workshop

logger = logging.getLogger(__name__)
# "Very close": the phone's offer asks a little more than the console's mark.
OFFER_THRESHOLD = 0.8
# One thread: comparisons of one process run one after another, off the post's answer.
_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labbet-similar")
# Only a serving process compares in the background (labbet/asgi.py says so): a command or
# a shell compares inline, since its background thread would outlive it, and a publish at
# interpreter shutdown can no longer schedule its send.
_serving = False


def compare_in_background() -> None:
    global _serving
    _serving = True


def _in_background() -> bool:
    return settings.LABBET_SIMILAR_IN_BACKGROUND and _serving


def _index(workshop: Workshop) -> similarity.Index:
    return _index_of(workshop.pk, workshop.created_at, workshop.language)


def _index_of(workshop_id: int, created_at: Any, language: str) -> similarity.Index:
    # Keyed by the workshop's creation too: a test database reuses primary keys.
    index = similarity.workshop_index((workshop_id, created_at), language, ())
    # Asked for every post, and usually nothing is new: by a statement compiled once.
    new = compiled.value_rows(
        Contribution,
        "new_on_wall",
        lambda values: (
            Contribution.objects.filter(workshop_id=values[0], pk__gt=values[1])
            .order_by("pk")
            .values_list("pk", "text")
        ),
        [workshop_id, index.last_pk],
    )
    index.add_many(new)
    return index


def _on_the_wall(workshop: Workshop, among: Iterable[int]) -> dict[int, Contribution]:
    """Those of `among` a labber can still merge: not hidden, not merged already."""
    cards = (
        Contribution.objects.filter(workshop=workshop, merged_into__isnull=True, pk__in=among)
        .exclude(status=Contribution.Status.HIDDEN)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    return {c.pk: c for c in cards}


def duplicate_groups(workshop: Workshop) -> list[list[Contribution]]:
    """Groups of cards that are probably the same idea, the newest group first; in each, the
    first posted first (the one to keep, unless the labber picks another)."""
    index = _index(workshop)
    paired = [pk for pk, others in index.pairs.items() if others]
    cards = _on_the_wall(workshop, paired) if paired else {}
    seen: set[int] = set()
    groups = []
    for pk in cards:
        if pk in seen or not index.pairs.get(pk):
            continue
        group, todo = [], [pk]
        while todo:
            at = todo.pop()
            if at in seen or at not in cards:
                continue
            seen.add(at)
            group.append(cards[at])
            todo.extend(index.pairs.get(at, ()))
        if len(group) > 1:
            group.sort(key=lambda c: (c.created_at, c.pk))
            for card in group:
                card.version = card_version(card)
            groups.append(group)
    groups.sort(key=lambda g: max(c.created_at for c in g), reverse=True)
    return groups


def similar_on_wall(
    workshop: Workshop, text: str, author: Participant | None = None
) -> Contribution | None:
    """The visible card most like `text` (someone else's), when it is very close: what a
    phone is offered to give a dot instead. None when there is none or the check fails: the
    offer never blocks a post."""
    if not settings.LABBET_SIMILAR_POSTS:
        return None
    try:
        # Brought up to date once per request or batch of posts (all of one batch are offered
        # before any is saved): the workshop object lives as long as that request or batch.
        index = workshop.__dict__.get("_similar_index")
        if index is None:
            index = workshop.__dict__["_similar_index"] = _index(workshop)
        close = [pk for pk, score in index.scores(text, limit=5) if score >= OFFER_THRESHOLD]
        if not close:
            return None
        cards = Contribution.objects.filter(
            workshop=workshop,
            pk__in=close,
            status=Contribution.Status.VISIBLE,
            merged_into__isnull=True,
        )
        if author is not None:
            cards = cards.exclude(author=author)
        found = {c.pk: c for c in cards}
        return next((found[pk] for pk in close if pk in found), None)
    except Exception:
        logger.exception("the similar-post check failed; the post goes through")
        return None


def similar_context(workshop: Workshop) -> dict[str, Any]:
    return {"duplicate_groups": duplicate_groups(workshop)}


def compare_new_posts(room: tuple[int, Any, str], posts: Sequence[tuple[int, str]]) -> None:
    """After posts (id, text) commit (one batch: a room that pressed Send together): compare
    them with the wall and, when any has probable duplicates, show the console the new
    groups, once. `room` is the workshop's key, creation and language (the posts' own, from
    another thread); the workshop is read only to publish."""
    workshop_id, created_at, language = room
    ids = sorted(pk for pk, _text in posts)
    try:
        index = similarity.workshop_index((workshop_id, created_at), language, ())
        if index.last_pk >= ids[0] - 1 and ids == list(range(ids[0], ids[-1] + 1)):
            # The index has every post before these (the phone's offer read the wall just
            # before they were saved): they join it as they are, with no read of the wall.
            index.add_many(posts)
        else:
            # Posts of another process or thread may lie between: the wall is read.
            index = _index_of(workshop_id, created_at, language)
            index.add_many(posts)  # committed after a later post: a read past it missed them
        if not any(index.pairs.get(pk) for pk in ids):
            return
        workshop = Workshop.objects.get(pk=workshop_id)
        with transaction.atomic():
            publish(workshop, "similar.changed", similar_context(workshop))
    except Exception:  # a failed comparison never costs the posts anything
        logger.exception("comparing posts %s failed", ids)
        if _in_background():
            close_old_connections()  # a broken connection is not kept for the next post
    # Otherwise the one background thread keeps its connection: opening one per post would
    # cost more than the comparison.


def after_posts(workshop: Workshop, posts: Sequence[tuple[int, str]]) -> None:
    """Run on commit, once per batch of posts (id, text) (the index takes the whole batch
    at once, and the console is told once): in the background (the posts' answers do not
    wait), or inline where the tests want the outcome before they look."""
    if not settings.LABBET_SIMILAR_POSTS:
        return
    # What the comparison reads of the workshop, not the posts' instance itself (nor a new
    # one: a model instance sets every field's default, a token among them).
    room = (workshop.pk, workshop.created_at, workshop.language)
    if _in_background():
        # A socket's batch compares on its own thread once its answers are made; a request
        # (or any other caller) on the background thread.
        job = partial(compare_new_posts, room, list(posts))
        if not after_batch(job):
            _BACKGROUND.submit(job)
    else:
        compare_new_posts(room, posts)
