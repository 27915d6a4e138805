"""Who may read a report: its labbers always, its challengers and receivers, everyone once a
labber publishes it — and nobody else learns that it exists."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from tests.factories import make_receiver, make_user, make_workshop, post
from workshops.access import SESSION_KEY
from workshops.models import LogEntry, Participant, Workshop

pytestmark = pytest.mark.django_db
FORMATS = ("/", ".md", ".csv", ".json")


def report(client, workshop: Workshop, ext: str = "/"):
    return client.get(f"/w/{workshop.code}/report{ext}")


def in_session(client, participant: Participant) -> None:
    """This browser is the participant (as after their invite link or joining on a phone)."""
    session = SessionStore()
    session[SESSION_KEY] = {str(participant.workshop_id): participant.pk}
    session.create()
    client.cookies["sessionid"] = session.session_key


@pytest.fixture
def labber():
    return make_user("lena")


@pytest.fixture
def workshop(labber):
    workshop = make_workshop(labber_user=labber)
    post(workshop, text="Pilots with citizens")
    return workshop


def test_audience_member_gets_404_for_a_report_that_is_not_public(client, workshop):
    client.get(f"/j/{workshop.code}/")  # joined on a phone
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).exists()
    for ext in FORMATS:
        response = report(client, workshop, ext)
        assert response.status_code == 404, ext
        assert b"Pilots with citizens" not in response.content


def test_stranger_gets_the_same_404_as_for_a_code_that_does_not_exist(client, workshop):
    assert report(client, workshop).status_code == 404
    assert client.get("/w/ZZZZZZ/report/").status_code == 404


def test_signed_in_user_who_is_not_its_labber_gets_404(client, workshop):
    client.force_login(make_user("someone-else"))
    assert report(client, workshop).status_code == 404


def test_labber_sees_the_report_in_every_format(client, workshop, labber):
    client.force_login(labber)
    for ext in FORMATS:
        assert report(client, workshop, ext).status_code == 200, ext


def test_challenger_and_receiver_of_the_workshop_see_it(client, workshop):
    challenger = workshop.participants.get(role=Participant.Role.CHALLENGER)
    in_session(client, challenger)
    response = report(client, workshop)
    assert response.status_code == 200
    assert "Make the report public" not in response.content.decode()  # that is for labbers
    in_session(client, make_receiver(workshop))
    assert report(client, workshop, ".md").status_code == 200


def test_receiver_of_another_workshop_does_not(client, workshop):
    elsewhere = make_receiver(make_workshop())
    in_session(client, elsewhere)
    assert report(client, workshop).status_code == 404


def test_after_a_labber_publishes_it_everyone_sees_it(client, workshop, labber):
    client.force_login(labber)
    response = client.post(f"/w/{workshop.code}/report/publish/", {"public": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/w/{workshop.code}/report/"
    assert "anyone with the link can read it" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.report_public
    assert LogEntry.objects.filter(workshop=workshop, action="report:public").exists()
    client.logout()
    for ext in FORMATS:
        assert report(client, workshop, ext).status_code == 200, ext
    assert "Make the report" not in report(client, workshop).content.decode()


def test_labber_can_make_it_private_again(client, workshop, labber):
    workshop.report_public = True
    workshop.save()
    client.force_login(labber)
    client.post(f"/w/{workshop.code}/report/publish/", {"public": ""})
    workshop.refresh_from_db()
    assert not workshop.report_public
    client.logout()
    assert report(client, workshop).status_code == 404


def test_only_a_labber_can_publish(client, workshop):
    receiver = make_receiver(workshop)
    in_session(client, receiver)
    response = client.post(f"/w/{workshop.code}/report/publish/", {"public": "on"})
    assert response.status_code == 403
    workshop.refresh_from_db()
    assert not workshop.report_public


def test_publishing_takes_a_post(client, workshop, labber):
    client.force_login(labber)
    assert client.get(f"/w/{workshop.code}/report/publish/").status_code == 405
