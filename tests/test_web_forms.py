"""What a recruiter enters is taken as they meant it: a campaign date in the past is
refused and the preview is computed for the chosen date; a stage is never changed by a
default; an empty template, or an SMS with a subject, is not saved."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from relance.followups.models import Touchpoint
from relance.messaging.models import Template
from relance.people.models import Application
from relance.pools import consent
from relance.pools.models import Campaign, Segment
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


def text_of(response):
    return html.unescape(response.content.decode())


# --- campaign dates ------------------------------------------------------------------------


def campaign_form(world, **more):
    segment = Segment.objects.create(organisation=world.org, name="All", definition={},
                                     created_at=NOW)  # fmt: skip
    return {"name": "Later", "segment": segment.pk, "topic": "job_offers",
            "subject_fr": "Un poste", "body_fr": "Bonjour", "subject_en": "A role",
            "body_en": "Hi", **more}  # fmt: skip


def test_a_campaign_date_in_the_past_is_refused_with_the_reason(client_of, world):
    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    form = campaign_form(world, at="2026-03-03T09:00")  # yesterday
    for action in ("schedule", "preview"):
        page = client_of(world.admin).post(reverse("web:campaign_new"), {**form, "action": action})
        assert page.status_code == 400, action
        assert "is already past (it is Wednesday 4 March at 10:00)" in text_of(page)
        assert 'data-testid="exclusions"' not in page.content.decode()
    assert not Campaign.objects.exists()
    fr = client_of(world.admin, "fr").post(
        reverse("web:campaign_new"), {**form, "action": "schedule"}
    )
    assert "mardi 3 mars à 09:00 est déjà passé" in text_of(fr)
    # The current minute is not the past; an empty date means now.
    now = client_of(world.admin).post(
        reverse("web:campaign_new"), {**form, "at": "2026-03-04T10:00", "action": "schedule"}
    )
    assert now.status_code == 302


def test_the_preview_is_computed_for_the_chosen_date(client_of, world):
    """Léa has had two messages this week: today she is at the pressure cap; a campaign
    leaving in eight days reaches her. The preview used to say "now" whatever the date."""
    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    Touchpoint.objects.create(organisation=world.org, candidate=world.lea, kind="message",
                              direction="out", channel="email", at=NOW - timedelta(days=1))  # fmt: skip
    form = campaign_form(world, action="preview")
    client = client_of(world.admin)
    today = text_of(client.post(reverse("web:campaign_new"), form))
    assert "0 people will receive it" in today
    assert "At the pressure cap this week" in today
    later = text_of(client.post(reverse("web:campaign_new"), {**form, "at": "2026-03-12T09:00"}))
    assert "1 person will receive it" in later
    assert "As of Thursday 12 March at 09:00, when it leaves." in later
    assert "At the pressure cap this week" not in later
    # Scheduling for that date is allowed (nobody may receive it today), and the
    # campaign's page previews it as of that date too.
    done = client.post(reverse("web:campaign_new"),
                       {**form, "at": "2026-03-12T09:00", "action": "schedule"})  # fmt: skip
    assert done.status_code == 302
    page = text_of(client.get(done["Location"]))
    assert "1 person will receive it" in page


# --- stages --------------------------------------------------------------------------------


def stage(client, world, person, **data):
    return client.post(reverse("web:candidate_act", args=[person.pk, "stage"]), data)


def test_the_stage_form_chooses_no_job_and_no_stage_in_advance(client_of, world):
    client = client_of(world.admin)
    page = client.get(reverse("web:candidate", args=[world.paul.pk])).content.decode()
    form = page.split('id="stage"')[1].split("</section>")[0]
    job_select = form.split('<select name="job"')[1].split("</select>")[0]
    stage_select = form.split('<select name="stage"')[1].split("</select>")[0]
    assert "selected" not in job_select
    assert "selected" not in stage_select
    assert job_select.split("<option")[1].startswith(' value=""')
    assert stage_select.split("<option")[1].startswith(' value=""')
    # A form sent without them changes nothing and says why.
    before = Touchpoint.objects.filter(candidate=world.paul, kind="stage_change").count()
    done = stage(client, world, world.paul, job="", stage="sourced")
    assert done.status_code == 302
    assert Touchpoint.objects.filter(candidate=world.paul, kind="stage_change").count() == before
    shown = text_of(client.get(done["Location"]))
    assert "Not done: choose the job, then its new stage." in shown


def test_moving_a_stage_back_asks_for_a_confirmation(client_of, world):
    client = client_of(world.admin)
    stage(client, world, world.paul, job=world.job.pk, stage="rejected")
    application = Application.objects.get(candidate=world.paul, job=world.job)
    assert application.stage == "rejected"
    asked = stage(client, world, world.paul, job=world.job.pk, stage="sourced")
    assert asked.status_code == 302
    assert Application.objects.get(pk=application.pk).stage == "rejected"  # not moved
    page = text_of(client.get(asked["Location"]))
    assert "the application is at “Rejected”. Moving it back to “Sourced” undoes that" in page
    assert 'name="confirmed"' in page
    confirmed = stage(client, world, world.paul, job=world.job.pk, stage="sourced", confirmed="1")
    assert confirmed.status_code == 302
    assert Application.objects.get(pk=application.pk).stage == "sourced"
    # Forward needs no confirmation.
    stage(client, world, world.paul, job=world.job.pk, stage="interview")
    assert Application.objects.get(pk=application.pk).stage == "interview"


def test_an_application_can_be_withdrawn_from_the_candidate_page(client_of, world):
    client = client_of(world.admin)
    page = client.get(reverse("web:candidate", args=[world.paul.pk])).content.decode()
    assert 'name="stage" value="withdrawn"' in page  # "They withdrew", beside the application
    assert "They withdrew" in page
    stage(client, world, world.paul, job=world.job.pk, stage="withdrawn")
    assert Application.objects.get(candidate=world.paul, job=world.job).stage == "withdrawn"
    assert not world.paul.threads.filter(status="open").exists()  # hard rule 5


# --- templates -----------------------------------------------------------------------------


def test_an_empty_template_or_an_sms_with_a_subject_is_not_saved(client_of, world):
    client = client_of(world.admin)
    email = reverse("web:template", args=["first_message.1.email", "en"])
    sms = reverse("web:template", args=["first_message.1.sms", "en"])
    cases = [
        (email, {"subject": "Re: {{ previous.subject }}", "body": "  \n "},
         "The text is empty: a message needs one."),
        (email, {"subject": "", "body": "Hi {{ candidate.first_name }}, {{ previous.date }}"},
         "An e-mail needs a subject."),
        (sms, {"subject": "Hello", "body": "Hi {{ candidate.first_name }}, {{ previous.date }}"},
         "A message sent by SMS has no subject: leave the subject empty."),
        (sms, {"subject": "", "body": ""}, "The text is empty"),
    ]  # fmt: skip
    for url, form, reason in cases:
        page = text_of(client.post(url, form))
        assert reason in page, form
        assert "Not saved: fix the problems shown first." in page, form
    assert not Template.objects.filter(organisation=world.org).exists()
    fr = text_of(client_of(world.admin, "fr").post(sms, cases[2][1]))
    assert "Un message envoyé par SMS n'a pas d'objet" in fr
    good = {"subject": "", "body": "Hi {{ candidate.first_name }}, since {{ previous.date }}"}
    assert client.post(sms, good).status_code == 302
    assert Template.objects.filter(organisation=world.org, name="first_message.1.sms").exists()


def test_template_syntax_errors_are_said_in_the_readers_language(client_of, world):
    client = client_of(world.admin, "fr")
    preview = reverse("web:template_preview", args=["first_message.1.email", "fr"])
    cases = [
        (
            "{% if job %}x",
            "Erreur de syntaxe ligne 1 : « if » n'est jamais fermé (« {% endif %} » manque)",
        ),
        ("{{ candidate.first_name", "Erreur de syntaxe ligne 1 : le texte s'arrête avant « }} »"),
        ("x\n{% foo %}", "Erreur de syntaxe ligne 2 : balise inconnue « foo »"),
        ("{% endif %}", "Erreur de syntaxe ligne 1 : « {% endif %} » ne ferme rien"),
        ("{{ candidate.first_name|majuscules }}", "filtre inconnu « majuscules »"),
        ("{{ job.title }} {{ previous.date }}", "utilisez {% if %}"),
        ("{{ 1/0 }} {{ previous.date }}", "Impossible de l'écrire"),
    ]
    for body, said in cases:
        shown = text_of(client.post(preview, {"subject": "Re", "body": body}))
        assert said in shown, (body, shown.split('data-testid="checks"')[1][:400])
