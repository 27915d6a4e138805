"""The partials every post renders are Jinja2 (labbet/jinja.py): they escape what people write,
speak the language being rendered, print nothing for what a context leaves out (DEBUG on or
off), and the Django pages that show them (the phone's page, the walls) get the same HTML,
the form's CSRF token included."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from insights.models import Contribution
from tests.factories import make_workshop, post, render_card

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def card(contribution, view: str, language: str = "en") -> str:
    return render_card(contribution, view, language)


@pytest.mark.parametrize("view", ["phone", "projector", "console"])
def test_what_a_person_writes_is_escaped_on_every_view(view):
    contribution = post(make_workshop(), text=HOSTILE)
    html = card(contribution, view)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html


def test_a_card_speaks_the_language_it_is_rendered_in():
    workshop = make_workshop(language="sv")
    contribution = post(workshop, text="Väntar", kind=Contribution.Kind.INSIGHT)
    contribution.status = Contribution.Status.PENDING
    assert "väntar på en labbare" in card(contribution, "console", "sv")
    assert 'lang="sv"' in card(contribution, "console", "sv")
    english = card(contribution, "console", "en")
    assert "waiting for a labber" in english and 'lang="en"' in english
    # The post itself keeps the workshop's language whatever the chrome's.
    assert re.search(r'class="card__text"[^>]*lang="sv"', english)


@override_settings(DEBUG=True)
def test_a_value_the_context_leaves_out_prints_nothing_with_debug_on():
    contribution = post(make_workshop())
    html = card(contribution, "phone")  # no `new`, `vote_max`, `vote_oob`, `claims_oob`
    assert "{{" not in html and "card--new" not in html and "hx-swap-oob" not in html


def test_the_phone_page_shows_the_jinja_form_with_its_csrf_token(client):
    workshop = make_workshop()
    page = client.get(reverse("workshops:join", args=[workshop.code])).content.decode()
    form = page[page.index('<form id="post-form"') :]
    form = form[: form.index("</form>")]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token and len(token[1]) >= 32
    assert 'name="text"' in form and 'name="client_key"' in form


def test_the_walls_show_the_same_card_the_live_event_carried():
    workshop = make_workshop()
    contribution = post(workshop, text="Same everywhere")
    fragment = workshop.live_events.filter(kind="contribution.added").last().fragments["phone"]
    article = re.search(r"<article.*?</article>", fragment, re.S)[0]
    on_the_wall = card(Contribution.objects.get(pk=contribution.pk), "phone")
    # The event's card is marked new; otherwise it is the card the wall shows.
    assert article.replace(" card--new", "") == on_the_wall.strip()


def test_a_fragment_is_rendered_by_the_engine_that_has_it_found_once(monkeypatch):
    """A live event's partial (Jinja2) and the socket's error (Django's language) render as
    render_to_string renders them; the second time, Django's loader (which asks its own
    engine first, and misses a Jinja2 partial) is not asked again."""
    from django.template import loader
    from django.template.loader import render_to_string

    from labbet import jinja

    jinja._ENGINE_OF.clear()
    partial = ("workshops/_console_counts.html", {"counts": {"pending": 2, "posts": 7}})
    error = ("insights/_socket_error.html", {"message": "Too fast <now>"})
    for name, context in (partial, error):
        assert jinja.render_fragment(name, context) == render_to_string(name, context)
    found = dict(jinja._ENGINE_OF)
    assert found == {partial[0]: "jinja2", error[0]: "django"}

    def asked(*args, **kwargs):
        raise AssertionError("Django's loader was asked again")

    monkeypatch.setattr(loader, "get_template", asked)
    assert "Too fast &lt;now&gt;" in jinja.render_fragment(*error)
    assert ">7</dd>" in jinja.render_fragment(*partial)


def test_a_fragment_speaks_the_language_active_when_it_is_rendered():
    """render_fragment looks a Jinja2 partial's strings up in the active language's own
    catalog: one render after another in two languages, each in its own, and with
    translations deactivated, as Django's gettext would."""
    from django.utils import translation

    from labbet.jinja import render_fragment

    counts = ("workshops/_console_counts.html", {"counts": {"pending": 1, "posts": 3}})
    with translation.override("sv"):
        swedish = render_fragment(*counts)
    with translation.override("en"):
        english = render_fragment(*counts)
    assert 'lang="sv"' in swedish and "på väggen" in swedish and "on the wall" not in swedish
    assert 'lang="en"' in english and "on the wall" in english
    with translation.override(None):
        assert "on the wall" in render_fragment(*counts)
