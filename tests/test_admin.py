"""The admin, for staff who need to mend a record by hand."""

import pytest
from django.urls import reverse

from insights.models import Claim, FollowUp
from tests.factories import make_receiver, make_user, make_workshop, post

pytestmark = pytest.mark.django_db


def test_staff_mend_a_follow_up_link_typed_without_https(client):
    """The follow-up inline takes "example.org" as https, as the receiver's own form does
    (and renders without Django's deprecation warning, which the suite turns into errors)."""
    workshop = make_workshop()
    receiver = make_receiver(workshop)
    claim = Claim.objects.create(
        contribution=post(workshop, kind="suggestion", text="A city lab"), receiver=receiver
    )
    follow_up = FollowUp.objects.create(claim=claim, status=claim.status, text="Started")
    staff = make_user("staff", staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    url = reverse("admin:insights_claim_change", args=[claim.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Started" in page.content.decode()
    form = {
        "contribution": claim.contribution_id,
        "receiver": receiver.pk,
        "status": claim.status,
        "note": "",
        "created_at_0": "2026-11-29",
        "created_at_1": "10:00:00",
        "updated_at_0": "2026-11-29",
        "updated_at_1": "10:00:00",
        "follow_ups-TOTAL_FORMS": "1",
        "follow_ups-INITIAL_FORMS": "1",
        "follow_ups-0-id": follow_up.pk,
        "follow_ups-0-claim": claim.pk,
        "follow_ups-0-created_at_0": "2026-11-29",
        "follow_ups-0-created_at_1": "10:00:00",
        "follow_ups-0-status": claim.status,
        "follow_ups-0-text": "Started",
        "follow_ups-0-link": "example.org/pilot",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    follow_up.refresh_from_db()
    assert follow_up.link == "https://example.org/pilot"
