"""Console moves on the room as a whole: phase, prompt, moderation mode, posting lock, timer,
wall layout, projector theme, closing. Each calls one action; the screens follow live."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from insights.actions.posts import set_spotlight
from workshops.actions import room as actions
from workshops.forms import (
    LayoutForm,
    ModerationForm,
    PagingForm,
    PhaseForm,
    PostingForm,
    ProjectorThemeForm,
    PromptForm,
    TimerForm,
    cleaned,
)
from workshops.models import Participant, Workshop
from workshops.views.console import console_move


@console_move
def phase(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    value = cleaned(PhaseForm(request.POST))["phase"]
    workshop = actions.set_phase(workshop, value, labber)
    return _("The room is now in “%(phase)s”.") % {"phase": workshop.get_phase_display()}


@console_move
def prompt(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    text = cleaned(PromptForm(request.POST))["text"]
    actions.set_prompt(workshop, text, labber)
    return _("The question is on the projector and the phones.")


@console_move
def prompt_clear(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    actions.clear_prompt(workshop, labber)
    return _("The question is off the screens.")


@console_move
def moderation(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    mode = cleaned(ModerationForm(request.POST))["moderation"]
    actions.set_moderation(workshop, mode, labber)
    if mode == Workshop.Moderation.PRE:
        return _("Pre-moderation: new posts wait for a labber.")
    return _("Open: new posts appear at once.")


@console_move
def posting(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    is_open = cleaned(PostingForm(request.POST))["open"]
    actions.set_posting_open(workshop, is_open, labber)
    return _("Posting is open.") if is_open else _("Posting is paused on every phone.")


@console_move
def timer(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    form = TimerForm(request.POST)
    data = cleaned(form)
    op = data["op"]
    if op == "start":
        actions.start_timer(workshop, form.seconds, labber, lock_at_zero=data["lock_at_zero"])
        return _("The timer is running.")
    if op == "pause":
        actions.pause_timer(workshop, labber)
        return _("The timer is paused.")
    if op == "resume":
        actions.resume_timer(workshop, labber)
        return _("The timer is running again.")
    actions.reset_timer(workshop, labber)
    return _("The timer is reset.")


@console_move
def timer_expire(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    # Sent by the console when its countdown reaches zero; the server decides whether it has.
    if actions.expire_timer(workshop, labber):
        return _("Time is up.")
    return ""


@console_move
def layout(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    value = cleaned(LayoutForm(request.POST))["wall_layout"]
    actions.set_wall_layout(workshop, value, labber)
    return _("The wall is re-arranged.")


@console_move
def paging(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    turning = cleaned(PagingForm(request.POST))["turn"]
    actions.set_wall_paging(workshop, turning, labber)
    return _("The wall turns its pages.") if turning else _("The wall holds this page.")


@console_move
def projector_theme(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    value = cleaned(ProjectorThemeForm(request.POST))["projector_theme"]
    actions.set_projector_theme(workshop, value, labber)
    return _("The projector has a new look.")


@console_move
def spotlight_clear(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    set_spotlight(workshop, None, labber)
    return _("The spotlight is off.")


@console_move
def close(request: HttpRequest, workshop: Workshop, labber: Participant) -> str:
    actions.close_workshop(workshop, labber)
    return _("The workshop is closed. Undo it from the log if that was too soon.")
