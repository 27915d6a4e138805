"""Forms for what the room posts. The socket and the HTTP path use the same form."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from challenges.models import Obstacle
from insights.actions.posts import NewPost, check_can_post
from insights.errors import ActionRefused
from insights.models import Contribution
from workshops.models import Participant, Workshop
from workshops.regions import by_obstacle, workshop_obstacles


def clean_text(value: str) -> str:
    # NUL bytes and other control characters have no place on a projector.
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return value.strip()


class ContributionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What are you sharing?"),
        choices=Contribution.Kind.choices,
        widget=forms.RadioSelect,
        initial=Contribution.Kind.INSIGHT,
        error_messages={"invalid_choice": _("Choose insight or suggestion.")},
    )
    text = forms.CharField(
        label=_("Your thought"),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        strip=False,
        error_messages={"required": _("Write something first — the field is empty.")},
    )
    # Checked against the workshop's obstacles as the request has read them (clean_obstacle),
    # not by a query of a ModelChoiceField's own: every post builds this form twice (the one
    # sent, the next one), and copying and narrowing that field's queryset was a tenth of a
    # post (profiled under a burst).
    obstacle = forms.CharField(label=_("About"), required=False)
    obstacle_empty_label = _("The challenge as a whole")

    display_name = forms.CharField(
        label=_("Your name (optional)"), max_length=80, required=False, strip=True
    )
    client_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        # The template writes the limit out (_post_form.html); the field is not changed.
        self.max_length = settings.LABBET_MAX_CONTRIBUTION_LENGTH

    @property
    def has_obstacles(self) -> bool:
        return by_obstacle(self.workshop)

    # The phone's form is rendered for every post; its inputs are written out in
    # _post_form.html from these, not through Django's widget templates, which cost a fifth
    # of a post (profiled).
    @property
    def kind_options(self) -> list[tuple[str, str, bool]]:
        return self._options("kind", self.fields["kind"].choices)

    @property
    def obstacle_options(self) -> list[tuple[str, str, bool]]:
        # From the list this request has already read (the wall's columns use it too).
        choices = [("", self.obstacle_empty_label)] + [
            (obstacle.pk, str(obstacle)) for obstacle in workshop_obstacles(self.workshop)
        ]
        return self._options("obstacle", choices)

    @property
    def obstacle_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The obstacles' options by challenge, when the workshop has more than one (the
        first option, the workshop as a whole, stands outside them): [(title, options)]."""
        obstacles = workshop_obstacles(self.workshop)
        if len({obstacle.challenge_id for obstacle in obstacles}) < 2:
            return []
        options = iter(self.obstacle_options[1:])
        groups: list[tuple[str, list[tuple[str, str, bool]]]] = []
        for obstacle in obstacles:
            if not groups or groups[-1][0] != obstacle.challenge.title:
                groups.append((obstacle.challenge.title, []))
            groups[-1][1].append(next(options))
        return groups

    def _options(
        self, name: str, choices: Iterable[tuple[Any, str]]
    ) -> list[tuple[str, str, bool]]:
        """(value, label, chosen) of each of `choices` for the field `name`."""
        current = self[name].value()
        current = "" if current is None else str(current)
        return [(str(value), label, str(value) == current) for value, label in choices]

    def clean_text(self) -> str:
        text = clean_text(self.cleaned_data["text"])
        if not text:
            raise forms.ValidationError(_("Write something first — the field is empty."))
        if len(text) > self.max_length:
            raise forms.ValidationError(
                _("Please keep it to %(max)d characters (this is %(length)d)."),
                params={"max": self.max_length, "length": len(text)},
            )
        return text

    def clean_obstacle(self) -> Obstacle | None:
        """The chosen obstacle of this workshop, or None for the challenge as a whole."""
        value = self.cleaned_data.get("obstacle") or ""
        if not value:
            return None
        for obstacle in workshop_obstacles(self.workshop):
            if str(obstacle.pk) == value:
                return obstacle
        raise forms.ValidationError(
            _("That obstacle is not part of this workshop."), code="invalid_choice"
        )

    def clean_display_name(self) -> str:
        return clean_text(self.cleaned_data.get("display_name") or "")

    def new_post(self, author: Participant, language: str | None = None) -> NewPost:
        """The post this valid form holds, as the posting action takes it."""
        data = self.cleaned_data
        return NewPost(
            author=author,
            kind=data["kind"],
            text=data["text"],
            obstacle=data.get("obstacle"),
            client_key=data.get("client_key") or "",
            display_name=data.get("display_name") or None,
            language=language,
        )


class _SharedFields(dict):
    """A form's fields that no form changes: each form shares them instead of deep-copying
    them, as Django's forms do so that one form may change its own (measured: 39 of a form's
    46 µs, twice per post)."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


ContributionForm.base_fields = _SharedFields(ContributionForm.base_fields)


# --- The phone's post form as its page and its socket show it. ---


def default_kind(workshop: Workshop) -> str:
    if workshop.phase in (Workshop.Phase.SUGGESTIONS, Workshop.Phase.PRIORITISE):
        return Contribution.Kind.SUGGESTION
    return Contribution.Kind.INSIGHT


def blank_form(
    workshop: Workshop, participant: Participant, previous: ContributionForm | None = None
) -> ContributionForm:
    initial = {
        "kind": default_kind(workshop),
        "client_key": uuid.uuid4().hex,
        "display_name": participant.display_name,
    }
    if previous is not None and previous.is_bound and hasattr(previous, "cleaned_data"):
        # Keep what the person chose for the next post; only the text is cleared.
        initial["kind"] = previous.cleaned_data.get("kind") or initial["kind"]
        obstacle = previous.cleaned_data.get("obstacle")
        initial["obstacle"] = obstacle.pk if obstacle is not None else None
    return ContributionForm(workshop=workshop, initial=initial)


def post_form_context(
    workshop: Workshop,
    participant: Participant,
    form: ContributionForm,
    sent: Contribution | None = None,
    oob: bool = False,
) -> dict[str, Any]:
    try:
        check_can_post(workshop, participant)
        can_post, locked_message = True, ""
    except ActionRefused as refusal:
        can_post, locked_message = False, refusal.message
    return {
        "workshop": workshop,
        "participant": participant,
        "form": form,
        "sent": sent,
        "oob": oob,
        "can_post": can_post,
        "locked_message": locked_message,
    }
