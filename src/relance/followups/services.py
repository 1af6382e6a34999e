"""The follow-up services: record what happened, let the engine decide, store the decision.

Data flows one way: an event becomes a touchpoint; the engine decides, for every open
thread of that candidate, what comes next and why; the decision is stored on the thread
in the same transaction. Every function takes `now` from its caller: the clock is read
once per operation (and `simulate` passes a virtual one).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from relance.engine import (
    BounceKind,
    CallOutcome,
    Channel,
    Direction,
    Mode,
    Purpose,
    Situation,
    Stage,
    TouchKind,
    acknowledgement,
)
from relance.engine.rules import other_voices
from relance.errors import InputError
from relance.followups import news
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint

# The public door (pages, the CLI, imports and `simulate` call these), then its parts.
from relance.followups.recompute import (
    Effect,
    candidate_view,
    load_touches,
    organisation_policy,
    recompute_candidate,
    thread_view,
)
from relance.followups.steps import (
    NotDue,
    cancel_undue,
    complete_task,
    perform_send,
    prepared_message,
    queue_send,
    send_edited,
)
from relance.followups.timeline import note_contact, record_step, render_step
from relance.messaging import compose, outbox
from relance.messaging.checks import Unsendable
from relance.messaging.render import TemplateProblem
from relance.people.models import Application, Candidate, Consent, Recruiter
from relance.pools import pools

__all__ = [
    "Effect",
    "NotDue",
    "OneVoiceConflict",
    "candidate_view",
    "complete_task",
    "load_touches",
    "perform_send",
    "prepared_message",
    "queue_send",
    "recompute_candidate",
    "record_event",
    "send_edited",
    "thread_view",
]

log = logging.getLogger(__name__)

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
        previous = news.before(event)
        effects = _HANDLERS[event.type](event)
        effects += recompute_candidate(candidate, now)
        cancel_undue(candidate.pk)  # an e-mail on its way that this event made undue
        news.tell(event, effects, previous)  # the webhooks, in the same transaction
    return effects


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
    note_contact(candidate, touch)
    return touch


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
    thread = rows.order_by("started_at", "pk").first()
    if thread is not None:
        # One candidate object for the whole event: what the step writes on it (the last
        # contact) is what the recompute that follows reads.
        thread.candidate = candidate
    return thread


def _due_step(event: Event, channel: Channel) -> Thread | None:
    """The open thread whose next step is of this kind — a call, or a written message on
    this channel — and whose time has come, if any: a call or a message recorded through
    any door (Today, the candidate page, an event) is that step done, not a contact beside
    it. The recruiter's own thread first, then the one due first."""
    rows = Thread.objects.filter(
        candidate=event.candidate,
        status=Thread.Status.OPEN,
        next_channel=channel.value,
        next_kind__in=[Mode.TASK.value, Mode.SEND.value],
        nominal_at__lte=event.at,
    )
    recruiter = _recruiter_for(event)
    mine = recruiter.pk if recruiter is not None else None
    threads = sorted(rows, key=lambda t: (t.recruiter_id != mine, t.due_at or event.at, t.pk))
    if not threads:
        return None
    thread = threads[0]
    thread.candidate = event.candidate  # one candidate object for the whole event
    return thread


def _start_thread(
    event: Event,
    situation: Situation,
    start: Touchpoint | None,
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
    thread = None
    if event.situation is not None:
        thread = _open_thread(event.candidate, event.situation, _recruiter_for(event))
        if thread is not None and event.send:
            # A second "send from Relance" (a form sent twice): the first one leaves.
            raise InputError(
                f"{event.candidate}: you already follow this person up "
                f"({event.situation}); its next step is on Today"
            )
    elif not event.send:
        # Logged without a situation: the step due of an open thread on that channel, if
        # any. (With a situation, another recruiter's thread is theirs: one voice.)
        thread = _due_step(event, channel)
    if thread is not None:
        # The recruiter did the thread's next step by hand.
        record_step(
            thread,
            event.at,
            channel,
            recruiter=event.recruiter,
            subject=event.subject,
            body=event.body,
        )
        return []
    if event.situation is None:
        _add_touch(
            event,
            TouchKind.MESSAGE,
            direction=Direction.OUT,
            channel=channel,
            application=application,
        )
        return []
    if event.situation not in _STARTED_BY_A_MESSAGE:
        raise InputError(
            f"{event.candidate}: no open {event.situation} thread for this message to continue; "
            f"a message starts only {', '.join(sorted(_STARTED_BY_A_MESSAGE))}"
        )
    recruiter = _recruiter_for(event)
    if event.send:
        return _start_to_send(event, recruiter, application)
    subject, body = event.subject, event.body
    name = f"{event.situation}.0.{channel}"
    if not body and compose.exists(event.candidate.organisation, name, event.candidate.language):
        # The recruiter used our template for the approach.
        rendered = render_step(event.candidate, recruiter, application, name, None, "")
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
    # A message sent from the recruiter's own mailbox: no Message-ID of ours.
    Touchpoint.objects.filter(pk=start.pk).update(thread=thread)
    return effects


def _start_to_send(
    event: Event, recruiter: Recruiter | None, application: Application | None
) -> list[Effect]:
    """Start a thread whose first e-mail leaves from Relance: nothing is on the timeline
    until the server accepts it. The thread's next action is that e-mail, under every
    hard rule (sending hours, the pressure cap); the worker writes it to the outbox, or,
    when the recruiter wrote it themselves, it is written now as they wrote it."""
    if event.situation is not Situation.FIRST_MESSAGE or event.channel not in (
        None,
        Channel.EMAIL,
    ):
        raise InputError(
            f"{event.candidate}: Relance sends only the first message of an approach by e-mail"
        )
    if not event.candidate.email:
        raise InputError(f"{event.candidate}: no e-mail address to send the first message to")
    # Only what happens after this moment can stop the thread: its start is the
    # candidate's latest touchpoint (the first e-mail has none until it leaves).
    latest = Touchpoint.objects.filter(candidate=event.candidate).order_by("-at", "-pk").first()
    thread, effects = _start_thread(
        event, event.situation, latest, recruiter=recruiter, application=application
    )
    subject, body = event.subject.strip(), event.body.strip()
    if subject or body:
        if not (subject and body):
            raise InputError(f"{event.candidate}: an e-mail needs a subject and a body")
        # A first contact carries the information notice (who we are, why we have their
        # details, their rights), whoever wrote it (GDPR, DOMAIN.md).
        body += "\n\n" + compose.notice(event.candidate, event.candidate.organisation.name)
        rendered = compose.Rendered(
            f"{event.situation}.0.email", event.candidate.language, subject, body
        )
        message_id = compose.message_id(thread.organisation_id, "t", thread.pk, 0)
        outbox.write(thread, 0, 0, event.situation.value, False, rendered, message_id,
                     event.at, by_hand=True)  # fmt: skip
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
    if acknowledgement(view, event.at) is not None:
        effects += _acknowledge(event, recruiter, application, touch)
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


def _acknowledge(
    event: Event, recruiter: Recruiter | None, application: Application | None, touch: Touchpoint
) -> list[Effect]:
    """The receipt of an application, written to the outbox at once (the touchpoint follows
    when the server accepts it). An organisation's receipt template that cannot be written
    (broken, or a placeholder left) is logged: the application itself is still recorded."""
    candidate = event.candidate
    policy = organisation_policy(candidate)
    try:
        rendered = render_step(
            candidate, recruiter, application, "application.ack.email", None, "",
            processing_days=policy.application_followup_within_days,
            answer_days=policy.answer_deadline_days,
        )  # fmt: skip
        with transaction.atomic():
            outbox.write_single(
                candidate, recruiter, "acknowledgement", rendered,
                compose.message_id(candidate.organisation_id, "ack", touch.pk), event.at,
            )  # fmt: skip
    except (TemplateProblem, Unsendable) as problem:
        log.warning("candidate %s: no acknowledgement written: %s", candidate.pk, problem)
        return []
    return [
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
    ]


def _on_call(event: Event) -> list[Effect]:
    outcome = event.outcome or CallOutcome.NO_ANSWER
    direction = Direction.IN if event.direction == Direction.IN else Direction.OUT
    if direction is Direction.OUT:
        if event.situation is not None:
            thread = _open_thread(event.candidate, event.situation, _recruiter_for(event))
        else:
            thread = _due_step(event, Channel.PHONE)
        if thread is not None:
            record_step(thread, event.at, Channel.PHONE, recruiter=event.recruiter, outcome=outcome)
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
    pools.apply_rules(application)  # "rejected at final on a Java job → java-finalist"
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
        version=event.consent_version,
        language=event.consent_language,
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
