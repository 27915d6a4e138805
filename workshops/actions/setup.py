"""State changes of workshops and the people in them; each in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from challenges.models import Challenge, Obstacle, challenges_changed
from insights.actions.posts import publish_room
from workshops.codes import normalise_code, random_code
from workshops.models import Participant, Prompt, Workshop, locked_workshop


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
    dots_per_person: int = 3,
) -> Workshop:
    workshop = Workshop.objects.create(
        dots_per_person=dots_per_person,
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
    challenges_changed(workshop.pk)  # bulk_create sends no post_save
    return challenge


def add_prompt(workshop: Workshop, text: str) -> Prompt:
    return Prompt.objects.create(workshop=workshop, text=text)


# --- Preparing a workshop (the labber's dashboard and setup page). ---

# What a copy of a workshop takes along: the frame, not the room's posts or people.
COPIED_FIELDS = (
    "question",
    "event",
    "place",
    "organiser",
    "description",
    "closing_words",
    "language",
    "moderation",
    "dots_per_person",
    "dots_per_suggestion",
    "hide_tallies",
    "projector_theme",
    "wall_layout",
    "timer_duration",
    "lock_at_zero",
)
EDITABLE_FIELDS = (
    "question",
    "event",
    "date",
    "place",
    "language",
    "moderation",
    "dots_per_person",
)


@transaction.atomic
def update_workshop(workshop: Workshop, **values: Any) -> Workshop:
    """Change the workshop's details (question, event, date, place, language, moderation,
    dots); screens that are already open follow."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    workshop = locked_workshop(workshop)
    for name, value in values.items():
        setattr(workshop, name, value)
    workshop.save(update_fields=list(values))
    publish_room(workshop)
    return workshop


@transaction.atomic
def duplicate_workshop(workshop: Workshop, created_by: AbstractBaseUser) -> Workshop:
    """A fresh draft with the same frame (question, settings, challenges and obstacles) and
    the same labbers; no posts, no invites, a new join code and projector link."""
    copy = create_workshop(
        question=workshop.question, created_by=created_by, status=Workshop.Status.DRAFT
    )
    for name in COPIED_FIELDS:
        setattr(copy, name, getattr(workshop, name))
    copy.save()
    for challenge in workshop.challenges.prefetch_related("obstacles"):
        add_challenge(
            copy,
            title=challenge.title,
            description=challenge.description,
            obstacles=[o.text for o in challenge.obstacles.all()],
        )
    for labber in workshop.participants.filter(role=Participant.Role.LABBER, user__isnull=False):
        if labber.user_id != getattr(created_by, "pk", None):
            add_colabber(copy, labber.user)
    return copy


@transaction.atomic
def remove_challenge(challenge: Challenge) -> None:
    workshop = locked_workshop(challenge.workshop)
    challenge.delete()
    publish_room(workshop, wall=True)


@transaction.atomic
def add_colabber(workshop: Workshop, user: AbstractBaseUser) -> Participant:
    """Another signed-in labber for this workshop (an existing account)."""
    participant, _created = Participant.objects.get_or_create(
        workshop=workshop,
        user=user,
        role=Participant.Role.LABBER,
        defaults={"display_name": user.get_full_name() or user.get_username()},
    )
    return participant


def mark_projector_opened(workshop: Workshop) -> bool:
    """The room's computer opened its projector link (for the readiness checklist)."""
    return bool(
        Workshop.objects.filter(pk=workshop.pk, projector_opened_at__isnull=True).update(
            projector_opened_at=timezone.now()
        )
    )


@transaction.atomic
def setup_challenge(
    workshop: Workshop, *, title: str, description: str = "", obstacles: Sequence[str] = ()
) -> Challenge:
    """A challenge written on the setup page; screens already open show it at once."""
    workshop = locked_workshop(workshop)
    challenge = add_challenge(workshop, title=title, description=description, obstacles=obstacles)
    publish_room(workshop, wall=True)
    return challenge


# --- Labber accounts (without the Django admin). ---


def create_labber_account(
    *, username: str, email: str, first_name: str = "", last_name: str = ""
) -> AbstractBaseUser:
    """A labber's account made by staff; without a password until the labber chooses one
    through the link emailed to them."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, email=email, first_name=first_name, last_name=last_name
    )


def sign_up(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """The open sign-up (LABBET_OPEN_SIGNUP): a new labber's account."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=username, email=email, password=password)
