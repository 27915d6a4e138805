"""What a card on a wall shows besides its own fields: whom it credits and its dots."""

from __future__ import annotations

from insights.models import Contribution
from workshops.models import Participant


def label_cards(contributions: list[Contribution]) -> list[Contribution]:
    """Names and dots a card shows: a merged card's author and votes count on the one kept."""
    for contribution in contributions:
        people = [contribution.author, *(m.author for m in contribution.merged.all())]
        names: list[str] = []
        for person in people:
            # Only the audience is credited by name; labbers and guests speak for themselves.
            named = person is not None and person.role == Participant.Role.AUDIENCE
            if named and person.display_name and person.display_name not in names:
                names.append(person.display_name)
        contribution.author_names = names
        contribution.dot_count = sum(v.dots for v in contribution.votes.all())
    return contributions
