"""The Jinja2 environment of the partials every post renders (the apps' jinja2/ folders): a
new card for each view and language in the room, the counts beside it, the phone's form.

Profiled (py-spy, `make bench` at 1,000 phones), Django's template language was a third of a
post's work on its thread: four renders of the card tree per post, each some eighty variable
look-ups and a dozen translations through a node tree. Jinja2 compiles a template to Python
once. The rest of the pages stay in Django's language and include these partials with
`{% jinja %}` (workshops/templatetags/screens.py).

Translations go through Django's own gettext (the active language, translation.override
included); `make messages` reads these templates with Jinja2's extractor
(workshops/management/commands/makemessages.py)."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaultfilters, engines, loader
from django.utils import translation
from django.utils.translation import trans_real
from jinja2 import Environment, Undefined

from workshops.templatetags import screens


def environment(**options: Any) -> Environment:
    # Undefined is falsy and prints nothing, with DEBUG on or off: a partial renders the same
    # in `make run` as in production (Django's backend would print `{{ name }}` under DEBUG).
    options["undefined"] = Undefined
    options.pop("autoescape", None)  # always on, whatever the settings say
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    # Plain gettext, its result escaped like any other value (Jinja2's "new style" formats
    # and marks every string again: a fifth of a console card). A plural with a number in it
    # says so: ngettext(…)|format(n=…).
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        translation.gettext, translation.ngettext, newstyle=False
    )
    env.globals.update(
        current_language=translation.get_language,
        live_url=screens.live_url,
    )
    env.filters.update(
        date=defaultfilters.date,
        hyphenate=screens.hyphenate,
        projector_shows_wall=screens.projector_shows_wall,
        truncatewords=defaultfilters.truncatewords,
    )
    return env


# The engine that has each template rendered by `render_fragment`, found once.
_ENGINE_OF: dict[str, str] = {}


def render_fragment(name: str, context: dict[str, Any]) -> str:
    """`render_to_string(name, context)` with no request, for what every post renders (its
    live event per view and language, the phone's answer): the engine that has `name` is
    remembered. Django's loader asks its engines in order, and its own template language
    comes first: for a Jinja2 partial it looked, missed and raised first, every time
    (measured in process: 30 µs to find the phone's form against 2 µs; five renders a post)."""
    alias = _ENGINE_OF.get(name)
    if alias is None:
        template = loader.get_template(name)
        alias = _ENGINE_OF[name] = template.backend.name
    else:
        template = engines[alias].get_template(name)
    if alias == "jinja2":
        context = {**context, **_translations()}
    return template.render(context)


def _translations() -> dict[str, Any]:
    """The active language's own catalog for a Jinja2 render: its strings are looked up there
    directly (0.24 µs), not through Django's gettext, which finds the active language anew
    for each one (1.9 µs; some forty a post). What Django's gettext adds (the newline and
    empty-string cases) does not arise for the literal strings of a template."""
    language = translation.get_language()
    if language is None:  # translations deactivated: Django's own functions
        return {}
    catalog = trans_real.translation(language)
    return {
        "gettext": catalog.gettext,
        "_": catalog.gettext,
        "ngettext": catalog.ngettext,
        "current_language": lambda: language,
    }


@receiver(setting_changed)
def _forget_engines(setting: str, **kwargs: Any) -> None:
    if setting == "TEMPLATES":
        _ENGINE_OF.clear()
