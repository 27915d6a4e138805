"""A hall that scans the QR code together: the room's part of the phone page (its prompt and
wall) is rendered once per change and language, and every other phone is served that render;
the person's own part (the form, their dots) is still theirs."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights.actions.votes import add_dot, open_voting
from tests.factories import make_audience, make_workshop, post
from workshops.models import Workshop

pytestmark = pytest.mark.django_db


def new_phone(workshop, language: str = "") -> tuple[str, int]:
    """A phone that has never been here: its page, and how many times the wall was read."""
    client = Client()
    if language:
        client.cookies["django_language"] = language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workshops:join", args=[workshop.code]))
    assert response.status_code == 200
    wall_reads = sum('FROM "insights_contribution"' in q["sql"] for q in queries.captured_queries)
    return response.content.decode(), wall_reads


def test_the_second_phone_of_a_hall_is_served_the_wall_the_first_one_rendered():
    workshop = make_workshop(language="sv")
    post(workshop, text="Öppna data som standard")
    first, first_reads = new_phone(workshop)
    second, second_reads = new_phone(workshop)
    assert "Öppna data som standard" in first and "Öppna data som standard" in second
    assert first_reads > 0
    assert second_reads < first_reads  # the wall came from the cache
    wall = re.compile(r'<div id="wall".*?</div>\s*</section>', re.S)
    assert wall.search(first).group(0) == wall.search(second).group(0)


def test_a_new_post_moves_the_cursor_and_the_next_phone_sees_it():
    workshop = make_workshop(language="sv")
    post(workshop, text="Första tanken")
    new_phone(workshop)
    post(workshop, text="Andra tanken")
    html, _reads = new_phone(workshop)
    assert "Första tanken" in html and "Andra tanken" in html
    cursor = Workshop.objects.get(pk=workshop.pk).live_seq
    assert f'data-cursor="{cursor}"' in html


def test_each_language_gets_its_own_render_of_the_same_room():
    workshop = make_workshop(language="sv")
    post(workshop, text="Samverkan över gränser")
    swedish, _ = new_phone(workshop, "sv")
    english, _ = new_phone(workshop, "en")
    again, _ = new_phone(workshop, "sv")
    assert "Samverkan över gränser" in swedish and "Samverkan över gränser" in english
    assert 'id="wall" lang="sv"' in swedish and 'id="wall" lang="en"' in english
    assert 'id="wall" lang="sv"' in again
    assert "Nothing on the wall yet" in english and "Inget på väggen än" in swedish


def test_a_phones_own_dots_are_its_own_while_the_wall_is_shared():
    workshop = make_workshop(language="en")
    idea = post(workshop, kind="suggestion", text="A shared data platform")
    voter, other = Client(), Client()
    voter.get(reverse("workshops:join", args=[workshop.code]))
    other.get(reverse("workshops:join", args=[workshop.code]))
    workshop = open_voting(workshop, actor=None)
    me = workshop.participants.get(session_key=voter.session.session_key)
    add_dot(workshop, me, idea.pk)
    mine = voter.get(reverse("workshops:join", args=[workshop.code])).content.decode()
    theirs = other.get(reverse("workshops:join", args=[workshop.code])).content.decode()
    assert "1 dot from you" in mine
    assert "1 dot from you" not in theirs and "0 dots from you" in theirs


def test_a_running_timer_is_never_served_from_a_stale_second(time_machine):
    workshop = make_workshop(language="en")
    make_audience(workshop)
    time_machine.move_to("2026-12-05 10:00:00+00:00", tick=False)
    Workshop.objects.filter(pk=workshop.pk).update(
        timer_ends_at="2026-12-05 10:05:00+00:00", timer_duration=300
    )
    workshop.refresh_from_db()
    first, _ = new_phone(workshop)
    time_machine.move_to("2026-12-05 10:01:00+00:00", tick=False)
    later, _ = new_phone(workshop)
    assert "5:00" in first and "4:00" in later
