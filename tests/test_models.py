"""The model rules the whole loop stands on."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from insights.actions.claims import claim_suggestion
from insights.models import Claim, Contribution
from tests.factories import make_audience, make_receiver, make_workshop, post
from workshops.codes import ALPHABET, is_well_formed, normalise_code, random_code
from workshops.models import Participant, Workshop
from workshops.regions import contributions_for

pytestmark = pytest.mark.django_db


def test_receiver_can_claim_a_suggestion(django_capture_on_commit_callbacks):
    workshop = make_workshop()
    suggestion = post(workshop, kind="suggestion")
    receiver = make_receiver(workshop, organisation="Skurups kommun")

    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_suggestion(suggestion, receiver, note="We try it in the spring")

    stored = Claim.objects.get(contribution=suggestion)
    assert stored == claim
    assert stored.receiver == receiver
    assert stored.note == "We try it in the spring"
    assert list(suggestion.claims.values_list("receiver__organisation", flat=True)) == [
        "Skurups kommun"
    ]


def test_receiver_cannot_claim_an_insight():
    workshop = make_workshop()
    insight = post(workshop, kind="insight", text="Fear of failure")
    claim = Claim(contribution=insight, receiver=make_receiver(workshop))
    with pytest.raises(ValidationError, match="Only suggestions"):
        claim.full_clean()


def test_audience_cannot_claim():
    workshop = make_workshop()
    suggestion = post(workshop)
    with pytest.raises(ValidationError, match="Only receivers"):
        Claim(contribution=suggestion, receiver=make_audience(workshop)).full_clean()


def test_receiver_of_one_workshop_cannot_claim_in_another():
    here, there = make_workshop(), make_workshop()
    with pytest.raises(ValidationError, match="own workshop"):
        Claim(contribution=post(there), receiver=make_receiver(here)).full_clean()


def test_one_claim_per_receiver_and_suggestion_in_the_database():
    workshop = make_workshop()
    suggestion, receiver = post(workshop), make_receiver(workshop)
    Claim.objects.create(contribution=suggestion, receiver=receiver)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(contribution=suggestion, receiver=receiver)


def test_pending_contribution_is_not_visible():
    workshop = make_workshop(moderation=Workshop.Moderation.PRE)
    pending = post(workshop, text="Waits for a labber")
    assert pending.status == Contribution.Status.PENDING
    assert not pending.is_visible
    assert pending not in contributions_for(workshop, "phone")
    assert pending not in contributions_for(workshop, "projector")
    assert pending in contributions_for(workshop, "console")


def test_merged_contribution_is_not_visible():
    workshop = make_workshop()
    keep, dup = post(workshop, text="Pilots"), post(workshop, text="Pilots!")
    dup.merged_into = keep
    dup.save()
    assert not dup.is_visible
    assert list(contributions_for(workshop, "phone")) == [keep]


def test_join_codes_are_unique_among_open_workshops():
    make_workshop(code="STAD26")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_workshop(code="STAD26")


def test_a_closed_workshop_frees_its_join_code():
    old = make_workshop(code="STAD26")
    old.status = Workshop.Status.CLOSED
    old.save()
    new = make_workshop(code="STAD26")
    assert new.code == "STAD26"


def test_join_code_is_normalised_on_input():
    workshop = make_workshop(code=" stad-26 ")
    assert workshop.code == "STAD26"
    assert normalise_code("  st ad_26\n") == "STAD26"


def test_random_codes_avoid_look_alikes():
    for _ in range(200):
        code = random_code()
        assert is_well_formed(code)
        assert not set(code) & set("01IOL")
    assert set(ALPHABET).isdisjoint("01IOL")


def test_one_vote_row_per_participant_and_suggestion():
    from insights.models import Vote

    workshop = make_workshop()
    suggestion, voter = post(workshop), make_audience(workshop)
    Vote.objects.create(contribution=suggestion, participant=voter, dots=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(contribution=suggestion, participant=voter, dots=1)


def test_invite_validity():
    from datetime import timedelta

    from django.utils import timezone

    workshop = make_workshop()
    receiver = make_receiver(workshop)
    assert receiver.invite_is_valid()
    receiver.invite_expires_at = timezone.now() - timedelta(days=1)
    assert not receiver.invite_is_valid()
    receiver.invite_expires_at = None
    receiver.invite_revoked_at = timezone.now()
    assert not receiver.invite_is_valid()
    assert len(receiver.invite_token) >= 40
    assert Participant.objects.filter(invite_token=receiver.invite_token).count() == 1
