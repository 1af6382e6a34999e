"""Talent pools: the candidates' signed links and pages, segments evaluated in the
database, tag rules, and the acknowledgement that really leaves."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import translation

from relance import clock
from relance.engine import Purpose
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Application, AuditEntry, Candidate, Consent, Job
from relance.pools import consent, links, segments
from relance.pools.models import Pool, PoolMember, Preference, TagRule
from relance.pools.pools import TALENT_POOL_NAME
from tests.conftest import paris

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Messages are read in English here (the installation's default is French)."""
    with translation.override("en"):
        yield


NOW = paris(2026, 11, 16, 10, 0)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def person(org, name, language="fr", **fields):
    return Candidate.objects.create(
        organisation=org, first_name=name, last_name="Martin", email=f"{name}@example.org",
        language=language, created_at=NOW - timedelta(days=200), **fields,
    )  # fmt: skip


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- links ---------------------------------------------------------------------------------


def test_a_link_is_refused_when_tampered_expired_used_or_for_another_page(org):
    lea = person(org, "lea")
    token = links.token(lea, "consent", NOW)
    assert links.read(token, "consent", NOW).candidate == lea
    with pytest.raises(links.LinkProblem) as problem:
        links.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "consent", NOW)
    assert problem.value.why == "tampered"
    with pytest.raises(links.LinkProblem) as problem:
        links.read(token, "preferences", NOW)  # a consent link does not open the centre
    assert problem.value.why == "tampered"
    with pytest.raises(links.LinkProblem) as problem:
        links.read(token, "consent", NOW + timedelta(days=61))
    assert problem.value.why == "expired"
    links.use(links.read(token, "consent", NOW), NOW)
    with pytest.raises(links.LinkProblem) as problem:
        links.read(token, "consent", NOW)
    assert problem.value.why == "used"
    # The preference centre's link can be used again and again.
    again = links.token(lea, "preferences", NOW)
    for _ in range(2):
        links.use(links.read(again, "preferences", NOW), NOW)


# --- the public pages ----------------------------------------------------------------------


def test_joining_through_the_form_records_each_consent_with_its_wording_once(org):
    lea = person(org, "lea")
    url = path_of(links.url(lea, "consent", NOW))
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "vivier de talents" in text  # French, the candidate's language
    assert "checked" not in text  # nothing ticked for them
    done = client.post(url, {"purpose": ["talent_pool", "job_alerts"],
                             "topic_job_offers": "monthly", "topic_events": "never"})  # fmt: skip
    assert done.status_code == 200
    given = {c.purpose: c for c in Consent.objects.filter(candidate=lea)}
    assert set(given) == {"talent_pool", "job_alerts"}
    pool = given["talent_pool"]
    assert pool.method == "link"
    assert pool.version == consent.VERSION
    assert pool.language == "fr"
    assert pool.text == consent.wording("talent_pool", "fr", org.name)
    assert pool.given_at == NOW
    assert dict(Preference.objects.filter(candidate=lea).values_list("topic", "frequency")) == {
        "job_offers": "monthly",
        "events": "never",
    }
    assert PoolMember.objects.filter(candidate=lea, pool__name=TALENT_POOL_NAME).exists()
    assert Touchpoint.objects.filter(candidate=lea, kind="consent_given").count() == 2
    assert AuditEntry.objects.filter(candidate_id=lea.pk, action="changed").exists()
    # The same link again: a clear page, and nothing changes.
    again = client.post(url, {"purpose": ["newsletter"]})
    assert again.status_code == 410
    assert "déjà été utilisé" in again.content.decode()
    assert set(Consent.objects.filter(candidate=lea, withdrawn_at=None)
               .values_list("purpose", flat=True)) == {"talent_pool", "job_alerts"}  # fmt: skip


def test_the_pages_speak_english_to_an_english_speaker_and_switch_on_request(org):
    tom = person(org, "tom", language="en")
    url = path_of(links.url(tom, "preferences", NOW))
    assert "talent pool" in Client().get(url).content.decode()
    assert "vivier" in Client().get(url + "?lang=fr").content.decode()


def test_a_tampered_or_expired_link_shows_a_page_and_changes_nothing(org):
    lea = person(org, "lea")
    url = path_of(links.url(lea, "consent", NOW - timedelta(days=90)))
    expired = Client().post(url, {"purpose": ["talent_pool"]})
    assert expired.status_code == 410
    broken = Client().post(url[:-6] + "xxxxx/", {"purpose": ["talent_pool"]})
    assert broken.status_code == 400
    assert not Consent.objects.filter(candidate=lea).exists()


def test_a_bad_choice_is_refused_whole(org):
    lea = person(org, "lea")
    url = path_of(links.url(lea, "preferences", NOW))
    page = Client().post(url, {"purpose": ["talent_pool"], "topic_job_offers": "hourly"})
    assert page.status_code == 400
    assert "hourly" in page.content.decode()
    assert not Consent.objects.filter(candidate=lea).exists()
    assert not Preference.objects.filter(candidate=lea).exists()


def test_the_preference_centre_changes_rhythms_and_withdraws_in_one_click(org):
    lea = person(org, "lea")
    consent.record_choices(lea, {"talent_pool", "job_alerts", "newsletter"},
                           {"job_offers": "weekly"}, NOW - timedelta(days=5))  # fmt: skip
    url = path_of(links.url(lea, "preferences", NOW))
    client = Client()
    page = client.get(url).content.decode()
    assert page.count("checked") == 3
    client.post(url, {"purpose": ["talent_pool", "job_alerts"], "topic_job_offers": "monthly"})
    assert consent.active(lea) == {"talent_pool", "job_alerts"}
    assert consent.rhythms(lea)["job_offers"] == "monthly"
    withdraw = path_of(links.url(lea, "withdraw", NOW))
    assert Client().get(withdraw).status_code == 200
    assert consent.active(lea) == {"talent_pool", "job_alerts"}  # a GET changes nothing
    # One click, from a mail client: no CSRF token, the signature is the proof.
    assert Client(enforce_csrf_checks=True).post(withdraw).status_code == 200
    assert consent.active(lea) == set()
    assert set(consent.rhythms(lea).values()) == {"never"}
    assert Client(enforce_csrf_checks=True).post(withdraw).status_code == 200  # idempotent
    assert Touchpoint.objects.filter(candidate=lea, kind="consent_withdrawn").count() == 3


def test_an_erased_person_s_link_opens_nothing(org):
    lea = person(org, "lea")
    url = path_of(links.url(lea, "preferences", NOW))
    Candidate.objects.filter(pk=lea.pk).update(anonymised_at=NOW)
    assert Client().get(url).status_code == 410


# --- segments ------------------------------------------------------------------------------


def applied(org, who, title, stage, furthest, days_ago=30, family=""):
    job = Job.objects.get_or_create(
        organisation=org, title=title, defaults={"created_at": NOW, "family": family}
    )[0]
    return Application.objects.create(
        organisation=org, candidate=who, job=job, stage=stage, furthest_stage=furthest,
        stage_changed_at=NOW - timedelta(days=days_ago),
    )  # fmt: skip


def names(rows) -> set[str]:
    return set(rows.values_list("first_name", flat=True))


def test_segments_filter_in_the_database_and_compose(org):
    ana = person(org, "ana", skills=["Java", "Spring"], years_experience=9, location="Lyon")
    bob = person(org, "bob", skills=["Python"], years_experience=2, language="en",
                 interests=["data"], desired_role="Data engineer")  # fmt: skip
    cleo = person(org, "cleo", skills=["java"], years_experience=5, tags=["java-finalist"])
    person(org, "dan", skills=["JavaScript", "Télécom"], years_experience=1)  # not "java"
    applied(org, ana, "Développeur Java", "rejected", "final", days_ago=100, family="Back-end")
    applied(org, bob, "Data engineer", "rejected", "screening", days_ago=20)
    applied(org, cleo, "Java mobile", "rejected", "interview", days_ago=700)
    consent.record_choices(ana, {"job_alerts"}, {}, NOW)

    def seg(definition):
        return names(segments.evaluate(org, definition, NOW))

    assert seg({"field": "skills", "any": ["JAVA"]}) == {"ana", "cleo"}
    assert seg({"field": "skills", "all": ["java", "spring"]}) == {"ana"}
    assert seg({"field": "skills", "any": ["télécom", "go"]}) == {"dan"}
    assert seg({"field": "seniority", "any": ["senior"]}) == {"ana"}
    assert seg({"field": "experience", "min": 3, "max": 6}) == {"cleo"}
    assert seg({"field": "language", "any": ["en"]}) == {"bob"}
    assert seg({"field": "location", "contains": "lyon"}) == {"ana"}
    assert seg({"field": "desired_role", "contains": "data"}) == {"bob"}
    assert seg({"field": "interests", "any": ["data"]}) == {"bob"}
    assert seg({"field": "tag", "any": ["java-finalist"]}) == {"cleo"}
    assert seg({"field": "consent", "purpose": "job_alerts"}) == {"ana"}
    assert seg({"field": "job_family", "any": ["back-end"]}) == {"ana"}
    assert seg({"field": "pool", "name": "silver_medalists"}) == {"ana", "cleo"}
    # Finalists on a Java job in the last 18 months.
    finalists = {"field": "application", "stage": ["rejected"], "reached": "final",
                 "job": "java", "within_days": 548}  # fmt: skip
    assert seg(finalists) == {"ana"}
    assert seg({"any": [finalists, {"field": "language", "any": ["en"]}]}) == {"ana", "bob"}
    assert seg({"not": {"field": "skills", "any": ["java"]}}) == {"bob", "dan"}
    saved = segments.Segment.objects.create(
        organisation=org, name="Java", definition={"field": "skills", "any": ["java"]},
        created_at=NOW,
    )  # fmt: skip
    assert seg({"all": [{"segment": saved.pk}, {"field": "stars", "min": 0}]}) == {"ana", "cleo"}
    # Another organisation's people are never in a segment.
    from relance.people.models import Organisation

    other = Organisation.objects.create(name="Other", slug="other")
    person(other, "zoe", skills=["Java"])
    assert seg({"field": "skills", "any": ["java"]}) == {"ana", "cleo"}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"field": "shoe_size"}, "unknown field 'shoe_size'"),
        ({"field": "skills", "any": []}, "segment.skills.any: expected a non-empty list"),
        ({"all": [{"field": "experience", "min": "ten"}]}, "segment.all[0].experience.min"),
        ({"field": "application", "stage": ["fired"]}, "unknown stage 'fired'"),
        ({"segment": 999}, "no saved segment 999"),
        ({"field": "consent", "purpose": "spam"}, "segment.consent.purpose: expected one of"),
        ([1, 2], "expected an object"),
    ],
)
def test_a_bad_segment_says_where_and_what_was_expected(org, definition, message):
    with pytest.raises(segments.SegmentError, match=message.replace("[", r"\[")):
        segments.check(org, definition, NOW)


def test_a_segment_that_includes_itself_is_refused(org):
    loop = segments.Segment.objects.create(organisation=org, name="loop", definition={},
                                           created_at=NOW)  # fmt: skip
    loop.definition = {"segment": loop.pk}
    loop.save()
    with pytest.raises(segments.SegmentError, match="nested more than"):
        segments.check(org, {"segment": loop.pk}, NOW)


# --- tag rules and the silver medalists -----------------------------------------------------


def test_a_tag_rule_tags_a_finalist_when_rejected(org, recruiter):
    TagRule.objects.create(organisation=org, tag="java-finalist", reached="final",
                           job_title_contains="java", created_at=NOW)  # fmt: skip
    ana, bob = person(org, "ana"), person(org, "bob")
    job = Job.objects.create(organisation=org, title="Développeur Java", created_at=NOW)
    for who, stages in (
        (ana, ["interview", "final", "rejected"]),
        (bob, ["screening", "rejected"]),
    ):
        for stage in stages:
            services.record_event(
                Event(EventType.STAGE_CHANGED, NOW, who, recruiter=recruiter, job=job,
                      outcome=stage), NOW,
            )  # fmt: skip
    ana.refresh_from_db()
    bob.refresh_from_db()
    assert ana.tags == ["java-finalist"]
    assert bob.tags == []


# --- acknowledgements ---------------------------------------------------------------------


def test_an_application_is_acknowledged_through_the_outbox_at_once(org, recruiter, transport, smtp):
    lea = person(org, "lea")
    job = Job.objects.create(organisation=org, title="Développeur Java", created_at=NOW)
    services.record_event(
        Event(EventType.APPLICATION_RECEIVED, NOW, lea, recruiter=recruiter, job=job), NOW
    )
    row = OutboxMessage.objects.get(candidate=lea)
    assert row.reason == "acknowledgement"
    assert row.thread_id is None
    assert not Touchpoint.objects.filter(candidate=lea, kind="acknowledgement").exists()
    outbox.deliver(row.pk, transport, NOW + timedelta(minutes=1))
    assert [parseaddr(m["To"])[1] for m in smtp.received] == ["lea@example.org"]
    assert "Développeur Java" in str(make_header(decode_header(smtp.received[0]["Subject"])))
    ack = Touchpoint.objects.get(candidate=lea, kind="acknowledgement")
    assert ack.message_id == row.message_id
    # It does not count against the pressure cap: no message touchpoint was written.
    assert not Touchpoint.objects.filter(candidate=lea, kind="message").exists()


def test_pools_are_named_once_per_organisation(org):
    Pool.objects.create(organisation=org, name="Java", created_at=NOW)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Pool.objects.create(organisation=org, name="Java", created_at=NOW)
    assert Purpose.TALENT_POOL in consent.WORDING


def test_the_share_of_applications_acknowledged_within_ten_minutes_is_measured(org, recruiter):
    from relance.followups import experience

    job = Job.objects.create(organisation=org, title="Dev", created_at=NOW)
    transport = outbox.MemoryTransport()
    for i, delay in enumerate([1, 4, 9, 30]):  # minutes before a worker sent the receipt
        who = person(org, f"p{i}")
        at = NOW - timedelta(days=20) + timedelta(hours=i)
        services.record_event(
            Event(EventType.APPLICATION_RECEIVED, at, who, recruiter=recruiter, job=job), at
        )
        row = OutboxMessage.objects.get(candidate=who, reason="acknowledgement")
        outbox.deliver(row.pk, transport, at + timedelta(minutes=delay))
    seen = experience.measure(org, NOW - timedelta(days=90), NOW)
    assert (seen.applications, seen.acknowledged, seen.acknowledged_percent) == (4, 3, 75)
    assert seen.answerable == 4


def test_the_candidates_pages_need_no_inline_style_or_script(org):
    """Their policy allows our own files only: an inline style would leave them bare."""
    from relance.messaging import unsubscribe

    lea = person(org, "lea")
    for url in (
        path_of(links.url(lea, kind, NOW)) for kind in ("consent", "preferences", "withdraw")
    ):
        page = Client().get(url)
        text = page.content.decode()
        assert "style-src 'self'" in page["Content-Security-Policy"]
        for inline in ("<style", "style=", "<script"):
            assert inline not in text, url
        assert "/static/web/public.css" in text
    page = Client().get(path_of(unsubscribe.link_for(lea))).content.decode()
    assert "<style" not in page
    assert "/static/web/public.css" in page
