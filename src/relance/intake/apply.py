"""An application through the public careers page: it arrives as any application does.

The person is found by their address or added; their CV is stored with its text; the
application is an `application_received` event (the acknowledgement written to the outbox
at once, the `application` plan and its call task on Today, the 14-day deadline); a
talent-pool consent ticked on the form is recorded as the consent form records it. All of
it in one transaction — and the CV's file removed from storage if it fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from relance.engine import Purpose, Stage
from relance.followups.events import Event, EventType
from relance.followups.services import record_event
from relance.intake import documents, public
from relance.people import rights
from relance.people.models import Application, AuditEntry, Consent, Job
from relance.pools import consent


@dataclass
class Applied:
    first_name: str
    last_name: str
    email: str
    phone: str
    message: str
    pool: bool  # the talent-pool consent was ticked
    language: str


def submit(job: Job, form: Applied, received: documents.Received, now: datetime) -> None:
    organisation = job.organisation
    with documents.stored(received, organisation.pk) as name, transaction.atomic():
        person, added = public.find_or_add(
            organisation, email=form.email, first_name=form.first_name,
            last_name=form.last_name, language=form.language, now=now, phone=form.phone,
        )  # fmt: skip
        cv = documents.record(person, received, name, None, now)
        already = Application.objects.filter(candidate=person, job=job).first()
        if already is not None and already.is_active and already.applied_at is not None:
            # Applied again (the form sent twice, or days later): one application, one
            # acknowledgement; the new message and CV are on their timeline.
            event = Event(EventType.NOTE, now, person, job=job, body=form.message)
        else:
            event = Event(EventType.APPLICATION_RECEIVED, now, person, job=job,
                          subject=job.title, body=form.message)  # fmt: skip
        if event.type is EventType.APPLICATION_RECEIVED or event.body:
            record_event(event, now)
        if form.pool:
            consent.record_choices(
                person, consent.active(person) | {Purpose.TALENT_POOL}, {}, now,
                method=Consent.Method.FORM, language=form.language,
            )  # fmt: skip
        rights.audit(
            person, None, AuditEntry.Action.CHANGED, now, by="candidate", page="apply",
            job=job.pk, created=added, cv=cv.pk, notice=public.NOTICE_VERSION,
            stage=Stage.APPLIED.value, pool=form.pool,
        )  # fmt: skip
