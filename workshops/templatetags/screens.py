"""Template filters for the big screens, and the live fragments' URLs reversed once."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pyphen
from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()

# A word this long may not fit a projector card's line; shorter ones wrap between words, and
# a longer run of letters is no word (the browser breaks it anywhere, as it must).
LONG_WORD = re.compile(r"\b\w{14,40}\b")
SOFT_HYPHEN = "\u00ad"


@cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=language if language in pyphen.LANGUAGES else "en_GB")


def load_dictionaries() -> None:
    """Read the hyphenation dictionary of each language the app speaks (≈0.25 s each): a
    serving process does it at start, not in the render of the first event after it."""
    for language, _name in settings.LANGUAGES:
        _dictionary(language)


@register.filter
def hyphenate(text: str) -> str:
    """Soft hyphens in long words, by the dictionary of the language being rendered: a word
    broken at a line's end then shows a hyphen, whether or not the browser has hyphenation
    dictionaries of its own (`hyphens: auto` does nothing without them). Escaped as usual."""
    language = (translation.get_language() or "en").split("-")[0]
    words = _dictionary(language)
    return LONG_WORD.sub(lambda match: words.inserted(match.group(0), hyphen=SOFT_HYPHEN), text)


@register.filter
def projector_shows_wall(workshop) -> bool:
    """Whether the projector shows the wall now (workshops/_projector_live.html), not the
    challenge, the ranking or the thanks: its cards' live updates have somewhere to go."""
    from insights.ranking import shows_ranking

    return workshop.phase not in ("challenge", "closed") and not shows_ranking(workshop)


# A key no card has: a card's URL is reversed once per (name, workshop, script prefix) with it,
# and each card's key is put in its place. The console card has seven such URLs, and Django's
# `{% url %}` reverses each from scratch: a third of the card's render (profiled, a new post's
# console fragment).
_KEY_SENTINEL = 987_654_321_987


@lru_cache(maxsize=1024)
def _card_url_parts(name: str, code: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[code, _KEY_SENTINEL])
    head, found, tail = url.partition(str(_KEY_SENTINEL))
    if not found:
        raise ValueError(f"{name} does not take the card's key as its last argument")
    return head, tail


@lru_cache(maxsize=1024)
def _room_url(name: str, code: str, prefix: str) -> str:
    return reverse(name, args=[code])


@register.simple_tag
def live_url(name: str, code: str, pk: int | None = None) -> str:
    """`{% url name code pk %}` in a live fragment or answer, without reversing it again for
    every card (and `{% url name code %}` with no pk)."""
    prefix = get_script_prefix()
    if pk is None:
        return _room_url(name, code, prefix)
    head, tail = _card_url_parts(name, code, prefix)
    return f"{head}{int(pk)}{tail}"


@receiver(setting_changed)
def _forget_urls(setting: str, **kwargs) -> None:
    # What Django's own URL caches do when a test changes where URLs come from.
    if setting == "ROOT_URLCONF":
        _card_url_parts.cache_clear()
        _room_url.cache_clear()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **extra) -> str:
    """`{% include name with … %}` for a Jinja2 partial (an app's jinja2/, labbet/jinja.py): what
    every post renders is there, and the pages show the same partials. It sees this
    template's whole context, as an include does."""
    template = engines["jinja2"].get_template(name).template
    return mark_safe(template.render({**context.flatten(), **extra}))  # noqa: S308  # Jinja2 escapes
