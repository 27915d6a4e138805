"""What the big screens render: long words hyphenated for the projector in the room's language,
and the projector's live card updates only while it shows the wall."""

import pytest

from insights.actions.votes import open_voting
from tests.factories import make_workshop, post, render_card

pytestmark = pytest.mark.django_db

LONG = "Samverkansplattformar för kommunöverskridande informationsförsörjning"


def card(contribution, view: str, language: str = "sv") -> str:
    return render_card(contribution, view, language)


def test_a_long_swedish_word_gets_soft_hyphens_on_the_projector_and_nowhere_else():
    contribution = post(make_workshop(), text=LONG)
    projector = card(contribution, "projector")
    assert "Sam\u00adver\u00adkans\u00adplatt\u00adfor\u00admar för kom\u00admun" in projector
    assert LONG in card(contribution, "phone") and LONG in card(contribution, "console")
    # Escaped as ever: the filter inserts characters, never markup.
    hostile = post(contribution.workshop, text="<b>Informationsförsörjning</b>")
    assert "&lt;b&gt;In\u00adfor" in card(hostile, "projector")


def test_the_projector_gets_new_cards_only_while_it_shows_the_wall():
    workshop = make_workshop()
    first = post(workshop, text="On the wall")
    added = workshop.live_events.filter(kind="contribution.added").last()
    assert f'data-upsert="c-{first.pk}"' in added.fragments["projector"]
    open_voting(workshop, None)  # the projector shows the ranking now, without columns
    second = post(workshop, text="While the room votes")
    added = workshop.live_events.filter(kind="contribution.added").last()
    assert f'data-upsert="c-{second.pk}"' not in added.fragments["projector"]
    assert 'id="count-posts"' in added.fragments["projector"]
    assert f'data-upsert="c-{second.pk}"' in added.fragments["phone"]
