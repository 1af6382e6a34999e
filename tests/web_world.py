"""A small agency for the web tests: two recruiters of one organisation, one recruiter of
another, candidates with follow-ups due on Wednesday 4 March 2026 at 10:00 (Paris)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from relance.engine import Channel, Situation
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.people.models import Candidate, Job, Organisation, Recruiter
from tests.conftest import paris

T0 = paris(2026, 3, 2, 9, 0)  # Monday
NOW = paris(2026, 3, 4, 10, 0)  # Wednesday: the first follow-ups are due
PASSWORD = "a long enough password"


@dataclass
class World:
    org: Organisation
    admin: Recruiter
    recruiter: Recruiter
    stranger: Recruiter  # of another organisation
    lea: Candidate  # e-mail follow-up due
    paul: Candidate  # applied: a call due
    job: Job
    email_thread: Thread
    call_thread: Thread
    other_candidate: Candidate  # the other organisation's
    other_thread: Thread
    other_job: Job


def build() -> World:
    org = Organisation.objects.create(name="Agence Test", slug="test")
    admin = Recruiter.objects.create_user(
        "claire@test.example", PASSWORD, first_name="Claire", last_name="Dubois",
        organisation=org, role=Recruiter.Role.ADMIN,
    )  # fmt: skip
    recruiter = Recruiter.objects.create_user(
        "marc@test.example", PASSWORD, first_name="Marc", organisation=org
    )
    job = Job.objects.create(organisation=org, title="Développeur Java", created_at=T0, owner=admin)
    lea = _candidate(org, "Léa", "lea@example.org", linkedin_url="https://www.linkedin.com/in/lea")
    paul = _candidate(org, "Paul", "paul@example.org", phone="+33612345678")
    _event(EventType.MESSAGE_SENT, lea, admin, channel=Channel.EMAIL, job=job,
           situation=Situation.FIRST_MESSAGE)  # fmt: skip
    _event(EventType.APPLICATION_RECEIVED, paul, admin, job=job)
    other = Organisation.objects.create(name="Autre Agence", slug="other")
    stranger = Recruiter.objects.create_user("eve@other.example", PASSWORD, organisation=other)
    other_job = Job.objects.create(organisation=other, title="Secret", created_at=T0)
    ghost = _candidate(other, "Ghost", "ghost@example.org")
    _event(EventType.MESSAGE_SENT, ghost, stranger, channel=Channel.EMAIL,
           situation=Situation.FIRST_MESSAGE)  # fmt: skip
    return World(
        org, admin, recruiter, stranger, lea, paul, job,
        Thread.objects.get(candidate=lea),
        Thread.objects.get(candidate=paul, situation=Situation.APPLICATION),
        ghost, Thread.objects.get(candidate=ghost), other_job,
    )  # fmt: skip


def _candidate(org: Organisation, first: str, email: str, **more: object) -> Candidate:
    return Candidate.objects.create(
        organisation=org, first_name=first, last_name="Martin", email=email, created_at=T0,
        **more,
    )  # fmt: skip


def _event(kind: EventType, candidate: Candidate, recruiter: Recruiter, **more: object) -> None:
    services.record_event(Event(kind, T0, candidate, recruiter=recruiter, **more), T0)  # type: ignore[arg-type]


def later(days: float) -> object:
    return NOW + timedelta(days=days)
