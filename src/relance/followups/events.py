"""The events that touch a candidate. Pages, the CLI, imports and `simulate` all turn
what happened into one of these and hand it to services.record_event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from relance.engine import Channel, Situation
from relance.people.models import Candidate, Job, Recruiter


class EventType(StrEnum):
    MESSAGE_SENT = "message_sent"
    INVITATION_ACCEPTED = "invitation_accepted"
    APPLICATION_RECEIVED = "application_received"
    CALL = "call"
    REPLY_RECEIVED = "reply_received"
    AUTO_REPLY_RECEIVED = "auto_reply_received"
    BOUNCE = "bounce"
    UNSUBSCRIBED = "unsubscribed"
    STAGE_CHANGED = "stage_changed"
    CONSENT_GIVEN = "consent_given"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DO_NOT_CONTACT = "do_not_contact"
    INTERVIEW = "interview"
    TRIGGER = "trigger"
    NOTE = "note"


@dataclass
class Event:
    type: EventType
    at: datetime
    candidate: Candidate
    recruiter: Recruiter | None = None
    channel: Channel | None = None
    situation: Situation | None = None
    job: Job | None = None
    # A call's outcome, a bounce's kind, a stage, a consent's purpose, a trigger's kind.
    outcome: str = ""
    direction: str = ""  # for a call: "in" when the candidate called us
    until: datetime | None = None  # an out-of-office's return date
    subject: str = ""
    body: str = ""
    consent_method: str = "form"
    consent_text: str = ""
    consent_version: str = ""  # which wording was shown (pools/consent.py)
    consent_language: str = ""
    # Hard rule 8: starting a thread while another recruiter follows this person up needs
    # a confirmation. An event that already happened (a message sent) is confirmed.
    confirmed: bool = True
    # A message to send from Relance (through the outbox) rather than one already sent
    # from the recruiter's own mailbox: only starting a thread by e-mail.
    send: bool = False
