"""Interviews (issue 13, item 4): planned for an application with a confirmation e-mail
that carries the preparation guide in the candidate's language, through the outbox to a
real SMTP server; moved or cancelled with a short notice in the same e-mail thread;
recorded when they took place, which puts the feedback deadline (the same or the next
working day) on Today. Bad input is refused field by field, in the reader's language, and
nothing is half-written."""

from __future__ import annotations

import html
from datetime import timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.urls import reverse

from relance import clock
from relance.engine import Situation
from relance.followups import interviews
from relance.followups.models import Thread, Touchpoint
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage, Template
from relance.people.models import Application, AuditEntry, Candidate, Interview, Job
from tests.conftest import paris
from tests.web_world import NOW, T0

pytestmark = pytest.mark.django_db

THURSDAY_2PM = {"day": "2026-03-05", "clock": "14:00", "minutes": "60"}


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def flash(client, response) -> str:
    assert response.status_code == 302, (response.status_code, text_of(response)[:2000])
    return text_of(client.get(response["Location"]))


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def paul_application(world) -> Application:
    return Application.objects.get(candidate=world.paul, job=world.job)


def plan(client, application, **form):
    return client.post(reverse("web:interview_new", args=[application.pk]), form)


def deliver_all(transport) -> None:
    """Send the interviews' e-mails (not the world's acknowledgements) to the SMTP server."""
    rows = OutboxMessage.objects.filter(status="pending", reason__startswith="interview_")
    for row in rows.order_by("pk"):
        outbox.deliver(row.pk, transport, clock.now())


# --- planning, and the confirmation with its guide ------------------------------------------


def test_a_planned_interview_confirms_by_e_mail_with_the_guide_in_french(
    client_of, world, transport, smtp
):
    application = paul_application(world)
    client = client_of(world.admin, "fr")
    response = plan(client, application, **THURSDAY_2PM, interviewer=world.recruiter.pk,
                    video_url="https://meet.example.com/abc-defg")  # fmt: skip
    said = flash(client, response)
    assert "Entretien planifié. L'e-mail de confirmation, avec son guide de préparation, " \
        "part maintenant." in said  # fmt: skip
    interview = Interview.objects.get(application=application)
    assert interview.at == paris(2026, 3, 5, 14, 0)
    assert (interview.minutes, interview.interviewer, interview.status) == (
        60, world.recruiter, "scheduled",
    )  # fmt: skip
    application.refresh_from_db()
    assert application.stage == "interview"  # it was "applied": a stage change
    # The stage change stopped the application's follow-ups (hard rule 4).
    call = Thread.objects.get(candidate=world.paul, situation=Situation.APPLICATION)
    assert (call.status, call.reason) == ("stopped", "stage_changed")

    row = OutboxMessage.objects.get(candidate=world.paul, reason="interview_confirmation")
    deliver_all(transport)
    (message,) = [m for m in smtp.received if "Votre entretien" in subject_of(m)]
    assert parseaddr(message["To"])[1] == "paul@example.org"
    assert subject_of(message) == "Votre entretien — Développeur Java : jeudi 5 mars à 14:00"
    text = body_of(message)
    for part in (
        "Votre entretien pour le poste de Développeur Java chez Agence Test est confirmé : "
        "le jeudi 5 mars à 14:00, pour 1 h environ, avec Marc.",
        "Lien de la visio : https://meet.example.com/abc-defg",
        "À quoi vous attendre",
        "Comment il se passe",
        "Comment vous préparer",
        "testez le lien, votre micro et votre caméra",
        "un retour de notre part le jour même ou le jour ouvré suivant",
    ):
        assert part in text, (part, text)
    # A one-to-one message: no list's unsubscribe headers.
    assert message["List-Unsubscribe"] is None
    # On the timeline once the server accepted it; and in the audit log.
    touch = Touchpoint.objects.get(candidate=world.paul, message_id=row.message_id)
    assert touch.kind == "message"
    assert touch.subject == subject_of(message)
    assert AuditEntry.objects.filter(candidate_id=world.paul.pk, detail__interview=interview.pk)


def test_the_guide_is_in_the_candidates_language_and_time_zone(client_of, world, transport, smtp):
    tom = Candidate.objects.create(
        organisation=world.org, first_name="Tom", last_name="Hill", email="tom@example.com",
        language="en", timezone="America/New_York", country="US", created_at=T0,
    )  # fmt: skip
    application = Application.objects.create(
        organisation=world.org, candidate=tom, job=world.job, stage="screening",
        stage_changed_at=T0,
    )  # fmt: skip
    client = client_of(world.admin, "fr")  # the recruiter reads French; Tom, English
    response = plan(client, application, **THURSDAY_2PM, place="12 rue de la Paix, Paris")
    assert response.status_code == 302
    deliver_all(transport)
    (message,) = [m for m in smtp.received if parseaddr(m["To"])[1] == "tom@example.com"]
    text = body_of(message)
    assert subject_of(message) == (
        "Your interview — Développeur Java: Thursday 5 March at 08:00 (New York time)"
    )
    assert "is confirmed: Thursday 5 March at 08:00 (New York time), for about 1 hour" in text
    assert "Where: 12 rue de la Paix, Paris" in text
    assert "How to prepare:" in text
    assert "What to expect:" in text
    assert "plan to arrive five minutes early" in text  # in person, not by video
    assert "Comment vous préparer" not in text


def test_an_organisations_own_confirmation_template_is_used(client_of, world, transport, smtp):
    client = client_of(world.admin)
    templates = text_of(client.get(reverse("web:templates")))
    assert "Interview: confirmation and preparation guide · e-mail" in templates
    url = reverse("web:template", args=["interview.confirmation.email", "fr"])
    editor = text_of(client.get(url))
    assert "Comment vous préparer" in editor  # the preview, on a sample interview
    assert "meet.example.com" in editor
    saved = client.post(url, {
        "subject": "Entretien chez {{ company }} : {{ interview.when }}",
        "body": "Bonjour {{ candidate.first_name }},\nRendez-vous {{ interview.when }}"
                " ({{ interview.duration }}).\nNotre guide : https://agence.example/guide",
    })  # fmt: skip
    assert saved.status_code == 302, text_of(saved)[:3000]
    assert Template.objects.filter(organisation=world.org, name="interview.confirmation.email")
    plan(client, paul_application(world), **THURSDAY_2PM, place="Paris")
    deliver_all(transport)
    (message,) = [m for m in smtp.received if "Entretien chez" in subject_of(m)]
    assert "Rendez-vous jeudi 5 mars à 14:00 (1 h)." in body_of(message)
    assert "Notre guide : https://agence.example/guide" in body_of(message)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "form", "field", "said"),
    [
        ("en", {"day": "2026-03-03", "clock": "14:00"}, "day",
         "This moment has passed: choose one to come, or tick “It already took place”."),
        ("fr", {"day": "2026-03-04", "clock": "09:00"}, "day",
         "Ce moment est passé : choisissez-en un à venir, ou cochez « Il a déjà eu lieu »."),
        ("en", {"day": "2062-03-05"}, "day", "More than a year ahead: check the year."),
        ("en", {"video_url": "meet.example.com/abc", "place": ""}, "video_url",
         "A video link is a web address starting with https://"),
        ("fr", {"video_url": "javascript:alert(1)", "place": ""}, "video_url",
         "Un lien de visio est une adresse web qui commence par https://"),
        ("en", {"place": ""}, "place",
         "Say where it takes place: a place (an address, a room, “by phone”) or a video link."),
        ("en", {"minutes": "0"}, "minutes", "Ensure this value is greater than or equal to 10."),
        ("fr", {"minutes": "deux"}, "minutes", "Saisissez un nombre entier."),
        ("en", {"day": "2026-02-30"}, "day", "Enter a valid date."),
        ("fr", {"clock": "25:00"}, "clock", "Saisissez une heure valide."),
        # 02:30 does not exist in Paris on the last Sunday of March (clocks go forward).
        ("en", {"day": "2026-03-29", "clock": "02:30"}, "clock",
         "02:30 does not exist on that day in Paris (the clocks change)."),
        ("en", {"day": "2026-03-05", "clock": "20:00"}, "day",
         "Outside working hours (working days, 08:00–19:00, Paris time): tick the box below"),
        ("fr", {"day": "2026-03-07", "clock": "10:00"}, "day",
         "Ce jour tombe un week-end : cochez la case ci-dessous"),
        ("en", {"day": "2026-05-01", "clock": "10:00"}, "day",
         "That day is a public holiday (Labor Day): tick the box below"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
    client_of, world, language, form, field, said
):
    application = paul_application(world)
    before = (Touchpoint.objects.count(), OutboxMessage.objects.count(),
              AuditEntry.objects.count())  # fmt: skip
    data = {**THURSDAY_2PM, "place": "Paris", **form}
    response = plan(client_of(world.admin, language), application, **data)
    assert response.status_code == 400
    page = text_of(response)
    error = page.split(f'id="err-{field}"')[1].split("</p>")[0] if f'id="err-{field}"' in page \
        else ""  # fmt: skip
    assert said in error, (said, page[page.find('class="error"') - 100 :][:800])
    assert 'aria-invalid="true"' in page
    assert not Interview.objects.exists()
    assert (Touchpoint.objects.count(), OutboxMessage.objects.count(),
            AuditEntry.objects.count()) == before  # fmt: skip
    application.refresh_from_db()
    assert application.stage == "applied"


def test_outside_working_hours_is_planned_once_confirmed(client_of, world):
    client = client_of(world.admin)
    application = paul_application(world)
    saturday = {**THURSDAY_2PM, "day": "2026-03-07", "place": "Paris"}
    asked = plan(client, application, **saturday)
    assert 'name="off_hours"' in text_of(asked)
    done = plan(client, application, **saturday, off_hours="on")
    assert done.status_code == 302
    assert Interview.objects.get(application=application).at == paris(2026, 3, 7, 14, 0)


def test_the_service_refuses_what_the_form_would_whatever_the_door(world):
    application = paul_application(world)
    now = clock.now()
    for bad, code in [
        (interviews.Plan(at=now - timedelta(hours=1), place="Paris"), "in_the_past"),
        (interviews.Plan(at=now + timedelta(days=1), video_url="ftp://x.example/a"), "video_url"),
        (interviews.Plan(at=now + timedelta(days=1), minutes=9, place="Paris"), "minutes"),
    ]:
        with pytest.raises(interviews.Refused) as refused:
            interviews.schedule(application, bad, world.admin, now)
        assert refused.value.code == code
    # An ended application, another organisation's interviewer.
    with pytest.raises(interviews.Refused) as refused:
        interviews.schedule(
            application,
            interviews.Plan(at=paris(2026, 3, 5, 14), place="Paris", interviewer=world.stranger),
            world.admin, now,
        )  # fmt: skip
    assert refused.value.code == "interviewer"
    Application.objects.filter(pk=application.pk).update(stage="rejected")
    application.refresh_from_db()
    with pytest.raises(interviews.Refused) as refused:
        interviews.schedule(
            application, interviews.Plan(at=paris(2026, 3, 5, 14), place="Paris"),
            world.admin, now,
        )  # fmt: skip
    assert refused.value.code == "application_ended"
    assert not Interview.objects.exists()
    assert not OutboxMessage.objects.filter(reason__startswith="interview_").exists()


def test_a_closed_job_or_a_person_without_an_address(client_of, world):
    client = client_of(world.admin)
    zoe = Candidate.objects.create(organisation=world.org, first_name="Zoé", created_at=T0)
    application = Application.objects.create(
        organisation=world.org, candidate=zoe, job=world.job, stage="screening",
        stage_changed_at=T0,
    )  # fmt: skip
    said = flash(client, plan(client, application, **THURSDAY_2PM, place="Paris"))
    assert "Interview planned. No e-mail address for this person: tell them yourself." in said
    assert Interview.objects.filter(application=application).exists()
    assert not OutboxMessage.objects.filter(candidate=zoe).exists()
    Job.objects.filter(pk=world.job.pk).update(status="closed")
    refused = plan(client, paul_application(world), **THURSDAY_2PM, place="Paris")
    assert "This job is closed: reopen it first." in flash(client, refused)
    assert not Interview.objects.filter(application__candidate=world.paul).exists()


# --- moved, cancelled ------------------------------------------------------------------------


def test_moving_an_interview_sends_a_short_notice_in_the_same_thread(
    client_of, world, transport, smtp
):
    client = client_of(world.admin)
    plan(client, paul_application(world), **THURSDAY_2PM, place="Paris")
    interview = Interview.objects.get()
    url = reverse("web:interview_edit", args=[interview.pk])
    form = text_of(client.get(url))
    assert 'value="2026-03-05"' in form
    assert 'value="14:00"' in form
    same = client.post(url, {**THURSDAY_2PM, "place": "Paris"})
    assert "Nothing changed." in flash(client, same)
    moved = client.post(url, {**THURSDAY_2PM, "day": "2026-03-06", "clock": "11:30",
                              "place": "Paris"})  # fmt: skip
    assert "Interview changed. The candidate is told by e-mail." in flash(client, moved)
    interview.refresh_from_db()
    assert interview.at == paris(2026, 3, 6, 11, 30)
    deliver_all(transport)
    confirmation, notice = smtp.received
    assert notice["In-Reply-To"] == confirmation["Message-ID"]
    # Paul reads French.
    assert subject_of(notice) == (
        "Votre entretien — Développeur Java : nouvel horaire, le vendredi 6 mars à 11:30"
    )
    assert "prévu le jeudi 5 mars à 14:00, est déplacé : il aura lieu le vendredi 6 mars à " \
        "11:30, pour 1 h environ." in body_of(notice)  # fmt: skip
    entry = AuditEntry.objects.filter(candidate_id=world.paul.pk, detail__has_key="rescheduled")
    assert entry.exists()


def test_cancelling_a_coming_interview_tells_the_candidate_a_past_one_does_not(
    client_of, world, transport, smtp
):
    client = client_of(world.admin)
    plan(client, paul_application(world), **THURSDAY_2PM, place="Paris")
    interview = Interview.objects.get()
    cancelled = client.post(reverse("web:interview_act", args=[interview.pk, "cancel"]))
    assert "Interview cancelled. The candidate is told by e-mail." in flash(client, cancelled)
    interview.refresh_from_db()
    assert interview.status == "cancelled"
    assert OutboxMessage.objects.filter(reason="interview_cancelled").count() == 1
    deliver_all(transport)
    assert "annulé" in subject_of(smtp.received[-1])
    # Cancelled twice: said, nothing more sent.
    again = client.post(reverse("web:interview_act", args=[interview.pk, "cancel"]))
    assert "This interview is not planned any more." in flash(client, again)
    # One whose time has passed did not take place: no e-mail.
    past = Interview.objects.create(
        organisation=world.org, application=paul_application(world),
        at=NOW - timedelta(hours=3), place="Paris", created_at=T0,
    )  # fmt: skip
    client.post(reverse("web:interview_act", args=[past.pk, "cancel"]))
    past.refresh_from_db()
    assert past.status == "cancelled"
    assert OutboxMessage.objects.filter(reason="interview_cancelled").count() == 1


# --- it took place: the feedback deadline ---------------------------------------------------


def test_took_place_puts_the_feedback_deadline_on_today(client_of, world):
    client = client_of(world.admin)
    plan(client, paul_application(world), **THURSDAY_2PM, place="Paris")
    interview = Interview.objects.get()
    # Not before its time.
    early = client.post(reverse("web:interview_act", args=[interview.pk, "done"]))
    assert "This interview has not started yet." in flash(client, early)
    assert not Thread.objects.filter(situation=Situation.INTERVIEW_FEEDBACK).exists()

    clock.start_at(paris(2026, 3, 5, 16, 0))  # Thursday, after the interview
    page = text_of(client.get(reverse("web:job", args=[world.job.pk])))
    assert "Interviews to confirm" in page
    assert "It took place" in page
    done = client.post(reverse("web:interview_act", args=[interview.pk, "done"]))
    said = flash(client, done)
    assert "Interview recorded: the feedback is due by the end of the next working day" in said
    interview.refresh_from_db()
    assert interview.status == "done"
    feedback = Thread.objects.get(candidate=world.paul, situation=Situation.INTERVIEW_FEEDBACK)
    assert feedback.status == "open"
    assert feedback.started_at == paris(2026, 3, 5, 14, 0)  # at the interview's time
    assert feedback.deadline_at == paris(2026, 3, 6, 19, 0)  # the next working day's end
    application = paul_application(world)
    assert application.last_interview_at == paris(2026, 3, 5, 14, 0)
    touch = Touchpoint.objects.get(candidate=world.paul, kind="interview")
    assert touch.at == paris(2026, 3, 5, 14, 0)
    # On Today (its recruiter is the one who said it took place).
    today = text_of(client.get(reverse("web:today")))
    assert "Paul Martin" in today
    assert "Interview feedback" in today
    assert "Give feedback after the interview, by Friday 6 March at 19:00" in today
    # Twice: refused, one thread only.
    again = client.post(reverse("web:interview_act", args=[interview.pk, "done"]))
    assert "This interview is not planned any more." in flash(client, again)
    assert Thread.objects.filter(situation=Situation.INTERVIEW_FEEDBACK).count() == 1
    assert "Interviews to confirm" not in text_of(client.get(reverse("web:job",
                                                                    args=[world.job.pk])))  # fmt: skip


def test_an_interview_that_already_took_place_is_recorded_without_an_e_mail(client_of, world):
    client = client_of(world.admin, "fr")
    application = paul_application(world)
    done = plan(client, application, day="2026-03-03", clock="16:00", minutes="45",
                place="Par téléphone", past="on")  # fmt: skip
    said = flash(client, done)
    assert "Entretien enregistré : le retour est dû au plus tard à la fin du jour ouvré suivant" \
        in said  # fmt: skip
    interview = Interview.objects.get()
    assert interview.status == "done"
    assert interview.at == paris(2026, 3, 3, 16, 0)
    assert not OutboxMessage.objects.filter(reason__startswith="interview_").exists()
    feedback = Thread.objects.get(candidate=world.paul, situation=Situation.INTERVIEW_FEEDBACK)
    # Tuesday's interview: the feedback was due by Wednesday 19:00 — today, still open.
    assert feedback.deadline_at == paris(2026, 3, 4, 19, 0)
    # "Already took place" with a moment to come is refused.
    refused = plan(client, application, **THURSDAY_2PM, place="x", past="on")
    assert refused.status_code == 400
    assert "Un entretien qui a eu lieu est dans le passé" in text_of(refused)


def test_the_candidate_page_shows_the_interviews_and_their_actions(client_of, world):
    client = client_of(world.admin)
    plan(client, paul_application(world), **THURSDAY_2PM, place="Paris",
         back="candidate")  # fmt: skip
    page = text_of(client.get(reverse("web:candidate", args=[world.paul.pk])))
    section = page.split('id="stage"')[1].split("</section>")[0]
    assert "Interview on Thursday 5 March at 14:00" in section
    assert "Planned" in section
    assert "Change or cancel" in section
    assert "It took place" not in section
    clock.start_at(paris(2026, 3, 5, 15, 0))
    page = text_of(client.get(reverse("web:candidate", args=[world.paul.pk])))
    section = page.split('id="stage"')[1].split("</section>")[0]
    assert "It took place" in section
    assert "It did not take place" in section
    assert 'data-testid="applied-form"' in page  # "They applied to", from the candidate page
