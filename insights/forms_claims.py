"""Forms for voting, claims and follow-ups. They parse and validate; the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insights.actions.claims import MAX_NOTE
from insights.actions.votes import MAX_DOTS
from insights.forms import clean_text
from insights.models import Claim, Contribution
from workshops.models import Workshop


class VoteForm(forms.Form):
    contribution = forms.IntegerField(
        min_value=1, error_messages={"required": _("Choose a suggestion to vote on.")}
    )
    op = forms.ChoiceField(
        choices=[("add", _("Add a dot")), ("remove", _("Take a dot back"))],
        initial="add",
        required=False,
        error_messages={"invalid_choice": _("Add a dot or take one back.")},
    )


class VotingForm(forms.Form):
    """Opening voting may set the dots and whether tallies hide; left out, they stay."""

    dots_per_person = forms.IntegerField(
        label=_("Dots per person"), min_value=1, max_value=MAX_DOTS, required=False
    )
    dots_per_suggestion = forms.IntegerField(
        label=_("Dots one person may put on one suggestion"),
        min_value=1,
        max_value=MAX_DOTS,
        required=False,
    )
    hide_tallies = forms.NullBooleanField(
        label=_("Hide the tallies until voting closes"),
        required=False,
        widget=forms.Select(choices=[("", _("As set")), ("true", _("Yes")), ("false", _("No"))]),
    )
    late_voters = forms.NullBooleanField(
        label=_("Phones that join after voting opens may vote too"),
        required=False,
        widget=forms.Select(choices=[("", _("As set")), ("true", _("Yes")), ("false", _("No"))]),
    )


class ClaimForm(forms.Form):
    contribution = forms.ModelChoiceField(
        queryset=Contribution.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose a suggestion to take forward."),
            "invalid_choice": _("That suggestion is not part of this workshop."),
        },
    )
    note = forms.CharField(
        label=_("What do you intend? (optional)"),
        required=False,
        max_length=MAX_NOTE,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Insights are in the queryset on purpose: the action says why they cannot be claimed.
        self.fields["contribution"].queryset = Contribution.objects.filter(workshop=workshop)

    def clean_note(self) -> str:
        return clean_text(self.cleaned_data.get("note") or "")


class FollowUpForm(forms.Form):
    """Everyone who may report gets the same form; whether they may also change the status is
    the action's to decide (a challenger's page simply does not offer it)."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=Claim.Status.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("There is no such status.")},
    )
    text = forms.CharField(
        label=_("What happened?"),
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Public: shown on the workshop's follow-up page. Parking needs a reason."),
    )
    link = forms.URLField(
        label=_("Link (optional)"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Enter a web address, such as https://example.org/.")},
    )

    def clean_text(self) -> str:
        return clean_text(self.cleaned_data.get("text") or "")


class ContributorEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        error_messages={"invalid": _("That does not look like an email address.")},
    )
