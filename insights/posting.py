"""Whether the room, or one person, may post now: every phone shows the room's answer live
(workshops/regions.py) and the actions enforce it (insights/actions/posts.py: check_can_post)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from insights.errors import ActionRefused
from workshops.models import Participant, Workshop

POSTING_PHASES = {
    Workshop.Phase.JOIN,
    Workshop.Phase.CHALLENGE,
    Workshop.Phase.INSIGHTS,
    Workshop.Phase.SUGGESTIONS,
}


def timer_has_run_out(workshop: Workshop) -> bool:
    ends = workshop.timer_ends_at
    return ends is not None and ends <= timezone.now()


def posting_refusal(workshop: Workshop, author: Participant | None = None) -> ActionRefused | None:
    """Why the room (or this person) cannot post now, or None. Without `author`: the room's
    state alone, as every phone is shown it live."""
    if workshop.is_closed or workshop.phase == Workshop.Phase.CLOSED:
        return ActionRefused(_("This workshop has closed. Thank you for taking part!"), "closed")
    if workshop.phase not in POSTING_PHASES:
        return ActionRefused(
            _("The wall is closed for new posts in this part of the workshop."), "phase"
        )
    if not workshop.posting_open:
        return ActionRefused(
            _("Posting is paused right now. Keep your thought: it is saved here on your phone."),
            "locked",
        )
    # The lock at zero holds from the very second the countdown ends, whether or not a
    # console has published it yet.
    if workshop.lock_at_zero and timer_has_run_out(workshop):
        return ActionRefused(
            _("Time is up: posting is paused. Keep your thought: it is saved on your phone."),
            "locked",
        )
    if author is not None and author.muted:
        return ActionRefused(_("A labber has paused posting from this phone."), "muted")
    return None
