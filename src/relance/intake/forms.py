"""The public forms' fields, checked with a message in the visitor's language.

Each has a honeypot field (`website`): hidden from people by the stylesheet and from
assistive technologies, left empty by them, filled by most bots. A filled honeypot gets
the same answer as a real submission, and nothing is recorded."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relance.people import contact
from relance.people.models import Organisation
from relance.pools import consent

HONEYPOT = "website"


class _Public(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.CharField(label=_("E-mail"), max_length=contact.MAX_EMAIL)
    website = forms.CharField(required=False, max_length=500)

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_email(self) -> str:
        try:
            return contact.normalise_email(self.cleaned_data["email"])
        except contact.ContactProblem as problem:
            raise forms.ValidationError(str(problem)) from None

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class ApplyForm(_Public):
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    message = forms.CharField(label=_("Message"), max_length=5000, required=False)
    notice = forms.BooleanField(label=_("I have read the information notice"))
    pool = forms.BooleanField(required=False)

    def clean_phone(self) -> str:
        try:
            return contact.normalise_phone(self.cleaned_data["phone"], self.organisation.country)
        except contact.ContactProblem as problem:
            raise forms.ValidationError(str(problem)) from None


class SignUpForm(_Public):
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    notice = forms.BooleanField(label=_("I have read the information notice"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        purposes = set(self.data.getlist("purpose")) if hasattr(self.data, "getlist") else set()
        frequencies = {
            topic: self.data[f"topic_{topic}"]
            for topic in consent.CHOICES
            if self.data.get(f"topic_{topic}")
        }
        try:
            consent.check_choices(purposes, frequencies)
        except consent.ChoiceError as problem:
            raise forms.ValidationError(str(problem)) from None
        if not purposes:
            raise forms.ValidationError(_("Tick at least one thing you agree to."))
        data["purposes"], data["frequencies"] = purposes, frequencies
        return data
