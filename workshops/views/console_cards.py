"""Console moves on contributions: approve, hide, restore, fix a typo, spotlight, pin, mute
the author, merge duplicates, group into themes. Each calls one action; the screens follow."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights.actions import posts as actions
from insights.errors import ActionRefused
from insights.models import Contribution
from workshops.forms import (
    EditForm,
    MergeForm,
    MuteForm,
    StatusForm,
    ThemeForm,
    ToggleForm,
    cleaned,
)
from workshops.models import Participant, Workshop
from workshops.views.console import console_move


def _contribution(workshop: Workshop, pk: int) -> Contribution:
    # Only this workshop's posts: a labber of one workshop cannot reach into another.
    return get_object_or_404(
        Contribution.objects.select_related("author"), pk=pk, workshop=workshop
    )


@console_move
def status(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    contribution = _contribution(workshop, pk)
    data = cleaned(StatusForm(request.POST))
    before = contribution.status
    actions.set_status(contribution, data["status"], labber, expected_version=data["v"])
    if data["status"] == Contribution.Status.HIDDEN:
        return _("Hidden from the projector and the phones.")
    if before == Contribution.Status.PENDING:
        return _("Approved: it is on the wall.")
    return _("Restored: it is back on the wall.")


@console_move
def edit(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    contribution = _contribution(workshop, pk)
    data = cleaned(EditForm(request.POST))
    actions.edit_text(contribution, data["text"], labber, expected_version=data["v"])
    return _("Text fixed; the original is kept in the log.")


@console_move
def spotlight(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    contribution = _contribution(workshop, pk)
    data = cleaned(ToggleForm(request.POST))
    if data["on"]:
        actions.set_spotlight(workshop, contribution, labber, expected_version=data["v"])
        return _("In the spotlight on the projector.")
    if contribution.spotlight:
        actions.set_spotlight(workshop, None, labber)
    return _("The spotlight is off.")


@console_move
def pin(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    contribution = _contribution(workshop, pk)
    data = cleaned(ToggleForm(request.POST))
    actions.set_pinned(contribution, data["on"], labber, expected_version=data["v"])
    return _("Pinned to the top of its column.") if data["on"] else _("Unpinned.")


@console_move
def mute(request: HttpRequest, workshop: Workshop, labber: Participant, pk: int) -> str:
    contribution = _contribution(workshop, pk)
    data = cleaned(MuteForm(request.POST))
    if contribution.author is None:
        raise ActionRefused(_("This post has no author to mute."))
    _person, hidden = actions.set_muted(
        contribution.author, data["on"], labber, hide_posts=data["hide"]
    )
    if data["on"] and data["hide"]:
        return ngettext(
            "Muted, and %(count)d post of theirs hidden, from every phone of theirs that is "
            "known. Undo in the log brings it back.",
            "Muted, and %(count)d posts of theirs hidden, from every phone of theirs that is "
            "known. Undo in the log brings them back.",
            hidden,
        ) % {"count": hidden}
    if data["on"]:
        return _("Muted: that phone cannot post any more. What it posted stays as it is.")
    return _("That phone can post again.")


@console_move
def merge(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    data = cleaned(MergeForm(request.POST))
    keep = _contribution(workshop, data["keep"])
    # The panel's one form per group sends the whole group, the kept card among it, and the
    # kept card's version with it; a form of its own sends that version as `v`.
    versions = dict(data["selected"])
    keep_version = data["v"] or versions.pop(keep.pk, None)
    versions.pop(keep.pk, None)
    found = Contribution.objects.in_bulk(list(versions))
    duplicates = []
    for pk, version in versions.items():
        duplicate = found.get(pk)
        if duplicate is None or duplicate.workshop_id != workshop.pk:
            raise ActionRefused(_("That post no longer exists."), "gone")
        duplicates.append((duplicate, version))
    actions.merge_contributions(keep, duplicates, labber, keep_version=keep_version)
    return _("Merged: one card stays, with the votes of all.")


def _selection(workshop: Workshop, data: dict) -> list[Contribution]:
    ids = [pk for pk, _version in data["selected"]]
    return list(Contribution.objects.filter(workshop=workshop, pk__in=ids))


@console_move
def themes(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    data = cleaned(ThemeForm(request.POST))
    if not data["name"]:
        raise ActionRefused(_("Give the theme a name first."), "invalid")
    theme = actions.group_into_theme(
        workshop, _selection(workshop, data), labber, name=data["name"]
    )
    return _("Grouped under “%(theme)s”.") % {"theme": theme.name if theme else ""}


@console_move
def themes_clear(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    data = cleaned(ThemeForm(request.POST))
    actions.group_into_theme(workshop, _selection(workshop, data), labber)
    return _("Taken out of their themes.")
