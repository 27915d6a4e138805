"""What the room's live events show: each change is rendered once per view and language read
in the room, from the same template partials as the full pages; the live app (live/events.py)
numbers, stores and sends it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from labbet.jinja import render_fragment
from live import events
from live.models import LiveEvent
from workshops.models import Workshop

logger = logging.getLogger(__name__)


def publish(workshop: Workshop, kind: str, context: dict[str, Any] | None = None) -> LiveEvent:
    """Record one live event for `workshop` inside the caller's transaction.

    The template `insights/live/<kind>.html` is rendered once per view (with `view` set) and
    language read in the room; the frames go out on commit, so no screen ever shows a row
    that was rolled back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the action's transaction")
    # Numbered first: the UPDATE takes the workshop's row lock (see live/events.py).
    seq = workshop.live_seq = events.next_seq(workshop.pk)
    template = f"insights/live/{kind.replace('.', '_')}.html"
    fragments = render_views(template, workshop, context)
    try:
        others = events.other_languages(workshop)
    except Exception:
        # The cache (Redis) is down: render every language rather than leave a screen behind.
        logger.warning("live: could not read which languages the room reads", exc_info=True)
        others = [
            (view, lang) for view in settings.LABBET_LIVE_VIEWS for lang, _n in settings.LANGUAGES
        ]
    for view, language in others:
        if language == workshop.language:
            continue
        rendered = render_views(template, workshop, context, views=[view], language=language)
        fragments[events.fragment_key(view, language, workshop.language)] = rendered[view]
    return events.record(workshop, seq, kind, fragments)


def render_views(
    template: str,
    workshop: Workshop,
    context: dict[str, Any] | None,
    views: Iterable[str] | None = None,
    language: str | None = None,
) -> dict[str, str]:
    """One render per view (by default every view of settings.LABBET_LIVE_VIEWS) for the whole
    room, in `language` (by default the workshop's), not the language of whoever made the
    change."""
    base = {"workshop": workshop, **(context or {})}
    with translation.override(language or workshop.language):
        return {
            view: render_fragment(template, {**base, "view": view}).strip()
            for view in (settings.LABBET_LIVE_VIEWS if views is None else views)
        }
