"""The moderation log: each console move with who, what and when, plus the before and after
that undo needs (as JSON), and the words a labber reads for each entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workshops.models import LogEntry, Participant, Workshop

# Moves that undo knows how to reverse; "undo" itself is not one of them (do the move again).
UNDOABLE_PREFIXES = (
    "status:",
    "edit",
    "pin",
    "unpin",
    "spotlight",
    "mute",
    "unmute",
    "merge",
    "theme",
    "phase",
    "prompt",
    "moderation",
    "posting:",
    "timer:",
    "layout",
    "pages:",
    "projector-theme",
    "close",
)


def card_version(contribution: models.Model) -> str:
    """The version of a card as a labber saw it; the card template renders the same string
    with `updated_at|date:"U.u"`."""
    stamp: datetime = contribution.updated_at
    return f"{int(stamp.timestamp())}.{stamp.microsecond:06d}"


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The JSON-safe values of `fields` (a foreign key by its id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = jsonable(getattr(obj, field.attname))
    return values


def restore(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set `values` (as `snapshot` wrote them) back on `obj`; the names of the fields set."""
    names = []
    for name, value in values.items():
        field = obj._meta.get_field(name)
        setattr(obj, field.attname, field.to_python(value) if value is not None else None)
        names.append(name)
    return names


def matches(obj: models.Model, values: dict[str, Any]) -> bool:
    return snapshot(obj, list(values)) == {k: jsonable(v) for k, v in values.items()}


def log_change(
    workshop: Workshop,
    actor: Participant | None,
    action: str,
    /,
    *,
    contribution: models.Model | None = None,
    **data: Any,
) -> LogEntry:
    return LogEntry.objects.create(
        workshop=workshop,
        actor=actor,
        action=action,
        contribution=contribution,
        data={key: jsonable(value) for key, value in data.items()},
    )


# The clock ran out by itself: there is nothing to take back (unlock posting instead).
NOT_UNDOABLE = {"timer:expire"}


def is_undoable(entry: LogEntry) -> bool:
    return (
        entry.undone_at is None
        and entry.action.startswith(UNDOABLE_PREFIXES)
        and entry.action not in NOT_UNDOABLE
    )


def _quote(entry: LogEntry) -> str:
    if entry.contribution is None:
        return "“…”"
    return f"“{Truncator(entry.contribution.text).words(8)}”"


def _phase_label(value: str | None) -> str:
    return str(dict(Workshop.Phase.choices).get(value or "", value or ""))


def describe(entry: LogEntry) -> str:
    """One line for the moderation log, in the reader's language."""
    who = (entry.actor.display_name if entry.actor else "") or _("A labber")
    action, data = entry.action, entry.data or {}
    params = {"who": who, "post": _quote(entry)}
    simple = {
        "status:hidden": _("%(who)s hid %(post)s"),
        "status:pending": _("%(who)s sent %(post)s back to waiting"),
        "edit": _("%(who)s fixed the text of %(post)s"),
        "pin": _("%(who)s pinned %(post)s"),
        "unpin": _("%(who)s unpinned %(post)s"),
        "spotlight": _("%(who)s put %(post)s in the spotlight"),
        "spotlight:off": _("%(who)s ended the spotlight"),
        "mute": _("%(who)s muted the author of %(post)s"),
        "unmute": _("%(who)s let the author of %(post)s post again"),
        "theme:clear": _("%(who)s took posts out of their theme"),
        "prompt:clear": _("%(who)s took the question off the screen"),
        "posting:lock": _("%(who)s locked posting"),
        "posting:unlock": _("%(who)s unlocked posting"),
        "pages:hold": _("%(who)s held the wall on its page"),
        "pages:turn": _("%(who)s let the wall turn its pages"),
        "timer:start": _("%(who)s started the timer"),
        "timer:pause": _("%(who)s paused the timer"),
        "timer:reset": _("%(who)s reset the timer"),
        "timer:expire": _("The timer ran out"),
        "close": _("%(who)s closed the workshop"),
        # Moves other parts of Labbet log here too (voting, the report).
        "voting:open": _("%(who)s opened voting"),
        "voting:close": _("%(who)s closed voting"),
        "report:public": _("%(who)s published the report"),
        "report:private": _("%(who)s took the report back"),
        "undo": _("%(who)s undid: %(what)s"),
    }
    if action == "status:visible":
        if data.get("before") == "pending":
            return _("%(who)s approved %(post)s") % params
        return _("%(who)s restored %(post)s") % params
    if action == "mute" and data.get("contributions"):
        count = len(data["contributions"])
        return ngettext(
            "%(who)s muted the author of %(post)s and hid %(count)d post of theirs",
            "%(who)s muted the author of %(post)s and hid %(count)d posts of theirs",
            count,
        ) % {**params, "count": count}
    if action == "merge":
        count = len(data.get("merged", []))
        return ngettext(
            "%(who)s merged %(count)d post into %(post)s",
            "%(who)s merged %(count)d posts into %(post)s",
            count,
        ) % {**params, "count": count}
    if action == "theme":
        count = len(data.get("contributions", []))
        return ngettext(
            "%(who)s grouped %(count)d post under “%(theme)s”",
            "%(who)s grouped %(count)d posts under “%(theme)s”",
            count,
        ) % {**params, "count": count, "theme": data.get("theme_name", "")}
    if action == "phase":
        after = (data.get("workshop") or {}).get("after", {}).get("phase")
        return _("%(who)s moved the room to “%(phase)s”") % {**params, "phase": _phase_label(after)}
    if action == "prompt":
        return _("%(who)s asked the room: “%(prompt)s”") % {
            **params,
            "prompt": Truncator(data.get("prompt_text", "")).words(10),
        }
    if action == "moderation":
        after = (data.get("workshop") or {}).get("after", {}).get("moderation")
        label = dict(Workshop.Moderation.choices).get(after, after)
        return _("%(who)s switched moderation to “%(mode)s”") % {**params, "mode": label}
    if action == "layout":
        after = (data.get("workshop") or {}).get("after", {}).get("wall_layout")
        label = dict(Workshop.WallLayout.choices).get(after, after)
        return _("%(who)s showed the wall “%(layout)s”") % {**params, "layout": label}
    if action == "projector-theme":
        after = (data.get("workshop") or {}).get("after", {}).get("projector_theme")
        label = dict(Workshop.ProjectorTheme.choices).get(after, after)
        return _("%(who)s switched the projector to “%(theme)s”") % {**params, "theme": label}
    if action == "undo":
        return simple["undo"] % {**params, "what": data.get("what", "")}
    if action.startswith(("challenge:", "obstacle:")):
        return _describe_challenge(action, data, who)
    if action in ("signal:posts", "signal:votes"):
        message = {
            "signal:posts": _(
                "Watch out: %(count)d new phones from one network posted %(post)s within a "
                "minute. One person with many phones? Hide the posts or mute them."
            ),
            "signal:votes": _(
                "Watch out: %(count)d new phones from one network put dots on %(post)s within a "
                "minute. One person with many phones? The ranking may be stuffed."
            ),
        }[action]
        return message % {**params, "count": data.get("phones", 0)}
    template = simple.get(action)
    return template % params if template else f"{who}: {action}"


def _describe_challenge(action: str, data: dict[str, Any], who: str) -> str:
    """A change to a challenge or its obstacles, by a labber or by the challenger."""
    params = {
        "who": who,
        "challenge": Truncator(data.get("title", "")).words(8),
        "text": Truncator(data.get("text", "")).words(10),
        "before": Truncator(data.get("before", "")).words(10)
        if isinstance(data.get("before"), str)
        else "",
        "position": data.get("position", ""),
        "challenger": data.get("challenger_name", ""),
    }
    if action == "challenge:challenger" and not params["challenger"]:
        return _("%(who)s left “%(challenge)s” without a challenger") % params
    templates = {
        "challenge:edit": _("%(who)s rewrote the challenge “%(challenge)s”"),
        "challenge:challenger": _("%(who)s named %(challenger)s challenger of “%(challenge)s”"),
        "obstacle:add": _("%(who)s added the obstacle “%(text)s” to “%(challenge)s”"),
        "obstacle:reword": _("%(who)s reworded the obstacle “%(before)s” to “%(text)s”"),
        "obstacle:move": _("%(who)s moved the obstacle “%(text)s” to place %(position)s"),
        "obstacle:remove": _("%(who)s removed the obstacle “%(text)s” from “%(challenge)s”"),
    }
    template = templates.get(action)
    return template % params if template else f"{who}: {action}"


def annotate(entries: list[LogEntry]) -> list[LogEntry]:
    for entry in entries:
        entry.description = describe(entry)
        entry.undoable = is_undoable(entry)
    return entries
