"""Small factories for the tests: named people and a ready workshop, no JSON fixtures."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import translation

from insights.actions.posts import post_contribution
from insights.models import Contribution
from workshops.actions.invites import invite
from workshops.actions.setup import add_challenge, create_workshop
from workshops.models import Participant, Workshop
from workshops.regions import card_context

_codes = itertools.count(1)
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def next_code() -> str:
    n = next(_codes)
    digits = []
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[r])
    return "".join(reversed(digits))


def make_user(username: str = "alice", staff: bool = False):
    User = get_user_model()
    user = User.objects.create_user(username=username, password="pw-for-tests-1", is_staff=staff)
    return user


def make_workshop(
    *, labber_user=None, obstacles=("Silos", "No trust"), code: str | None = None, **kwargs
) -> Workshop:
    workshop = create_workshop(
        question=kwargs.pop("question", "How can we build the smart city together?"),
        code=code or next_code(),
        created_by=labber_user,
        status=kwargs.pop("status", Workshop.Status.LIVE),
        language=kwargs.pop("language", "en"),
        **kwargs,
    )
    if obstacles:
        challenger = invite(
            workshop, role=Participant.Role.CHALLENGER, name="Therese", organisation="City"
        )
        add_challenge(workshop, title="Our challenge", challenger=challenger, obstacles=obstacles)
    return workshop


def make_audience(workshop: Workshop, name: str = "") -> Participant:
    return Participant.objects.create(
        workshop=workshop, role=Participant.Role.AUDIENCE, display_name=name
    )


def make_receiver(workshop: Workshop, organisation: str = "Vinnova") -> Participant:
    return invite(workshop, role=Participant.Role.RECEIVER, name="Jakob", organisation=organisation)


def post(
    workshop: Workshop,
    author: Participant | None = None,
    text: str = "Pilots with citizens",
    kind: str = Contribution.Kind.SUGGESTION,
    **kwargs,
) -> Contribution:
    author = author or make_audience(workshop)
    contribution, _ = post_contribution(
        workshop=workshop, author=author, kind=kind, text=text, **kwargs
    )
    return contribution


def enter_by_invite(client, participant: Participant):
    """Open a receiver's or challenger's personal link in `client`, as they would."""
    return client.get(f"/i/{participant.invite_token}/")


def render_card(contribution: Contribution, view: str, language: str = "en") -> str:
    """A card as `view` shows it (insights/_contribution_card.html), in `language`."""
    with translation.override(language):
        return render_to_string(
            "insights/_contribution_card.html",
            {**card_context(contribution), "workshop": contribution.workshop, "view": view},
        )
