"""Property tests: over random histories, policies, time zones and clocks (daylight-saving
changes included), nothing the system does breaks a hard rule, and the due times it stored
are what the engine computes from scratch for the same history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml
from django.db import transaction
from hypothesis import example, given, note, reject
from hypothesis import strategies as st

from relance.engine import Policy, decide
from relance.errors import ScenarioError
from relance.followups import services
from relance.followups.models import Thread, Touchpoint
from relance.people.models import Candidate, Consent
from relance.scenario import parse
from relance.simulate import _Replay
from tests.rulecheck import T, violations

pytestmark = pytest.mark.django_db

PLACES = [
    ("Europe/Paris", "FR"),
    ("Europe/London", "GB"),
    ("America/New_York", "US"),
    ("Australia/Sydney", "AU"),
    ("Pacific/Auckland", "NZ"),
    ("America/Sao_Paulo", "BR"),
    ("Asia/Kolkata", "IN"),
    ("Europe/Brussels", "BE"),
]
# Days just before daylight-saving changes (EU, US, Southern hemisphere) and a plain one.
STARTS = [
    datetime.fromisoformat(s)
    for s in (
        "2026-03-05T07:00:00+00:00",
        "2026-03-26T07:00:00+00:00",
        "2026-10-22T07:00:00+00:00",
        "2026-04-02T22:00:00+00:00",
        "2026-09-24T22:00:00+00:00",
        "2026-06-10T07:00:00+00:00",
        "2026-12-21T07:00:00+00:00",
    )
]


@st.composite
def policies(draw):
    spacing = draw(st.sampled_from([2, 2, 3]))
    return {
        "max_followups": draw(st.integers(0, 3)),
        "spacing_days": spacing,
        "followup_delays_days": [draw(st.integers(spacing, 8)) for _ in range(3)],
        "max_messages_per_7_days": draw(st.sampled_from([1, 2, 2])),
        "sending_window": draw(st.sampled_from(["08:00-19:00", "09:00-18:00", "10:00-16:30"])),
    }


EVENT_TYPES = [
    "message_sent", "message_sent", "message_sent", "invitation_accepted", "application_received",
    "call", "call", "reply_received", "auto_reply_received", "bounce", "unsubscribed",
    "stage_changed", "consent_given", "consent_withdrawn", "do_not_contact", "interview", "trigger",
]  # fmt: skip


@st.composite
def scenarios(draw):
    start = draw(st.sampled_from(STARTS)) + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    tz, country = draw(st.sampled_from(PLACES))
    candidate = {
        "id": "c",
        "name": "Léa Martin",
        "timezone": tz,
        "country": country,
        "stars": draw(st.integers(0, 3)),
        "language": draw(st.sampled_from(["fr", "en"])),
    }
    if draw(st.integers(0, 4)):  # most candidates have an e-mail address
        candidate["email"] = "lea@example.org"
    if draw(st.booleans()):
        candidate["phone"] = "+33 6 00 00 00 00"
    if draw(st.booleans()):
        candidate["linkedin"] = "https://www.linkedin.com/in/lea"
    events = []
    for _ in range(draw(st.integers(1, 9))):
        at = start + timedelta(minutes=draw(st.integers(0, 25 * 24 * 60)))
        kind = draw(st.sampled_from(EVENT_TYPES))
        event = {
            "at": at.isoformat(),
            "type": kind,
            "candidate": "c",
            "recruiter": draw(st.sampled_from(["r1", "r2"])),
        }
        if kind == "message_sent":
            event["channel"] = draw(st.sampled_from(["email", "linkedin", "sms"]))
            # A message starts these; a cv_database thread starts with a call.
            situation = draw(
                st.sampled_from(
                    ["first_message", "first_message", "linkedin_invitation", "keep_in_touch", None]
                )
            )
            if situation:
                event["situation"] = situation
            if (
                situation == "first_message"
                and event["channel"] == "email"
                and "email" in candidate
                and draw(st.booleans())
            ):
                event["send"] = True  # Relance sends the approach itself
        elif kind == "call":
            event["outcome"] = draw(st.sampled_from(["answered", "voicemail", "no_answer"]))
            if draw(st.booleans()):
                event["situation"] = "cv_database"
        elif kind == "auto_reply_received":
            if draw(st.booleans()):
                event["until"] = (at + timedelta(days=draw(st.integers(1, 12)))).isoformat()
        elif kind == "bounce":
            event["kind"] = draw(st.sampled_from(["hard", "soft"]))
        elif kind == "stage_changed":
            event["job"] = "j"
            event["stage"] = draw(
                st.sampled_from(["screening", "interview", "rejected", "hired", "withdrawn"])
            )
        elif kind in ("consent_given", "consent_withdrawn"):
            event["purpose"] = "talent_pool"
        elif kind == "trigger":
            event["kind"] = draw(st.sampled_from(["work_anniversary", "new_job", "post"]))
        elif kind in ("application_received", "interview") and draw(st.booleans()):
            event["job"] = "j"
        events.append(event)
    data = {
        "start": start.isoformat(),
        "until": (start + timedelta(days=draw(st.integers(10, 60)))).isoformat(),
        "policy": draw(policies()),
        "auto_complete_tasks": draw(st.booleans()),
        "recruiters": [
            {"id": "r1", "name": "Claire Dubois", "email": "claire@p.example"},
            # The same name sometimes: two recruiters' follow-ups then read alike (rule 7).
            {
                "id": "r2",
                "name": draw(st.sampled_from(["Thomas Moreau", "Claire Dubois"])),
                "email": "thomas@p.example",
            },
        ],
        "candidates": [candidate],
        "jobs": [{"id": "j", "title": "Développeur Java"}],
        "events": sorted(events, key=lambda e: e["at"]),
    }
    # Events must fall inside the scenario.
    data["until"] = max(data["until"], max(e["at"] for e in events))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# How late a recruiter does a task on Today after it came due (in turn): at once, within
# the hour, later that day, the next days.
task_delays = st.lists(
    st.sampled_from([0, 0, 20, 90, 5 * 60, 26 * 60, 3 * 24 * 60]).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
    max_size=4,
)


def replay(text: str, delays=()) -> tuple[_Replay, Candidate]:
    scenario = parse(text, "property")
    run = _Replay(scenario, task_delays=delays)
    played(run)
    return run, run.candidates["c"]


def played(run: _Replay) -> None:
    """Run a replay; a history the services refuse as input (Relance asked to send a first
    e-mail to someone the recruiter already follows up) is not a history to judge."""
    try:
        run.run()
    except ScenarioError as error:
        if "already follow" not in str(error):
            raise
        reject()


@given(scenarios(), task_delays)
def test_nothing_the_system_does_breaks_a_hard_rule(text, delays):
    """Steps are done through every door: the system's sends, tasks done on Today (at once
    or late), calls and messages logged as events (the candidate page's door) that
    complete the step due — and what any of them records counts for every rule after."""
    note(text)
    note(f"tasks done after {delays}")
    with transaction.atomic():
        run, candidate = replay(text, delays)
        candidate.refresh_from_db()
        policy = Policy.from_mapping(run.scenario.policy_overrides)
        rows = [
            T(
                r.pk,
                r.at,
                r.kind,
                r.direction,
                r.channel,
                r.outcome,
                r.thread_id,
                r.step,
                r.doubles_call,
                r.reason,
                r.until,
                r.body,
                bool(r.message_id),
            )
            for r in Touchpoint.objects.filter(candidate=candidate).order_by("pk")
        ]
        threads = {
            t.pk: {
                "situation": t.situation,
                "start": t.start_touchpoint_id or 0,
                "trigger": t.trigger,
            }
            for t in Thread.objects.filter(candidate=candidate)
        }
        consents = []
        for c in Consent.objects.filter(candidate=candidate):
            consents.append((c.given_at, "given"))
            if c.withdrawn_at:
                consents.append((c.withdrawn_at, "withdrawn"))
        refusals = {
            "unsubscribe": candidate.unsubscribed_at,
            "do not contact": candidate.do_not_contact_at,
            "hard bounce": candidate.email_bounced_at,
        }
        found = violations(
            rows, tz=candidate.timezone, country=candidate.country, policy=policy,
            threads=threads, refusals=refusals, consents=consents,
        )  # fmt: skip
        transaction.set_rollback(True)
    assert found == []


# Found by Hypothesis: a step done by hand updated a second copy of the candidate, and the
# keep-in-touch watch was recomputed from the stale one.
MANUAL_STEP_THEN_WATCH = """\
start: '2026-03-05T07:00:00+00:00'
until: '2026-03-15T07:00:00+00:00'
policy: {max_followups: 0}
auto_complete_tasks: false
recruiters:
- {id: r1, name: Claire Dubois, email: claire@p.example}
- {id: r2, name: Thomas Moreau, email: thomas@p.example}
candidates:
- {id: c, name: Léa Martin, timezone: Europe/Paris, country: FR, language: fr, email: lea@example.org}
events:
- {at: '2026-03-05T07:00:00+00:00', type: invitation_accepted, candidate: c, recruiter: r1}
- {at: '2026-03-05T07:00:00+00:00', type: consent_given, candidate: c, recruiter: r1, purpose: talent_pool}
- {at: '2026-03-05T07:01:00+00:00', type: message_sent, candidate: c, recruiter: r1, channel: email, situation: linkedin_invitation}
"""


# Found by Hypothesis: an out-of-office received more than a week before a thread started
# was left out of the touchpoints loaded for it, though its return date was still ahead.
EARLY_OUT_OF_OFFICE = """\
start: '2026-03-05T07:00:00+00:00'
until: '2026-03-15T07:00:00+00:00'
policy: {max_followups: 0}
auto_complete_tasks: false
recruiters:
- {id: r1, name: Claire Dubois, email: claire@p.example}
candidates:
- {id: c, name: Léa Martin, timezone: Europe/Paris, country: FR, language: fr, linkedin: "https://www.linkedin.com/in/lea"}
events:
- {at: '2026-03-05T07:00:00+00:00', type: auto_reply_received, candidate: c, until: '2026-03-14T07:00:00+00:00'}
- {at: '2026-03-13T07:01:00+00:00', type: invitation_accepted, candidate: c, recruiter: r1}
"""


@example(EARLY_OUT_OF_OFFICE, [])
@example(MANUAL_STEP_THEN_WATCH, [])
@given(scenarios(), task_delays)
def test_stored_due_times_equal_what_the_engine_computes_from_scratch(text, delays):
    """Checked after every event and every action of the replay, with no look-back window."""
    note(text)
    note(f"tasks done after {delays}")
    mismatches = []
    with transaction.atomic():
        scenario = parse(text, "property")
        policy = Policy.from_mapping(scenario.policy_overrides)
        run: _Replay

        def check(now):
            candidate = Candidate.objects.get(pk=run.candidates["c"].pk)
            everything = services.load_touches(candidate, since=None)
            view = services.candidate_view(candidate, everything)
            for thread in Thread.objects.filter(candidate=candidate, status="open"):
                fresh = decide(services.thread_view(thread), view, everything, policy, now)
                stored = (
                    thread.due_at,
                    thread.next_kind,
                    thread.next_step,
                    thread.next_channel,
                    thread.reason,
                    thread.delay_reason,
                    thread.deadline_at,
                )
                computed = (
                    fresh.at, fresh.action.value if fresh.action else None, fresh.step,
                    fresh.channel.value if fresh.channel else "", fresh.reason, fresh.delay or "", fresh.deadline_at,
                )  # fmt: skip
                if fresh.kind.value == "stop" or stored != computed:
                    mismatches.append((now, thread.situation, stored, computed, fresh.kind))

        run = _Replay(scenario, after_each=check, task_delays=delays)
        played(run)
        transaction.set_rollback(True)
    assert mismatches == []
