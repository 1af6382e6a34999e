"""A selection of candidates (the job page's matches): who may be sent the job now and why
not (a campaign's exclusions, in_process included), the `candidates` segment field, and
the draft campaign "send this job to the selected" creates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from relance.engine import Channel, Direction, TouchKind
from relance.followups.models import Touchpoint
from relance.messaging.models import OutboxMessage
from relance.people.models import Application, Candidate, Job, Organisation
from relance.pools import campaigns, consent, segments, selection
from relance.pools.models import Campaign
from tests import web_world
from tests.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 11, 16, 10, 0)  # a Monday morning


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def person(org, name, *, purposes=("job_alerts",), rhythm=None, **fields):
    at = NOW - timedelta(days=40)
    c = Candidate.objects.create(organisation=org, first_name=name, last_name="Test",
                                 email=f"{name}@example.org", created_at=at, **fields)  # fmt: skip
    if purposes or rhythm:
        consent.record_choices(c, set(purposes), {"job_offers": rhythm} if rhythm else {}, at)
    return c


def job(org, title="Développeur Java / Spring"):
    return Job.objects.create(organisation=org, title=title, created_at=NOW - timedelta(days=9))


def applied(who, on, stage):
    return Application.objects.create(organisation=who.organisation, candidate=who, job=on,
                                      stage=stage, stage_changed_at=NOW - timedelta(days=2))  # fmt: skip


def sent(who, days_ago, topic=""):
    at = NOW - timedelta(days=days_ago)
    Touchpoint.objects.create(organisation=who.organisation, candidate=who, at=at,
                              kind=TouchKind.MESSAGE, direction=Direction.OUT,
                              channel=Channel.EMAIL, body=f"x{days_ago}{topic}")  # fmt: skip
    if topic:
        OutboxMessage.objects.create(
            organisation=who.organisation, candidate=who, topic=topic, reason="campaign",
            message_id=f"<{who.pk}.{days_ago}@t>", from_address="a@t", to_address=who.email,
            subject="s", body="b", status="sent", due_at=at, created_at=at, sent_at=at,
        )  # fmt: skip


@pytest.fixture
def made(org):
    java = job(org)
    other = job(org, "Data Engineer")
    people = {
        "ok": person(org, "ok"),
        "dnc": person(org, "dnc", do_not_contact_at=NOW - timedelta(days=1)),
        "unsub": person(org, "unsub", unsubscribed_at=NOW - timedelta(days=1)),
        "noalerts": person(org, "noalerts", purposes=("newsletter",)),
        "rhythm": person(org, "rhythm", rhythm="monthly"),
        "busy": person(org, "busy"),
        "here": person(org, "here"),
        "over": person(org, "over"),
        "rejected": person(org, "rejected"),
    }
    sent(people["rhythm"], 10, topic="job_offers")  # a job offer 10 days ago, monthly rhythm
    applied(people["busy"], other, "interview")  # an active process on another job
    applied(people["here"], java, "screening")  # ...on this very job: not a reason
    applied(people["rejected"], other, "rejected")  # an ended process: not a reason
    for days in (1, 2, 3):  # the pressure cap (3 messages in 7 days by default)
        sent(people["over"], days)
    return java, other, people


def test_each_reason_comes_out_for_the_person_it_concerns(org, made):
    java, _other, people = made
    why = selection.contactability(org, [p.pk for p in people.values()], "job_offers", NOW, java)
    assert {name: why[p.pk] for name, p in people.items()} == {
        "ok": "",
        "dnc": "do_not_contact",
        "unsub": "unsubscribed",
        "noalerts": "no_consent",
        "rhythm": "preference_frequency",
        "busy": "in_process",
        "here": "",
        "over": "pressure_cap",
        "rejected": "",
    }


def test_in_process_is_for_job_offers_only_and_names_another_job(org, made):
    _java, other, people = made
    ids = [people["busy"].pk, people["here"].pk]
    assert selection.contactability(org, ids, "job_offers", NOW, other) == {
        people["busy"].pk: "",  # in process on this job: may be told of it
        people["here"].pk: "in_process",
    }
    assert selection.contactability(org, ids, "job_offers", NOW) == {
        people["busy"].pk: "",  # a job offer about no job: there is no "other job"
        people["here"].pk: "",
    }
    everyone = {"field": "candidates", "ids": ids}
    assert campaigns.preview(org, everyone, "events", NOW).excluded == {"no_consent": 2}


def test_contactability_is_one_query_for_the_whole_selection(org, made):
    java, _other, people = made
    ids = [p.pk for p in people.values()]
    with CaptureQueriesContext(connection) as queries:
        selection.contactability(org, ids, "job_offers", NOW, java)
    assert len(queries.captured_queries) == 1


def test_another_organisations_ids_select_nobody(org, made):
    java, _other, _people = made
    elsewhere = Organisation.objects.create(name="Ailleurs", slug="ailleurs")
    stranger = person(elsewhere, "stranger")
    assert selection.contactability(org, [stranger.pk], "job_offers", NOW, java) == {}
    draft = selection.campaign_for_selection(org, java, [stranger.pk], None, NOW)
    seen = campaigns.preview(org, draft.definition, draft.topic, NOW, draft.job)
    assert (seen.total, seen.recipients) == (0, 0)
    with pytest.raises(ValueError, match="not of organisation"):
        selection.campaign_for_selection(elsewhere, java, [stranger.pk], None, NOW)


def test_the_draft_previews_exactly_the_selected_people_who_may_be_contacted(org, recruiter, made):
    java, _other, people = made
    person(org, "unselected")  # contactable, but not selected: not in it
    chosen = [people[n].pk for n in ("ok", "here", "busy", "dnc", "rejected")]
    draft = selection.campaign_for_selection(org, java, chosen, recruiter, NOW)
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT
    assert (draft.topic, draft.job_id, draft.created_by_id) == ("job_offers", java.pk, recruiter.pk)
    assert draft.definition == {"field": "candidates", "ids": sorted(chosen)}
    assert draft.name == "Développeur Java / Spring — selection of 11/16/2026"
    assert draft.subject_fr == campaigns.default_texts()["subject_fr"]
    seen = campaigns.preview(org, draft.definition, draft.topic, NOW, draft.job_id)
    assert sorted(c.pk for c in seen.sample_in) == sorted(
        people[n].pk for n in ("ok", "here", "rejected")
    )
    assert seen.excluded == {"do_not_contact": 1, "in_process": 1}
    # Scheduled and written, the batches leave out the same people, for the same reasons.
    campaigns.schedule(draft, NOW, NOW)
    campaigns.advance(NOW)
    written = OutboxMessage.objects.filter(campaign=draft).values_list("candidate_id", flat=True)
    assert sorted(written) == sorted(people[n].pk for n in ("ok", "here", "rejected"))
    draft.refresh_from_db()
    assert draft.excluded == {"do_not_contact": 1, "in_process": 1}


def test_the_draft_is_named_in_french_for_a_french_reader(org, made):
    java, _other, people = made
    with translation.override("fr"):
        draft = selection.campaign_for_selection(org, java, [people["ok"].pk], None, NOW)
    assert draft.name == "Développeur Java / Spring — sélection du 16/11/2026"


def test_a_process_started_after_writing_cancels_the_message_when_it_leaves(org, made):
    java, other, people = made
    draft = selection.campaign_for_selection(org, java, [people["ok"].pk], None, NOW)
    campaigns.schedule(draft, NOW, NOW)
    campaigns.advance(NOW)
    row = OutboxMessage.objects.get(campaign=draft)
    assert campaigns.recheck([row], NOW, {})[row.pk][0] == "go"
    applied(people["ok"], java, "applied")  # this job: still fine
    assert campaigns.recheck([row], NOW, {})[row.pk][0] == "go"
    applied(people["ok"], other, "applied")  # another job meanwhile: not sent
    assert campaigns.recheck([row], NOW, {})[row.pk] == ("cancel", None, "in_process")


def test_a_selection_is_at_most_a_thousand_whole_ids(org, made):
    java, _other, people = made
    with pytest.raises(
        segments.SegmentError, match=r"candidates\.ids: expected a list of 1 to 1000"
    ):
        selection.campaign_for_selection(org, java, range(1, 1002), None, NOW)
    for bad in ([], ["1"], [True], [0], "1,2", None):
        with pytest.raises(segments.SegmentError, match=r"candidates\.ids"):
            segments.check(org, {"field": "candidates", "ids": bad}, NOW)
    with translation.override("fr"), pytest.raises(segments.SegmentError, match="identifiants"):
        segments.check(org, {"field": "candidates", "ids": []}, NOW)
    assert not Campaign.objects.exists()
    thousand = {"field": "candidates", "ids": list(range(1, 1001))}
    segments.check(org, thousand, NOW)
    ok = {"all": [{"field": "candidates", "ids": [people["ok"].pk, people["dnc"].pk]},
                  {"field": "consent", "purpose": "job_alerts"}]}  # fmt: skip
    assert sorted(segments.evaluate(org, ok, NOW).values_list("pk", flat=True)) == sorted(
        [people["ok"].pk, people["dnc"].pk]
    )


# --- the route the job page's panel posts to --------------------------------------------------


def test_sending_the_job_to_the_selected_opens_a_draft_campaign(client_of, world):
    consent.record_choices(world.lea, {"job_alerts"}, {}, web_world.T0)
    client = client_of(world.recruiter, "fr")
    url = reverse("web:job_send", args=[world.job.pk])
    ids = [world.lea.pk, world.paul.pk, world.other_candidate.pk]  # the last: not ours
    sent = client.post(url, {"ids": [str(i) for i in ids]})
    draft = Campaign.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("web:campaign", args=[draft.pk])
    assert draft.status == "draft"
    assert (draft.job, draft.created_by, draft.organisation) == (
        world.job,
        world.recruiter,
        world.org,
    )
    assert draft.definition == {"field": "candidates", "ids": sorted([world.lea.pk, world.paul.pk])}
    page = client.get(sent["Location"]).content.decode()
    assert "Campagne en brouillon pour 2 personnes" in page
    assert 'data-testid="exclusions"' in page
    assert "Pas de consentement pour cet usage" in page  # Paul: no job-alert consent
    assert "Léa" in page


def test_sending_nothing_or_too_much_goes_back_to_the_job_with_why(client_of, world, monkeypatch):
    client = client_of(world.recruiter)
    url = reverse("web:job_send", args=[world.job.pk])
    nobody = client.post(url, {})
    assert nobody["Location"] == reverse("web:job", args=[world.job.pk]) + "#matches"
    strangers = client.post(url, {"ids": [str(world.other_candidate.pk)]}, follow=True)
    assert "Select at least one candidate to send the job to." in strangers.content.decode()
    # (Django refuses a form of more than 1,000 fields before any view: a smaller limit
    # stands in for it here.)
    monkeypatch.setattr(segments, "MAX_IDS", 2)
    ids = [str(world.lea.pk), str(world.paul.pk), str(world.other_candidate.pk)]
    too_many = client.post(url, {"ids": ids}, follow=True)
    assert "3 people selected; a selection holds at most 2" in too_many.content.decode()
    bad = client.post(url, {"ids": ["12", "douze"]})
    assert bad.status_code == 400
    assert "douze" in bad.content.decode()
    assert client.get(url).status_code == 405
    assert not Campaign.objects.exists()
