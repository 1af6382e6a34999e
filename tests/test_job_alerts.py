"""Job alerts (issue 15, item 5): a digest of the newly opened jobs that match a person,
at the rhythm they chose, through the outbox with every hard rule."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.utils import translation

from relance.engine import Channel, Direction, TouchKind
from relance.errors import InputError
from relance.followups.models import Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people import jobs as jobs_service
from relance.people.models import Application, Candidate, Job
from relance.pools import alerts, consent
from tests.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 11, 16, 10, 0)  # a Monday morning


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def person(org, name, *, purposes=("job_alerts",), rhythm="weekly", **fields):
    at = NOW - timedelta(days=60)
    c = Candidate.objects.create(
        organisation=org, first_name=name, email=f"{name}@example.org", created_at=at, **fields
    )
    if purposes or rhythm:
        consent.record_choices(c, set(purposes), {"job_offers": rhythm} if rhythm else {}, at)
    return c


def job(org, title, *, days_ago=2, **fields):
    return Job.objects.create(
        organisation=org, title=title, location="Lyon", contract="permanent",
        created_at=NOW - timedelta(days=days_ago), **fields,
    )  # fmt: skip


class Scores:
    """The one seam: a job's ranking, given by the test (the real one: matching.rank)."""

    def __init__(self, table):
        self.table = table  # {job: {candidate: score}}
        self.calls = 0

    def __call__(self, organisation, j):
        self.calls += 1
        return {
            c.pk: alerts.Fit(score, ("tech:java",)) for c, score in self.table.get(j, {}).items()
        }


def digests(org):
    return OutboxMessage.objects.filter(organisation=org, reason=alerts.REASON)


def test_a_weekly_person_gets_one_digest_of_the_jobs_above_the_threshold(
    org, recruiter, transport, smtp
):
    lea = person(org, "lea", language="fr")
    java, spring, php = job(org, "Java"), job(org, "Spring"), job(org, "PHP")
    ranking = Scores({java: {lea: 90}, spring: {lea: 75}, php: {lea: 69}})
    seen = alerts.run(org, NOW, ranking)
    assert ranking.calls == 3  # once per job, not per person
    assert seen.written == 1
    [d] = seen.digests
    assert [j.title for j, _ in d.jobs] == ["Java", "Spring"]  # best first; PHP below 70
    ids = list(digests(org).values_list("pk", flat=True))
    outbox.deliver_batch(ids, transport, NOW)
    [mail] = smtp.received
    assert parseaddr(mail["To"])[1] == "lea@example.org"
    body = mail.get_payload(decode=True).decode()
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "2 offres qui correspondent à votre profil — Agence Test"
    assert "Java — Lyon — CDI" in body
    assert "PHP" not in body
    assert f"/careers/test/{java.pk}/" in body
    assert "/c/preferences/" in body
    assert "/c/withdraw/" in body
    assert mail["List-Unsubscribe"]
    assert digests(org).get().status == OutboxMessage.Status.SENT


def test_the_dry_run_says_who_gets_nothing_and_why(org, recruiter):
    ok = person(org, "ok")
    without = person(org, "without", purposes=(), rhythm="weekly")
    unsub = person(org, "unsub", unsubscribed_at=NOW - timedelta(days=1))
    capped = person(org, "capped")
    busy = person(org, "busy")
    Application.objects.create(organisation=org, candidate=busy, job=job(org, "Elsewhere"),
                               stage="interview", stage_changed_at=NOW)  # fmt: skip
    for days in (1, 3):
        Touchpoint.objects.create(organisation=org, candidate=capped, at=NOW - timedelta(days=days),
                                  kind=TouchKind.MESSAGE, direction=Direction.OUT,
                                  channel=Channel.EMAIL, body="x")  # fmt: skip
    java = job(org, "Java")
    ranking = Scores({java: dict.fromkeys((ok, without, unsub, capped, busy), 80)})
    seen = alerts.run(org, NOW, ranking, dry_run=True)
    assert [d.candidate.pk for d in seen.digests] == [ok.pk]
    assert {c.pk: why for c, why, _ in seen.excluded} == {
        without.pk: "no_consent",
        unsub.pk: "unsubscribed",
        capped.pk: "pressure_cap",
        busy.pk: "in_process",
    }
    assert not digests(org).exists()  # a dry run writes nothing


def test_a_monthly_person_who_got_one_ten_days_ago_gets_none(org, recruiter):
    tom = person(org, "tom", rhythm="monthly")
    weekly = person(org, "zoe", rhythm="weekly")
    old = job(org, "Old", days_ago=12)
    alerts.run(org, NOW - timedelta(days=10), Scores({old: {tom: 80, weekly: 80}}))
    assert digests(org).count() == 2
    OutboxMessage.objects.filter(organisation=org).update(status=OutboxMessage.Status.SENT)
    java = job(org, "Java", days_ago=1)
    seen = alerts.run(org, NOW, Scores({old: {tom: 80, weekly: 80}, java: {tom: 80, weekly: 80}}))
    assert [(d.candidate.pk, [j.title for j, _ in d.jobs]) for d in seen.digests] == [
        (weekly.pk, ["Java"])  # the old job was in her last digest
    ]
    assert [(c.pk, why) for c, why, _ in seen.excluded] == [(tom.pk, "preference_frequency")]


def test_running_twice_writes_nothing_the_second_time(org, recruiter):
    lea = person(org, "lea")
    java = job(org, "Java")
    ranking = Scores({java: {lea: 80}})
    assert alerts.run(org, NOW, ranking).written == 1
    assert alerts.run(org, NOW + timedelta(minutes=5), ranking).written == 0
    # Even when the rhythm's check is not there (two workers at once): the period's key.
    d = alerts.Digest(lea, [(java, alerts.Fit(80))], alerts.period_of("weekly", NOW.date()))
    assert alerts.write_batch([d], NOW) == 0
    assert digests(org).count() == 1


def test_a_crash_between_batches_resumes_without_duplicates(org, recruiter, monkeypatch):
    people = [person(org, f"p{i}") for i in range(7)]
    java = job(org, "Java")
    ranking = Scores({java: dict.fromkeys(people, 80)})
    real = alerts.message
    calls = {"n": 0}

    def crash_in_the_second_batch(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(alerts, "message", crash_in_the_second_batch)
    with pytest.raises(RuntimeError):
        alerts.run(org, NOW, ranking, batch=3)
    assert digests(org).count() == 3  # the first batch, whole; nothing of the second
    monkeypatch.setattr(alerts, "message", real)
    assert alerts.run(org, NOW + timedelta(minutes=1), ranking, batch=3).written == 4
    assert sorted(digests(org).values_list("candidate_id", flat=True)) == [p.pk for p in people]


def test_a_consent_withdrawn_before_it_leaves_cancels_it(org, recruiter, transport, smtp):
    lea = person(org, "lea")
    java = job(org, "Java")
    alerts.run(org, NOW, Scores({java: {lea: 80}}))
    consent.record_choices(lea, set(), {}, NOW + timedelta(minutes=1))
    outbox.deliver_batch(list(digests(org).values_list("pk", flat=True)), transport, NOW)
    row = digests(org).get()
    assert row.status == OutboxMessage.Status.CANCELLED
    assert row.last_error == "no_consent"
    assert smtp.received == []


def test_a_closed_job_never_appears(org, recruiter, transport, smtp):
    lea = person(org, "lea")
    tom = person(org, "tom")
    java, closed = job(org, "Java"), job(org, "Closed")
    jobs_service.close(closed, recruiter, NOW - timedelta(days=1))
    applied = job(org, "Applied")
    Application.objects.create(organisation=org, candidate=tom, job=applied, stage="rejected",
                               stage_changed_at=NOW - timedelta(days=1))  # fmt: skip
    ranking = Scores({java: {lea: 80}, closed: {lea: 95, tom: 95}, applied: {tom: 90}})
    seen = alerts.run(org, NOW, ranking)
    assert [(d.candidate.pk, [j.title for j, _ in d.jobs]) for d in seen.digests] == [
        (lea.pk, ["Java"])  # never a closed job, never one they are on
    ]
    # Closed after the digest was written: it is cancelled when it is about to leave.
    jobs_service.close(java, recruiter, NOW + timedelta(minutes=1))
    outbox.deliver_batch(list(digests(org).values_list("pk", flat=True)), transport, NOW)
    assert digests(org).get().last_error == "job_closed"
    assert smtp.received == []


def test_a_reopened_job_counts_as_newly_opened(org, recruiter):
    lea = person(org, "lea")
    old = job(org, "Old", days_ago=90)
    jobs_service.close(old, recruiter, NOW - timedelta(days=40))
    ranking = Scores({old: {lea: 80}})
    assert alerts.run(org, NOW, ranking, dry_run=True).digests == []
    jobs_service.reopen(old, recruiter, NOW - timedelta(days=1))
    assert [d.candidate.pk for d in alerts.run(org, NOW, ranking, dry_run=True).digests] == [lea.pk]


def test_nothing_is_written_outside_the_sending_window(org, recruiter):
    lea = person(org, "lea")
    java = job(org, "Java")
    night = paris(2026, 11, 16, 22, 0)
    seen = alerts.run(org, night, Scores({java: {lea: 80}}))
    assert seen.written == 0
    assert [why for _, why, _ in seen.excluded] == ["sending_window"]


def test_the_worker_step_is_cheap_when_no_job_opened(org, recruiter, django_assert_num_queries):
    person(org, "lea")
    job(org, "Old", days_ago=45)
    with django_assert_num_queries(1):
        assert alerts.advance(NOW, Scores({})) == 0


def test_the_command_shows_who_would_receive_what_and_then_writes_it(org, recruiter, capsys,
                                                                     monkeypatch):  # fmt: skip
    from relance import clock
    from relance.cli import main

    lea = person(org, "lea")
    tom = person(org, "tom", purposes=(), rhythm="weekly")
    java = job(org, "Java")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(alerts, "ranked_by_matching", Scores({java: {lea: 88, tom: 91}}))
    assert main(["alerts", "--dry-run", "--org", "test", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "lea <lea@example.org> would receive: Java (88)" in out
    assert "tom <tom@example.org>: nothing now (no consent to job alerts) — Java (91)" in out
    assert "Nothing was written" in out
    assert not digests(org).exists()
    assert main(["alerts", "--org", "test", "--lang", "fr"]) == 0
    assert "1 envoi(s) écrit(s)" in capsys.readouterr().out
    assert digests(org).get().candidate_id == lea.pk


def test_the_worker_writes_and_sends_the_digests_by_itself(org, recruiter, smtp, monkeypatch):
    from django.core.mail import get_connection

    from relance.worker import Worker

    lea = person(org, "lea")
    java = job(org, "Java")
    monkeypatch.setattr(alerts, "ranked_by_matching", Scores({java: {lea: 80}}))
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend",
                                host="127.0.0.1", port=smtp.port, timeout=5)  # fmt: skip
    worker = Worker(name="w1", transport=outbox.DjangoTransport(connection), clock=lambda: NOW)
    report = worker.cycle()
    assert (report.queued, report.sent) == (1, 1)
    assert [parseaddr(m["To"])[1] for m in smtp.received] == ["lea@example.org"]
    again = worker.cycle()
    assert (again.queued, again.sent) == (0, 0)


def test_the_threshold_is_the_organisations_and_refused_outside_0_to_100(org, recruiter):
    lea = person(org, "lea")
    java = job(org, "Java")
    ranking = Scores({java: {lea: 75}})
    assert alerts.threshold(org) == 70
    assert len(alerts.run(org, NOW, ranking, dry_run=True).digests) == 1
    assert alerts.set_threshold(org, "80") == 80
    assert alerts.run(org, NOW, ranking, dry_run=True).digests == []
    for bad in ("101", "-1", "7.5", "high", ""):
        with pytest.raises(InputError, match="expected a whole number from 0 to 100"):
            alerts.set_threshold(org, bad)
    assert alerts.threshold(org) == 80


def test_with_the_real_ranking_a_cv_that_shows_the_skills_gets_the_job(org, recruiter, settings,
                                                                        tmp_path):  # fmt: skip
    from relance.intake.models import CV
    from relance.matching import index, rank

    settings.MATCHING_INDEX_DIR = str(tmp_path / "matching")
    index._cache.clear()
    texts = {
        "lea": "Développeur Java\n2018 - 2025 : conçu des services de paiement en Java avec "
        "Spring et Kafka.\nMise en production des services avec Docker.\n",
        "tom": "Comptable\n2015 - 2025 : clôtures mensuelles, déclarations de TVA, paie.\n",
    }
    people = {}
    for name, text in texts.items():
        people[name] = person(org, name, language="en")
        CV.objects.create(
            organisation_id=org.id, candidate=people[name], file="cvs/x.txt",
            original_name="cv.txt", kind="txt", size=len(text), sha256="0" * 64, text=text,
            uploaded_at=NOW - timedelta(days=30),
        )  # fmt: skip
    java = job(org, "Développeur Java", description="Java requis. Spring et Kafka appréciés.")
    found = {m.candidate: m.score.value for m in rank.rank(org, job=java)}
    lea, tom = people["lea"], people["tom"]
    assert found[lea.pk] > found.get(tom.pk, 0)
    alerts.set_threshold(org, found[lea.pk])  # Léa at the threshold, Tom below
    seen = alerts.run(org, NOW)
    index._cache.clear()
    assert [d.candidate.pk for d in seen.digests] == [lea.pk]
    body = digests(org).get().body
    assert "Développeur Java — Lyon — Permanent" in body
    assert "Why: Java" in body
