"""Inbound e-mail from a provider's webhook (django-anymail): Brevo, Mailgun, Mailjet,
Postmark, SES… post each message received to `/anymail/{provider}/inbound/`, and it goes
through the same door as `relance inbound` and the IMAP mailboxes (receive.py).

The addresses are mounted only when django-anymail is installed and ANYMAIL_WEBHOOK_SECRET
is set (the HTTP basic-auth `user:password` the provider must send): an inbound address
open to anyone would let anyone stop a candidate's follow-ups.
"""

from __future__ import annotations

import base64
import email.errors
import hmac
import importlib.util
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
    raw = _raw(message)
    try:
        organisation = organisation_for(message)
    except Exception:  # headers the standard library cannot read: the only one, if any
        log.warning("%s inbound message: its recipients cannot be read", esp_name)
        only = list(Organisation.objects.all()[:2])
        organisation = only[0] if len(only) == 1 else None
    if organisation is None:
        # Raising makes the provider retry later, and the message stays with it: not lost.
        raise LookupError(f"{esp_name} inbound message to no known organisation")
    receive(organisation, raw, datetime.now(tz=UTC))


def _raw(message: Any) -> bytes:
    """The message's bytes, for receive() to read within its bounds. A hostile message
    the standard library cannot write out again (parts nested too deep, an unknown
    charset) is kept as text, or as a note that it could not be read: never a crash that
    would make the provider retry for ever."""
    try:
        return bytes(message.as_bytes())
    except Exception:
        try:
            return str(message.as_string()).encode("utf-8", "replace")
        except Exception as error:
            return f"Subject: unreadable inbound message\r\n\r\n{type(error).__name__}\r\n".encode()


class KeepWhatCannotBeParsed:
    """Middleware: a message that django-anymail's own parsing fails on (parts nested a
    thousand deep…) would answer 500, and the provider would post it again for ever. Once
    the request proved it comes from the provider (its basic-auth secret), the request's
    body is kept as an unreadable inbound message instead, and the provider told 200."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (request.path.startswith("/anymail/") and "/inbound" in request.path):
            return None
        if not isinstance(exception, UNPARSABLE):
            return None  # a database that is busy, say: the provider retries later
        if not enabled() or not _from_the_provider(request):
            return None
        only = list(Organisation.objects.all()[:2])
        if len(only) != 1:
            return None
        log.warning("inbound webhook: %s; kept as unreadable", type(exception).__name__)
        receive(only[0], request.body, datetime.now(tz=UTC))
        return HttpResponse(status=200)


# What parsing a hostile message raises (in django-anymail or the standard library).
UNPARSABLE = (
    RecursionError,
    email.errors.MessageError,
    UnicodeError,
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
)


def _from_the_provider(request: HttpRequest) -> bool:
    secrets_ = settings.ANYMAIL.get("WEBHOOK_SECRET")
    allowed = [secrets_] if isinstance(secrets_, str) else list(secrets_ or [])
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:], validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    return any(hmac.compare_digest(given.encode(), str(secret).encode()) for secret in allowed)


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
