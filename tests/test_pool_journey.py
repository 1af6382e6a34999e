"""The whole journey of issue 5, through the web app, the worker and a real SMTP server,
with a clock that moves: a rejected finalist receives a kind, personal e-mail with a
link, joins the talent pool through the public form, chooses "job offers monthly", and a
month later receives a campaign for a matching job — and nobody without consent does."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.core.mail import get_connection
from django.test import Client
from django.urls import reverse

from relance import clock
from relance.engine import CallOutcome
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.messaging import outbox
from relance.people.models import Candidate, Job, Organisation, Recruiter
from relance.pools.models import Campaign, Segment
from relance.worker import Worker
from tests.conftest import paris
from tests.smtpserver import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

APPLIED = paris(2026, 9, 1, 10, 0)


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def test_a_rejected_finalist_joins_the_pool_and_hears_of_the_next_job_a_month_later():
    smtp = SmtpServer().start()
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend",
                                host="127.0.0.1", port=smtp.port, timeout=5)  # fmt: skip
    clock.start_at(APPLIED)  # the web app and the worker read this clock; it runs on
    worker = Worker(name="journey", transport=outbox.DjangoTransport(connection),
                    clock=clock.now)  # fmt: skip
    try:
        org = Organisation.objects.create(name="Agence Test", slug="test")
        claire = Recruiter.objects.create_user("claire@test.example", "a long password",
                                               first_name="Claire", organisation=org)  # fmt: skip
        java = Job.objects.create(organisation=org, title="Développeur Java", created_at=APPLIED)
        finalists = {}
        for name in ("camille", "ines"):  # both reach the final; only Camille consents
            who = Candidate.objects.create(organisation=org, first_name=name.title(),
                                           email=f"{name}@example.org", phone="+33 6 11 22 33 44",
                                           created_at=APPLIED)  # fmt: skip
            finalists[name] = who
            services.record_event(Event(EventType.APPLICATION_RECEIVED, APPLIED, who,
                                        recruiter=claire, job=java), APPLIED)  # fmt: skip
            for days, stage in ((7, "interview"), (14, "final"), (20, "rejected")):
                at = APPLIED + timedelta(days=days)
                services.record_event(Event(EventType.STAGE_CHANGED, at, who, recruiter=claire,
                                            job=java, outcome=stage), at)  # fmt: skip
        worker.cycle()  # the acknowledgements leave
        assert sorted(parseaddr(m["To"])[1] for m in smtp.received) == [
            "camille@example.org",
            "ines@example.org",
        ]

        # Day 23: the call to explain, then the personal e-mail, edited in the web app.
        day23 = APPLIED + timedelta(days=23)
        clock.start_at(day23)
        web = Client()
        web.force_login(claire)
        for who in finalists.values():
            thread = Thread.objects.get(candidate=who, situation="rejection")
            services.complete_task(thread.pk, day23, outcome=CallOutcome.ANSWERED, recruiter=claire)
            prepared = web.get(reverse("web:thread_message", args=[thread.pk])).content.decode()
            body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', prepared, re.S)
            assert body, prepared
            text = body.group(1).replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
            # The places left to fill in, filled in (a placeholder left is refused).
            text = text.replace(
                "[Les raisons, deux au plus, concrètes.]",
                "l'équipe cherchait plus d'expérience de Kafka.",
            )
            text = text.replace(
                "[un conseil concret, tiré de vos entretiens.]", "montrez vos projets open source."
            )
            done = web.post(reverse("web:thread_act", args=[thread.pk, "send_edited"]),
                            {"subject": "Votre candidature", "body": text})  # fmt: skip
            assert done.status_code == 302
        worker.cycle()
        rejection = {parseaddr(m["To"])[1]: body_of(m) for m in smtp.received[2:]}
        assert set(rejection) == {"camille@example.org", "ines@example.org"}
        assert "montrez vos projets open source" in rejection["camille@example.org"]

        # Camille opens her personal link and joins: job offers, monthly.
        link = re.search(r"https?://\S+(/c/pool/\S+/)", rejection["camille@example.org"]).group(1)
        visitor = Client()
        assert visitor.get(link).status_code == 200
        joined = visitor.post(link, {"purpose": ["talent_pool", "job_alerts"],
                                     "topic_job_offers": "monthly"})  # fmt: skip
        assert joined.status_code == 200

        # A month later, a new Java job opens: a campaign to Java finalists.
        later = day23 + timedelta(days=32)  # a Monday, a month later
        clock.start_at(later)
        lead = Job.objects.create(organisation=org, title="Lead développeur Java", created_at=later)
        segment = Segment.objects.create(
            organisation=org, name="Finalistes Java", created_at=later,
            definition={"field": "application", "stage": ["rejected"], "reached": "final",
                        "job": "java", "within_days": 548},
        )  # fmt: skip
        form = {"name": "Lead Java", "segment": segment.pk, "topic": "job_offers", "job": lead.pk,
                "subject_fr": "{{ job.title }} : un poste pour vous ?",
                "body_fr": "Bonjour {{ candidate.first_name }}, {{ job.title }} vient d'ouvrir.",
                "subject_en": "{{ job.title }}", "body_en": "Hi {{ candidate.first_name }}",
                "action": "schedule"}  # fmt: skip
        assert web.post(reverse("web:campaign_new"), form).status_code == 302
        before = len(smtp.received)
        worker.cycle()
        campaign_mail = smtp.received[before:]
        assert [parseaddr(m["To"])[1] for m in campaign_mail] == [
            "camille@example.org"
        ]  # Inès: no consent
        assert "Lead développeur Java vient d'ouvrir" in body_of(campaign_mail[0])
        campaign = Campaign.objects.get()
        assert campaign.excluded == {"no_consent": 1}
        # A second job-offer campaign a week later: her monthly rhythm holds it back.
        week = later + timedelta(days=7)
        clock.start_at(week)
        form["name"] = "Encore"
        page = web.post(reverse("web:campaign_new"), form)
        assert page.status_code == 400  # nobody may receive it: refused before scheduling
        worker.cycle()
        assert len(smtp.received) == before + 1
    finally:
        clock.start_at(None)
        connection.close()
        smtp.stop()
