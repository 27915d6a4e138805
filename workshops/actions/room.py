"""Steering the room from the console: phase, prompt, moderation mode, posting lock, timer,
wall layout, projector theme, closing; and undo from the moderation log. Each move runs in
one transaction, is logged with its before and after, and reaches every screen as one live
event (room.changed; see insights/actions/posts.py: publish_room)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insights.actions.posts import publish_cards, publish_room
from insights.errors import ActionRefused
from insights.models import Contribution, ContributionEdit, Theme, Vote
from workshops.actions.setup import add_prompt
from workshops.log import describe, is_undoable, log_change, matches, restore, snapshot
from workshops.models import LogEntry, Participant, Workshop, locked_workshop


def _change(
    workshop: Workshop,
    actor: Participant | None,
    action: str,
    values: dict[str, Any],
    *,
    wall: bool = False,
    **extra: Any,
) -> Workshop:
    """Set `values` on the (locked) workshop; log before and after; publish the room."""
    workshop = locked_workshop(workshop)
    fields = list(values)
    before = snapshot(workshop, fields)
    for name, value in values.items():
        setattr(workshop, workshop._meta.get_field(name).attname, value)
    after = snapshot(workshop, fields)
    if before == after:
        return workshop
    workshop.save(update_fields=fields)
    log_change(workshop, actor, action, workshop={"before": before, "after": after}, **extra)
    publish_room(workshop, wall=wall)
    return workshop


@transaction.atomic
def set_phase(workshop: Workshop, phase: str, actor: Participant | None) -> Workshop:
    """Move the room to a phase of the seed's format; projector and phones follow."""
    if phase not in Workshop.Phase.values:
        raise ActionRefused(_("There is no such phase."))
    if phase == Workshop.Phase.CLOSED:
        return close_workshop(workshop, actor)
    # A countdown belongs to the phase it was set for: the next phase starts without one
    # (a "Time is up" left over from the last phase would tell the room the wrong thing).
    values: dict[str, Any] = {"phase": phase, "timer_ends_at": None, "timer_remaining": None}
    current = locked_workshop(workshop)
    if current.is_closed:
        raise ActionRefused(_("This workshop is closed. Undo the closing in the log to reopen it."))
    if current.status == Workshop.Status.DRAFT and phase != Workshop.Phase.JOIN:
        values["status"] = Workshop.Status.LIVE
    return _change(current, actor, "phase", values)


@transaction.atomic
def close_workshop(workshop: Workshop, actor: Participant | None) -> Workshop:
    """End the session: posting stops everywhere and the join code is free for another."""
    return _change(
        workshop,
        actor,
        "close",
        {
            "phase": Workshop.Phase.CLOSED,
            "status": Workshop.Status.CLOSED,
            "timer_ends_at": None,
            "timer_remaining": None,
        },
    )


@transaction.atomic
def set_prompt(workshop: Workshop, text: str, actor: Participant | None) -> Workshop:
    """Put a question to the room; posts made while it stands are tied to it."""
    workshop = locked_workshop(workshop)
    prompt = workshop.prompts.filter(text=text).order_by("-created_at").first()
    if prompt is None:
        prompt = add_prompt(workshop, text)
    return _change(workshop, actor, "prompt", {"current_prompt": prompt.pk}, prompt_text=text)


@transaction.atomic
def clear_prompt(workshop: Workshop, actor: Participant | None) -> Workshop:
    return _change(workshop, actor, "prompt:clear", {"current_prompt": None})


@transaction.atomic
def set_moderation(workshop: Workshop, mode: str, actor: Participant | None) -> Workshop:
    if mode not in Workshop.Moderation.values:
        raise ActionRefused(_("There is no such moderation mode."))
    return _change(workshop, actor, "moderation", {"moderation": mode})


@transaction.atomic
def set_posting_open(workshop: Workshop, is_open: bool, actor: Participant | None) -> Workshop:
    """Lock or unlock posting by hand. Unlocking also clears a countdown that ran out, or
    the lock at zero would keep holding."""
    values: dict[str, Any] = {"posting_open": is_open}
    current = locked_workshop(workshop)
    if is_open and current.timer_ends_at and current.timer_ends_at <= timezone.now():
        values.update({"timer_ends_at": None, "timer_remaining": 0})
    return _change(current, actor, "posting:unlock" if is_open else "posting:lock", values)


@transaction.atomic
def start_timer(
    workshop: Workshop,
    seconds: int,
    actor: Participant | None,
    *,
    lock_at_zero: bool | None = None,
) -> Workshop:
    """Start a countdown (screens count down from its end time). A timer means "post now",
    so starting one opens posting."""
    if not 0 < seconds <= 24 * 60 * 60:
        raise ActionRefused(_("Choose a time between one second and a day."))
    values: dict[str, Any] = {
        "timer_duration": seconds,
        "timer_ends_at": timezone.now() + timedelta(seconds=seconds),
        "timer_remaining": None,
        "posting_open": True,
    }
    if lock_at_zero is not None:
        values["lock_at_zero"] = lock_at_zero
    return _change(workshop, actor, "timer:start", values)


@transaction.atomic
def pause_timer(workshop: Workshop, actor: Participant | None) -> Workshop:
    current = locked_workshop(workshop)
    if current.timer_ends_at is None:
        raise ActionRefused(_("The timer is not running."))
    left = max(0, math.ceil((current.timer_ends_at - timezone.now()).total_seconds()))
    return _change(current, actor, "timer:pause", {"timer_ends_at": None, "timer_remaining": left})


@transaction.atomic
def resume_timer(workshop: Workshop, actor: Participant | None) -> Workshop:
    current = locked_workshop(workshop)
    if not current.timer_remaining:
        raise ActionRefused(_("There is no paused timer to resume."))
    return start_timer(current, current.timer_remaining, actor)


@transaction.atomic
def reset_timer(workshop: Workshop, actor: Participant | None) -> Workshop:
    return _change(workshop, actor, "timer:reset", {"timer_ends_at": None, "timer_remaining": None})


@transaction.atomic
def expire_timer(workshop: Workshop, actor: Participant | None = None) -> bool:
    """The countdown reached zero: publish it (and the lock, when the timer locks posting).
    Harmless to call more than once, or early: only a timer that really ran out expires."""
    current = locked_workshop(workshop)
    if current.timer_ends_at is None or current.timer_ends_at > timezone.now():
        return False
    values: dict[str, Any] = {"timer_ends_at": None, "timer_remaining": 0}
    if current.lock_at_zero:
        values["posting_open"] = False
    _change(current, actor, "timer:expire", values)
    return True


@transaction.atomic
def set_wall_paging(workshop: Workshop, turning: bool, actor: Participant | None) -> Workshop:
    """Let the projector's wall turn its pages by itself, or hold it on the page it shows."""
    return _change(
        workshop, actor, "pages:turn" if turning else "pages:hold", {"wall_pages_turn": turning}
    )


@transaction.atomic
def set_wall_layout(workshop: Workshop, layout: str, actor: Participant | None) -> Workshop:
    if layout not in Workshop.WallLayout.values:
        raise ActionRefused(_("There is no such layout."))
    return _change(workshop, actor, "layout", {"wall_layout": layout}, wall=True)


@transaction.atomic
def set_projector_theme(workshop: Workshop, theme: str, actor: Participant | None) -> Workshop:
    if theme not in Workshop.ProjectorTheme.values:
        raise ActionRefused(_("There is no such projector theme."))
    return _change(workshop, actor, "projector-theme", {"projector_theme": theme})


# --- Undo, from the moderation log. ---

CHANGED_SINCE = "changed-since"


def _changed_since() -> ActionRefused:
    return ActionRefused(
        _(
            "This cannot be undone any more: it has changed since. "
            "Undo the later change first, or make the change by hand."
        ),
        CHANGED_SINCE,
    )


@transaction.atomic
def undo(workshop: Workshop, entry_id: int, actor: Participant | None) -> LogEntry:
    """Reverse one logged move, if nothing has changed it since; the undo is logged too."""
    workshop = locked_workshop(workshop)
    entry = (
        # of=self: PostgreSQL cannot lock the nullable side of the actor/contribution joins.
        LogEntry.objects.select_for_update(of=("self",))
        .select_related("actor", "contribution")
        .filter(workshop=workshop, pk=entry_id)
        .first()
    )
    if entry is None:
        raise ActionRefused(_("That entry is not in this workshop's log."))
    if entry.undone_at is not None:
        raise ActionRefused(_("That was undone already."), "done")
    if not is_undoable(entry):
        raise ActionRefused(_("That cannot be undone."))
    data = entry.data or {}
    what = describe(entry)

    workshop_diff = data.get("workshop")
    if workshop_diff:
        if not matches(workshop, workshop_diff["after"]):
            raise _changed_since()
        fields = restore(workshop, workshop_diff["before"])
        try:
            with transaction.atomic():
                workshop.save(update_fields=fields)
        except IntegrityError:
            raise ActionRefused(
                _("Another open workshop uses this join code now; this one cannot reopen."),
                CHANGED_SINCE,
            ) from None

    changed: dict[int, Contribution] = {}
    for diff in data.get("contributions", []):
        contribution = (
            Contribution.objects.select_for_update()
            .filter(pk=diff["id"], workshop=workshop)
            .first()
        )
        if contribution is None or not matches(contribution, diff["after"]):
            raise _changed_since()
        fields = restore(contribution, diff["before"])
        contribution.save(update_fields=[*fields, "updated_at"])
        changed[contribution.pk] = contribution
        if "text" in diff["before"]:
            ContributionEdit.objects.create(
                contribution=contribution,
                old_text=diff["after"]["text"],
                new_text=diff["before"]["text"],
                editor=actor,
            )

    for diff in data.get("participants", []):
        participant = Participant.objects.select_for_update().get(pk=diff["id"])
        if not matches(participant, diff["after"]):
            raise _changed_since()
        participant.save(update_fields=restore(participant, diff["before"]))

    votes = data.get("votes")
    if votes:
        _unmerge_votes(votes)
        keep = Contribution.objects.filter(pk=votes["into"]).first()
        if keep is not None:
            keep.save(update_fields=["updated_at"])
            changed[keep.pk] = keep

    created = data.get("theme_created")
    if created and not Contribution.objects.filter(theme_id=created).exists():
        Theme.objects.filter(pk=created, workshop=workshop).delete()

    entry.undone_at = timezone.now()
    entry.save(update_fields=["undone_at"])
    log_change(workshop, actor, "undo", contribution=entry.contribution, what=what, undoes=entry.pk)

    wall = entry.action.startswith(("theme", "layout"))
    if workshop_diff or wall:
        publish_room(workshop, wall=wall)
    elif changed:
        cards = list(Contribution.objects.filter(pk__in=changed, merged_into__isnull=True))
        gone = [pk for pk in changed if pk not in {c.pk for c in cards}]
        publish_cards(workshop, cards, gone, spotlight=True)
    else:
        publish_room(workshop)
    return entry


def _unmerge_votes(votes: dict[str, Any]) -> None:
    """Give the merged cards back the votes they brought (see merge_contributions)."""
    for moved in votes.get("moved", []):
        Vote.objects.filter(pk=moved["vote"], contribution_id=votes["into"]).update(
            contribution_id=moved["from"]
        )
    for summed in votes.get("summed", []):
        kept = Vote.objects.select_for_update().filter(pk=summed["vote"]).first()
        if kept is not None and kept.dots > summed["dots"]:
            kept.dots -= summed["dots"]
            kept.save(update_fields=["dots"])
        Vote.objects.create(
            contribution_id=summed["from"],
            participant_id=summed["participant"],
            dots=summed["dots"],
        )
