"""A phone's session is read by one plain statement (labbet/sessions.py), and it still behaves
as Django's database session: kept across requests, gone when expired, unknown keys start
afresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from labbet.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_app_uses_it():
    assert settings.SESSION_ENGINE == "labbet.sessions"


def test_what_was_saved_is_read_back_in_one_query(django_assert_num_queries):
    session = SessionStore()
    session["labbet_participants"] = {"7": 42}
    session.save()
    again = SessionStore(session.session_key)
    with django_assert_num_queries(1):
        assert again["labbet_participants"] == {"7": 42}
    assert again.session_key == session.session_key


def test_an_expired_session_reads_as_a_new_one():
    session = SessionStore()
    session["x"] = 1
    session.save()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    again = SessionStore(session.session_key)
    assert again.load() == {}
    assert again.session_key is None


def test_an_unknown_or_malformed_key_reads_as_a_new_one():
    assert SessionStore("x" * 32).load() == {}
    assert SessionStore("short").load() == {}
    assert SessionStore(None).load() == {}


def test_a_phone_keeps_its_place_across_requests(client):
    from tests.factories import make_workshop

    workshop = make_workshop()
    client.get(f"/j/{workshop.code}/")
    client.get(f"/j/{workshop.code}/")
    assert workshop.participants.filter(role="audience").count() == 1
