"""Every time a recruiter reads is in their time zone (the organisation's), with the
candidate's own time beside it, labelled, when their clock says another time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from relance import clock
from relance.engine import Channel, Situation
from relance.followups.events import EventType
from relance.followups.models import Thread
from relance.pools import consent
from relance.pools.models import Campaign, Segment
from relance.web import labels
from tests import web_world
from tests.conftest import paris
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


def shown(value, zone=None, language="en"):
    with translation.override(language), timezone.override("Europe/Paris"):
        return labels.moment(value, zone)


def test_a_moment_is_in_the_recruiters_zone_with_the_candidates_time_labelled():
    at = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    assert shown(at) == "Wednesday 4 March at 14:00"
    assert shown(at, "Europe/Paris") == "Wednesday 4 March at 14:00"
    assert shown(at, "Europe/Berlin") == "Wednesday 4 March at 14:00"  # the same clock
    assert shown(at, "America/New_York") == "Wednesday 4 March at 14:00 (08:00 for them, New York)"
    assert shown(at, "America/New_York", "fr") == (
        "mercredi 4 mars à 14:00 (08:00 pour le candidat, New York)"
    )
    assert shown(at, "Asia/Tokyo") == "Wednesday 4 March at 14:00 (22:00 for them, Tokyo)"
    # Another day on their side: the day is said too.
    late = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
    assert shown(late, "Asia/Tokyo") == (
        "Wednesday 4 March at 18:00 (Thursday 5 March at 02:00 for them, Tokyo)"
    )
    # A value that carries the candidate's zone (an agenda row) says it without being told.
    assert shown(at.astimezone(labels.ZoneInfo("America/New_York"))) == (
        "Wednesday 4 March at 14:00 (08:00 for them, New York)"
    )


def test_it_follows_each_side_across_its_own_daylight_saving_change():
    # New York moves its clocks on 8 March 2026, Paris on 29 March: five hours apart, then
    # four for three weeks, then six again.
    assert shown(datetime(2026, 3, 6, 13, 0, tzinfo=UTC), "America/New_York").endswith(
        "at 14:00 (08:00 for them, New York)"
    )
    assert shown(datetime(2026, 3, 11, 12, 0, tzinfo=UTC), "America/New_York").endswith(
        "at 13:00 (08:00 for them, New York)"
    )
    assert shown(datetime(2026, 3, 30, 12, 0, tzinfo=UTC), "America/New_York").endswith(
        "at 14:00 (08:00 for them, New York)"
    )
    # Paris itself: 10:00 UTC is 11:00 before the change, 12:00 after.
    assert shown(datetime(2026, 3, 28, 10, 0, tzinfo=UTC)) == "Saturday 28 March at 11:00"
    assert shown(datetime(2026, 3, 30, 10, 0, tzinfo=UTC)) == "Monday 30 March at 12:00"


def new_yorker(world):
    person = web_world._candidate(world.org, "Ava", "ava@example.com", language="en",
                                  timezone="America/New_York", country="US")  # fmt: skip
    web_world._event(EventType.MESSAGE_SENT, person, world.admin, channel=Channel.EMAIL,
                     situation=Situation.FIRST_MESSAGE)  # fmt: skip
    return person, Thread.objects.get(candidate=person)


def test_the_candidate_page_and_today_show_the_recruiters_time_and_the_candidates(client_of, world):
    """Written to on Monday 09:00 Paris (03:00 in New York), Ava's follow-up 1 is due two
    days later, held to 08:00 her time: 14:00 in Paris. The page used to say 13:00 (UTC);
    Today said 08:00, in her zone, without saying so."""
    person, thread = new_yorker(world)
    assert thread.due_at == datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    client = client_of(world.admin)
    page = client.get(reverse("web:candidate", args=[person.pk])).content.decode()
    assert "Next step: Wednesday 4 March at 14:00 (08:00 for them, New York)" in page
    today = client.get(reverse("web:today")).content.decode()
    row = today.split(f'id="thread-{thread.pk}"')[1].split("</li>")[0]
    assert "Not before Wednesday 4 March at 14:00 (08:00 for them, New York)" in row
    fr = client_of(world.admin, "fr").get(reverse("web:today")).content.decode()
    assert "Pas avant le mercredi 4 mars à 14:00 (08:00 pour le candidat, New York)" in fr


def test_the_times_inside_a_reason_are_in_the_recruiters_zone(client_of, world):
    person, thread = new_yorker(world)
    clock.start_at(paris(2026, 3, 4, 15, 0))
    client = client_of(world.admin)
    client.post(reverse("web:thread_act", args=[thread.pk, "snooze"]), {"days": "1"})
    thread.refresh_from_db()
    assert thread.delay_reason == "snoozed"
    page = client.get(reverse("web:candidate", args=[person.pk])).content.decode()
    # Put off until Thursday 15:00 Paris (09:00 in New York): said in Paris time.
    assert "Waiting: put off by the recruiter until Thursday 5 March at 15:00" in page


def test_a_campaign_entered_for_03_00_says_03_00(client_of, world):
    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    segment = Segment.objects.create(organisation=world.org, name="All", definition={},
                                     created_at=NOW)  # fmt: skip
    form = {"name": "Night", "segment": segment.pk, "topic": "job_offers", "action": "schedule",
            "subject_fr": "x", "body_fr": "Bonjour", "subject_en": "x", "body_en": "Hi",
            "at": "2026-03-05T03:00"}  # fmt: skip
    client = client_of(world.admin)
    assert client.post(reverse("web:campaign_new"), form).status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.scheduled_at == paris(2026, 3, 5, 3, 0)
    page = client.get(reverse("web:campaign", args=[campaign.pk])).content.decode()
    assert "Thursday 5 March at 03:00" in page
