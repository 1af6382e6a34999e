"""Receiving an e-mail: keep it, understand it, find whose it is, put it on the timeline.

`receive` is the one door for every inbound message (piped from a mail server with
`relance inbound`, read from IMAP or a provider's webhook by the worker). A message is
kept as it came (InboundMessage) before anything else, is never processed twice (the same
bytes, give or take the trace fields each delivery adds: inbound.fingerprint), and one
that cannot be understood is kept for inspection with the error — never lost, never a
crash of the caller.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db import IntegrityError, transaction

from relance.engine import BounceKind, Channel, calendar
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Touchpoint
from relance.messaging import unsubscribe
from relance.messaging.inbound import MAX_IDS, Classification, classify, fingerprint
from relance.messaging.models import InboundMessage
from relance.people.models import Candidate, Organisation

log = logging.getLogger(__name__)


@dataclass
class Received:
    outcome: str  # recorded, unmatched, ignored, failed, duplicate
    kind: str = ""
    candidates: list[int] = field(default_factory=list)
    effects: list[services.Effect] = field(default_factory=list)
    inbound_id: int | None = None
    error: str = ""


def receive(organisation: Organisation, raw: bytes, now: datetime) -> Received:
    """Record `raw`, an e-mail received by `organisation`, and act on it."""
    key = fingerprint(raw)
    try:
        result = classify(raw, now.date())  # never raises: this is the last guard
    except Exception as error:  # a message we cannot read must not stop the worker
        log.exception("inbound message could not be classified")
        return _keep(
            organisation, raw, now, None, InboundMessage.Outcome.FAILED, key=key, error=repr(error)
        )
    if InboundMessage.objects.of(organisation).filter(key=key).exists():
        return Received("duplicate", result.kind)
    unreadable = [detail for code, detail in result.why if code == "unreadable"]
    if unreadable:
        return _keep(
            organisation, raw, now, result, InboundMessage.Outcome.FAILED, key=key,
            error=unreadable[0],
        )  # fmt: skip
    try:
        with transaction.atomic():
            return _act(organisation, raw, now, result, key)
    except IntegrityError:  # the same message, received at the same time by another worker
        return Received("duplicate", result.kind)
    except Exception as error:
        log.exception("inbound message could not be recorded")
        return _keep(
            organisation,
            raw,
            now,
            result,
            InboundMessage.Outcome.FAILED,
            key=key,
            error=repr(error),
        )


def _act(
    organisation: Organisation, raw: bytes, now: datetime, result: Classification, key: str
) -> Received:
    events: list[Event] = []
    candidates: list[Candidate] = []
    if result.kind == "bounce":
        for recipient in result.recipients:
            candidate = _by_address(organisation, recipient.address) or _by_address(
                organisation, recipient.final
            )
            if candidate is None and len(result.recipients) == 1:
                # Forwarded addresses: the returned message is ours, so is its candidate.
                candidate = _by_our_message_ids(organisation, raw)
            if candidate is None:
                continue
            candidates.append(candidate)
            events.append(
                Event(EventType.BOUNCE, now, candidate, outcome=BounceKind(recipient.severity))
            )
    elif "abuse_report" in _codes(result):
        # The report comes from the person's provider; the message it is about is ours.
        candidate = _by_our_message_ids(organisation, raw)
        if candidate is not None:
            candidates.append(candidate)
            # Marking our message as spam is the clearest way of saying "stop" (rule 5).
            events.append(Event(EventType.UNSUBSCRIBED, now, candidate, channel=Channel.EMAIL))
    elif (asked := unsubscribe.asked_by_mail(organisation.pk, result.subject)) is not None:
        # Sent to the List-Unsubscribe mailto: address of one of our automated messages.
        candidates.append(asked)
        events.append(Event(EventType.UNSUBSCRIBED, now, asked, channel=Channel.EMAIL))
    elif result.kind in ("reply", "auto_reply"):
        candidate = _by_thread(organisation, result.in_reply_to) or _by_address(
            organisation, result.sender
        )
        if candidate is not None:
            candidates.append(candidate)
            events.append(_event_for(result, candidate, now))
    if not events:
        outcome = (
            InboundMessage.Outcome.UNMATCHED
            if result.kind in ("reply", "auto_reply", "bounce")
            else InboundMessage.Outcome.IGNORED
        )
        return _keep(organisation, raw, now, result, outcome, key=key, inside_transaction=True)
    effects: list[services.Effect] = []
    for event in events:
        effects += services.record_event(event, now)
    kept = _keep(
        organisation,
        raw,
        now,
        result,
        InboundMessage.Outcome.RECORDED,
        key=key,
        candidate=candidates[0],
        inside_transaction=True,
    )
    kept.candidates = [c.pk for c in candidates]
    kept.effects = effects
    return kept


def _event_for(result: Classification, candidate: Candidate, now: datetime) -> Event:
    if result.kind == "auto_reply":
        until = None
        if result.return_date is not None:
            until = calendar.at_local(result.return_date, time(0, 0), candidate.timezone)
        return Event(
            EventType.AUTO_REPLY_RECEIVED, now, candidate, channel=Channel.EMAIL, until=until
        )
    return Event(
        EventType.REPLY_RECEIVED,
        now,
        candidate,
        channel=Channel.EMAIL,
        subject=result.subject[:300],
    )


def _codes(result: Classification) -> set[str]:
    return {code for code, _ in result.why}


def _by_our_message_ids(organisation: Organisation, raw: bytes) -> Candidate | None:
    """The candidate of one of our messages quoted anywhere in this one (a bounce returns
    the original; an abuse report attaches it)."""
    ours: set[str] = set()
    for found in _OUR_IDS.finditer(raw):
        ours.add(found.group(0).decode("ascii", "replace"))
        if len(ours) >= MAX_IDS:
            break
    return _by_thread(organisation, sorted(ours))


# Bounded: a message is scanned whole (our message may be returned far below a big
# attachment), and each match costs at most a few hundred bytes.
_OUR_IDS = re.compile(rb"<relance\.\d{1,20}\.[a-z]{1,20}(?:\.\d{1,20}){1,5}@[^<>\s]{1,255}>")


def _by_thread(organisation: Organisation, message_ids: list[str]) -> Candidate | None:
    """The candidate of one of our messages among `message_ids` (In-Reply-To, References)."""
    if not message_ids:
        return None
    touch = (
        Touchpoint.objects.of(organisation)
        .filter(message_id__in=message_ids)
        .select_related("candidate")
        .order_by("-at")
        .first()
    )
    return touch.candidate if touch is not None else None


def _by_address(organisation: Organisation, address: str) -> Candidate | None:
    if "@" not in address:
        return None
    return (
        Candidate.objects.of(organisation)
        .filter(email__iexact=address)
        .order_by("-last_contact_at", "-pk")
        .first()
    )


def _keep(
    organisation: Organisation,
    raw: bytes,
    now: datetime,
    result: Classification | None,
    outcome: str,
    *,
    key: str = "",
    candidate: Candidate | None = None,
    error: str = "",
    inside_transaction: bool = False,
) -> Received:
    fields = {
        "organisation": organisation,
        "received_at": now,
        "key": key or fingerprint(raw),
        "message_id": (result.message_id if result else "")[:300],
        "raw": raw,
        "kind": result.kind if result else "",
        "why": [list(w) for w in result.why] if result else [],
        "sender": (result.sender if result else "")[:320],
        "subject": (result.subject if result else "")[:300],
        "candidate": candidate,
        "outcome": outcome,
        "error": error,
    }
    if inside_transaction:
        row = InboundMessage.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                row = InboundMessage.objects.create(**fields)
        except IntegrityError:
            return Received("duplicate", fields["kind"])
    return Received(outcome, fields["kind"], inbound_id=row.pk, error=error)
