"""Unsubscribing from automated e-mails: a signed link (RFC 8058's one click) and a signed
mailto: address, in the List-Unsubscribe header of every automated e-mail (follow-ups
written by the engine, campaigns, renewal requests) — never of a one-to-one message a
recruiter wrote or an acknowledgement, which a large mailbox provider would take for bulk
mail because of it.

The link needs no login: its signature is the proof. A mail client's one-click POST
unsubscribes at once; a person opening the link sees a confirmation page in their
language, with one button. The mailto: address is the sender's own (where the candidate's
answers arrive, and where Relance reads them): a message whose subject is
"unsubscribe {token}" unsubscribes its token's person (`asked_by_mail`, called by
receive.py). Unsubscribing stops every thread of the person at once (and every outbox row
not yet sent is cancelled when a worker reaches it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parseaddr
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from relance import french
from relance.engine import Channel
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate

SALT = "relance.unsubscribe"

TEXT = {
    "fr": {
        "title": "Ne plus recevoir nos messages",
        "ask": "Vous ne recevrez plus aucun message {of_company}. "
        "Vous pourrez toujours nous écrire.",
        "button": "Me désinscrire",
        "of": "de",
        "done_title": "C'est fait",
        "done": "Vous êtes désinscrit(e) : {company} ne vous écrira plus. "
        "Merci de nous l'avoir dit.",
        "bad_title": "Ce lien ne fonctionne pas",
        "bad": "Ce lien de désinscription est incomplet ou a été modifié. "
        "Utilisez le lien complet reçu dans le message, ou répondez simplement « stop ».",
    },
    "en": {
        "title": "Stop receiving our messages",
        "ask": "You will receive no more messages from {company}. You can still write to us.",
        "of": "from",
        "button": "Unsubscribe me",
        "done_title": "Done",
        "done": "You are unsubscribed: {company} will not write to you again. "
        "Thank you for telling us.",
        "bad_title": "This link does not work",
        "bad": "This unsubscribe link is incomplete or was changed. "
        'Use the whole link from the message, or simply reply "stop".',
    },
}


def token_for(candidate: Candidate) -> str:
    return _token(candidate.pk, candidate.organisation_id)


def _token(candidate_id: int, organisation_id: int) -> str:
    return signing.dumps({"c": candidate_id, "o": organisation_id}, salt=SALT)


def link_for(candidate: Candidate) -> str:
    return _link(candidate.pk, candidate.organisation_id)


def _link(candidate_id: int, organisation_id: int) -> str:
    return f"{settings.RELANCE_BASE_URL}/u/{_token(candidate_id, organisation_id)}/"


# The lists an automated e-mail belongs to (List-Id, RFC 2919): one per organisation and
# kind, named after the organisation.
LISTS = {"followups": "relances", "campaigns": "campagnes", "renewals": "vivier"}


def headers_for_ids(
    candidate_id: int, organisation_id: int, *, sender: str, kind: str, name: str = ""
) -> dict[str, str]:
    """The headers that say "an automated message, and how to stop it": List-Id (RFC 2919)
    and List-Unsubscribe with its https link and its mailto: address (RFC 2369), with
    List-Unsubscribe-Post (RFC 8058: mail clients turn it into a one-click button).

    `sender` is the From address (the mailto: goes to it, the List-Id is in its domain),
    `kind` one of LISTS, `name` the organisation's (the List-Id's description)."""
    token = _token(candidate_id, organisation_id)
    mailto, list_id = _list_of_sender(sender, kind, organisation_id, name)
    link = f"{settings.RELANCE_BASE_URL}/u/{token}/"
    return {
        "List-Id": list_id,
        # The token's only character a mailto: query must escape is ":" (RFC 6068).
        "List-Unsubscribe": f"<{link}>, <{mailto}{token.replace(':', '%3A')}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@lru_cache(maxsize=256)
def _list_of_sender(sender: str, kind: str, organisation_id: int, name: str) -> tuple[str, str]:
    """What a list's headers take from its sender: the mailto: address up to the token,
    and the List-Id. Read once per sender: an address costs more to parse than to send."""
    from relance.messaging import compose, transport

    address = parseaddr(sender)[1] or sender
    described = transport.phrase(f"{name} ({LISTS[kind]})") if name else ""
    label = f"{kind}.{organisation_id}.{compose.sending_domain(sender)}"
    return f"mailto:{address}?subject={SUBJECT}%20", f"{described} <{label}>".lstrip()


def list_of(row: OutboxMessage) -> str:
    """The list (LISTS) an outbox row's e-mail belongs to; "" for a one-to-one message:
    an acknowledgement (the candidate asked for it), an interview's confirmation or notice
    (the candidate agreed to the interview: followups/interviews.py), or a message a
    recruiter wrote or edited (`by_hand`: interview feedback, a personal rejection, a step
    done by hand)."""
    if row.by_hand or row.reason == "acknowledgement" or row.reason.startswith("interview_"):
        return ""
    if row.campaign_id is not None or row.reason == "job_alert":  # pools/alerts.py
        return "campaigns"
    if row.reason == "renewal":
        return "renewals"
    return "followups"


# The subject of the message a mail client sends to the mailto: address.
SUBJECT = "unsubscribe"
_ASKED = re.compile(rf"\b{SUBJECT}\s+([\w.\-]+(?::[\w\-]+)+)", re.IGNORECASE | re.ASCII)


def asked_by_mail(organisation_id: int, subject: str) -> Candidate | None:
    """The person an e-mail to our List-Unsubscribe mailto: address unsubscribes: its
    subject carries their signed token (of this organisation), else None."""
    found = _ASKED.search(subject[:1000])
    if found is None:
        return None
    candidate = _candidate(found.group(1))
    if candidate is None or candidate.organisation_id != organisation_id:
        return None
    return candidate


def _candidate(token: str) -> Candidate | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return (
        Candidate.objects.filter(pk=data.get("c"), organisation_id=data.get("o"))
        .select_related("organisation")
        .first()
    )


@csrf_exempt  # the signed token is the proof; mail clients post without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    candidate = _candidate(token)
    language = candidate.language if candidate else _language(request)
    text = TEXT[language if language in TEXT else "en"]
    if candidate is None:
        page = {"title": text["bad_title"], "message": text["bad"], "language": language}
        return render(request, "pools/public_message.html", page, status=400)
    company = candidate.organisation.name
    if request.method == "POST":
        if candidate.unsubscribed_at is None:
            now = datetime.now(tz=UTC)
            services.record_event(
                Event(EventType.UNSUBSCRIBED, now, candidate, channel=Channel.EMAIL), now
            )
        page = {"title": text["done_title"], "message": text["done"].format(company=company)}
        return render(request, "pools/public_message.html", {**page, "language": language})
    page = {
        "title": text["title"],
        "message": text["ask"].format(
            company=company, of_company=french.elide(text["of"], company)
        ),
        "button": text["button"],
        # A mail client's one-click POST and this button send the same (RFC 8058).
        "button_name": "List-Unsubscribe",
        "button_value": "One-Click",
        "language": language,
    }
    return render(request, "pools/public_message.html", page)


def _language(request: HttpRequest) -> str:
    accepted = request.headers.get("Accept-Language", "")
    return "fr" if accepted.lower().startswith("fr") else "en"
