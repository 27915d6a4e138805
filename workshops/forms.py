"""Forms for the labber's pages and console moves. They validate; the actions write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from insights.errors import ActionRefused
from insights.forms import clean_text
from workshops.models import Workshop


class Invalid(ActionRefused):
    """A console move whose input did not validate: a 400 with the form's first message."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "invalid")


def cleaned(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        raise Invalid(str(errors[0]) if errors else _("That did not work; please try again."))
    return form.cleaned_data


class TextField(forms.CharField):
    """Text as a person typed it, without control characters and surrounding space."""

    def to_python(self, value: Any) -> str:
        return clean_text(super().to_python(value) or "")


BINARY = [("0", "0"), ("1", "1")]


def OnField() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(choices=BINARY, coerce=lambda v: v == "1")


# --- Before the session. ---


class WorkshopForm(forms.ModelForm):
    question = TextField(
        label=_("Question"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Workshop
        fields = ["question", "event", "date", "place", "language", "moderation", "dots_per_person"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "moderation": forms.RadioSelect,
        }
        help_texts = {
            "dots_per_person": _("How many dots each person may put on suggestions when voting."),
        }

    # Shown on the projector, in the report and in emails: the same cleaning as the question.
    def clean_event(self) -> str:
        return clean_text(self.cleaned_data.get("event") or "")

    def clean_place(self) -> str:
        return clean_text(self.cleaned_data.get("place") or "")

    def clean_dots_per_person(self) -> int:
        dots = self.cleaned_data["dots_per_person"]
        if not 1 <= dots <= 20:
            raise forms.ValidationError(_("Choose between 1 and 20 dots."))
        return dots


class ChallengeForm(forms.Form):
    title = TextField(label=_("The challenge"), max_length=300)
    description = TextField(
        label=_("More about it (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    obstacles = forms.CharField(
        label=_("Obstacles, one per line, in order"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_obstacles(self) -> list[str]:
        lines = [clean_text(line) for line in self.cleaned_data["obstacles"].splitlines()]
        lines = [line for line in lines if line]
        if any(len(line) > 300 for line in lines):
            raise forms.ValidationError(_("Keep each obstacle to 300 characters."))
        return lines


class ObstacleForm(forms.Form):
    text = TextField(label=_("Another obstacle"), max_length=300)


class MoveForm(forms.Form):
    step = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class CoLabberForm(forms.Form):
    account = forms.CharField(label=_("Username or email of their Labbet account"), max_length=254)

    def clean_account(self):
        value = self.cleaned_data["account"].strip()
        User = get_user_model()
        user = (
            User.objects.filter(username__iexact=value, is_active=True).first()
            or User.objects.filter(email__iexact=value, is_active=True).first()
        )
        if user is None:
            raise forms.ValidationError(
                _("No Labbet account has that username or email. Staff can create one.")
            )
        return user


class LabberAccountForm(forms.Form):
    """Staff create a labber's account; the labber chooses a password from an email."""

    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = TextField(label=_("First name"), max_length=150, required=False)
    last_name = TextField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"))

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."))
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with that email exists already."))
        return email


class SignupForm(UserCreationForm):
    """The open sign-up (LABBET_OPEN_SIGNUP): an account for a new labber."""

    email = forms.EmailField(label=_("Email"), help_text=_("For resetting your password."))

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with that email exists already."))
        return email


# --- Console moves. `v` is the version of the card the labber saw (see workshops.log). ---


class CardForm(forms.Form):
    v = forms.CharField(required=False, max_length=40)


class StatusForm(CardForm):
    status = forms.ChoiceField(choices=[("visible", "visible"), ("hidden", "hidden")])


class ToggleForm(CardForm):
    on = OnField()


class MuteForm(ToggleForm):
    # "Mute and hide all their posts": the wall is cleared of one person's flood at once.
    hide = forms.TypedChoiceField(
        choices=BINARY, coerce=lambda v: v == "1", required=False, empty_value=False
    )


class EditForm(CardForm):
    text = TextField(
        max_length=settings.LABBET_MAX_CONTRIBUTION_LENGTH,
        error_messages={"required": _("The text cannot be empty.")},
    )


def parse_selection(values: list[str]) -> list[tuple[int, str | None]]:
    """Selected cards as "pk@version" (the version may be missing)."""
    selection = []
    for value in values:
        pk, _sep, version = value.partition("@")
        if pk.isdigit():
            selection.append((int(pk), version or None))
    return selection


class SelectionForm(forms.Form):
    selected = forms.MultipleChoiceField(
        required=False, error_messages={"invalid_choice": _("That selection could not be read.")}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any "pk@version" string is a choice; the action checks it belongs to the workshop.
        self.fields["selected"].valid_value = lambda value: bool(parse_selection([value]))

    def clean_selected(self) -> list[tuple[int, str | None]]:
        selection = parse_selection(self.cleaned_data["selected"])
        if not selection:
            raise forms.ValidationError(_("Select one or more posts first (x on a card)."))
        return selection


class MergeForm(SelectionForm, CardForm):
    keep = forms.IntegerField()


class ThemeForm(SelectionForm):
    name = TextField(
        max_length=120,
        required=False,
    )


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(choices=Workshop.Phase.choices)


class PromptForm(forms.Form):
    text = TextField(
        max_length=300,
        error_messages={"required": _("Write the question to put to the room first.")},
    )


class ModerationForm(forms.Form):
    moderation = forms.ChoiceField(choices=Workshop.Moderation.choices)


class PostingForm(forms.Form):
    open = OnField()


class PagingForm(forms.Form):
    turn = OnField()


class LayoutForm(forms.Form):
    wall_layout = forms.ChoiceField(choices=Workshop.WallLayout.choices)


class ProjectorThemeForm(forms.Form):
    projector_theme = forms.ChoiceField(choices=Workshop.ProjectorTheme.choices)


class TimerForm(forms.Form):
    op = forms.ChoiceField(
        choices=[("start", "start"), ("pause", "pause"), ("resume", "resume"), ("reset", "reset")]
    )
    minutes = forms.DecimalField(
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(24 * 60),
        error_messages={
            "min_value": _("Give the timer at least a few seconds."),
            "max_value": _("A timer can run for a day at most."),
            "invalid": _("Write the minutes as a number, like 3 or 1.5."),
        },
    )
    lock_at_zero = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("op") == "start" and not data.get("minutes"):
            raise forms.ValidationError(_("How many minutes should the timer run?"))
        return data

    @property
    def seconds(self) -> int:
        return round(self.cleaned_data["minutes"] * 60)
