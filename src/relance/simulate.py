"""`relance simulate`: replay a scenario with a virtual clock through the real services.

The clock jumps from one moment to the next: the next scenario event, or the next time a
thread needs attention (its due time, or its deadline). At each, the real services act
as they would in production: events are recorded, due e-mails are sent, due tasks are
handed out (and done, unless the scenario says otherwise), missed deadlines raise alerts.
Everything happens in one transaction that is rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from relance.engine import calendar
from relance.engine.reasons import sentence
from relance.errors import InputError, ScenarioError
from relance.followups import services
from relance.followups.events import Event
from relance.followups.models import Thread
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.messaging.outbox import MemoryTransport
from relance.people.models import Candidate, Job, Organisation, Recruiter
from relance.scenario import EventSpec, Scenario

MAX_STEPS = 100_000


@dataclass
class Line:
    """One decision the system took (or, for the readable timeline, one event)."""

    at: datetime
    candidate: str
    kind: str
    situation: str | None
    reason: str
    step: int | None = None
    channel: str | None = None
    recruiter: str | None = None
    planned_at: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "at": self.at.isoformat(),
            "candidate": self.candidate,
            "kind": self.kind,
        }
        if self.channel is not None:
            out["channel"] = self.channel
        out["situation"] = self.situation
        out["step"] = self.step
        out["recruiter"] = self.recruiter
        out["reason"] = self.reason
        if self.planned_at is not None and self.planned_at != self.at:
            out["planned_at"] = self.planned_at.isoformat()
        return out

    def text(self, language: str) -> str:
        return sentence(self.reason, language, self.params)


@dataclass
class Result:
    scenario: Scenario
    lines: list[Line]  # decisions and, with kind "event", the scenario's events

    @property
    def decisions(self) -> list[Line]:
        return [line for line in self.lines if line.kind != "event"]


class _Rollback(Exception):
    pass


def run(scenario: Scenario) -> Result:
    """Replay `scenario`; nothing it writes survives."""
    result: Result | None = None
    try:
        with transaction.atomic():
            result = _Replay(scenario).run()
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def replay_and_keep(scenario: Scenario, slug: str, until: datetime) -> Organisation:
    """Replay `scenario` into a new organisation that is kept (the demo's history).

    What comes due before `until` is done as it comes (e-mails sent, tasks done); what comes
    due later is left as a recruiter's day would find it: tasks on the agenda, e-mails for
    the worker to send.
    """
    with transaction.atomic():
        replay = _Replay(scenario, slug=slug, act_before=until)
        replay.run()
    return replay.org


class _Replay:
    def __init__(
        self,
        scenario: Scenario,
        slug: str | None = None,
        act_before: datetime | None = None,
        after_each: Callable[[datetime], None] | None = None,
        task_delays: Sequence[timedelta] = (),
    ) -> None:
        self.scenario = scenario
        self.after_each = after_each  # called after every event and action (for tests)
        # How long after it comes due each task is done (in turn; none: at once): the
        # property tests let a recruiter do their tasks late, as people do.
        self.task_delays = list(task_delays)
        self.later: list[tuple[datetime, int, int | None]] = []  # tasks to do then
        # The system's sends go through the real outbox, to a transport that keeps them.
        self.transport = MemoryTransport()
        self.slug = slug
        self.act_before = act_before  # the demo: what comes due later is left undone
        self.lines: list[Line] = []
        self.emitted: set[tuple[int, int | None, str, str]] = set()

    def run(self) -> Result:
        self._setup()
        events = list(self.scenario.events)
        position = 0
        for _ in range(MAX_STEPS):
            next_event = events[position].at if position < len(events) else None
            due = self._next_due()
            late = min(self.later)[0] if self.later else None
            moments = [m for m in (next_event, due[0] if due else None, late) if m is not None]
            if not moments:
                break
            now = min(moments)
            if now > self.scenario.until:
                break
            if next_event is not None and next_event <= now:
                self._event(events[position])
                position += 1
            elif late is not None and late <= now:
                self._do_late(now)
            elif due is not None:
                self._due(due[1], due[2], now)
            if self.after_each is not None:
                self.after_each(now)
        else:  # pragma: no cover - a scenario would need 100,000 steps
            raise RuntimeError("the simulation did not settle")
        return Result(self.scenario, self.lines)

    # setting up

    def _setup(self) -> None:
        scenario = self.scenario
        base = self.slug or slugify(scenario.organisation) or "simulation"
        slug = base
        suffix = 1
        while Organisation.objects.filter(slug=slug).exists():
            suffix += 1
            slug = f"{base}-{suffix}"
        self.org = Organisation.objects.create(
            name=scenario.organisation, slug=slug, policy=scenario.policy_overrides
        )
        self.recruiters: dict[str, Recruiter] = {}
        for spec in scenario.recruiters:
            first, _, last = spec.name.partition(" ")
            self.recruiters[spec.id] = Recruiter.objects.create_user(
                email=spec.email, first_name=first, last_name=last, organisation=self.org
            )
        self.recruiter_ids = {r.pk: ident for ident, r in self.recruiters.items()}
        self.candidates: dict[str, Candidate] = {}
        for c in scenario.candidates:
            self.candidates[c.id] = Candidate.objects.create(
                organisation=self.org,
                external_ref=c.id,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                linkedin_url=c.linkedin,
                timezone=c.timezone,
                country=c.country,
                language=c.language,
                stars=c.stars,
                source=c.source,
                preferred_channel=c.preferred_channel,
                hook=c.hook,
                owner=self.recruiters[c.owner] if c.owner else None,
                created_at=scenario.start,
            )
        self.candidate_ids = {c.pk: ident for ident, c in self.candidates.items()}
        self.zones = {c.pk: c.timezone for c in self.candidates.values()}
        self.jobs: dict[str, Job] = {
            j.id: Job.objects.create(
                organisation=self.org,
                external_ref=j.id,
                title=j.title,
                owner=self.recruiters[j.recruiter] if j.recruiter else None,
                created_at=scenario.start,
            )
            for j in scenario.jobs
        }

    # the clock

    def _next_due(self) -> tuple[datetime, Thread, str] | None:
        """The earliest due time or deadline not acted on yet. Threads are read in time
        order, so only the ones already acted on (tasks left undone) are skipped."""
        best: tuple[datetime, Thread, str] | None = None
        open_threads = Thread.objects.of(self.org).filter(status=Thread.Status.OPEN)
        for column, what in (("due_at", "action"), ("deadline_at", "deadline")):
            rows = open_threads.filter(**{f"{column}__isnull": False}).order_by(column, "pk")
            for thread in rows.iterator(chunk_size=100):
                if (thread.pk, thread.action_index, what, thread.next_kind) in self.emitted:
                    continue
                moment = getattr(thread, column)
                if best is None or moment < best[0]:
                    best = (moment, thread, what)
                break
        return best

    def _event(self, spec: EventSpec) -> None:
        candidate = self.candidates[spec.candidate]
        event = Event(
            type=spec.type,
            at=spec.at,
            candidate=candidate,
            recruiter=self.recruiters[spec.recruiter] if spec.recruiter else None,
            channel=spec.channel,
            situation=spec.situation,
            job=self.jobs[spec.job] if spec.job else None,
            outcome=spec.outcome,
            direction=spec.direction,
            until=spec.until,
            subject=spec.subject,
            body=spec.body,
            send=spec.send,
        )
        self.lines.append(
            Line(
                at=self._local(spec.at, candidate.pk),
                candidate=spec.candidate,
                kind="event",
                situation=spec.situation.value if spec.situation else None,
                reason=spec.type.value,
                channel=spec.channel.value if spec.channel else None,
                recruiter=spec.recruiter,
                params={"outcome": spec.outcome},
            )
        )
        try:
            self._effects(services.record_event(event, now=spec.at))
        except InputError as error:
            raise ScenarioError(
                self.scenario.source, spec.line, f"events[{spec.index}]", str(error)
            ) from None
        self._deliver_single(spec.at)  # a receipt leaves within seconds, in the demo too

    def _deliver_single(self, now: datetime) -> None:
        """Deliver what an event wrote to the outbox outside any thread (an
        acknowledgement) at once, as a worker would within seconds."""
        ids = list(
            OutboxMessage.objects.of(self.org)
            .filter(thread=None, status=OutboxMessage.Status.PENDING, due_at__lte=now)
            .values_list("pk", flat=True)
        )
        if ids:
            self._effects(outbox.deliver_batch(ids, self.transport, now))

    def _due(self, thread: Thread, what: str, now: datetime) -> None:
        # Keyed by kind too: a send held back for rewriting (rule 7) comes back as a task.
        self.emitted.add((thread.pk, thread.action_index, what, thread.next_kind))
        if what == "deadline":
            self._line(thread, "alert", "sla_overdue", now)
            return
        if thread.next_kind == "send":
            if self.act_before is not None and now >= self.act_before:
                return  # left for the worker
            effects = services.perform_send(thread.pk, now, self.transport)
            self._effects(effects[:1], planned_at=thread.nominal_at)
            self._effects(effects[1:])
            if effects and effects[0].kind == "task":
                # Held back for rewriting (rule 7): now a task, handed out like any other.
                self.emitted.add((thread.pk, thread.action_index, what, "task"))
                if self._auto_complete(now):
                    self._do_task(thread, now)
        elif thread.next_kind == "task":
            self._line(thread, "task", thread.delay_reason or thread.reason, now)
            if self._auto_complete(now):
                self._do_task(thread, now)
        else:
            self._line(thread, "alert", thread.reason, now)

    def _do_task(self, thread: Thread, now: datetime) -> None:
        delay = self.task_delays.pop(0) if self.task_delays else timedelta()
        if delay:
            self.task_delays.append(delay)
            self.later.append((now + delay, thread.pk, thread.action_index))
            return
        self._effects(services.complete_task(thread.pk, now))

    def _do_late(self, now: datetime) -> None:
        """A task done some time after it came due, if it is still to do (an answer may
        have ended the thread, a rule may hold it back now: then it is not done)."""
        self.later.sort()
        _, thread_id, index = self.later.pop(0)
        thread = Thread.objects.filter(pk=thread_id, status=Thread.Status.OPEN).first()
        if thread is None or thread.action_index != index:
            return
        try:
            self._effects(services.complete_task(thread_id, now))
        except services.NotDue:  # held back at this moment: the recruiter tries again later
            self.later.append((now + timedelta(hours=1), thread_id, index))

    def _auto_complete(self, due: datetime) -> bool:
        if self.act_before is not None:
            return due < self.act_before
        return self.scenario.auto_complete_tasks

    # output

    def _line(self, thread: Thread, kind: str, reason: str, now: datetime) -> None:
        self.lines.append(
            Line(
                at=self._local(now, thread.candidate_id),
                candidate=self.candidate_ids[thread.candidate_id],
                kind=kind,
                situation=thread.situation,
                reason=reason,
                step=thread.next_step,
                channel=thread.next_channel or None,
                recruiter=self.recruiter_ids.get(thread.recruiter_id or 0),
                planned_at=self._local(thread.nominal_at, thread.candidate_id)
                if thread.nominal_at and kind != "alert"
                else None,
                params=dict(thread.reason_params),
            )
        )

    def _effects(self, effects: list[services.Effect], planned_at: datetime | None = None) -> None:
        for effect in effects:
            if effect.kind == "start":
                continue
            self.lines.append(
                Line(
                    at=self._local(effect.at, effect.candidate_id),
                    candidate=self.candidate_ids[effect.candidate_id],
                    kind=effect.kind,
                    situation=effect.situation,
                    reason=effect.reason,
                    step=effect.step if effect.kind != "stop" else None,
                    channel=effect.channel if effect.kind != "stop" else None,
                    recruiter=self.recruiter_ids.get(effect.recruiter_id or 0),
                    planned_at=self._local(planned_at, effect.candidate_id) if planned_at else None,
                    params=dict(effect.params),
                )
            )

    def _local(self, moment: datetime, candidate_id: int) -> datetime:
        return calendar.local(moment, self.zones[candidate_id])
