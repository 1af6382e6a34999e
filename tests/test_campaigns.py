"""Campaigns: who receives it and who does not (with the reason), scheduling, batches that
resume after a crash, the checks when each message leaves, and the figures."""

from __future__ import annotations

import contextlib
import itertools
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from relance.engine import Channel, Direction, TouchKind, calendar
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Candidate, Organisation, Recruiter
from relance.pools import campaigns, consent
from relance.pools.campaigns import CampaignError
from relance.pools.models import Campaign
from tests.conftest import paris

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Messages are read in English here (the installation's default is French)."""
    with translation.override("en"):
        yield


NOW = paris(2026, 11, 16, 10, 0)  # a Monday morning
EVERYONE: dict = {}


def person(org, name, *, purposes=(), rhythm=None, at=NOW - timedelta(days=40), **fields):
    c = Candidate.objects.create(
        organisation=org, first_name=name, email=f"{name}@example.org",
        created_at=at, **fields,
    )  # fmt: skip
    if purposes or rhythm:
        consent.record_choices(c, set(purposes), {"job_offers": rhythm} if rhythm else {}, at)
    return c


def campaign(org, recruiter, topic="job_offers", definition=None, name="Java"):
    return Campaign.objects.create(
        organisation=org, name=name, topic=topic, created_by=recruiter,
        definition=EVERYONE if definition is None else definition,
        subject_fr="Un poste pour vous, {{ candidate.first_name }}",
        body_fr="Bonjour {{ candidate.first_name }},\nUn poste chez {{ company }}.",
        subject_en="A role for you, {{ candidate.first_name }}",
        body_en="Hi {{ candidate.first_name }},\nA role at {{ company }}.",
        created_at=NOW,
    )  # fmt: skip


def sent_message(org, who, at):
    Touchpoint.objects.create(organisation=org, candidate=who, at=at, kind=TouchKind.MESSAGE,
                              direction=Direction.OUT, channel=Channel.EMAIL, body="x")  # fmt: skip


def test_the_preview_says_who_receives_it_and_why_the_others_do_not(org, recruiter):
    ok = person(org, "ok", purposes=["job_alerts"])
    person(org, "noconsent", purposes=["newsletter"])
    person(org, "never", purposes=["job_alerts"], rhythm="never")
    person(org, "unsub", purposes=["job_alerts"], unsubscribed_at=NOW - timedelta(days=1))
    person(org, "bounced", purposes=["job_alerts"], email_bounced_at=NOW - timedelta(days=1))
    person(org, "dnc", purposes=["job_alerts"], do_not_contact_at=NOW - timedelta(days=1))
    capped = person(org, "capped", purposes=["job_alerts"])
    sent_message(org, capped, NOW - timedelta(days=1))
    sent_message(org, capped, NOW - timedelta(days=3))
    seen = campaigns.preview(org, EVERYONE, "job_offers", NOW)
    assert seen.total == 7
    assert seen.recipients == 1
    assert seen.excluded == {"do_not_contact": 1, "unsubscribed": 1, "bounced": 1,
                             "no_consent": 1, "preference_never": 1, "pressure_cap": 1}  # fmt: skip
    assert [c.pk for c in seen.sample_in] == [ok.pk]
    assert {c.exclusion for c in seen.sample_out} == set(seen.excluded)


def test_a_campaign_to_an_empty_segment_is_refused_before_scheduling(org, recruiter):
    person(org, "lea", purposes=["job_alerts"])
    empty = campaign(org, recruiter, definition={"field": "skills", "any": ["cobol"]})
    with pytest.raises(CampaignError, match="segment is empty"):
        campaigns.schedule(empty, NOW, NOW)
    nobody = campaign(org, recruiter, topic="events", name="Events")  # no newsletter consent
    with pytest.raises(CampaignError, match="nobody in the segment may receive it"):
        campaigns.schedule(nobody, NOW, NOW)
    broken = campaign(org, recruiter, name="Broken")
    broken.body_en = "Hi {{ candidate.shoe_size }}"
    broken.save()
    with pytest.raises(Exception, match="shoe_size"):
        campaigns.schedule(broken, NOW, NOW)
    assert Campaign.objects.filter(status="scheduled").count() == 0


def test_batches_resume_after_a_crash_from_the_last_one_written(org, recruiter, monkeypatch):
    people = [person(org, f"p{i}", purposes=["job_alerts"]) for i in range(12)]
    c = campaign(org, recruiter)
    campaigns.schedule(c, NOW, NOW)
    assert campaigns.write_batch(c.pk, NOW, size=5) == (5, False)
    real = campaigns._message
    calls = {"n": 0}

    def crash_on_the_third(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(campaigns, "_message", crash_on_the_third)
    with pytest.raises(RuntimeError):
        campaigns.write_batch(c.pk, NOW, size=5)
    c.refresh_from_db()
    assert c.last_candidate_id == people[4].pk
    assert c.written == 5
    assert OutboxMessage.objects.filter(campaign=c).count() == 5
    monkeypatch.setattr(campaigns, "_message", real)
    assert campaigns.advance(NOW, batch=5) == 7
    c.refresh_from_db()
    assert c.status == "done"
    assert c.written == 12
    assert sorted(OutboxMessage.objects.filter(campaign=c).values_list("candidate_id", flat=True)) \
        == [p.pk for p in people]  # fmt: skip


def test_campaign_messages_leave_once_with_their_links_and_are_counted(
    org, recruiter, transport, smtp
):
    lea = person(org, "lea", purposes=["job_alerts"], rhythm="monthly")
    tom = person(org, "tom", purposes=["job_alerts"], language="en")
    person(org, "zoe")  # no consent: nothing for her
    c = campaign(org, recruiter)
    campaigns.schedule(c, NOW, NOW)
    campaigns.advance(NOW)
    ids = list(OutboxMessage.objects.filter(campaign=c).values_list("pk", flat=True))
    outbox.deliver_batch(ids, transport, NOW)
    assert sorted(parseaddr(m["To"])[1] for m in smtp.received) == [
        "lea@example.org",
        "tom@example.org",
    ]
    body = {parseaddr(m["To"])[1]: m.get_payload(decode=True).decode() for m in smtp.received}
    assert "Un poste chez Agence Test" in body["lea@example.org"]
    assert "/c/preferences/" in body["lea@example.org"]
    assert "/c/withdraw/" in body["lea@example.org"]
    assert "A role at Agence Test" in body["tom@example.org"]
    assert all(m["List-Unsubscribe"] for m in smtp.received)
    services.record_event(Event(EventType.REPLY_RECEIVED, NOW + timedelta(hours=2), lea,
                                channel=Channel.EMAIL, body="Oui !"), NOW + timedelta(hours=2))  # fmt: skip
    services.record_event(Event(EventType.UNSUBSCRIBED, NOW + timedelta(hours=3), tom),
                          NOW + timedelta(hours=3))  # fmt: skip
    figures = campaigns.figures(c)
    assert figures["sent"] == 2
    assert figures["delivered"] == 2
    assert figures["bounced"] == 0
    assert figures["replies"] == 1
    assert figures["unsubscribes"] == 1
    # The same campaign again is never written twice; a second job-offer campaign within
    # a month is held back by Léa's monthly rhythm.
    assert campaigns.write_batch(c.pk, NOW) == (0, True)
    seen = campaigns.preview(org, EVERYONE, "job_offers", NOW + timedelta(days=3))
    assert seen.excluded == {"preference_frequency": 1, "unsubscribed": 1, "no_consent": 1}
    later = campaigns.preview(org, EVERYONE, "job_offers", NOW + timedelta(days=29))
    assert later.recipients == 1  # Léa, a month later


def test_overlapping_campaigns_never_put_anyone_over_the_pressure_cap(
    org, recruiter, transport, smtp
):
    people = [person(org, f"p{i}", purposes=["job_alerts", "newsletter"]) for i in range(6)]
    first = campaign(org, recruiter, topic="job_offers", name="Jobs")
    other = Recruiter.objects.create_user(email="marc@test.example", organisation=org)
    second = campaign(org, other, topic="events", name="Meetup")
    for c in (first, second):
        campaigns.schedule(c, NOW, NOW)
    campaigns.advance(NOW)
    ids = list(OutboxMessage.objects.filter(campaign__isnull=False).values_list("pk", flat=True))
    assert len(ids) == 12
    outbox.deliver_batch(ids, transport, NOW)
    outbox.deliver_batch(ids, transport, NOW)  # a second worker pass on the same day
    received = [parseaddr(m["To"])[1] for m in smtp.received]
    assert sorted(received) == sorted(p.email for p in people)  # one each today
    waiting = OutboxMessage.objects.filter(status="pending")
    assert waiting.count() == 6
    assert {w.last_error for w in waiting} == {"waiting: pressure_cap"}
    assert all(w.due_at > NOW for w in waiting)


# --- property: never without consent, never above the rhythm, never over the cap --------

population = st.lists(
    st.fixed_dictionaries(
        {
            "purposes": st.sets(st.sampled_from(["job_alerts", "newsletter", "talent_pool"])),
            "rhythm": st.sampled_from([None, "weekly", "monthly", "never"]),
            "recent": st.lists(st.integers(min_value=0, max_value=9), max_size=3),
            "withdraw_after": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


@given(population=population, rounds=st.lists(st.sampled_from(["job_offers", "events"]),
                                               min_size=1, max_size=4))  # fmt: skip
def test_no_campaign_message_breaks_consent_rhythm_or_the_cap(population, rounds):
    from django.db import transaction

    with transaction.atomic():
        org = Organisation.objects.create(name="P", slug=f"p{Organisation.objects.count()}")
        recruiter = Recruiter.objects.create_user(email=f"r{org.pk}@p.example", organisation=org)
        people = []
        for i, spec in enumerate(population):
            who = person(org, f"c{org.pk}x{i}", purposes=spec["purposes"], rhythm=spec["rhythm"])
            for days in spec["recent"]:
                sent_message(org, who, NOW - timedelta(days=days, hours=1))
            people.append((who, spec))
        transport = outbox.MemoryTransport()
        moment = NOW
        for n, topic in enumerate(rounds):
            c = campaign(org, recruiter, topic=topic, name=f"round {n}")
            with contextlib.suppress(CampaignError):
                campaigns.schedule(c, moment, moment)
            if n == 1:  # someone changes their mind between two campaigns
                for who, spec in people:
                    if spec["withdraw_after"]:
                        consent.withdraw_everything(who, moment)
            campaigns.advance(moment)
            ids = list(OutboxMessage.objects.filter(organisation=org, status="pending",
                                                    due_at__lte=moment).values_list("pk", flat=True))  # fmt: skip
            outbox.deliver_batch(ids, transport, moment)
            moment += timedelta(days=2)
        policy = org.get_policy()
        for who, _spec in people:
            rows = OutboxMessage.objects.filter(
                candidate=who, status="sent", campaign__isnull=False
            )
            for row in rows:
                purpose = consent.PURPOSE_OF_TOPIC[row.topic]
                given = who.consents.filter(purpose=purpose, given_at__lte=row.sent_at)
                assert given.exclude(withdrawn_at__lte=row.sent_at).exists(), "sent without consent"
            # Never more often than the rhythm chosen when it was sent.
            for topic in ("job_offers", "events"):
                times = sorted(r.sent_at for r in rows if r.topic == topic)
                chosen = _spec["rhythm"] if topic == "job_offers" and _spec["rhythm"] else None
                interval = consent.INTERVAL[chosen or consent.DEFAULT[topic]]
                if interval is None:
                    assert not times
                for a, b in itertools.pairwise(times):
                    assert b - a >= interval
            # The pressure cap, over every message the candidate received.
            out = sorted(
                Touchpoint.objects.filter(
                    candidate=who, kind="message", direction="out"
                ).values_list("at", flat=True)
            )
            campaign_times = {r.sent_at for r in rows}
            for t in campaign_times:
                window = [x for x in out if t - timedelta(days=7) < x <= t]
                assert len(window) <= policy.max_messages_per_7_days, "over the 7-day cap"
                day = calendar.local(t, who.timezone).date()
                same_day = [x for x in out if calendar.local(x, who.timezone).date() == day]
                assert len(same_day) <= policy.max_messages_per_day, "over the daily cap"
        transaction.set_rollback(True)


def test_the_same_text_again_within_90_days_is_held_back_for_rewriting(
    org, recruiter, transport, smtp
):
    lea = person(org, "lea", purposes=["job_alerts", "newsletter"])
    first = campaign(org, recruiter, topic="job_offers", name="Jobs")
    campaigns.schedule(first, NOW, NOW)
    campaigns.advance(NOW)
    outbox.deliver_batch(list(OutboxMessage.objects.values_list("pk", flat=True)), transport, NOW)
    later = NOW + timedelta(days=3)
    again = campaign(org, recruiter, topic="events", name="Same text, another topic")
    different = campaign(org, recruiter, topic="events", name="Meetup")
    different.body_fr = "Bonjour {{ candidate.first_name }}, venez au meetup Kotlin de jeudi soir."
    different.save()
    for c, at in ((again, later), (different, later + timedelta(days=1))):
        campaigns.schedule(c, at, at)
        campaigns.advance(at)
        ids = list(OutboxMessage.objects.filter(campaign=c).values_list("pk", flat=True))
        outbox.deliver_batch(ids, transport, at)
    row = OutboxMessage.objects.get(campaign=again)
    assert (row.status, row.last_error) == ("cancelled", "near_duplicate")
    assert OutboxMessage.objects.get(campaign=different).status == "sent"
    assert [parseaddr(m["To"])[1] for m in smtp.received] == [lea.email, lea.email]


def test_a_campaign_whose_text_cannot_be_rendered_stops_without_stopping_the_worker(org, recruiter):
    person(org, "lea", purposes=["job_alerts"])
    c = campaign(org, recruiter)
    campaigns.schedule(c, NOW, NOW)
    Campaign.objects.filter(pk=c.pk).update(body_fr="{{ job.title }}")  # no job: cannot render
    assert campaigns.advance(NOW) == 0
    c.refresh_from_db()
    assert c.status == "cancelled"
    assert not OutboxMessage.objects.filter(campaign=c).exists()


def test_a_campaign_in_doubt_says_so(org, recruiter, transport, smtp, client):
    """A message whose line dropped as it was handed over is counted as in doubt, not
    hidden: the page used to say "Done, 0 sent" (issue 12)."""
    from django.urls import reverse

    person(org, "lea", purposes=["job_alerts"])
    c = campaign(org, recruiter)
    campaigns.schedule(c, NOW, NOW)
    campaigns.advance(NOW)
    OutboxMessage.objects.filter(campaign=c).update(status="uncertain")
    figures = campaigns.figures(c)
    assert (figures["written"], figures["sent"], figures["uncertain"]) == (1, 0, 1)
    Recruiter.objects.filter(pk=recruiter.pk).update(role="admin")
    client.force_login(recruiter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:campaign", args=[c.pk])).content.decode()
    assert "In doubt: the line dropped" in page
    assert "All written" in page
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("web:campaign", args=[c.pk])).content.decode()
    assert "Incertains : la connexion a été coupée" in page
