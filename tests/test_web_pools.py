"""The pools and campaign pages, and a personal rejection e-mail edited before it leaves."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from relance import clock
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.messaging.models import OutboxMessage
from relance.pools import consent
from relance.pools.models import Campaign, Segment
from tests.conftest import paris
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


def test_a_segment_is_saved_only_when_it_can_be_evaluated(client_of, world):
    client = client_of(world.admin)
    assert client.get(reverse("web:pools")).status_code == 200
    bad = client.post(reverse("web:segment_save"),
                      {"name": "Bad", "definition": '{"field": "shoe_size"}'}, follow=True)  # fmt: skip
    assert "unknown field" in bad.content.decode()
    broken = client.post(reverse("web:segment_save"),
                         {"name": "Broken", "definition": "{oops"}, follow=True)  # fmt: skip
    assert "not valid JSON" in broken.content.decode()
    assert not Segment.objects.exists()
    good = {"field": "consent", "purpose": "job_alerts"}
    client.post(reverse("web:segment_save"), {"name": "Alerts", "definition": json.dumps(good)})
    saved = Segment.objects.get(name="Alerts")
    assert saved.definition == good
    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    counted = client.get(reverse("web:pools") + f"?count={saved.pk}").content.decode()
    assert re.search(r'data-testid="segment-count">1 person<', counted)
    assert (
        client_of(world.stranger).get(reverse("web:pools") + f"?count={saved.pk}").status_code
        == 404
    )


def test_composing_a_campaign_previews_the_exclusions_then_schedules(client_of, world):
    consent.record_choices(world.lea, {"job_alerts"}, {"job_offers": "monthly"}, NOW)
    segment = Segment.objects.create(organisation=world.org, name="Everyone", definition={},
                                     created_at=NOW)  # fmt: skip
    client = client_of(world.recruiter, "fr")
    form = {"name": "Java", "segment": segment.pk, "topic": "job_offers", "job": world.job.pk,
            "subject_fr": "Un poste", "body_fr": "Bonjour {{ candidate.first_name }}",
            "subject_en": "A role", "body_en": "Hi {{ candidate.first_name }}"}  # fmt: skip
    page = client.post(reverse("web:campaign_new"), {**form, "action": "preview"})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="exclusions"' in text
    assert "Pas de consentement pour cet usage" in text  # Paul, in French
    assert not Campaign.objects.exists()
    done = client.post(reverse("web:campaign_new"), {**form, "action": "schedule"})
    campaign = Campaign.objects.get()
    assert done.status_code == 302
    assert campaign.status == "scheduled"
    detail = client.get(reverse("web:campaign", args=[campaign.pk])).content.decode()
    assert 'data-testid="figures"' in detail
    # Another organisation never sees it.
    stranger = client_of(world.stranger)
    assert stranger.get(reverse("web:campaign", args=[campaign.pk])).status_code == 404
    assert stranger.post(reverse("web:campaign_cancel", args=[campaign.pk])).status_code == 404


def test_an_unknown_variable_in_a_campaign_is_refused_and_nothing_is_scheduled(client_of, world):
    segment = Segment.objects.create(organisation=world.org, name="All", definition={},
                                     created_at=NOW)  # fmt: skip
    client = client_of(world.admin)
    page = client.post(reverse("web:campaign_new"), {
        "name": "Oops", "segment": segment.pk, "topic": "job_offers", "action": "schedule",
        "subject_fr": "x", "body_fr": "{{ candidate.shoe_size }}", "subject_en": "x",
        "body_en": "x"})  # fmt: skip
    assert page.status_code == 400
    assert "shoe_size" in page.content.decode()
    assert not Campaign.objects.exists()


def test_a_personal_rejection_e_mail_leaves_as_the_recruiter_edited_it(client_of, world):
    later = NOW + timedelta(days=6)
    clock.start_at(later)
    for stage in ("interview", "final", "rejected"):
        services.record_event(Event(EventType.STAGE_CHANGED, NOW, world.paul, recruiter=world.admin,
                                    job=world.job, outcome=stage), NOW)  # fmt: skip
    thread = Thread.objects.get(candidate=world.paul, situation="rejection")
    services.complete_task(thread.pk, later, outcome="answered", recruiter=world.admin)  # the call
    thread.refresh_from_db()
    assert (thread.next_kind, thread.next_channel) == ("task", "email")
    client = client_of(world.admin)
    message = client.get(reverse("web:thread_message", args=[thread.pk])).content.decode()
    assert 'name="body"' in message
    assert "/c/pool/" in message
    body = "Paul, thank you for the final interview. One piece of advice: …"
    sent = client.post(reverse("web:thread_act", args=[thread.pk, "send_edited"]),
                       {"subject": "Your application", "body": body})  # fmt: skip
    assert sent.status_code == 302
    row = OutboxMessage.objects.get(thread=thread)
    assert row.by_hand
    assert row.body == body
    assert row.subject == "Your application"
    empty = client.post(reverse("web:thread_act", args=[thread.pk, "send_edited"]),
                        {"subject": "", "body": ""})  # fmt: skip
    assert empty.status_code == 400


def test_pools_tag_rules_and_a_consent_taken_on_a_call(client_of, world):
    from relance.people.models import Consent
    from relance.pools.models import Pool, PoolMember, TagRule

    client = client_of(world.recruiter)
    client.post(reverse("web:pool_save"), {"name": "Java"})
    assert client.post(reverse("web:pool_save"), {"name": ""}).status_code == 302
    pool = Pool.objects.get(organisation=world.org)
    client.post(reverse("web:candidate_pool", args=[world.lea.pk]), {"pool": pool.pk})
    assert PoolMember.objects.filter(pool=pool, candidate=world.lea).exists()
    page = client.get(reverse("web:candidate", args=[world.lea.pk])).content.decode()
    assert "Java" in page
    # A rule applies at once to the applications already ended.
    for stage in ("interview", "final", "rejected"):
        services.record_event(Event(EventType.STAGE_CHANGED, NOW, world.paul, recruiter=world.admin,
                                    job=world.job, outcome=stage), NOW)  # fmt: skip
    done = client.post(reverse("web:rule_save"), {"tag": "java-finalist", "stage": "rejected",
                                                  "reached": "final", "job_title_contains": "java"},
                       follow=True)  # fmt: skip
    assert "1 candidate(s) tagged now" in done.content.decode()
    world.paul.refresh_from_db()
    assert world.paul.tags == ["java-finalist"]
    bad = client.post(reverse("web:rule_save"), {"tag": "x", "stage": "fired"}, follow=True)
    assert "Not saved" in bad.content.decode()
    assert TagRule.objects.count() == 1
    # On the phone: recorded with who took it and how.
    client.post(reverse("web:candidate_consent", args=[world.lea.pk]), {"purpose": "newsletter"})
    given = Consent.objects.get(candidate=world.lea, purpose="newsletter")
    assert (given.method, given.recorded_by) == ("call", world.recruiter)
    assert given.text.startswith("J'accepte de recevoir par e-mail des nouvelles")
    assert client.post(reverse("web:candidate_consent", args=[world.lea.pk]),
                       {"purpose": "spam"}).status_code == 400  # fmt: skip
    # Another organisation reaches none of it.
    stranger = client_of(world.stranger)
    assert stranger.post(reverse("web:candidate_pool", args=[world.lea.pk]),
                         {"pool": pool.pk}).status_code == 404  # fmt: skip
    assert stranger.post(reverse("web:candidate_consent", args=[world.lea.pk]),
                         {"purpose": "newsletter"}).status_code == 404  # fmt: skip


def test_a_bad_sending_time_is_refused_and_nothing_is_scheduled(client_of, world):
    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    segment = Segment.objects.create(organisation=world.org, name="All", definition={},
                                     created_at=NOW)  # fmt: skip
    form = {"name": "Later", "segment": segment.pk, "topic": "job_offers", "action": "schedule",
            "subject_fr": "x", "body_fr": "Bonjour", "subject_en": "x", "body_en": "Hi"}  # fmt: skip
    client = client_of(world.admin)
    page = client.post(reverse("web:campaign_new"), {**form, "at": "next tuesday"})
    assert page.status_code == 400
    assert "next tuesday" in page.content.decode()
    assert not Campaign.objects.exists()
    done = client.post(reverse("web:campaign_new"), {**form, "at": "2026-03-05T09:30"})
    assert done.status_code == 302
    assert Campaign.objects.get().scheduled_at == paris(2026, 3, 5, 9, 30)


def test_the_campaign_list_counts_every_campaign_in_a_bounded_number_of_queries(
    client_of, world, django_assert_max_num_queries
):
    from relance.pools import campaigns

    segment = Segment.objects.create(organisation=world.org, name="All", definition={},
                                     created_at=NOW)  # fmt: skip
    for n in range(5):
        Campaign.objects.create(organisation=world.org, name=f"C{n}", segment=segment,
                                created_at=NOW, **campaigns.default_texts())  # fmt: skip
    client = client_of(world.admin)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("web:campaigns"))
    assert len(re.findall(r'href="/campaigns/\d+/"', page.content.decode())) == 5
