"""The phone's answer to a post that went through: its thanks and its next, blank form. It is
the same HTML whether rendered for this post or taken from the room's rendered answer with
the person's own values put in (insights/views/phone.py: render_answer)."""

import pytest
from django.utils import translation

from challenges.actions import add_obstacle
from insights.forms import blank_form, post_form_context
from insights.models import Contribution
from insights.views import phone
from labbet.jinja import render_fragment
from tests.factories import make_audience, make_workshop, post
from workshops.actions.room import set_posting_open
from workshops.models import Workshop

pytestmark = pytest.mark.django_db


def rendered_anew(workshop, person, form, sent, oob):
    context = post_form_context(workshop, person, form, sent, oob=oob)
    return render_fragment("insights/_post_form.html", context)


def next_form(workshop, person, kind="insight", obstacle=None):
    """The blank form a phone gets after posting, as the batch makes it (what it chose is
    kept; its text is cleared; a new key)."""
    form = blank_form(workshop, person)
    form.initial["kind"] = kind
    form.initial["obstacle"] = obstacle
    return form


def answers_agree(workshop, person, sent, **chosen):
    """Two posts one after the other (the second from the rendered answer): each answer is
    what rendering it anew gives, with its own keys and card."""
    for oob in (True, False):
        for _ in range(2):
            form = next_form(workshop, person, **chosen)
            answer = phone.render_answer(workshop, person, form, sent, oob=oob)
            assert answer == rendered_anew(workshop, person, form, sent, oob)
            assert form.initial["client_key"] in answer
            assert f'data-sent-card="c-{sent.pk}"' in answer


def test_a_phone_gets_the_same_answer_from_the_rooms_rendered_one_in_every_state():
    phone._ANSWERS.clear()
    workshop = make_workshop(language="sv")
    obstacle = workshop.challenges.get().obstacles.first()
    person = make_audience(workshop)
    sent = post(workshop, author=person, kind=Contribution.Kind.INSIGHT, client_key="k1")
    other = post(workshop, kind=Contribution.Kind.SUGGESTION, client_key='k"<2&')
    for language in ("sv", "en"):
        with translation.override(language):
            answers_agree(workshop, person, sent)
            answers_agree(workshop, person, other, kind="suggestion", obstacle=obstacle.pk)
            # A name (escaped as any value), and the name cleared again.
            person.display_name = 'Ann <b>"&'
            answers_agree(workshop, person, sent)
            person.display_name = ""
            answers_agree(workshop, person, sent)
            # A post that waits for a labber, a muted phone, a paused room.
            sent.status = Contribution.Status.PENDING
            answers_agree(workshop, person, sent)
            sent.status = Contribution.Status.VISIBLE
            person.muted = True
            answers_agree(workshop, person, sent)
            person.muted = False
            paused = set_posting_open(workshop, False, actor=None)
            answers_agree(paused, person, sent)
            person.muted = True  # the room's reason is shown; the phone still knows its own
            answers_agree(paused, person, sent)
            person.muted = False
            set_posting_open(workshop, True, actor=None)
    assert phone._ANSWERS  # the rendered answers were used


def test_a_phone_is_answered_with_the_obstacles_as_a_labber_just_changed_them():
    phone._ANSWERS.clear()
    workshop = make_workshop()
    person = make_audience(workshop)
    sent = post(workshop, author=person, client_key="k1")
    before = phone.render_answer(workshop, person, next_form(workshop, person), sent, oob=True)
    assert "Missing budget" not in before
    add_obstacle(workshop.challenges.get(), "Missing budget")
    workshop = Workshop.objects.get(pk=workshop.pk)  # as the next post reads the room
    form = next_form(workshop, person)
    after = phone.render_answer(workshop, person, form, sent, oob=True)
    assert "Missing budget" in after
    assert after == rendered_anew(workshop, person, form, sent, oob=True)


def test_an_answer_with_errors_or_an_offer_is_rendered_for_its_post():
    phone._ANSWERS.clear()
    workshop = make_workshop()
    person = make_audience(workshop)
    form = phone.ContributionForm({"kind": "insight", "text": ""}, workshop=workshop)
    assert not form.is_valid()
    answer = phone.render_answer(workshop, person, form, None, oob=True)
    assert "the field is empty" in answer
    assert answer == rendered_anew(workshop, person, form, None, oob=True)
    assert phone._ANSWERS == {}
