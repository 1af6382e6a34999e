"""Jobs and their pipeline in the web app (issue 13, items 3 and 4): a job created, edited,
closed and reopened, each change in the audit log; the pipeline by stage, a bounded number
of cards at a time; candidates added, applications recorded, stages moved (back only when
confirmed) — each a stage change that stops follow-ups as DOMAIN.md says; another
organisation's jobs and applications are 404."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from relance import clock
from relance.engine import Situation
from relance.followups import pipeline
from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import OutboxMessage
from relance.people.models import Application, AuditEntry, Candidate, Interview, Job
from relance.web.views import jobs as job_views
from tests.web_world import NOW, T0

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def flash(client, response) -> str:
    """The page a redirect leads to, as text."""
    assert response.status_code == 302, response.status_code
    return text_of(client.get(response["Location"]))


def near(moment, expected) -> bool:
    """The web app's clock starts at the world's moment and runs on (tests/conftest.py)."""
    return abs(moment - expected) < timedelta(minutes=1)


def job_form(**more):
    return {"title": "Data Engineer", "client": "Banque Lumière", "location": "Lyon",
            "contract": "permanent", "family": "Data", "description": "Spark, Kafka.\nTélétravail.",
            **more}  # fmt: skip


def person(world, first: str, last: str = "Durand", **more) -> Candidate:
    return Candidate.objects.create(
        organisation=world.org, first_name=first, last_name=last,
        email=f"{first.lower()}@example.org", created_at=T0, **more,
    )  # fmt: skip


# --- item 3: jobs --------------------------------------------------------------------------


def test_a_job_is_created_edited_closed_and_reopened_each_change_audited(client_of, world):
    client = client_of(world.admin)
    created = client.post(reverse("web:job_new"), job_form(owner=world.recruiter.pk))
    job = Job.objects.get(title="Data Engineer")
    assert created["Location"] == reverse("web:job", args=[job.pk])
    assert (job.client, job.location, job.contract, job.owner, job.family) == (
        "Banque Lumière", "Lyon", "permanent", world.recruiter, "Data",
    )  # fmt: skip
    assert job.description == "Spark, Kafka.\nTélétravail."
    assert job.organisation == world.org
    assert job.status == "open"
    page = text_of(client.get(reverse("web:job", args=[job.pk])))
    assert "Banque Lumière · Lyon · Permanent (CDI) · in charge: Marc" in page

    client.post(reverse("web:job_edit", args=[job.pk]), job_form(location="Paris", contract=""))
    job.refresh_from_db()
    assert (job.location, job.contract, job.owner) == ("Paris", "", None)
    same = client.post(reverse("web:job_edit", args=[job.pk]), job_form(location="Paris",
                                                                         contract=""))  # fmt: skip
    assert "Nothing changed." in flash(client, same)

    closed = client.post(reverse("web:job_close", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "closed"
    assert near(job.closed_at, NOW)
    assert "Job closed: it takes no new candidate." in flash(client, closed)
    client.post(reverse("web:job_reopen", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "open"
    assert job.closed_at is None

    entries = list(AuditEntry.objects.filter(job=job).order_by("pk"))
    assert [e.action for e in entries] == ["job_created", "job_changed", "job_closed",
                                           "job_reopened"]  # fmt: skip
    assert all(e.actor == world.admin and e.candidate_id is None for e in entries)
    assert entries[1].detail["changes"] == {
        "location": ["Lyon", "Paris"], "contract": ["permanent", ""],
        "owner": [world.recruiter.pk, None],
    }  # fmt: skip
    history = text_of(client.get(reverse("web:job_edit", args=[job.pk])))
    assert "Reopened" in history
    assert "Location, Contract, Recruiter in charge" in history
    # The list links the new job, with its client.
    listed = text_of(client.get(reverse("web:jobs")))
    assert "Data Engineer" in listed
    assert "Banque Lumière · Paris" in listed


@pytest.mark.parametrize(
    ("language", "required", "too_long", "choice"),
    [
        ("en", "This field is required.", "at most 200 characters (it has 201)",
         "Select a valid choice."),
        ("fr", "Ce champ est obligatoire.", "au plus 200 caractères (actuellement 201)",
         "Sélectionnez un choix valide."),
    ],
)  # fmt: skip
def test_a_job_with_bad_values_is_refused_field_by_field_in_the_readers_language(
    client_of, world, language, required, too_long, choice
):
    client = client_of(world.admin, language)
    before = Job.objects.count()
    for form, said in [
        (job_form(title=""), required),
        (job_form(title="x" * 201), too_long),
        (job_form(contract="cdi-ish"), choice),
        (job_form(owner=world.stranger.pk), "Choose a recruiter of your organisation."
         if language == "en" else "Choisissez un recruteur de votre organisation."),
    ]:  # fmt: skip
        response = client.post(reverse("web:job_new"), form)
        assert response.status_code == 400
        body = text_of(response)
        assert said in body, (form, body[body.find('class="error"') - 200 :][:600])
        assert 'aria-invalid="true"' in body
    assert Job.objects.count() == before
    assert not AuditEntry.objects.filter(job__isnull=False).exists()
    # An edit that fails changes nothing either.
    response = client.post(reverse("web:job_edit", args=[world.job.pk]), job_form(title=" "))
    assert response.status_code == 400
    world.job.refresh_from_db()
    assert world.job.title == "Développeur Java"


def test_another_organisation_gets_404_on_every_job_and_application_page_and_action(
    client_of, world
):
    application = Application.objects.get(candidate=world.paul, job=world.job)
    interview = Interview.objects.create(
        organisation=world.org, application=application, at=NOW + timedelta(days=1),
        place="Paris", created_at=NOW,
    )  # fmt: skip
    client = client_of(world.stranger)
    for url in [
        reverse("web:job", args=[world.job.pk]),
        reverse("web:job_edit", args=[world.job.pk]),
        reverse("web:job_stage", args=[world.job.pk, "applied"]),
        reverse("web:application_stage", args=[application.pk]) + "?stage=sourced",
        reverse("web:interview_new", args=[application.pk]),
        reverse("web:interview_edit", args=[interview.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    before = (Touchpoint.objects.count(), AuditEntry.objects.count(), Job.objects.count())
    for url, data in [
        (reverse("web:job_edit", args=[world.job.pk]), job_form()),
        (reverse("web:job_close", args=[world.job.pk]), {}),
        (reverse("web:job_reopen", args=[world.job.pk]), {}),
        (reverse("web:application_stage", args=[application.pk]), {"stage": "rejected"}),
        (reverse("web:interview_new", args=[application.pk]),
         {"day": "2026-03-05", "clock": "10:00", "minutes": "60", "place": "x"}),
        (reverse("web:interview_edit", args=[interview.pk]),
         {"day": "2026-03-05", "clock": "10:00", "minutes": "60", "place": "x"}),
        (reverse("web:interview_act", args=[interview.pk, "done"]), {}),
        (reverse("web:interview_act", args=[interview.pk, "cancel"]), {}),
        # Our job with their own candidate, and their job with ours.
        (reverse("web:application_new"),
         {"candidate": world.other_candidate.pk, "job": world.job.pk, "how": "sourced"}),
        (reverse("web:application_new"),
         {"candidate": world.lea.pk, "job": world.other_job.pk, "how": "applied"}),
    ]:  # fmt: skip
        assert client.post(url, data).status_code == 404, url
    assert (Touchpoint.objects.count(), AuditEntry.objects.count(), Job.objects.count()) == before
    application.refresh_from_db()
    interview.refresh_from_db()
    assert application.stage == "applied"
    assert interview.status == "scheduled"
    assert not OutboxMessage.objects.filter(reason__startswith="interview_").exists()


# --- the pipeline --------------------------------------------------------------------------


def test_the_pipeline_shows_each_stage_with_its_count_and_a_bounded_number_of_cards(
    client_of, world, django_assert_max_num_queries
):
    people = Candidate.objects.bulk_create(
        Candidate(organisation=world.org, first_name=f"P{n:02d}", last_name="Volume",
                  created_at=T0) for n in range(25)
    )  # fmt: skip
    Application.objects.bulk_create(
        Application(organisation=world.org, candidate=p, job=world.job, stage="screening",
                    stage_changed_at=T0 + timedelta(minutes=n)) for n, p in enumerate(people)
    )  # fmt: skip
    client = client_of(world.admin)
    with django_assert_max_num_queries(30):  # bounded: not one per card
        response = client.get(reverse("web:job", args=[world.job.pk]))
    page = response.content.decode()
    column = page.split('data-testid="column-screening"')[1].split("</section>")[0]
    assert re.search(r'data-testid="count-screening">25<', column)
    assert column.count('data-testid="card"') == job_views.PER_COLUMN
    assert "P24" in column
    assert "P14" not in column
    assert "Show more (15 more)" in html.unescape(column)
    # Lea (contacted) and Paul (applied) have their columns too; the ends are apart.
    assert re.search(r'data-testid="count-contacted">1<', page)
    assert re.search(r'data-testid="count-applied">1<', page)
    ends = page.split('data-testid="ends"')[1]
    assert 'data-testid="column-rejected"' in ends
    assert 'data-testid="column-withdrawn"' in ends
    assert "Pipeline: 27 candidates" in page

    # "Show more": the next cards after the last one shown, the page (without a script) or
    # its cards alone (htmx); a hand-made cursor is a 400 that says what was expected.
    more = html.unescape(re.search(r'href="([^"]*/stages/screening/[^"]*)"', column).group(1))
    rest = client.get(more)
    assert rest.status_code == 200
    body = rest.content.decode()
    assert body.count('data-testid="card"') == 15
    assert "P14" in body
    assert "P00" in body
    assert "P15" not in body
    partial = client.get(more, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<li")
    assert "<html" not in partial
    bad = client.get(reverse("web:job_stage", args=[world.job.pk, "screening"]) + "?after=x_1")
    assert bad.status_code == 400
    assert "expected a cursor from the page" in text_of(bad)
    assert client.get(reverse("web:job_stage", args=[world.job.pk, "nope"])).status_code == 400
    # Cursor pages go on to the end, each card once.
    shown, cursor, seen = [], "", 0
    while True:
        cards, cursor = pipeline.cards(world.job, "screening", 7, cursor)
        shown += [a.pk for a in cards]
        seen += 1
        if not cursor:
            break
    assert len(shown) == len(set(shown)) == 25
    assert seen == 4


def test_a_move_is_a_stage_change_that_stops_follow_ups_and_is_audited(client_of, world):
    client = client_of(world.admin)
    application = Application.objects.get(candidate=world.lea, job=world.job)
    assert world.email_thread.status == "open"
    response = client.post(
        reverse("web:application_stage", args=[application.pk]), {"stage": "screening"}
    )
    assert (
        response["Location"] == reverse("web:job", args=[world.job.pk]) + f"#app-{application.pk}"
    )
    said = flash(client, response)
    assert "Léa Martin moved to “Screening”." in said
    assert "1 follow-up(s) stopped: a stage change ends those waiting for an answer." in said
    application.refresh_from_db()
    assert application.stage == "screening"
    world.email_thread.refresh_from_db()
    assert (world.email_thread.status, world.email_thread.reason) == ("stopped", "stage_changed")
    touch = Touchpoint.objects.get(candidate=world.lea, kind="stage_change")
    assert (touch.outcome, touch.application_id) == ("screening", application.pk)
    assert near(touch.at, NOW)
    entry = AuditEntry.objects.get(candidate_id=world.lea.pk, action="changed")
    assert entry.detail == {"job": world.job.pk, "stage": ["contacted", "screening"]}
    # The same stage again changes nothing, and says so.
    again = client.post(
        reverse("web:application_stage", args=[application.pk]), {"stage": "screening"}
    )
    assert "the application is at this stage already" in flash(client, again)
    assert Touchpoint.objects.filter(candidate=world.lea, kind="stage_change").count() == 1
    # A stage that does not exist is a 400 naming what was expected.
    bad = client.post(reverse("web:application_stage", args=[application.pk]), {"stage": "won"})
    assert bad.status_code == 400
    assert "stage='won': expected one of sourced" in text_of(bad)


def test_moving_back_needs_a_confirmation_on_its_own_page(client_of, world):
    client = client_of(world.admin)
    application = Application.objects.get(candidate=world.paul, job=world.job)
    client.post(reverse("web:application_stage", args=[application.pk]), {"stage": "rejected"})
    application.refresh_from_db()
    assert application.stage == "rejected"
    rejection = Thread.objects.get(candidate=world.paul, situation=Situation.REJECTION)
    assert rejection.status == "open"
    asked = client.post(
        reverse("web:application_stage", args=[application.pk]), {"stage": "interview"}
    )
    assert asked["Location"] == (
        reverse("web:application_stage", args=[application.pk]) + "?stage=interview&back=job"
    )
    application.refresh_from_db()
    assert application.stage == "rejected"  # not moved
    page = flash(client, asked)
    assert "Développeur Java: Paul Martin's application is at “Rejected”. Moving it back to " \
        "“Interview” undoes that: confirm to do it." in page  # fmt: skip
    assert 'name="confirmed" value="1"' in page
    done = client.post(
        reverse("web:application_stage", args=[application.pk]),
        {"stage": "interview", "confirmed": "1"},
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.stage == "interview"
    rejection.refresh_from_db()
    assert rejection.status == "stopped"  # the rejection is undone: nothing leaves
    # Forward needs no confirmation; the confirmation page of a forward move sends back.
    url = reverse("web:application_stage", args=[application.pk])
    assert client.get(url + "?stage=final")["Location"].endswith(f"#app-{application.pk}")
    client.post(url, {"stage": "final"})
    application.refresh_from_db()
    assert application.stage == "final"


def test_a_candidate_found_by_name_is_added_at_a_stage_once(client_of, world):
    zoe = person(world, "Zoé", "Lefèvre")
    client = client_of(world.admin, "fr")
    page = text_of(client.get(reverse("web:job", args=[world.job.pk]) + "?q=lefevre"))
    found = page.split('class="plain found"')[1].split("</ul>")[0]
    assert "Zoé Lefèvre" in found
    assert 'name="how"' in found
    on_job = text_of(client.get(reverse("web:job", args=[world.job.pk]) + "?q=martin"))
    assert "sur ce poste, à l'étape « Contacté »" in on_job.replace("\u202f", " ")
    nobody = text_of(client.get(reverse("web:job", args=[world.job.pk]) + "?q=qwerty"))
    assert "Personne parmi les candidats les plus récents" in nobody

    data = {"candidate": zoe.pk, "job": world.job.pk, "how": "sourced"}
    added = client.post(reverse("web:application_new"), data)
    application = Application.objects.get(candidate=zoe, job=world.job)
    assert application.stage == "sourced"
    assert added["Location"].endswith(f"#app-{application.pk}")
    assert "Ajouté(e) à l'étape « Sourcé »." in flash(client, added).replace("\u202f", " ")
    assert AuditEntry.objects.filter(candidate_id=zoe.pk, action="changed").count() == 1
    again = client.post(reverse("web:application_new"), data | {"how": "screening"})
    said = flash(client, again).replace("\u202f", " ")
    assert "Zoé Lefèvre est déjà sur ce poste, à l'étape « Sourcé »." in said
    application.refresh_from_db()
    assert application.stage == "sourced"
    # At an end, or an unknown way, is refused with what was expected.
    bad = client.post(reverse("web:application_new"), data | {"how": "rejected"})
    assert bad.status_code == 400
    assert "how='rejected'" in text_of(bad)


def test_an_application_recorded_sends_the_acknowledgement_and_starts_the_application_plan(
    client_of, world
):
    zoe = person(world, "Zoé")
    client = client_of(world.recruiter)
    response = client.post(
        reverse("web:application_new"),
        {"candidate": zoe.pk, "job": world.job.pk, "how": "applied", "back": "candidate"},
    )
    assert response["Location"] == reverse("web:candidate", args=[zoe.pk]) + "#stage"
    said = flash(client, response)
    assert "Application recorded: the acknowledgement leaves now." in said
    application = Application.objects.get(candidate=zoe, job=world.job)
    assert application.stage == "applied"
    assert near(application.applied_at, NOW)
    ack = OutboxMessage.objects.get(candidate=zoe)
    assert ack.reason == "acknowledgement"
    assert near(ack.due_at, NOW)
    assert "Développeur Java" in ack.subject
    situations = set(
        Thread.objects.filter(candidate=zoe, status="open").values_list("situation", flat=True)
    )
    assert situations == {"application", "answer_deadline"}
    # The job's recruiter in charge (Claire) follows it up: the call is on her Today.
    call = Thread.objects.get(candidate=zoe, situation="application")
    assert call.recruiter == world.admin
    today = text_of(client_of(world.admin).get(reverse("web:today")))
    assert "Zoé Durand" in today
    # Recorded twice: refused, nothing sent twice.
    twice = client.post(
        reverse("web:application_new"),
        {"candidate": zoe.pk, "job": world.job.pk, "how": "applied"},
    )
    assert "is on this job already, at “Applied”" in flash(client, twice)
    assert OutboxMessage.objects.filter(candidate=zoe).count() == 1


def test_a_closed_job_takes_no_new_candidate_application_or_interview(client_of, world):
    client = client_of(world.admin)
    client.post(reverse("web:job_close", args=[world.job.pk]))
    zoe = person(world, "Zoé")
    before = Touchpoint.objects.count(), OutboxMessage.objects.count()
    for how in ("sourced", "applied"):
        response = client.post(
            reverse("web:application_new"), {"candidate": zoe.pk, "job": world.job.pk, "how": how}
        )
        assert "This job is closed: reopen it first." in flash(client, response)
    application = Application.objects.get(candidate=world.paul, job=world.job)
    planned = client.post(
        reverse("web:interview_new", args=[application.pk]),
        {"day": "2026-03-06", "clock": "10:00", "minutes": "60", "place": "Paris"},
    )
    assert "This job is closed: reopen it first." in flash(client, planned)
    assert (Touchpoint.objects.count(), OutboxMessage.objects.count()) == before
    assert not Application.objects.filter(candidate=zoe).exists()
    assert not Interview.objects.exists()
    # Its candidates can still be moved: they are owed an answer.
    client.post(reverse("web:application_stage", args=[application.pk]), {"stage": "rejected"})
    application.refresh_from_db()
    assert application.stage == "rejected"
    page = text_of(client.get(reverse("web:job", args=[world.job.pk])))
    assert "Reopen the job to add candidates." in page


def test_they_withdrew_from_the_pipeline_ends_every_follow_up(client_of, world):
    client = client_of(world.admin)
    application = Application.objects.get(candidate=world.paul, job=world.job)
    assert Thread.objects.filter(candidate=world.paul, status="open").count() == 2
    client.post(reverse("web:application_stage", args=[application.pk]), {"stage": "withdrawn"})
    application.refresh_from_db()
    assert application.stage == "withdrawn"
    assert not Thread.objects.filter(candidate=world.paul, status="open").exists()  # rule 5
    page = client.get(reverse("web:job", args=[world.job.pk])).content.decode()
    ends = page.split('data-testid="ends"')[1]
    assert "Paul Martin" in ends


def test_the_job_page_measures_the_candidate_experience_of_its_own_applications(client_of, world):
    other = Job.objects.create(organisation=world.org, title="Autre", created_at=T0)
    zoe = person(world, "Zoé")
    clock.start_at(NOW)
    pipeline.applied(zoe, other, world.admin, NOW)
    client = client_of(world.admin)
    ours = text_of(client.get(reverse("web:job", args=[world.job.pk])))
    assert "Applications acknowledged within 10 minutes: 0 of 1" in ours  # Paul's
    theirs = text_of(client.get(reverse("web:job", args=[other.pk])))
    assert "Applications acknowledged within 10 minutes: 0 of 1" in theirs  # Zoé's
    everything = text_of(client.get(reverse("web:jobs")))
    assert "Applications acknowledged within 10 minutes: 0 of 2" in everything
