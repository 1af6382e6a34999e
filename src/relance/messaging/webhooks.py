"""Inbound e-mail from a provider's webhook (django-anymail): Brevo, Mailgun, Mailjet,
Postmark, SES… post each message received to `/anymail/{provider}/inbound/`, and it goes
through the same door as `relance inbound` and the IMAP mailboxes (receive.py).

The addresses are mounted only when django-anymail is installed and ANYMAIL_WEBHOOK_SECRET
is set (the HTTP basic-auth `user:password` the provider must send): an inbound address
open to anyone would let anyone stop a candidate's follow-ups.
"""

from __future__ import annotations

import importlib.util
import logging
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

from django.conf import settings

from relance.messaging.models import Mailbox, Sender
from relance.messaging.receive import receive
from relance.people.models import Organisation, Recruiter

log = logging.getLogger(__name__)


def enabled() -> bool:
    return importlib.util.find_spec("anymail") is not None and bool(
        getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET")
    )


def connect() -> None:
    """Listen to anymail's inbound signal (called when the app is ready)."""
    if importlib.util.find_spec("anymail") is None:
        return
    from anymail.signals import inbound

    inbound.connect(on_inbound, dispatch_uid="relance.inbound")


def on_inbound(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    raw = message.as_bytes()
    organisation = organisation_for(message)
    if organisation is None:
        # Raising makes the provider retry later, and the message stays with it: not lost.
        raise LookupError(f"{esp_name} inbound message to no known organisation")
    receive(organisation, raw, datetime.now(tz=UTC))


def organisation_for(message: Any) -> Organisation | None:
    """The organisation a message was sent to: the one of the recruiter, sending identity
    or mailbox with a recipient's address; else the only organisation there is."""
    recipients = [message.envelope_recipient or ""] + [
        address
        for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    ]
    addresses = {a.lower() for a in recipients if a}
    for model, field in ((Sender, "address"), (Recruiter, "email"), (Mailbox, "username")):
        for address in addresses:
            found = model.objects.filter(**{f"{field}__iexact": address}).first()
            if found is not None:
                return Organisation.objects.get(pk=found.organisation_id)
    only = list(Organisation.objects.all()[:2])
    return only[0] if len(only) == 1 else None
