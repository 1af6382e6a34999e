"""The retention rules: who is anonymised when, evaluated in the database, with a dry run
that changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from relance.cli import main
from relance.engine import Purpose
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Touchpoint
from relance.people import retention
from relance.people.models import Application, Candidate, Job, Organisation, Recruiter
from tests.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 11, 20, 10, 0)


@pytest.fixture
def org():
    org = Organisation.objects.create(name="Agence", slug="agence")
    Recruiter.objects.create_user("r@agence.example", organisation=org)
    return org


def person(org, name, *, contact_days_ago=10, consent=False, rejected_days_ago=None, active=False):
    at = NOW - timedelta(days=contact_days_ago)
    c = Candidate.objects.create(
        organisation=org, first_name=name, last_name="Martin", email=f"{name}@example.org",
        created_at=at - timedelta(days=30), last_contact_at=at,
    )  # fmt: skip
    Touchpoint.objects.create(organisation=org, candidate=c, at=at, kind="message",
                              direction="out", channel="email", body=f"Bonjour {name}")  # fmt: skip
    if consent:
        services.record_event(
            Event(EventType.CONSENT_GIVEN, at, c, outcome=Purpose.TALENT_POOL), at
        )
        Candidate.objects.filter(pk=c.pk).update(last_contact_at=at)
    job = Job.objects.get_or_create(organisation=org, title="Dev", defaults={"created_at": at})[0]
    if rejected_days_ago is not None:
        Application.objects.create(
            organisation=org, candidate=c, job=job, stage="rejected", furthest_stage="interview",
            stage_changed_at=NOW - timedelta(days=rejected_days_ago),
        )  # fmt: skip
    if active:
        other = Job.objects.create(organisation=org, title="Ops", created_at=at)
        Application.objects.create(organisation=org, candidate=c, job=other, stage="interview",
                                   furthest_stage="interview", stage_changed_at=at)  # fmt: skip
    return c


def test_who_is_anonymised_and_who_is_asked_to_renew(org):
    old_reject = person(org, "ancien", rejected_days_ago=100)
    recent_reject = person(org, "recent", rejected_days_ago=30)
    pool_reject = person(org, "vivier", rejected_days_ago=100, consent=True)
    busy = person(org, "encours", rejected_days_ago=100, active=True)
    silent = person(org, "silence", contact_days_ago=740)
    renew = person(org, "renouveler", contact_days_ago=715, consent=True)
    plan = retention.plan(org, NOW)
    assert plan.rejected == [old_reject.pk]
    assert plan.expired == [silent.pk]
    assert plan.renew == [renew.pk]
    for kept in (recent_reject, pool_reject, busy):
        assert kept.pk not in plan.rejected + plan.expired


def test_a_dry_run_changes_nothing_and_a_run_anonymises(org, capsys):
    gone = person(org, "ancien", rejected_days_ago=100)
    kept = person(org, "recent", rejected_days_ago=30)
    assert main(["retention", "--dry-run", "--now", NOW.isoformat(), "--lang", "en"]) == 0
    assert "1 rejected candidate(s)" in capsys.readouterr().out
    assert Candidate.objects.get(pk=gone.pk).first_name == "ancien"
    assert main(["retention", "--org", "agence", "--now", NOW.isoformat(), "--lang", "en"]) == 0
    assert "anonymised" in capsys.readouterr().out
    gone = Candidate.objects.get(pk=gone.pk)
    assert (gone.first_name, gone.last_name, gone.email) == ("", "", "")
    assert gone.anonymised_at == NOW
    assert gone.do_not_contact_at is not None
    assert not Touchpoint.objects.filter(candidate=gone).exclude(body="").exists()
    # What statistics need stays: the application and its stages, the touchpoints' kinds.
    assert Application.objects.get(candidate=gone).furthest_stage == "interview"
    assert Touchpoint.objects.filter(candidate=gone, kind="message").exists()
    assert Candidate.objects.get(pk=kept.pk).first_name == "recent"
    # Anonymised once: a second run finds nobody.
    assert retention.plan(org, NOW).rejected == []


def test_a_moving_clock_across_the_two_years_asks_once_then_renews_or_anonymises(org):
    """Day by day from 690 to 745 days after the last contact: each member is asked to
    renew once, 30 days before; the one who answers the link stays two more years, the
    one who does not is anonymised on the day the two years end."""
    from django.test import Client

    from relance import clock
    from relance.messaging.models import OutboxMessage

    base = NOW - timedelta(days=1380)  # their last contact, and their consent
    keen = person(org, "fidele", contact_days_ago=1380, consent=True)
    quiet = person(org, "discret", contact_days_ago=1380, consent=True)
    answered = None
    asked_on: dict[int, list[int]] = {keen.pk: [], quiet.pk: []}
    for day in range(690, 746):
        today = base + timedelta(days=day)
        retention.run(org, today, dry_run=False)
        asked = OutboxMessage.objects.filter(reason="renewal")
        for pk in asked.filter(created_at=today).values_list("candidate_id", flat=True):
            asked_on[pk].append(day)
        if day < 700:
            assert not asked.exists(), f"asked too early, day {day}"
        if day == 702 and answered is None:
            row = asked.get(candidate=keen)
            link = re.search(r"https?://\S+(/c/pool/\S+/)", row.body).group(1)
            clock.start_at(today)
            try:
                page = Client().post(link, {"purpose": ["talent_pool"]})
            finally:
                clock.start_at(None)
            assert page.status_code == 200
            answered = today
        quiet_now = Candidate.objects.get(pk=quiet.pk)
        if day < 730:
            assert quiet_now.anonymised_at is None, f"anonymised too early, day {day}"
    assert asked_on == {keen.pk: [700], quiet.pk: [700]}  # once each, 30 days before
    assert Candidate.objects.get(pk=quiet.pk).anonymised_at == base + timedelta(days=730)
    kept = Candidate.objects.get(pk=keen.pk)
    assert kept.anonymised_at is None
    # The clock ran on a few milliseconds while the page answered.
    assert timedelta(0) <= kept.last_contact_at - answered < timedelta(minutes=1)
    renewed = kept.consents.filter(purpose="talent_pool").latest("given_at")
    assert kept.consents.filter(purpose="talent_pool").count() == 2  # the first, renewed
    assert timedelta(0) <= renewed.given_at - answered < timedelta(minutes=1)


def test_a_renewal_e_mail_is_not_sent_to_someone_who_left_meanwhile(org):
    from relance.messaging import outbox
    from relance.messaging.models import OutboxMessage
    from relance.pools import consent

    stays = person(org, "reste", contact_days_ago=705, consent=True)
    leaves = person(org, "part", contact_days_ago=705, consent=True)
    retention.run(org, NOW, dry_run=False)
    consent.withdraw_everything(leaves, NOW + timedelta(minutes=1))
    transport = outbox.MemoryTransport()
    ids = list(OutboxMessage.objects.filter(reason="renewal").values_list("pk", flat=True))
    outbox.deliver_batch(ids, transport, NOW + timedelta(minutes=2))
    assert [m.recipient for m in transport.sent] == [stays.email]
    assert OutboxMessage.objects.get(candidate=leaves).status == "cancelled"
