"""The follow-up services: record what happened, let the engine decide, store the decision.

Data flows one way: an event becomes a touchpoint; the engine decides, for every open
thread of that candidate, what comes next and why; the decision is stored on the thread
in the same transaction. Every function takes `now` from its caller: the clock is read
once per operation (and `simulate` passes a virtual one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from relance.engine import (
    BounceKind,
    CallOutcome,
    CandidateView,
    Channel,
    Decision,
    DecisionKind,
    Direction,
    Mode,
    Policy,
    Purpose,
    Situation,
    Stage,
    ThreadView,
    Touch,
    TouchKind,
    acknowledgement,
    decide,
    priority_key,
)
from relance.engine.plans import written_channel
from relance.engine.rules import near_duplicate_of, other_voices
from relance.errors import InputError
from relance.followups import sql
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.messaging import compose
from relance.people.models import Application, Candidate, Consent, Recruiter

# Touchpoints loaded before the oldest open thread started: the pressure cap looks back
# a week from a due time that is never before the thread's start.
_LOOKBACK = timedelta(days=8)
_CONTACT_KINDS = {
    TouchKind.MESSAGE,
    TouchKind.CALL,
    TouchKind.ACKNOWLEDGEMENT,
    TouchKind.APPLICATION,
    TouchKind.INVITATION_ACCEPTED,
    TouchKind.INTERVIEW,
}


# The situations whose first step is a message a recruiter writes; the others start with
# an event (an invitation accepted, an application, a call, a stage change).
_STARTED_BY_A_MESSAGE = {
    Situation.FIRST_MESSAGE,
    Situation.LINKEDIN_INVITATION,
    Situation.KEEP_IN_TOUCH,
}


class OneVoiceConflict(Exception):
    """Another recruiter already follows this candidate up (hard rule 8): confirm first."""

    def __init__(self, others: list[Recruiter]) -> None:
        names = ", ".join(str(r) for r in others)
        super().__init__(f"already followed up by {names}; confirm to start another thread")
        self.others = others


class NotDue(Exception):
    """The thread has nothing of that kind due now."""


@dataclass(frozen=True)
class Effect:
    """Something the system decided or did, for the caller to show or log."""

    kind: str  # send, task, alert, stop, start
    at: datetime
    candidate_id: int
    situation: str | None
    reason: str
    step: int | None = None
    channel: str | None = None
    recruiter_id: int | None = None
    thread_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


# --- recording events ---------------------------------------------------------------------


def record_event(event: Event, now: datetime) -> list[Effect]:
    """Record `event` on the candidate's timeline, start or advance threads, and recompute
    every open thread of the candidate. One transaction: all of it, or nothing."""
    with transaction.atomic():
        candidate = (
            Candidate.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=event.candidate.pk)
        )
        event.candidate = candidate
        effects = _HANDLERS[event.type](event)
        effects += recompute_candidate(candidate, now)
    return effects


def _organisation_policy(candidate: Candidate) -> Policy:
    return candidate.organisation.get_policy()


def _recruiter_for(event: Event) -> Recruiter | None:
    if event.recruiter is not None:
        return event.recruiter
    if event.job is not None and event.job.owner_id is not None:
        return event.job.owner
    return event.candidate.owner


def _add_touch(event: Event, kind: TouchKind, **fields: Any) -> Touchpoint:
    candidate = event.candidate
    touch = Touchpoint.objects.create(
        organisation_id=candidate.organisation_id,
        candidate=candidate,
        recruiter=fields.pop("recruiter", event.recruiter),
        at=event.at,
        kind=kind,
        subject=fields.pop("subject", event.subject),
        body=fields.pop("body", event.body),
        **fields,
    )
    _note_contact(candidate, touch)
    return touch


def _note_contact(candidate: Candidate, touch: Touchpoint) -> None:
    if touch.kind in _CONTACT_KINDS and (
        candidate.last_contact_at is None or touch.at > candidate.last_contact_at
    ):
        candidate.last_contact_at = touch.at
        Candidate.objects.filter(pk=candidate.pk).update(last_contact_at=touch.at)
    if candidate.owner_id is None and touch.recruiter_id is not None:
        candidate.owner_id = touch.recruiter_id
        Candidate.objects.filter(pk=candidate.pk).update(owner_id=touch.recruiter_id)


def _open_thread(
    candidate: Candidate, situation: Situation, recruiter: Recruiter | None
) -> Thread | None:
    """The open thread a recruiter's message or call continues: same situation, same
    recruiter. Another recruiter's message starts a thread of their own (one voice)."""
    rows = Thread.objects.filter(
        candidate=candidate, situation=situation, status=Thread.Status.OPEN
    )
    if recruiter is not None:
        rows = rows.filter(recruiter=recruiter)
    return rows.order_by("started_at", "pk").first()


def _start_thread(
    event: Event,
    situation: Situation,
    start: Touchpoint,
    *,
    recruiter: Recruiter | None,
    application: Application | None = None,
    **fields: Any,
) -> tuple[Thread, list[Effect]]:
    """Open a thread. Tells (hard rule 8) when another recruiter already follows this
    candidate up: raises OneVoiceConflict unless the event is confirmed."""
    effects: list[Effect] = []
    candidate = event.candidate
    if situation.chases_an_answer and recruiter is not None:
        open_recruiters = Thread.objects.filter(
            candidate=candidate,
            status=Thread.Status.OPEN,
            situation__in=[s.value for s in Situation if s.chases_an_answer],
        ).values_list("recruiter_id", flat=True)
        others = other_voices(open_recruiters, recruiter.pk)
        if others:
            if not event.confirmed:
                raise OneVoiceConflict(list(Recruiter.objects.filter(pk__in=others)))
            names = ", ".join(str(r) for r in Recruiter.objects.filter(pk__in=sorted(others)))
            effects.append(
                Effect(
                    "alert",
                    event.at,
                    candidate.pk,
                    situation.value,
                    "one_voice",
                    recruiter_id=recruiter.pk,
                    params={"others": names},
                )
            )
    thread = Thread.objects.create(
        organisation_id=candidate.organisation_id,
        candidate=candidate,
        recruiter=recruiter,
        application=application,
        situation=situation,
        started_at=event.at,
        start_touchpoint=start,
        **fields,
    )
    effects.append(
        Effect("start", event.at, candidate.pk, situation.value, "started", thread_id=thread.pk)
    )
    return thread, effects


def _application(event: Event, stage_if_new: Stage) -> Application | None:
    if event.job is None:
        return None
    application, _ = Application.objects.get_or_create(
        candidate=event.candidate,
        job=event.job,
        defaults={
            "organisation_id": event.candidate.organisation_id,
            "stage": stage_if_new,
            "furthest_stage": stage_if_new,
            "stage_changed_at": event.at,
        },
    )
    return application


def _on_message_sent(event: Event) -> list[Effect]:
    channel = event.channel or Channel.EMAIL
    application = _application(event, Stage.CONTACTED)
    if event.situation is None:
        _add_touch(
            event,
            TouchKind.MESSAGE,
            direction=Direction.OUT,
            channel=channel,
            application=application,
        )
        return []
    thread = _open_thread(event.candidate, event.situation, _recruiter_for(event))
    if thread is not None:
        # The recruiter did the thread's next step by hand.
        _record_step(
            thread,
            event.at,
            channel,
            recruiter=event.recruiter,
            subject=event.subject,
            body=event.body,
        )
        return []
    if event.situation not in _STARTED_BY_A_MESSAGE:
        raise InputError(
            f"{event.candidate}: no open {event.situation} thread for this message to continue; "
            f"a message starts only {', '.join(sorted(_STARTED_BY_A_MESSAGE))}"
        )
    recruiter = _recruiter_for(event)
    subject, body = event.subject, event.body
    name = f"{event.situation}.0.{channel}"
    if not body and compose.exists(event.candidate.organisation, name, event.candidate.language):
        # The recruiter used our template for the approach.
        rendered = _render_step(event.candidate, recruiter, application, name, None, "")
        subject, body = rendered.subject, rendered.body
    start = _add_touch(
        event,
        TouchKind.MESSAGE,
        direction=Direction.OUT,
        channel=channel,
        step=0,
        subject=subject,
        body=body,
        application=application,
        recruiter=recruiter,
    )
    thread, effects = _start_thread(
        event, event.situation, start, recruiter=recruiter, application=application
    )
    Touchpoint.objects.filter(pk=start.pk).update(thread=thread)
    return effects


def _on_invitation_accepted(event: Event) -> list[Effect]:
    touch = _add_touch(
        event, TouchKind.INVITATION_ACCEPTED, direction=Direction.IN, channel=Channel.LINKEDIN
    )
    _, effects = _start_thread(
        event,
        Situation.LINKEDIN_INVITATION,
        touch,
        recruiter=_recruiter_for(event),
        application=_application(event, Stage.CONTACTED),
    )
    return effects


def _on_application_received(event: Event) -> list[Effect]:
    candidate = event.candidate
    application = _application(event, Stage.APPLIED)
    if application is not None:
        early = Stage(application.stage).rank < Stage.APPLIED.rank
        application.applied_at = event.at
        if early:
            application.stage = Stage.APPLIED
            application.furthest_stage = Stage.APPLIED
            application.stage_changed_at = event.at
        application.save(
            update_fields=["applied_at", "stage", "furthest_stage", "stage_changed_at"]
        )
    recruiter = _recruiter_for(event)
    touch = _add_touch(
        event,
        TouchKind.APPLICATION,
        direction=Direction.IN,
        channel=event.channel or Channel.EMAIL,
        application=application,
        recruiter=recruiter,
    )
    effects: list[Effect] = []
    view = candidate_view(candidate, [])
    ack = acknowledgement(view, event.at)
    if ack is not None:
        policy = _organisation_policy(candidate)
        rendered = _render_step(
            candidate,
            recruiter,
            application,
            "application.ack.email",
            None,
            "",
            processing_days=policy.application_followup_within_days,
            answer_days=policy.answer_deadline_days,
        )
        _add_touch(
            event,
            TouchKind.ACKNOWLEDGEMENT,
            direction=Direction.OUT,
            channel=Channel.EMAIL,
            application=application,
            recruiter=recruiter,
            subject=rendered.subject,
            body=rendered.body,
            reason="acknowledgement",
        )
        effects.append(
            Effect(
                "send",
                event.at,
                candidate.pk,
                Situation.APPLICATION.value,
                "acknowledgement",
                step=0,
                channel=Channel.EMAIL.value,
                recruiter_id=recruiter.pk if recruiter else None,
            )
        )
    _, started = _start_thread(
        event, Situation.APPLICATION, touch, recruiter=recruiter, application=application
    )
    effects += started
    _, started = _start_thread(
        event,
        Situation.ANSWER_DEADLINE,
        touch,
        recruiter=recruiter,
        application=application,
        stage_rank=Stage.APPLIED.rank,
    )
    return effects + started


def _on_call(event: Event) -> list[Effect]:
    outcome = event.outcome or CallOutcome.NO_ANSWER
    direction = Direction.IN if event.direction == Direction.IN else Direction.OUT
    if event.situation is not None and direction is Direction.OUT:
        thread = _open_thread(event.candidate, event.situation, _recruiter_for(event))
        if thread is not None:
            _record_step(
                thread, event.at, Channel.PHONE, recruiter=event.recruiter, outcome=outcome
            )
            return []
    touch = _add_touch(
        event,
        TouchKind.CALL,
        direction=direction,
        channel=Channel.PHONE,
        outcome=outcome,
        application=_application(event, Stage.CONTACTED),
        step=0 if event.situation else None,
    )
    if event.situation is None or direction is Direction.IN or outcome == CallOutcome.ANSWERED:
        # Reached at the first call: nothing to follow up.
        return []
    if event.situation is not Situation.CV_DATABASE:
        raise InputError(
            f"{event.candidate}: no open {event.situation} thread for this call to continue; "
            "a call starts only a cv_database thread"
        )
    recruiter = _recruiter_for(event)
    thread, effects = _start_thread(event, event.situation, touch, recruiter=recruiter)
    Touchpoint.objects.filter(pk=touch.pk).update(thread=thread)
    return effects


def _on_reply(event: Event) -> list[Effect]:
    _add_touch(
        event, TouchKind.MESSAGE, direction=Direction.IN, channel=event.channel or Channel.EMAIL
    )
    return []


def _on_auto_reply(event: Event) -> list[Effect]:
    _add_touch(
        event,
        TouchKind.AUTO_REPLY,
        direction=Direction.IN,
        channel=event.channel or Channel.EMAIL,
        until=event.until,
    )
    return []


def _on_bounce(event: Event) -> list[Effect]:
    kind = BounceKind(event.outcome or BounceKind.HARD)
    _add_touch(event, TouchKind.BOUNCE, direction=Direction.IN, channel=Channel.EMAIL, outcome=kind)
    if kind is BounceKind.HARD and event.candidate.email_bounced_at is None:
        Candidate.objects.filter(pk=event.candidate.pk).update(email_bounced_at=event.at)
        event.candidate.email_bounced_at = event.at
    return []


def _on_unsubscribed(event: Event) -> list[Effect]:
    _add_touch(event, TouchKind.UNSUBSCRIBE, direction=Direction.IN, channel=event.channel or "")
    if event.candidate.unsubscribed_at is None:
        Candidate.objects.filter(pk=event.candidate.pk).update(unsubscribed_at=event.at)
        event.candidate.unsubscribed_at = event.at
    return []


def _on_do_not_contact(event: Event) -> list[Effect]:
    _add_touch(event, TouchKind.DO_NOT_CONTACT)
    if event.candidate.do_not_contact_at is None:
        Candidate.objects.filter(pk=event.candidate.pk).update(do_not_contact_at=event.at)
        event.candidate.do_not_contact_at = event.at
    return []


def _on_stage_changed(event: Event) -> list[Effect]:
    stage = Stage(event.outcome)
    application = _application(event, stage)
    assert application is not None, "a stage change needs a job"
    furthest = Stage(application.furthest_stage)
    if stage.rank > furthest.rank:
        furthest = stage
    application.stage = stage
    application.furthest_stage = furthest
    application.stage_changed_at = event.at
    application.save(update_fields=["stage", "furthest_stage", "stage_changed_at"])
    touch = _add_touch(event, TouchKind.STAGE_CHANGE, outcome=stage, application=application)
    if stage is not Stage.REJECTED:
        return []
    anchor = application.last_interview_at or application.applied_at or event.at
    _, effects = _start_thread(
        event,
        Situation.REJECTION,
        touch,
        recruiter=_recruiter_for(event),
        application=application,
        anchor_at=anchor,
        late_stage=furthest.rank >= Stage.INTERVIEW.rank,
        stage_rank=furthest.rank,
    )
    return effects


def _on_consent_given(event: Event) -> list[Effect]:
    purpose = Purpose(event.outcome)
    Consent.objects.create(
        organisation_id=event.candidate.organisation_id,
        candidate=event.candidate,
        purpose=purpose,
        given_at=event.at,
        method=event.consent_method,
        text=event.consent_text,
        recorded_by=event.recruiter,
    )
    _add_touch(event, TouchKind.CONSENT_GIVEN, outcome=purpose)
    return []


def _on_consent_withdrawn(event: Event) -> list[Effect]:
    purpose = Purpose(event.outcome)
    Consent.objects.filter(
        candidate=event.candidate, purpose=purpose, withdrawn_at__isnull=True
    ).update(withdrawn_at=event.at)
    _add_touch(event, TouchKind.CONSENT_WITHDRAWN, outcome=purpose)
    return []


def _on_interview(event: Event) -> list[Effect]:
    application = _application(event, Stage.INTERVIEW)
    if application is not None:
        application.last_interview_at = event.at
        application.save(update_fields=["last_interview_at"])
    touch = _add_touch(event, TouchKind.INTERVIEW, application=application)
    _, effects = _start_thread(
        event,
        Situation.INTERVIEW_FEEDBACK,
        touch,
        recruiter=_recruiter_for(event),
        application=application,
        stage_rank=Stage.INTERVIEW.rank,
    )
    return effects


def _on_trigger(event: Event) -> list[Effect]:
    touch = _add_touch(event, TouchKind.TRIGGER, outcome=event.outcome)
    _, effects = _start_thread(
        event,
        Situation.KEEP_IN_TOUCH,
        touch,
        recruiter=_recruiter_for(event),
        trigger=event.outcome,
    )
    return effects


def _on_note(event: Event) -> list[Effect]:
    _add_touch(event, TouchKind.NOTE)
    return []


_HANDLERS = {
    EventType.MESSAGE_SENT: _on_message_sent,
    EventType.INVITATION_ACCEPTED: _on_invitation_accepted,
    EventType.APPLICATION_RECEIVED: _on_application_received,
    EventType.CALL: _on_call,
    EventType.REPLY_RECEIVED: _on_reply,
    EventType.AUTO_REPLY_RECEIVED: _on_auto_reply,
    EventType.BOUNCE: _on_bounce,
    EventType.UNSUBSCRIBED: _on_unsubscribed,
    EventType.STAGE_CHANGED: _on_stage_changed,
    EventType.CONSENT_GIVEN: _on_consent_given,
    EventType.CONSENT_WITHDRAWN: _on_consent_withdrawn,
    EventType.DO_NOT_CONTACT: _on_do_not_contact,
    EventType.INTERVIEW: _on_interview,
    EventType.TRIGGER: _on_trigger,
    EventType.NOTE: _on_note,
}


# --- doing what is due ------------------------------------------------------------------


def perform_send(thread_id: int, now: datetime) -> list[Effect]:
    """Send the thread's due message (the system's own sends: e-mail).

    The decision is taken again at `now`, so a hard rule that changed since it was
    planned holds it back. A message nearly identical to one the candidate received in
    the last 90 days is not sent: it becomes a task to rewrite it (hard rule 7).
    """
    with transaction.atomic():
        thread = _locked_thread(thread_id)
        decision = _decide_now(thread, now)
        if decision.kind is not DecisionKind.SEND:
            raise NotDue(
                f"thread {thread_id}: nothing to send at {now.isoformat()} ({decision.kind})"
            )
        rendered = _render_for(thread, decision, now)
        policy = _organisation_policy(thread.candidate)
        received = Touchpoint.objects.filter(
            candidate=thread.candidate,
            direction=Direction.OUT,
            kind=TouchKind.MESSAGE,
            at__gte=now - timedelta(days=policy.near_duplicate_days),
        ).values_list("body", flat=True)
        if near_duplicate_of(rendered.body, received) is not None:
            Thread.objects.filter(pk=thread.pk).update(held_action=decision.action_index)
            effects = recompute_candidate(thread.candidate, now)
            return [_effect("task", thread, decision, now, reason="near_duplicate"), *effects]
        _record_step(
            thread,
            now,
            decision.channel or Channel.EMAIL,
            recruiter=thread.recruiter,
            subject=rendered.subject,
            body=rendered.body,
            reason=decision.reason,
            doubles_call=decision.doubles_call,
            recompute=False,
        )
        effects = recompute_candidate(thread.candidate, now)
    return [_effect("send", thread, decision, now), *effects]


def complete_task(
    thread_id: int,
    now: datetime,
    *,
    outcome: str = CallOutcome.NO_ANSWER,
    recruiter: Recruiter | None = None,
    subject: str = "",
    body: str = "",
) -> list[Effect]:
    """Mark the thread's due task done: a call made (with its outcome), a LinkedIn message
    or an SMS sent by hand. The next step is planned from this moment."""
    with transaction.atomic():
        thread = _locked_thread(thread_id)
        decision = _decide_now(thread, now)
        # Only what is due: doing a follow-up early would break the rules that timed it.
        if decision.kind not in (DecisionKind.TASK, DecisionKind.SEND):
            raise NotDue(f"thread {thread_id}: nothing due to do now ({decision.kind})")
        channel = decision.channel or Channel.PHONE
        if channel.written and not body:
            rendered = _render_for(thread, decision, now)
            subject, body = rendered.subject, rendered.body
        _record_step(
            thread,
            now,
            channel,
            recruiter=recruiter or thread.recruiter,
            outcome=outcome if channel is Channel.PHONE else "",
            subject=subject,
            body=body,
            reason=decision.reason,
            doubles_call=decision.doubles_call,
            recompute=False,
        )
        effects = recompute_candidate(thread.candidate, now)
    return effects


def _locked_thread(thread_id: int) -> Thread:
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("candidate", "candidate__organisation", "recruiter", "application__job")
        .get(pk=thread_id)
    )
    if thread.status != Thread.Status.OPEN:
        raise NotDue(f"thread {thread_id} is {thread.status}")
    return thread


def _decide_now(thread: Thread, now: datetime) -> Decision:
    candidate = thread.candidate
    touches = _touches(candidate, since=thread.started_at - _LOOKBACK)
    view = candidate_view(candidate, touches)
    return decide(thread_view(thread), view, touches, _organisation_policy(candidate), now)


def _record_step(
    thread: Thread,
    at: datetime,
    channel: Channel,
    *,
    recruiter: Recruiter | None,
    outcome: str = "",
    subject: str = "",
    body: str = "",
    reason: str = "",
    doubles_call: bool = False,
    recompute: bool = False,
) -> Touchpoint:
    step = thread.next_step
    touch = Touchpoint.objects.create(
        organisation_id=thread.organisation_id,
        candidate_id=thread.candidate_id,
        recruiter=recruiter,
        thread=thread,
        application_id=thread.application_id,
        at=at,
        kind=TouchKind.CALL if channel is Channel.PHONE else TouchKind.MESSAGE,
        direction=Direction.OUT,
        channel=channel,
        outcome=outcome or (CallOutcome.NO_ANSWER if channel is Channel.PHONE else ""),
        step=step,
        doubles_call=doubles_call,
        subject=subject,
        body=body,
        reason=reason,
    )
    _note_contact(thread.candidate, touch)
    return touch


def _render_step(
    candidate: Candidate,
    recruiter: Recruiter | None,
    application: Application | None,
    name: str,
    previous: dict[str, Any] | None,
    trigger: str,
    **extra: Any,
) -> compose.Rendered:
    job = application.job if application is not None else None
    variables = compose.context(
        organisation=candidate.organisation,
        candidate=candidate,
        recruiter=recruiter,
        job=job,
        previous=previous,
        trigger=trigger,
        **extra,
    )
    return compose.compose(candidate.organisation, name, candidate.language, variables)


def _render_for(thread: Thread, decision: Decision, now: datetime) -> compose.Rendered:
    """The prepared message of the thread's next action."""
    steps = list(
        Touchpoint.objects.filter(thread=thread)
        .order_by("at", "pk")
        .values("at", "channel", "subject", "body")
    )
    previous = None
    if steps:
        last = steps[-1]
        thread_subject = next((s["subject"] for s in reversed(steps) if s["subject"]), "")
        previous = compose.previous_message(
            at=last["at"],
            channel=last["channel"],
            subject=last["subject"],
            body=last["body"],
            thread_subject=thread_subject,
            candidate=thread.candidate,
        )
    return _render_step(
        thread.candidate,
        thread.recruiter,
        thread.application,
        decision.template or "",
        previous,
        thread.trigger,
        step=decision.step,
    )


def prepared_message(thread: Thread, now: datetime) -> compose.Rendered:
    return _render_for(thread, _decide_now(thread, now), now)


# --- recomputing --------------------------------------------------------------------------


def candidate_view(candidate: Candidate, touches: list[Touch]) -> CandidateView:
    # One round trip for both: the candidate's live consents and their applications' stages.
    consents_and_stages = sql.fetch(
        f"SELECT 'consent', purpose FROM {sql.table(Consent)}"
        " WHERE candidate_id = %s AND withdrawn_at IS NULL"
        f" UNION ALL SELECT 'stage', stage FROM {sql.table(Application)} WHERE candidate_id = %s",
        [candidate.pk, candidate.pk],
    )
    consents: set[Purpose] = set()
    active: list[int] = []
    for what, value in consents_and_stages:
        if what == "consent":
            consents.add(Purpose(value))
        elif Stage(value) not in (Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED):
            active.append(Stage(value).rank)
    return CandidateView(
        timezone=candidate.timezone,
        country=candidate.country,
        stars=candidate.stars,
        has_email=bool(candidate.email),
        has_phone=bool(candidate.phone),
        has_linkedin=bool(candidate.linkedin_url),
        preferred_channel=Channel(candidate.preferred_channel)
        if candidate.preferred_channel
        else None,
        unsubscribed_at=candidate.unsubscribed_at,
        do_not_contact_at=candidate.do_not_contact_at,
        email_bounced_at=candidate.email_bounced_at,
        consents=frozenset(consents),
        last_contact_at=candidate.last_contact_at,
        stage_rank=max(active, default=0),
    )


def thread_view(thread: Thread) -> ThreadView:
    return ThreadView(
        id=thread.pk,
        situation=Situation(thread.situation),
        started_at=thread.started_at,
        start_seq=thread.start_touchpoint_id or 0,
        recruiter=thread.recruiter_id,
        application=thread.application_id,
        stage_rank=thread.stage_rank,
        anchor_at=thread.anchor_at,
        late_stage=thread.late_stage,
        trigger=thread.trigger,
        held_action=thread.held_action,
    )


_TOUCH_COLUMNS = (
    "id",
    "at",
    "kind",
    "direction",
    "channel",
    "outcome",
    "thread_id",
    "application_id",
    "doubles_call",
    "until",
)


def _touches(candidate: Candidate, since: datetime | None) -> list[Touch]:
    """The candidate's touchpoints from `since` (all of them with None), for the engine."""
    query = (
        f"SELECT {', '.join(_TOUCH_COLUMNS)} FROM {sql.table(Touchpoint)} WHERE candidate_id = %s"
    )
    params: list[Any] = [candidate.pk]
    if since is not None:
        query += " AND at >= %s"
        params.append(sql.param(since))
    return [to_touch(row) for row in sql.fetch(query, params)]


def to_touch(row: tuple[Any, ...]) -> Touch:
    pk, at, kind, direction, channel, outcome, thread_id, application_id, doubles, until = row
    return Touch(
        seq=pk,
        at=sql.moment(at),
        kind=TouchKind(kind),
        direction=Direction(direction) if direction else None,
        channel=Channel(channel) if channel else None,
        outcome=outcome,
        thread=thread_id,
        application=application_id,
        doubles_call=bool(doubles),
        until=sql.moment(until) if until is not None else None,
    )


def recompute_candidate(candidate: Candidate, now: datetime) -> list[Effect]:
    """Let the engine decide again for every open thread of the candidate, and store it.

    Also keeps the keep-in-touch watch: a pool member who consented always has one open
    thread that comes due after a long silence. `candidate` must be the current row (the
    services keep it in step with what they write).
    """
    effects: list[Effect] = []
    policy = _organisation_policy(candidate)
    threads = list(
        Thread.objects.filter(candidate=candidate, status=Thread.Status.OPEN).order_by("pk")
    )
    touches, view = _history(candidate, threads, now)
    for thread in threads:
        effects += _decide_and_store(thread, view, touches, policy, now)
    watch = _ensure_watch(candidate, view, threads, touches)
    if watch is not None:
        touches, view = _history(candidate, [watch], now)
        effects += _decide_and_store(watch, view, touches, policy, now)
    return effects


def _history(
    candidate: Candidate, threads: list[Thread], now: datetime
) -> tuple[list[Touch], CandidateView]:
    oldest = min((t.started_at for t in threads), default=now)
    touches = _touches(candidate, since=oldest - _LOOKBACK)
    return touches, candidate_view(candidate, touches)


def _decide_and_store(
    thread: Thread, view: CandidateView, touches: list[Touch], policy: Policy, now: datetime
) -> list[Effect]:
    decision = decide(thread_view(thread), view, touches, policy, now)
    store_decision(thread, decision, view)
    if decision.kind is DecisionKind.STOP:
        return [_effect("stop", thread, decision, decision.at)]
    return []


def _ensure_watch(
    candidate: Candidate, view: CandidateView, threads: list[Thread], touches: list[Touch]
) -> Thread | None:
    """Open a keep-in-touch watch for a consenting pool member who has none (among the
    threads just decided) and whom we can reach (LinkedIn or a working e-mail address)."""
    if Purpose.TALENT_POOL not in view.consents:
        return None
    if view.unsubscribed_at or view.do_not_contact_at or view.email_bounced_at:
        return None
    if written_channel(view, allowed=(Channel.LINKEDIN, Channel.EMAIL)) is None:
        return None
    if any(
        t.situation == Situation.KEEP_IN_TOUCH and not t.trigger and t.status == Thread.Status.OPEN
        for t in threads
    ):
        return None
    if touches:
        latest_at, latest_id = max((t.at, t.seq) for t in touches)
    else:  # nothing recent was loaded: look further back
        row = (
            Touchpoint.objects.filter(candidate=candidate)
            .order_by("-at", "-pk")
            .values_list("at", "pk")
            .first()
        )
        if row is None:
            return None
        latest_at, latest_id = row
    return Thread.objects.create(
        organisation_id=candidate.organisation_id,
        candidate=candidate,
        recruiter_id=candidate.owner_id,
        situation=Situation.KEEP_IN_TOUCH,
        started_at=latest_at,
        start_touchpoint_id=latest_id,
    )


def store_decision(thread: Thread, decision: Decision, view: CandidateView) -> None:
    """Write the engine's decision into the thread's indexed columns (only if it changed:
    most events leave most threads as they were)."""
    before = [getattr(thread, name) for name in STORED_FIELDS]
    if decision.kind is DecisionKind.STOP:
        thread.status = Thread.Status.STOPPED
        thread.stopped_at = decision.at
        thread.due_at = thread.nominal_at = thread.deadline_at = thread.attention_at = None
        thread.priority = None
        thread.next_kind = thread.next_channel = thread.next_template = ""
        thread.next_step = thread.action_index = None
    else:
        attention = decision.at
        if decision.deadline_at is not None and decision.deadline_at < attention:
            attention = decision.deadline_at
        stage_rank = thread.stage_rank if thread.stage_rank is not None else view.stage_rank
        thread.next_kind = (decision.action or Mode.TASK).value
        thread.next_step = decision.step
        thread.next_channel = decision.channel.value if decision.channel else ""
        thread.next_template = decision.template or ""
        thread.action_index = decision.action_index
        thread.due_at = decision.at
        thread.nominal_at = decision.nominal_at
        thread.deadline_at = decision.deadline_at
        thread.attention_at = attention
        thread.priority = priority_key(
            stage_rank, view.stars, attention, Situation(thread.situation)
        )
    thread.reason = decision.reason
    thread.delay_reason = decision.delay or ""
    thread.reason_params = dict(decision.params)
    if [getattr(thread, name) for name in STORED_FIELDS] != before:
        thread.save(update_fields=STORED_FIELDS)


STORED_FIELDS = [
    "status",
    "stopped_at",
    "next_kind",
    "next_step",
    "next_channel",
    "next_template",
    "action_index",
    "due_at",
    "nominal_at",
    "deadline_at",
    "attention_at",
    "priority",
    "reason",
    "delay_reason",
    "reason_params",
]


def _effect(
    kind: str, thread: Thread, decision: Decision, at: datetime, reason: str | None = None
) -> Effect:
    return Effect(
        kind=kind,
        at=at,
        candidate_id=thread.candidate_id,
        situation=thread.situation,
        reason=reason or decision.why,
        step=decision.step,
        channel=decision.channel.value if decision.channel else None,
        recruiter_id=thread.recruiter_id,
        thread_id=thread.pk,
        params=dict(decision.params),
    )
