"""A labber keeps their own language on every page of a workshop in another: the dashboard,
setup, invitations and the console follow the browser (or the language switch), the console
carries the switch, and its moves answer in the labber's language."""

import pytest
from django.test import Client

from tests.factories import make_user, make_workshop, post

pytestmark = pytest.mark.django_db

PAGES = ("/dashboard/", "/w/{code}/setup/", "/w/{code}/invites/", "/w/{code}/console/")


@pytest.fixture
def english_labber_in_a_swedish_workshop():
    user = make_user("lena")
    workshop = make_workshop(labber_user=user, language="sv")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, workshop


@pytest.mark.parametrize("path", PAGES)
def test_labber_whose_browser_reads_english_gets_every_page_in_english(
    english_labber_in_a_swedish_workshop, path
):
    client, workshop = english_labber_in_a_swedish_workshop
    html = client.get(path.format(code=workshop.code)).content.decode()
    assert '<html lang="en"' in html


@pytest.mark.parametrize("path", PAGES)
def test_labber_who_chose_swedish_keeps_it_on_every_page_of_an_english_workshop(path):
    user = make_user("lena")
    workshop = make_workshop(labber_user=user, language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "sv", "next": "/dashboard/"})
    html = client.get(path.format(code=workshop.code)).content.decode()
    assert '<html lang="sv"' in html


def test_console_has_the_language_switch_and_opens_its_socket_in_the_pages_language(
    english_labber_in_a_swedish_workshop,
):
    client, workshop = english_labber_in_a_swedish_workshop
    html = client.get(f"/w/{workshop.code}/console/").content.decode()
    assert 'class="lang-switch"' in html and 'value="sv"' in html
    assert f'ws-connect="/ws/w/{workshop.code}/?view=console&amp;lang=en"' in html
    assert f'class="console-question" lang="sv">{workshop.question}<' in html


def test_a_console_move_answers_in_the_labbers_language(english_labber_in_a_swedish_workshop):
    client, workshop = english_labber_in_a_swedish_workshop
    keep, duplicate = post(workshop, text="Open data"), post(workshop, text="Opened data")
    response = client.post(
        f"/w/{workshop.code}/console/merge/",
        {"keep": keep.pk, "selected": [str(duplicate.pk)]},
        HTTP_HX_REQUEST="true",
    )
    assert "Merged: one card stays, with the votes of all." in response.content.decode()
