"""Bulk actions on a selection of candidates (the candidate list's check boxes): add or
remove a tag, assign an owner, add to a pool, start a follow-up plan, mark do-not-contact.

Each person is one transaction: what is done for them is done whole, with its audit
entry, or not at all; a refusal for one person never stops the others. The report says,
per person, what was done, what changed nothing, what was refused and why — and, for a
follow-up, who is already followed up by another recruiter and needs a confirmation
(hard rule 8, one voice): those are started only when the recruiter confirms, the others
at once.

Follow-ups go through the same door as the candidate page: followups.services.record_event,
with `send=True` for a first message by e-mail that leaves from Relance (the template,
within sending hours, under every hard rule), or recorded as sent from the recruiter's
own mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from relance.engine import CallOutcome, Channel, Situation
from relance.errors import InputError
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.followups.services import OneVoiceConflict, record_event
from relance.people import candidates, rights
from relance.people.models import AuditEntry, Candidate, Recruiter
from relance.pools.models import Pool, PoolMember
from relance.pools.pools import add_members

ACTIONS = ("tag_add", "tag_remove", "owner", "pool", "follow_up", "do_not_contact")
# The most people one bulk action takes (a list page shows 50).
MOST = 200

# What a follow-up can start with, by situation (the candidate page offers the same).
STARTABLE = {
    Situation.FIRST_MESSAGE.value: (Channel.EMAIL, Channel.LINKEDIN, Channel.SMS),
    Situation.LINKEDIN_INVITATION.value: (Channel.LINKEDIN,),
    Situation.CV_DATABASE.value: (Channel.PHONE,),
    Situation.KEEP_IN_TOUCH.value: (Channel.EMAIL, Channel.LINKEDIN, Channel.SMS),
}


class Status:
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"
    CONFIRM = "confirm"  # another recruiter follows them up: started once confirmed


@dataclass
class Outcome:
    candidate: Candidate
    status: str
    detail: str = ""  # in the reader's language


@dataclass
class Report:
    action: str
    outcomes: list[Outcome] = field(default_factory=list)
    sent: bool = False  # an e-mail was queued: wake a worker in this process

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def done(self) -> list[Outcome]:
        return self.of(Status.DONE)

    @property
    def unchanged(self) -> list[Outcome]:
        return self.of(Status.UNCHANGED)

    @property
    def refused(self) -> list[Outcome]:
        return self.of(Status.REFUSED)

    @property
    def to_confirm(self) -> list[Outcome]:
        return self.of(Status.CONFIRM)


def _each(action: str, people: Sequence[Candidate], act: Callable[[Candidate], Outcome]) -> Report:
    """`act` for each person in a transaction of their own: a refusal (an exception that
    says why) rolls back that person only."""
    report = Report(action)
    for person in people:
        try:
            with transaction.atomic():
                outcome = act(person)
        except candidates.CandidateInvalid as problem:
            outcome = Outcome(person, Status.REFUSED, problem.describe())
        except OneVoiceConflict as conflict:
            names = ", ".join(str(r) for r in conflict.others)
            outcome = Outcome(
                person,
                Status.CONFIRM,
                _("%(names)s already follows this person up.") % {"names": names},
            )
        except (InputError, ValueError) as problem:
            outcome = Outcome(person, Status.REFUSED, str(problem))
        report.outcomes.append(outcome)
    return report


def tag(
    people: Sequence[Candidate], raw: str, *, add: bool, actor: Recruiter, now: datetime
) -> Report:
    name = candidates.normalise_tag(raw)  # ValueError: the caller says why, nothing done

    def act(person: Candidate) -> Outcome:
        change = candidates.change_tags(
            person, actor, now, add=[name] if add else [], remove=[] if add else [name],
            via="bulk",
        )  # fmt: skip
        if change:
            return Outcome(person, Status.DONE)
        said = _("already has this tag.") if add else _("did not have this tag.")
        return Outcome(person, Status.UNCHANGED, said)

    return _each("tag_add" if add else "tag_remove", people, act)


def assign_owner(
    people: Sequence[Candidate], owner: Recruiter | None, *, actor: Recruiter, now: datetime
) -> Report:
    value = str(owner.pk) if owner is not None else ""

    def act(person: Candidate) -> Outcome:
        if candidates.set_owner(person, value, actor, now, via="bulk"):
            return Outcome(person, Status.DONE)
        return Outcome(person, Status.UNCHANGED, _("already theirs."))

    return _each("owner", people, act)


def add_to_pool(
    people: Sequence[Candidate], pool: Pool, *, actor: Recruiter, now: datetime
) -> Report:
    def act(person: Candidate) -> Outcome:
        if person.anonymised_at is not None:
            return Outcome(person, Status.REFUSED, _("anonymised: nothing to keep in a pool."))
        if PoolMember.objects.filter(pool=pool, candidate=person).exists():
            return Outcome(person, Status.UNCHANGED, _("already in this pool."))
        add_members(pool, [person.pk], now)
        rights.audit(person, actor, AuditEntry.Action.CHANGED, now, pool=pool.pk, via="bulk")
        return Outcome(person, Status.DONE)

    return _each("pool", people, act)


def do_not_contact(people: Sequence[Candidate], *, actor: Recruiter, now: datetime) -> Report:
    def act(person: Candidate) -> Outcome:
        if person.do_not_contact_at is not None:
            return Outcome(person, Status.UNCHANGED, _("already marked “do not contact”."))
        record_event(Event(EventType.DO_NOT_CONTACT, now, person, recruiter=actor), now)
        rights.audit(person, actor, AuditEntry.Action.CHANGED, now, do_not_contact=True,
                     via="bulk")  # fmt: skip
        return Outcome(person, Status.DONE)

    return _each("do_not_contact", people, act)


def start_event(
    person: Candidate,
    actor: Recruiter,
    now: datetime,
    situation: str,
    channel: str,
    *,
    send: bool,
    confirmed: bool,
) -> Event:
    """The event that starts a follow-up plan, as the candidate page makes it: an
    invitation accepted, a missed call (a CV found in a bank), or a first message — sent
    from Relance (`send`, a first message by e-mail only) or already sent by hand."""
    event = Event(EventType.MESSAGE_SENT, now, person, recruiter=actor)
    event.situation, event.channel = Situation(situation), Channel(channel)
    event.confirmed = confirmed
    if event.situation is Situation.LINKEDIN_INVITATION:
        event.type = EventType.INVITATION_ACCEPTED
    elif event.situation is Situation.CV_DATABASE:
        event.type, event.outcome = EventType.CALL, CallOutcome.NO_ANSWER
    elif event.situation is Situation.FIRST_MESSAGE and event.channel is Channel.EMAIL:
        event.send = send
    return event


def start_follow_up(
    people: Sequence[Candidate],
    situation: str,
    channel: str,
    *,
    send: bool,
    confirmed: bool,
    actor: Recruiter,
    now: datetime,
) -> Report:
    """Start `situation` on `channel` for each person. Refused, with why: a person marked
    do-not-contact, unsubscribed or anonymised; a first e-mail from Relance to someone
    without an address (or whose address bounced); one the recruiter already follows up in
    this situation. Someone another recruiter follows up is started only if `confirmed`."""
    if channel not in [c.value for c in STARTABLE.get(situation, ())]:
        raise ValueError(f"{situation}, {channel}")
    report = Report("follow_up")

    def act(person: Candidate) -> Outcome:
        event = start_event(person, actor, now, situation, channel, send=send,
                            confirmed=confirmed)  # fmt: skip
        why = _refusal(person, event, actor)
        if why:
            return Outcome(person, Status.REFUSED, why)
        record_event(event, now)
        rights.audit(person, actor, AuditEntry.Action.CHANGED, now, follow_up=situation,
                     channel=channel, sent_by_relance=event.send, via="bulk")  # fmt: skip
        if event.send:
            report.sent = True
            return Outcome(
                person,
                Status.DONE,
                _("the first e-mail leaves from Relance, within sending hours."),
            )
        return Outcome(person, Status.DONE)

    report.outcomes = _each("follow_up", people, act).outcomes
    return report


def _refusal(person: Candidate, event: Event, actor: Recruiter) -> str:
    if person.anonymised_at is not None:
        return _("anonymised.")
    if person.do_not_contact_at is not None:
        return _("marked “do not contact”.")
    if person.unsubscribed_at is not None:
        return _("unsubscribed.")
    if event.send and not person.email:
        return _(
            "no e-mail address: choose another channel, or record a message you sent yourself."
        )
    if event.send and person.email_bounced_at is not None:
        return _("their address bounced: find another one first.")
    mine = Thread.objects.filter(
        candidate=person, situation=event.situation, recruiter=actor, status=Thread.Status.OPEN
    )
    if mine.exists():
        return _("you already follow this person up: its next step is on Today.")
    return ""
