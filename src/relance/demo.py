"""The demo organisation: three recruiters, a few hundred candidates, and histories that
cover every situation — replies, out-of-office, bounces and unsubscribes included.

The history is generated relative to `now` and replayed through the real services, the
same way `relance simulate` replays a scenario: what the agenda shows is what Relance
itself decided. The generation is seeded, so two runs on the same day look alike.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from relance.engine import BounceKind, CallOutcome, Channel, Policy, Situation, Stage, calendar
from relance.followups.events import EventType
from relance.messaging import sink
from relance.messaging.outbox import DjangoTransport
from relance.people.models import Candidate, Organisation, Recruiter
from relance.pools import story
from relance.scenario import CandidateSpec, EventSpec, JobSpec, RecruiterSpec, Scenario
from relance.simulate import replay_and_keep
from relance.worker import Cycle, Worker

SLUG = "demo"
NAME = "Agence Démo"
CANDIDATES = 240
EXAMPLE_HINT = "examples/scenarios/first-message-reply.yaml"

RECRUITERS = [
    RecruiterSpec("claire", "Claire Dubois", "claire@agence-demo.example"),
    RecruiterSpec("thomas", "Thomas Moreau", "thomas@agence-demo.example"),
    RecruiterSpec("sarah", "Sarah Whitfield", "sarah@agence-demo.example"),
]
JOBS = [
    JobSpec("java", "Développeur Java / Spring", "claire"),
    JobSpec("data", "Data Engineer", "thomas"),
    JobSpec("devops", "Ingénieur DevOps", "thomas"),
    JobSpec("python", "Développeur Python", "claire"),
    JobSpec("lead", "Tech Lead", "sarah"),
    JobSpec("product", "Product Designer", "sarah"),
]
FIRST_FR = [
    "Léa",
    "Hugo",
    "Camille",
    "Lucas",
    "Manon",
    "Louis",
    "Chloé",
    "Gabriel",
    "Inès",
    "Jules",
    "Sarah",
    "Arthur",
    "Emma",
    "Nathan",
    "Zoé",
    "Théo",
    "Juliette",
    "Raphaël",
    "Alice",
    "Mathis",
    "Clara",
    "Enzo",
    "Lina",
    "Maxime",
    "Anaïs",
    "Yanis",
    "Margaux",
    "Karim",
    "Élodie",
    "Samir",
]
LAST_FR = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
]
FIRST_EN = [
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Jack",
    "Mia",
    "Noah",
    "Grace",
    "Charlie",
    "Freya",
    "Liam",
    "Emily",
    "Ethan",
    "Chloe",
    "James",
    "Sophie",
    "Ryan",
    "Hannah",
]
LAST_EN = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Evans",
    "Thompson",
    "Roberts",
    "Clarke",
    "Murphy",
    "O'Brien",
    "Kelly",
]
HOOKS_FR = [
    "J'ai lu votre article sur la migration d'un monolithe vers Kotlin",
    "J'ai vu votre talk à Devoxx France sur l'observabilité",
    "Votre projet open source de parseur YAML m'a impressionné",
    "J'ai remarqué votre parcours, de l'embarqué jusqu'au cloud",
]
HOOKS_EN = [
    "I read your write-up on moving a monolith to Kotlin",
    "I watched your talk on observability at a London meetup",
    "Your open-source YAML parser caught my eye",
]
PLACES_FR = [("Europe/Paris", "FR")] * 9 + [("Europe/Brussels", "BE")]
PLACES_EN = [("Europe/London", "GB")] * 3 + [("America/Toronto", "CA"), ("Europe/Dublin", "IE")]


def ensure(now: datetime, reset: bool = False) -> Organisation:
    """The demo organisation, loaded if it is not there yet (or reloaded with `reset`)."""
    existing = Organisation.objects.filter(slug=SLUG).first()
    if existing is not None and not reset:
        return existing
    with transaction.atomic():
        if existing is not None:
            Recruiter.objects.filter(organisation=existing).delete()
            existing.delete()
        scenario = generate(now)
        # The last two days are left undone: tasks for the agenda, e-mails for the worker.
        org = replay_and_keep(scenario, slug=SLUG, until=now - timedelta(days=2))
        story.tell(org, now)  # a rejected finalist, the talent pool, a campaign
        # Every demo recruiter signs in with the demo password; the first is an admin.
        for number, recruiter in enumerate(
            Recruiter.objects.filter(organisation=org).order_by("pk")
        ):
            recruiter.set_password(DEMO_PASSWORD)
            recruiter.role = Recruiter.Role.ADMIN if number == 0 else Recruiter.Role.RECRUITER
            recruiter.save(update_fields=["password", "role"])
        return org


def send_due(now: datetime, folder: Path) -> tuple[Cycle, int]:
    """One worker cycle at `now`, through the real outbox and SMTP, to a local sink that
    keeps each message as an .eml file in `folder`. Returns the cycle and how many files
    the folder holds."""
    from django.core.mail import get_connection

    with sink.running(folder) as port:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port, timeout=10
        )
        worker = Worker(name="demo", transport=DjangoTransport(connection), clock=lambda: now)
        report = worker.cycle()
        worker.transport.close()
    return report, len(list(folder.glob("*.eml")))


DEMO_ZONE, DEMO_COUNTRY = "Europe/Paris", "FR"
# The demo's sign-in password: the demo serves on localhost only, with made-up people.
DEMO_PASSWORD = "relance-demo"
WORKING_HOURS = (time(9, 0), time(18, 0))


def working_moment(now: datetime) -> datetime:
    """`now` during the agency's working hours (Paris); otherwise 16:00 of its latest
    working day: a newcomer trying the demo at night or on a Sunday still sees e-mails
    leave, since nothing is sent outside sending hours."""
    if calendar.is_open(now, DEMO_ZONE, DEMO_COUNTRY, WORKING_HOURS):
        return now
    local = calendar.local(now, DEMO_ZONE)
    day = local.date()
    if local.time() < WORKING_HOURS[1]:
        day -= timedelta(days=1)
    while not calendar.is_working_day(day, DEMO_COUNTRY):
        day -= timedelta(days=1)
    return calendar.at_local(day, time(16, 0), DEMO_ZONE)


def waiting(org: Organisation) -> int:
    """E-mails written to the outbox that wait for their time (sending hours, a rule)."""
    from relance.messaging.models import OutboxMessage

    return OutboxMessage.objects.of(org).filter(status=OutboxMessage.Status.PENDING).count()


def stats(org: Organisation) -> dict[str, int]:
    return {
        "candidates": Candidate.objects.of(org).count(),
        "recruiters": Recruiter.objects.filter(organisation=org).count(),
    }


def first_recruiter_email(org: Organisation) -> str:
    first = Recruiter.objects.filter(organisation=org).order_by("pk").first()
    return first.email if first else ""


def ascii_name(text: str) -> str:
    """A name as the local part of a made-up address: `Hélène` → `helene`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class _Builder:
    def __init__(self, now: datetime, seed: int = 7) -> None:
        self.now = now
        self.rng = random.Random(seed)
        self.start = now - timedelta(days=150)
        self.events: list[EventSpec] = []

    def work_time(self, days_ago_max: float, days_ago_min: float, tz: str) -> datetime:
        """A moment in working hours (09:00–18:00, candidate's time) between two ages."""
        for _ in range(50):
            ago = self.rng.uniform(days_ago_min, days_ago_max)
            day = calendar.local(self.now - timedelta(days=ago), tz).date()
            if day.weekday() >= 5:
                continue
            clock = time(self.rng.randint(9, 17), self.rng.choice([0, 5, 10, 20, 30, 40, 45, 50]))
            moment = calendar.at_local(day, clock, tz)
            if self.start < moment < self.now:
                return moment
        return self.now - timedelta(days=days_ago_min)

    def add(self, at: datetime, kind: EventType, candidate: str, **fields: object) -> None:
        if not self.start <= at <= self.now:
            return
        self.events.append(
            EventSpec(
                index=len(self.events), line=None, at=at, type=kind, candidate=candidate, **fields
            )  # type: ignore[arg-type]
        )


def generate(now: datetime, count: int = CANDIDATES) -> Scenario:
    b = _Builder(now)
    rng = b.rng
    candidates: list[CandidateSpec] = []
    used_emails: set[str] = set()
    for i in range(count):
        french = rng.random() < 0.75
        first = rng.choice(FIRST_FR if french else FIRST_EN)
        last = rng.choice(LAST_FR if french else LAST_EN)
        tz, country = rng.choice(PLACES_FR if french else PLACES_EN)
        email = f"{ascii_name(first)}.{ascii_name(last)}@example.{'fr' if french else 'com'}"
        n = 2
        while email in used_emails:
            email = f"{ascii_name(first)}.{ascii_name(last)}{n}@example.{'fr' if french else 'com'}"
            n += 1
        used_emails.add(email)
        has_phone = rng.random() < 0.7
        ident = f"c{i + 1:03d}"
        owner = rng.choice(RECRUITERS).id
        candidates.append(
            CandidateSpec(
                id=ident,
                first_name=first,
                last_name=last,
                email=email,
                phone=_phone(rng) if has_phone else "",
                linkedin=f"https://www.linkedin.com/in/{ascii_name(first)}-{ascii_name(last)}-{i}"
                if rng.random() < 0.85
                else "",
                timezone=tz,
                country=country,
                language="fr" if french else "en",
                stars=rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0],
                source="linkedin",
                hook=rng.choice(HOOKS_FR if french else HOOKS_EN) if rng.random() < 0.4 else "",
                owner=owner,
            )
        )
    final: list[CandidateSpec] = []
    for spec in candidates:
        situation = rng.choices(
            ["first", "invitation", "cv", "application", "pool"], weights=[38, 12, 12, 24, 14]
        )[0]
        final.append(_history(b, spec, situation))
    return Scenario(
        source="demo",
        start=b.start,
        until=now,
        policy=Policy(),
        policy_overrides={},
        auto_complete_tasks=True,
        organisation=NAME,
        recruiters=list(RECRUITERS),
        candidates=final,
        jobs=list(JOBS),
        events=sorted(b.events, key=lambda e: e.at),
    )


def _history(b: _Builder, spec: CandidateSpec, situation: str) -> CandidateSpec:
    rng, tz, c = b.rng, spec.timezone, spec.id
    recruiter = spec.owner
    job = rng.choice(JOBS).id if rng.random() < 0.7 else None
    source = {"first": "linkedin", "invitation": "linkedin", "cv": "cv_database",
              "application": "application", "pool": "linkedin"}[situation]  # fmt: skip
    if situation == "first":
        roll = rng.random()
        # Out-of-office replies and bounces come back to e-mails.
        email_only = 0.30 <= roll < 0.42
        linkedin = spec.linkedin and not email_only and rng.random() < 0.6
        channel = Channel.LINKEDIN if linkedin else Channel.EMAIL
        t0 = b.work_time(16, 0.5, tz)
        # An e-mail approach leaves from Relance (its follow-ups answer it in its thread).
        b.add(t0, EventType.MESSAGE_SENT, c, recruiter=recruiter, channel=channel,
              situation=Situation.FIRST_MESSAGE, job=job,
              send=channel is Channel.EMAIL)  # fmt: skip
        if roll < 0.30:
            b.add(
                t0 + timedelta(days=rng.uniform(0.2, 9)),
                EventType.REPLY_RECEIVED,
                c,
                channel=channel,
            )
        elif roll < 0.38:
            back = (t0 + timedelta(days=rng.randint(5, 12))).replace(hour=0, minute=0)
            b.add(
                t0 + timedelta(minutes=2),
                EventType.AUTO_REPLY_RECEIVED,
                c,
                channel=channel,
                until=back,
            )
        elif roll < 0.42:
            b.add(t0 + timedelta(minutes=3), EventType.BOUNCE, c, outcome=BounceKind.HARD)
        elif roll < 0.45:
            b.add(
                t0 + timedelta(days=rng.uniform(1, 5)), EventType.UNSUBSCRIBED, c, channel=channel
            )
        elif roll < 0.49:
            # Another recruiter approaches the same person: one voice (hard rule 8).
            other = rng.choice([r.id for r in RECRUITERS if r.id != recruiter])
            b.add(
                t0 + timedelta(days=rng.uniform(0.5, 3)),
                EventType.MESSAGE_SENT,
                c,
                recruiter=other,
                channel=Channel.EMAIL,
                situation=Situation.FIRST_MESSAGE,
            )
    elif situation == "invitation":
        t0 = b.work_time(10, 0.3, tz)
        b.add(t0, EventType.INVITATION_ACCEPTED, c, recruiter=recruiter, job=job)
        if rng.random() < 0.3:
            b.add(
                t0 + timedelta(days=rng.uniform(1, 8)),
                EventType.REPLY_RECEIVED,
                c,
                channel=Channel.LINKEDIN,
            )
    elif situation == "cv":
        t0 = b.work_time(10, 0.3, tz)
        outcome = rng.choice([CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL])
        spec = _with(spec, phone=spec.phone or "+33 6 12 34 56 78")
        b.add(t0, EventType.CALL, c, recruiter=recruiter, outcome=outcome,
              situation=Situation.CV_DATABASE, job=job)  # fmt: skip
        if rng.random() < 0.25:
            b.add(
                t0 + timedelta(days=rng.uniform(0.5, 6)),
                EventType.REPLY_RECEIVED,
                c,
                channel=Channel.SMS,
            )
    elif situation == "application":
        job = job or rng.choice(JOBS).id
        t0 = b.work_time(20, 0.1, tz)
        b.add(t0, EventType.APPLICATION_RECEIVED, c, job=job)
        roll = rng.random()
        if roll < 0.2:
            b.add(
                t0 + timedelta(days=rng.uniform(1, 3)),
                EventType.STAGE_CHANGED,
                c,
                job=job,
                outcome=Stage.SCREENING,
            )
        elif roll < 0.45:
            t1 = t0 + timedelta(days=rng.uniform(1, 3))
            b.add(t1, EventType.STAGE_CHANGED, c, job=job, outcome=Stage.INTERVIEW)
            t2 = t1 + timedelta(days=rng.uniform(2, 5))
            b.add(t2, EventType.INTERVIEW, c, job=job, recruiter=recruiter)
            if rng.random() < 0.5:
                b.add(
                    t2 + timedelta(days=rng.uniform(0.5, 2)),
                    EventType.STAGE_CHANGED,
                    c,
                    job=job,
                    outcome=Stage.REJECTED,
                )
        elif roll < 0.65:
            b.add(
                t0 + timedelta(days=rng.uniform(0.5, 4)),
                EventType.STAGE_CHANGED,
                c,
                job=job,
                outcome=Stage.REJECTED,
            )
        elif roll < 0.7:
            b.add(
                t0 + timedelta(days=rng.uniform(3, 8)),
                EventType.STAGE_CHANGED,
                c,
                job=job,
                outcome=Stage.OFFER,
            )
    elif situation == "pool":
        silence = rng.uniform(95, 135)
        t0 = b.work_time(silence + 10, silence, tz)
        b.add(t0, EventType.MESSAGE_SENT, c, recruiter=recruiter, channel=Channel.EMAIL)
        b.add(
            t0 + timedelta(minutes=5),
            EventType.CONSENT_GIVEN,
            c,
            outcome="talent_pool",
            recruiter=recruiter,
        )
        if rng.random() < 0.3:
            b.add(b.work_time(4, 0.5, tz), EventType.TRIGGER, c, recruiter=recruiter,
                  outcome=rng.choice(["work_anniversary", "new_job", "post"]))  # fmt: skip
    return _with(spec, source=source)


def _phone(rng: random.Random) -> str:
    return "+33 6 " + " ".join(f"{rng.randint(10, 99)}" for _ in range(4))


def _with(spec: CandidateSpec, **changes: object) -> CandidateSpec:
    from dataclasses import replace

    return replace(spec, **changes)  # type: ignore[arg-type]


def serve(
    org: Organisation,
    now: datetime,
    folder: Path,
    srv: Any,
    worker_interval: float,
    announce: Callable[[str], None],
) -> int:
    """Serve the web app (`srv`, bound by `listen`) with a worker in the background that
    delivers to the local sink every `worker_interval` seconds, the clock starting at
    `now` and running on, until Ctrl-C or SIGTERM."""
    import threading

    from django.core.mail import get_connection

    from relance import clock
    from relance.web import serve as web

    clock.start_at(now)
    with sink.running(folder) as smtp_port:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host="127.0.0.1",
            port=smtp_port,
            timeout=10,
        )
        worker = Worker(name="demo", transport=DjangoTransport(connection), clock=clock.now)
        thread = threading.Thread(
            target=worker.run, args=(worker_interval, lambda _: None), daemon=True
        )
        thread.start()
        announce(web.address(srv))
        web.run(srv, on_stop=worker.stop)
        thread.join(timeout=30)
    return 0


# The demo's port when none is asked for. When it is busy (another program, or an earlier
# demo still running), the demo takes the next free one of the few after it and says so,
# rather than stopping a newcomer with an error; a port asked for with --port is used or
# refused, never changed.
DEFAULT_PORT = 8000
FALLBACK_PORTS = 10


def listen(host: str, port: int | None) -> tuple[Any, int | None]:
    """The demo's web server, bound: on `port` if one is asked for (a CannotListen error
    if it cannot be), else on DEFAULT_PORT or the next free port after it. Returns the
    server and the default port that was busy (None when it was free or not wanted)."""
    from relance.web import serve as web

    if port is not None:
        return web.server(host, port, threads=8), None
    for one in range(DEFAULT_PORT, DEFAULT_PORT + FALLBACK_PORTS):
        try:
            return web.server(host, one, threads=8), (None if one == DEFAULT_PORT else DEFAULT_PORT)
        except web.CannotListen as error:
            if error.reason != "busy":
                raise
    return web.server(host, 0, threads=8), DEFAULT_PORT


def link_to(host: str, port: int) -> str:
    """Make the links in the demo's e-mails and pages (talent pool, consent, unsubscribe)
    point at the address really served — unless RELANCE_BASE_URL chose one. Returns the
    base URL the links use."""
    import os

    from django.conf import settings

    if not os.environ.get("RELANCE_BASE_URL"):
        shown = "localhost" if host in ("", "0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        settings.RELANCE_BASE_URL = f"http://{shown}:{port}"
    return str(settings.RELANCE_BASE_URL)
