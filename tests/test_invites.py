"""Invitations: a labber invites receivers, challengers and co-labbers, copies or emails their
personal link, revokes and renews it; the link itself (/i/<token>/) lets the right person in
and says clearly when it no longer works."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from insights.models import Contribution
from tests.factories import enter_by_invite, make_receiver, make_user, make_workshop
from workshops.models import Participant, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena():
    return make_user("lena")


@pytest.fixture
def workshop(lena):
    return make_workshop(labber_user=lena)


def invite(client, workshop, **fields):
    data = {"role": "receiver", "name": "Jakob Hellman", "organisation": "Vinnova", **fields}
    return client.post(reverse("workshops:invites", args=[workshop.code]), data)


def test_a_labber_invites_a_receiver_and_sees_the_link_to_copy(client, workshop, lena):
    client.force_login(lena)
    response = invite(client, workshop, title="Senior Public Policy Manager")
    assert response.status_code == 302
    jakob = workshop.participants.get(display_name="Jakob Hellman")
    assert (jakob.role, jakob.organisation) == ("receiver", "Vinnova")
    page = client.get(response["Location"]).content.decode()
    assert "Jakob Hellman is invited." in page
    assert f"http://testserver/i/{jakob.invite_token}/" in page
    assert "data-copy=" in page and "Revoke" in page


def test_a_labber_sends_the_link_by_email(client, workshop, lena):
    client.force_login(lena)
    invite(client, workshop, email="jakob@example.org", send_email="on")
    jakob = workshop.participants.get(display_name="Jakob Hellman")
    (message,) = mail.outbox
    assert message.to == ["jakob@example.org"]
    assert f"http://testserver/i/{jakob.invite_token}/" in message.body
    assert workshop.question[:40] in message.subject
    # And again later, from the list.
    client.post(reverse("workshops:invite-send", args=[workshop.code, jakob.pk]))
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Write their name."),
        ({"organisation": ""}, "A receiver needs an organisation"),
        ({"email": "not-an-address"}, "does not look like an email address"),
        ({"send_email": "on"}, "Add an email address to send the link to."),
        ({"role": "audience"}, "Choose receiver, challenger or co-labber."),
    ],
)
def test_bad_invitations_get_a_clear_message_and_invite_nobody(
    client, workshop, lena, fields, message
):
    client.force_login(lena)
    before = workshop.participants.count()
    response = invite(client, workshop, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert workshop.participants.count() == before
    assert not mail.outbox


def test_only_labbers_of_this_workshop_manage_invitations(client, workshop):
    url = reverse("workshops:invites", args=[workshop.code])
    assert client.get(url).status_code == 403
    client.force_login(make_user("olle"))
    assert client.get(url).status_code == 403
    assert invite(client, workshop).status_code == 403
    receiver = make_receiver(workshop)
    revoke = reverse("workshops:invite-revoke", args=[workshop.code, receiver.pk])
    assert client.post(revoke).status_code == 403


def test_a_labber_cannot_reach_another_workshops_invitation(client, workshop, lena):
    stranger = make_receiver(make_workshop())
    client.force_login(lena)
    url = reverse("workshops:invite-revoke", args=[workshop.code, stranger.pk])
    assert client.post(url).status_code == 404
    stranger.refresh_from_db()
    assert stranger.invite_revoked_at is None


def test_a_revoked_link_gets_a_clear_page_and_locks_out_at_once(client, workshop, lena):
    receiver = make_receiver(workshop)
    phone = client.__class__()
    enter_by_invite(phone, receiver)
    client.force_login(lena)
    client.post(reverse("workshops:invite-revoke", args=[workshop.code, receiver.pk]))
    response = enter_by_invite(phone, receiver)
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()
    assert phone.get(reverse("insights:handover", args=[workshop.code])).status_code == 403


def test_after_a_revoked_link_the_phone_view_no_longer_posts_in_their_name(client, workshop, lena):
    receiver = make_receiver(workshop, organisation="Vinnova")
    phone = client.__class__()
    enter_by_invite(phone, receiver)
    client.force_login(lena)
    client.post(reverse("workshops:invite-revoke", args=[workshop.code, receiver.pk]))
    assert phone.get(reverse("workshops:join", args=[workshop.code])).status_code == 200
    phone.post(
        reverse("insights:post", args=[workshop.code]),
        {"kind": "insight", "text": "Still in the room", "client_key": "after-revoke"},
        HTTP_HX_REQUEST="true",
    )
    contribution = Contribution.objects.get(client_key="after-revoke")
    assert contribution.author != receiver
    assert contribution.author.role == Participant.Role.AUDIENCE


def test_an_unknown_link_is_a_clear_404(client, workshop):
    make_receiver(workshop)
    for token in ("nonsense-token-that-is-long-enough", "short", "x" * 500):
        response = client.get(f"/i/{token}/")
        assert response.status_code == 404
        assert "We do not know this link" in response.content.decode()


def test_a_link_that_shares_only_its_beginning_is_unknown(client, workshop):
    receiver = make_receiver(workshop)
    response = client.get(f"/i/{receiver.invite_token[:20]}x/")
    assert response.status_code == 404


def test_an_expired_link_is_gone(client, workshop):
    receiver = make_receiver(workshop)
    receiver.invite_expires_at = timezone.now() - timedelta(days=1)
    receiver.save()
    response = enter_by_invite(client, receiver)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()


def test_a_renewed_invitation_has_a_new_link_and_the_old_one_dies(client, workshop, lena):
    receiver = make_receiver(workshop)
    old = receiver.invite_token
    client.force_login(lena)
    client.post(reverse("workshops:invite-revoke", args=[workshop.code, receiver.pk]))
    client.post(reverse("workshops:invite-renew", args=[workshop.code, receiver.pk]))
    receiver.refresh_from_db()
    assert receiver.invite_token != old and receiver.invite_is_valid()
    assert client.get(f"/i/{old}/").status_code == 404
    assert enter_by_invite(client, receiver).status_code == 302


def test_a_challengers_link_opens_their_challenge(client, workshop):
    challenger = workshop.participants.get(role="challenger")
    response = enter_by_invite(client, challenger)
    assert response["Location"] == reverse("workshops:challenger", args=[workshop.code])
    page = client.get(response["Location"]).content.decode()
    assert "Our challenge" in page


def test_after_the_workshop_a_receivers_link_opens_their_claims(client, workshop):
    receiver = make_receiver(workshop)
    Workshop.objects.filter(pk=workshop.pk).update(status="closed", phase="closed")
    response = enter_by_invite(client, receiver)
    assert response["Location"] == reverse("workshops:receiver")
    assert "Your claims" in client.get(response["Location"]).content.decode()


def test_a_colabbers_link_asks_them_to_sign_in_then_opens_the_console(client, workshop, lena):
    client.force_login(lena)
    invite(client, workshop, role="labber", name="Sara", organisation="")
    sara = workshop.participants.get(display_name="Sara")
    client.logout()
    response = enter_by_invite(client, sara)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    account = make_user("sara")
    client.force_login(account)
    response = enter_by_invite(client, sara)
    assert response["Location"] == f"/w/{workshop.code}/console/"
    sara.refresh_from_db()
    assert sara.user == account
    # The link is now Sara's: another account cannot take it over.
    client.force_login(make_user("mallory"))
    assert enter_by_invite(client, sara).status_code == 403
    assert not workshop.participants.filter(user__username="mallory").exists()


def test_once_the_workshops_day_has_passed_a_receivers_link_opens_their_claims(client):
    workshop = make_workshop(day=timezone.localdate() - timedelta(days=40))
    response = enter_by_invite(client, make_receiver(workshop))
    assert response["Location"] == reverse("workshops:receiver")
