"""The labber's form for inviting a receiver, a challenger or a co-labber."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insights.forms import clean_text
from workshops.models import Participant


class InviteForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Invite as"),
        choices=[
            (Participant.Role.RECEIVER, _("Receiver (takes suggestions forward)")),
            (Participant.Role.CHALLENGER, _("Challenger (brings the challenge)")),
            (Participant.Role.LABBER, _("Co-labber (helps run the workshop)")),
        ],
        initial=Participant.Role.RECEIVER,
        error_messages={"invalid_choice": _("Choose receiver, challenger or co-labber.")},
    )
    name = forms.CharField(
        label=_("Name"), max_length=80, error_messages={"required": _("Write their name.")}
    )
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=120, required=False)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        error_messages={"invalid": _("That does not look like an email address.")},
    )
    send_email = forms.BooleanField(label=_("Send the link by email now"), required=False)

    def clean_name(self) -> str:
        name = clean_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Write their name."))
        return name

    def clean_title(self) -> str:
        return clean_text(self.cleaned_data.get("title") or "")

    def clean_organisation(self) -> str:
        return clean_text(self.cleaned_data.get("organisation") or "")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("send_email") and not data.get("email"):
            self.add_error("email", _("Add an email address to send the link to."))
        if data.get("role") == Participant.Role.RECEIVER and not data.get("organisation"):
            # The room sees a receiver's organisation on every card they take forward.
            self.add_error("organisation", _("A receiver needs an organisation: the room sees it."))
        return data
