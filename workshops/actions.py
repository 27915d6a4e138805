"""State changes of workshops and the people in them; each in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from challenges.models import Challenge, Obstacle
from workshops.codes import new_token, normalise_code, random_code
from workshops.models import Participant, Prompt, Workshop


def unused_code() -> str:
    while True:
        code = random_code()
        if not Workshop.objects.filter(code=code).exclude(status=Workshop.Status.CLOSED).exists():
            return code


@transaction.atomic
def create_workshop(
    *,
    question: str,
    created_by: AbstractBaseUser | None = None,
    code: str | None = None,
    event: str = "",
    place: str = "",
    day: date | None = None,
    language: str = Workshop.Language.SV,
    organiser: str = "",
    description: str = "",
    closing_words: str = "",
    moderation: str = Workshop.Moderation.OPEN,
    status: str = Workshop.Status.DRAFT,
) -> Workshop:
    workshop = Workshop.objects.create(
        code=normalise_code(code) if code else unused_code(),
        question=question,
        event=event,
        place=place,
        date=day,
        language=language,
        organiser=organiser,
        description=description,
        closing_words=closing_words,
        moderation=moderation,
        status=status,
        created_by=created_by,
    )
    if created_by is not None:
        Participant.objects.create(
            workshop=workshop,
            role=Participant.Role.LABBER,
            user=created_by,
            display_name=created_by.get_full_name() or created_by.get_username(),
        )
    return workshop


@transaction.atomic
def invite_participant(
    workshop: Workshop,
    *,
    role: str,
    name: str,
    title: str = "",
    organisation: str = "",
    email: str = "",
) -> Participant:
    """An invited challenger, receiver or co-labber, with a personal link (/i/<token>/)."""
    if role not in Participant.INVITED_ROLES:
        raise ValueError(f"{role!r} is not an invited role")
    return Participant.objects.create(
        workshop=workshop,
        role=role,
        display_name=name,
        title=title,
        organisation=organisation,
        email=email,
        invite_token=new_token(),
    )


@transaction.atomic
def add_challenge(
    workshop: Workshop,
    *,
    title: str,
    challenger: Participant | None = None,
    description: str = "",
    obstacles: Sequence[str] = (),
) -> Challenge:
    challenge = Challenge.objects.create(
        workshop=workshop,
        challenger=challenger,
        title=title,
        description=description,
        order=workshop.challenges.count(),
    )
    Obstacle.objects.bulk_create(
        Obstacle(challenge=challenge, text=text, order=i) for i, text in enumerate(obstacles)
    )
    return challenge


def add_prompt(workshop: Workshop, text: str) -> Prompt:
    return Prompt.objects.create(workshop=workshop, text=text)
