"""The demo's talent-pool story, told through the real services.

- Camille, a finalist on the Java job, was rejected four days ago; the call to explain it
  is done, and her personal e-mail (with the link to join the talent pool) is due today
  on Claire's agenda: edit it, send it, open the link from the demo's mail.
- Hugo and Oliver, finalists rejected some six weeks ago, joined the pool through that
  link (Hugo: job offers monthly; Oliver, in English: weekly). Inès and Jules came as
  close but did not consent, or asked never to hear about job offers.
- A new job opens today, "Lead développeur Java"; a campaign to the saved segment "Java
  finalists, last 18 months" is scheduled now: the demo's worker sends it to Hugo and
  Oliver, and its page lists who does not receive it, and why.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from relance.engine import CallOutcome, Stage, calendar
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.messaging import outbox
from relance.messaging.compose import compose
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate, Job, Organisation, Recruiter
from relance.pools import campaigns, consent
from relance.pools.models import Campaign, Segment, TagRule

SEGMENT = "Finalistes Java (18 mois)"
DEFINITION = {
    "field": "application", "stage": ["rejected"], "reached": "interview", "job": "java",
    "within_days": 548,
}  # fmt: skip


def tell(org: Organisation, now: datetime) -> None:
    from relance.demo import ascii_name  # the demo's own people are named the same way

    claire = Recruiter.objects.filter(organisation=org).order_by("pk").first()
    java = Job.objects.of(org).filter(title__icontains="java").first()
    if claire is None or java is None:
        return
    Job.objects.filter(pk=java.pk).update(family="Back-end")
    TagRule.objects.create(
        organisation=org, tag="java-finalist", reached=Stage.FINAL, job_title_contains="java",
        created_at=now - timedelta(days=90),
    )  # fmt: skip
    history = outbox.MemoryTransport()  # what left before today: the history, not the sink
    people = [
        ("Camille", "Rousseau", "fr", 4, None),
        ("Hugo", "Lefèvre", "fr", 40, {"purposes": {"talent_pool", "job_alerts"},
                                       "job_offers": "monthly"}),
        ("Oliver", "Hughes", "en", 42, {"purposes": {"talent_pool", "job_alerts"},
                                        "job_offers": "weekly"}),
        ("Inès", "Garnier", "fr", 45, None),
        ("Jules", "Renard", "fr", 38, {"purposes": {"job_alerts"}, "job_offers": "never"}),
    ]  # fmt: skip
    for first, last, language, rejected_days_ago, choices in people:
        zone = "Europe/Paris"  # Oliver, English, lives in Paris too
        person = Candidate.objects.create(
            organisation=org, first_name=first, last_name=last, language=language,
            email=f"{ascii_name(first)}.{ascii_name(last)}@example.org",
            phone="+33 6 20 30 40 50", skills=["Java", "Spring", "Kotlin"],
            years_experience=7, location="Lyon" if language == "fr" else "Paris",
            timezone=zone, country="FR",
            source="application", owner=claire,
            created_at=now - timedelta(days=rejected_days_ago + 25),
        )  # fmt: skip
        rejected = _working(now - timedelta(days=rejected_days_ago), 11, person)
        _finalist(person, claire, java, rejected, history)
        thread = Thread.objects.get(candidate=person, situation="rejection")
        if first == "Camille":  # today's e-mail to write: the call was made yesterday
            _call(thread, _working(now - timedelta(days=1), 17, person, back=True), claire)
            continue
        _call(thread, _working(rejected + timedelta(days=3), 10, person), claire)
        at = _working(rejected + timedelta(days=3), 11, person)
        variables = _variables(person, claire, java)
        rendered = compose(org, "rejection.late.email", language, variables)
        body = _as_written(rendered.body, language)  # the places to fill in, filled in
        row = services.send_edited(thread.pk, at, rendered.subject, body, claire)
        outbox.deliver(row.pk, history, at)
        if choices is not None:
            consent.record_choices(person, choices["purposes"],
                                   {"job_offers": choices["job_offers"]},
                                   at + timedelta(hours=5))  # fmt: skip
    _campaign(org, claire, now)


# What Claire wrote in the places the personal rejection leaves to fill in.
WRITTEN = {
    "fr": {
        "[Les raisons, deux au plus, concrètes.]": "l'équipe cherchait une expérience plus "
        "longue de Kafka en production, et quelqu'un prêt à encadrer deux développeurs dès "
        "son arrivée.",
        "[un conseil concret, tiré de vos entretiens.]": "mettez en avant vos projets Spring "
        "Boot en production, c'est ce qui a le plus marqué l'équipe.",
    },
    "en": {
        "[The reasons, two at most, concrete.]": "the team needed longer hands-on experience "
        "of Kafka in production, and someone ready to mentor two developers from day one.",
        "[one concrete piece of advice, drawn from your interviews.]": "lead with your Spring "
        "Boot projects in production: they are what the team remembered most.",
    },
}


def _as_written(body: str, language: str) -> str:
    for place, text in WRITTEN[language].items():
        body = body.replace(place, text)
    return body


def _working(moment: datetime, hour: int, person: Candidate, back: bool = False) -> datetime:
    """`hour` o'clock, the person's time, on the working day of `moment` (or the next
    one; the one before with `back`)."""
    day = calendar.local(moment, person.timezone).date()
    while not calendar.is_working_day(day, person.country):
        day += timedelta(days=-1 if back else 1)
    return calendar.at_local(day, time(hour, 0), person.timezone)


def _variables(person: Candidate, recruiter: Recruiter, job: Job) -> dict[str, object]:
    from relance.messaging.compose import context

    return context(organisation=person.organisation, candidate=person, recruiter=recruiter,
                   job=job, previous=None)  # fmt: skip


def _finalist(person: Candidate, claire: Recruiter, java: Job, rejected: datetime,
              history: outbox.MemoryTransport) -> None:  # fmt: skip
    applied = _working(rejected - timedelta(days=20), 10, person)
    record = services.record_event
    record(Event(EventType.APPLICATION_RECEIVED, applied, person, recruiter=claire, job=java),
           applied)  # fmt: skip
    for row in OutboxMessage.objects.filter(candidate=person, status="pending"):
        outbox.deliver(row.pk, history, applied + timedelta(minutes=1))  # the acknowledgement
    call = Thread.objects.filter(candidate=person, situation="application", status="open").first()
    if call is not None:
        _call(call, applied + timedelta(hours=3), claire)
    for stage, days in [(Stage.INTERVIEW, 14), (Stage.FINAL, 8)]:
        at = _working(rejected - timedelta(days=days), 10, person)
        record(Event(EventType.STAGE_CHANGED, at, person, recruiter=claire, job=java,
                     outcome=stage), at)  # fmt: skip
    interview = _working(rejected - timedelta(days=6), 10, person)
    record(Event(EventType.INTERVIEW, interview, person, recruiter=claire, job=java), interview)
    feedback = Thread.objects.filter(candidate=person, situation="interview_feedback",
                                     status="open").first()  # fmt: skip
    if feedback is not None:
        _call(feedback, interview + timedelta(hours=5), claire)
    record(Event(EventType.STAGE_CHANGED, rejected, person, recruiter=claire, job=java,
                 outcome=Stage.REJECTED), rejected)  # fmt: skip


def _call(thread: Thread, at: datetime, recruiter: Recruiter) -> None:
    # Nothing due at that moment: the engine knows better.
    with contextlib.suppress(services.NotDue):
        services.complete_task(thread.pk, at, outcome=CallOutcome.ANSWERED, recruiter=recruiter)


def _campaign(org: Organisation, claire: Recruiter, now: datetime) -> None:
    lead = Job.objects.create(organisation=org, title="Lead développeur Java", family="Back-end",
                              owner=claire, created_at=now - timedelta(hours=3))  # fmt: skip
    segment = Segment.objects.create(
        organisation=org, name=SEGMENT, definition=DEFINITION, created_by=claire,
        created_at=now - timedelta(days=30),
    )  # fmt: skip
    campaign = Campaign.objects.create(
        organisation=org, name="Lead développeur Java — finalistes", topic="job_offers",
        segment=segment, definition=DEFINITION, job=lead, created_by=claire,
        created_at=now - timedelta(hours=1), **campaigns.default_texts(),
    )  # fmt: skip
    campaigns.schedule(campaign, now, now)
