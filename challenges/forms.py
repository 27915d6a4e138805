"""Forms for a challenge: its challenger (chosen or invited from its setup row), its words
and obstacles (by the labber or the challenger) and the challenger's follow-up."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workshops.forms import TextField
from workshops.forms_invites import InviteForm
from workshops.models import Participant, Workshop


class ChallengeEditForm(forms.Form):
    title = TextField(
        label=_("The challenge"),
        max_length=300,
        error_messages={"required": _("The challenge needs a title.")},
    )
    description = TextField(
        label=_("More about it (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObstacleTextForm(forms.Form):
    text = TextField(
        label=_("Obstacle"),
        max_length=300,
        error_messages={
            "required": _("Write the obstacle first."),
            "max_length": _("Keep each obstacle to 300 characters."),
        },
    )


class ChallengerChoiceForm(forms.Form):
    challenger = forms.ModelChoiceField(
        label=_("Challenger"),
        queryset=Participant.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
        error_messages={"invalid_choice": _("Choose one of this workshop's challengers.")},
    )

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["challenger"].queryset = workshop.participants.filter(
            role=Participant.Role.CHALLENGER
        ).order_by("display_name")
        self.fields["challenger"].label_from_instance = challenger_label


def challenger_label(person: Participant) -> str:
    return (
        f"{person.display_name}, {person.organisation}"
        if person.organisation
        else (person.display_name)
    )


class ChallengerInviteForm(InviteForm):
    """The invites page's form without the role: from a challenge's row it is a challenger."""

    role = None


class ChallengeFollowUpForm(forms.Form):
    text = TextField(
        label=_("What we did next"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write what happened first — the field is empty.")},
    )
    link = forms.URLField(
        label=_("A link (optional)"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("That does not look like a web address.")},
    )
