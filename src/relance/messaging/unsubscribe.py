"""One-click unsubscribe (RFC 8058): a signed link in every automated e-mail.

The link needs no login: its signature is the proof. A mail client's one-click POST
unsubscribes at once; a person opening the link sees a confirmation page in their
language, with one button. Unsubscribing stops every thread of the person at once (and
every outbox row not yet sent is cancelled when a worker reaches it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from relance.engine import Channel
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.people.models import Candidate

SALT = "relance.unsubscribe"

TEXT = {
    "fr": {
        "title": "Ne plus recevoir nos messages",
        "ask": "Vous ne recevrez plus aucun message de {company}. "
        "Vous pourrez toujours nous écrire.",
        "button": "Me désinscrire",
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


def headers_for_ids(candidate_id: int, organisation_id: int) -> dict[str, str]:
    """The headers of RFC 2369 and RFC 8058 that mail clients turn into a button."""
    link = _link(candidate_id, organisation_id)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


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
        "message": text["ask"].format(company=company),
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
