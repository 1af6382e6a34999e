"""The public careers page, its apply form and the open talent-pool sign-up (no login):
an application arrives as a real one, a known person is matched and never revealed, spam
is held off (honeypot, rate limits), nothing is half-written, and the sign-up records no
consent before its confirmation link is used, once."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import get_connection
from django.test import Client
from django.urls import reverse

from relance import clock
from relance.followups.models import Thread, Touchpoint
from relance.intake import apply, documents, signup
from relance.intake.models import CV, SignUp
from relance.messaging import outbox
from relance.messaging.models import OutboxMessage
from relance.people.models import Application, AuditEntry, Candidate, Consent, Job, Organisation
from relance.pools.models import Preference
from relance.worker import Worker
from tests import cvfiles
from tests.smtpserver import SmtpServer
from tests.web_world import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "files")}},
    }  # fmt: skip
    return tmp_path / "files"


@pytest.fixture
def visitor():
    return Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")


@pytest.fixture
def job(world):
    world.job.client = "Banque Exemple"
    world.job.location = "Lyon"
    world.job.contract = Job.Contract.PERMANENT
    world.job.description = "Vous rejoindrez une équipe de huit développeurs Java."
    world.job.save()
    return world.job


def form(**more):
    data = {
        "first_name": "Inès",
        "last_name": "Moreau",
        "email": "ines@example.org",
        "phone": "06 12 34 56 78",
        "message": "Votre poste m'intéresse beaucoup.",
        "notice": "1",
        "website": "",
        "cv": SimpleUploadedFile("CV Inès.pdf", cvfiles.one_column_pdf(["Inès Moreau", "Java, Kafka"]),
                                 content_type="application/pdf"),
    }  # fmt: skip
    data.update(more)
    return {k: v for k, v in data.items() if v is not None}


def apply_url(job, lang="fr"):
    return reverse("intake:job", args=[job.organisation.slug, job.pk]) + f"?lang={lang}"


# --- the careers page ---------------------------------------------------------------------


def test_the_careers_page_lists_the_open_jobs_in_french_and_english(visitor, world, job):
    Job.objects.create(organisation=world.org, title="Poste fermé", status="closed", created_at=NOW)
    url = reverse("intake:careers", args=["test"])
    page = visitor.get(url).content.decode()
    assert "Offres d'emploi chez Agence Test" in page or "Agence Test" in page
    assert "Développeur Java" in page
    assert "Banque Exemple · Lyon · CDI" in page
    assert "huit développeurs" in page
    assert "Poste fermé" not in page
    assert "Secret" not in page  # another organisation's job
    assert 'name="robots"' not in page  # job ads are meant to be found
    english = visitor.get(url + "?lang=en").content.decode()
    assert "Jobs at Agence Test" in english
    assert "Permanent (CDI)" in english
    assert reverse("intake:signup", args=["test"]) in page


def test_an_unknown_organisation_a_closed_job_or_another_s_job_is_a_404(visitor, world, job):
    assert visitor.get(reverse("intake:careers", args=["nobody"])).status_code == 404
    assert visitor.get(reverse("intake:job", args=["test", world.other_job.pk])).status_code == 404
    assert visitor.get(reverse("intake:job", args=["other", job.pk])).status_code == 404
    assert visitor.post(reverse("intake:job", args=["other", job.pk]), form()).status_code == 404
    job.status = Job.Status.CLOSED
    job.save()
    assert visitor.get(reverse("intake:job", args=["test", job.pk])).status_code == 404
    assert not Candidate.objects.filter(email="ines@example.org").exists()


def test_the_public_pages_carry_a_content_security_policy_and_no_inline_script(visitor, world, job):
    for url in (reverse("intake:careers", args=["test"]), apply_url(job),
                reverse("intake:signup", args=["test"])):  # fmt: skip
        response = visitor.get(url)
        assert response.status_code == 200
        assert "script-src 'self'" in response["Content-Security-Policy"]
        body = response.content.decode()
        assert "<script" not in body
        assert " style=" not in body
        assert "<style" not in body


# --- applying -----------------------------------------------------------------------------


def test_an_application_arrives_as_a_real_one(visitor, world, job, client_of):
    response = visitor.post(apply_url(job), form())
    assert response.status_code == 302
    thanks = visitor.get(response["Location"]).content.decode()
    assert "Merci, votre candidature est envoyée" in thanks
    ines = Candidate.objects.get(email="ines@example.org")
    assert (ines.first_name, ines.source, ines.phone, ines.language) == (
        "Inès",
        "application",
        "+33612345678",
        "fr",
    )
    application = Application.objects.get(candidate=ines, job=job)
    assert application.stage == "applied"
    assert timedelta(0) <= application.applied_at - NOW < timedelta(minutes=1)  # the clock runs
    cv = CV.objects.get(candidate=ines)
    assert (cv.original_name, cv.kind, cv.uploaded_by) == ("CV Inès.pdf", "pdf", None)
    assert "Java, Kafka" in cv.text
    assert default_storage.exists(cv.file.name)
    # The acknowledgement, at once, through the outbox; the plan started.
    ack = OutboxMessage.objects.get(candidate=ines)
    assert ack.reason == "acknowledgement"
    assert ack.due_at == application.applied_at
    assert Thread.objects.filter(candidate=ines, situation="application", status="open").exists()
    message = Touchpoint.objects.get(candidate=ines, kind="application")
    assert message.body == "Votre poste m'intéresse beaucoup."
    # On Today of the job's recruiter.
    today = client_of(world.admin).get(reverse("web:today")).content.decode()
    assert "Inès Moreau" in today
    entry = AuditEntry.objects.get(candidate_id=ines.pk, detail__page="apply")
    assert entry.detail["created"] is True
    assert entry.actor is None


def test_a_known_person_is_matched_never_duplicated_and_never_revealed(visitor, world, job):
    unknown = visitor.post(apply_url(job), form(email="nouvelle@example.org"))
    known = visitor.post(apply_url(job), form(email="LEA@Example.org", first_name="Mallory"))
    assert (unknown.status_code, known.status_code) == (302, 302)
    assert known["Location"] == unknown["Location"]
    assert visitor.get(known["Location"]).content == visitor.get(unknown["Location"]).content
    assert Candidate.objects.of(world.org).filter(email__iexact="lea@example.org").count() == 1
    lea = Candidate.objects.get(pk=world.lea.pk)
    assert lea.first_name == "Léa"  # a public form never renames a known person
    assert lea.phone == "+33612345678"  # a phone they had not given is added
    assert Application.objects.get(candidate=lea, job=job).stage == "applied"
    assert CV.objects.filter(candidate=lea).count() == 1


def test_applying_twice_makes_one_application_and_one_acknowledgement(visitor, world, job):
    visitor.post(apply_url(job), form())
    visitor.post(apply_url(job), form(message="J'ajoute mon CV à jour."))
    ines = Candidate.objects.get(email="ines@example.org")
    assert Application.objects.filter(candidate=ines).count() == 1
    assert OutboxMessage.objects.filter(candidate=ines, reason="acknowledgement").count() == 1
    assert CV.objects.filter(candidate=ines).count() == 2
    assert Touchpoint.objects.filter(
        candidate=ines, kind="note", body="J'ajoute mon CV à jour."
    ).exists()


def test_the_talent_pool_consent_is_recorded_as_the_consent_form_records_it(visitor, world, job):
    from relance.pools import consent

    consent.record_choices(world.lea, {"job_alerts"}, {}, NOW)
    visitor.post(apply_url(job), form(email="lea@example.org", pool="1"))
    given = {c.purpose: c for c in Consent.objects.filter(candidate=world.lea, withdrawn_at=None)}
    assert set(given) == {"job_alerts", "talent_pool"}  # nothing withdrawn
    pool = given["talent_pool"]
    assert (pool.method, pool.language, pool.version) == ("form", "fr", consent.VERSION)
    assert pool.text == consent.wording("talent_pool", "fr", "Agence Test")
    visitor.post(apply_url(job), form())
    assert not Consent.objects.filter(candidate__email="ines@example.org").exists()


def test_bad_input_is_refused_field_by_field_in_french_and_nothing_is_written(
    visitor, world, job, storage
):
    bad = form(first_name="", email="pas-une-adresse", phone="12", notice=None,
               cv=SimpleUploadedFile("cv.pdf", cvfiles.png(), content_type="application/pdf"))  # fmt: skip
    response = visitor.post(apply_url(job), bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ce champ est obligatoire." in page
    # people/contact.py says what was typed and what was expected, beside the field.
    assert re.search(r'id="id_email-error">[^<]*pas-une-adresse', page)
    assert re.search(r'id="id_phone-error">[^<]*12', page)
    assert "n&#x27;est pas un document que Relance sait lire : attendu un PDF" in page
    assert 'aria-invalid="true"' in page
    assert not Candidate.objects.filter(last_name="Moreau").exists()
    assert not CV.objects.exists()
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))
    english = visitor.post(apply_url(job, "en"), form(cv=SimpleUploadedFile("cv.pdf", b"")))
    assert "The file is empty" in english.content.decode()


def test_nothing_is_half_written_when_the_application_fails(world, job, monkeypatch, storage):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(apply, "record_event", broken)
    received = documents.receive(SimpleUploadedFile("cv.txt", b"Java"))
    applied = apply.Applied("Inès", "Moreau", "ines@example.org", "", "", True, "fr")
    with pytest.raises(RuntimeError):
        apply.submit(job, applied, received, NOW)
    assert not Candidate.objects.filter(email="ines@example.org").exists()
    assert not CV.objects.exists()
    assert not any(p.is_file() for p in storage.rglob("*"))


# --- spam -----------------------------------------------------------------------------------


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_kept(visitor, world, job):
    real = visitor.post(apply_url(job), form(email="real@example.org"))
    bot = visitor.post(apply_url(job), form(email="bot@example.org", website="http://spam.example"))
    assert bot.status_code == real.status_code == 302
    assert bot["Location"] == real["Location"]
    assert not Candidate.objects.filter(email="bot@example.org").exists()
    signup_bot = visitor.post(reverse("intake:signup", args=["test"]),
                              {"first_name": "Bot", "email": "bot@example.org", "purpose": "talent_pool",
                               "notice": "1", "website": "x"})  # fmt: skip
    assert signup_bot.status_code == 302
    assert not SignUp.objects.exists()


def test_an_address_and_a_client_are_rate_limited(visitor, world, job, settings):
    settings.RELANCE_PUBLIC_FORM_PER_ADDRESS = 2
    settings.RELANCE_PUBLIC_FORM_PER_IP = 4
    for _ in range(2):
        assert visitor.post(apply_url(job), form()).status_code == 302
    refused = visitor.post(apply_url(job), form())
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.content.decode()
    assert visitor.post(apply_url(job), form(email="autre@example.org")).status_code == 302
    # The client's fifth form within the hour, whatever the address.
    assert visitor.post(apply_url(job), form(email="encore@example.org")).status_code == 429
    other_client = Client(REMOTE_ADDR="192.0.2.7")
    assert other_client.post(apply_url(job), form(email="encore@example.org")).status_code == 302
    # An hour later, the client may send again.
    clock.start_at(NOW + timedelta(minutes=61))
    assert visitor.post(apply_url(job), form(email="plus@example.org")).status_code == 302


# --- the talent-pool sign-up (double opt-in) ---------------------------------------------------


def sign_up(client, email="zoe@example.org", **more):
    data = {"first_name": "Zoé", "last_name": "Petit", "email": email, "notice": "1",
            "purpose": ["talent_pool", "job_alerts"], "topic_job_offers": "weekly"}  # fmt: skip
    data.update(more)
    return client.post(reverse("intake:signup", args=["test"]) + "?lang=fr", data)


def confirmation_link(email: str) -> str:
    row = OutboxMessage.objects.filter(to_address__contains=email).latest("pk")
    return re.search(r"https?://\S+(/c/signup/\S+/)", row.body).group(1)


def test_the_sign_up_records_no_consent_until_its_link_is_used_once(visitor, world):
    page = visitor.get(reverse("intake:signup", args=["test"])).content.decode()
    assert "Rejoindre le vivier" in page or "vivier" in page
    response = sign_up(visitor)
    assert response.status_code == 302
    assert "Consultez votre boîte" in visitor.get(response["Location"]).content.decode()
    zoe = Candidate.objects.get(email="zoe@example.org")
    assert not Consent.objects.filter(candidate=zoe).exists()
    assert not Preference.objects.filter(candidate=zoe).exists()
    row = OutboxMessage.objects.get(candidate=zoe)
    assert row.reason == "acknowledgement"  # what they asked for: outside any rule's count
    assert row.subject == "Agence Test : confirmez votre inscription à notre vivier de talents"
    link = confirmation_link("zoe@example.org")
    # Opening the link (a person, or a mail scanner) confirms nothing: a button does.
    opened = visitor.get(link)
    assert opened.status_code == 200
    assert "Je confirme" in opened.content.decode()
    assert not Consent.objects.filter(candidate=zoe).exists()
    # Pressed from the page the link opened: no session, no CSRF cookie needed.
    done = Client(enforce_csrf_checks=True).post(link)
    assert done.status_code == 200
    given = {c.purpose: c for c in Consent.objects.filter(candidate=zoe)}
    assert set(given) == {"talent_pool", "job_alerts"}
    assert given["job_alerts"].method == "form"
    assert "offres" in given["job_alerts"].text
    assert Preference.objects.get(candidate=zoe, topic="job_offers").frequency == "weekly"
    assert zoe.poolmember_set.exists() if hasattr(zoe, "poolmember_set") else True
    again = visitor.post(link)
    assert again.status_code == 410
    assert Consent.objects.filter(candidate=zoe).count() == 2


def test_the_sign_up_never_reveals_a_known_address(visitor, world):
    unknown = sign_up(visitor, email="nouveau@example.org")
    known = sign_up(visitor, email="Lea@example.org", first_name="Mallory")
    assert unknown["Location"] == known["Location"]
    assert Candidate.objects.of(world.org).filter(email__iexact="lea@example.org").count() == 1
    assert Candidate.objects.get(pk=world.lea.pk).first_name == "Léa"
    # A person marked do-not-contact gets no e-mail; the page says the same.
    world.paul.do_not_contact_at = NOW
    world.paul.save()
    before = OutboxMessage.objects.filter(candidate=world.paul).count()
    refused = sign_up(visitor, email="paul@example.org")
    assert refused["Location"] == unknown["Location"]
    assert OutboxMessage.objects.filter(candidate=world.paul).count() == before


def test_a_bad_sign_up_is_refused_with_what_was_expected(visitor, world):
    response = sign_up(visitor, purpose=[], email="x")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Cochez au moins" in page
    response = sign_up(visitor, topic_job_offers="daily")
    assert response.status_code == 400
    assert "daily" in response.content.decode()
    assert not SignUp.objects.exists()


def test_a_tampered_or_expired_link_changes_nothing(visitor, world):
    sign_up(visitor)
    link = confirmation_link("zoe@example.org")
    assert visitor.post(link[:-5] + "xxxx/").status_code == 400
    clock.start_at(NOW + signup.LIFETIME + timedelta(hours=1))
    assert visitor.post(link).status_code == 410
    assert (
        not Consent.objects.exists()
        or not Consent.objects.filter(candidate__email="zoe@example.org").exists()
    )


def test_a_person_added_by_a_sign_up_never_confirmed_is_forgotten(visitor, world):
    sign_up(visitor)
    sign_up(visitor, email="lea@example.org")  # known: kept whatever happens
    assert Candidate.objects.filter(email="zoe@example.org").exists()
    later = NOW + signup.LIFETIME + timedelta(minutes=1)
    assert signup.forget_unconfirmed(world.org, later) == 1
    assert not Candidate.objects.filter(email="zoe@example.org").exists()
    assert Candidate.objects.filter(pk=world.lea.pk).exists()
    assert not SignUp.objects.exists()


def test_a_sign_up_of_another_organisation_is_its_own(visitor, world):
    assert visitor.get(reverse("intake:signup", args=["nobody"])).status_code == 404
    other = Client().post(reverse("intake:signup", args=["other"]),
                          {"first_name": "Zoé", "email": "zoe@example.org", "notice": "1",
                           "purpose": "talent_pool"})  # fmt: skip
    assert other.status_code == 302
    zoe = Candidate.objects.get(email="zoe@example.org")
    assert zoe.organisation == Organisation.objects.get(slug="other")
    assert not Candidate.objects.of(world.org).filter(email="zoe@example.org").exists()


# --- the whole journey, with a real SMTP server --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_acknowledgement_reaches_the_smtp_server_and_the_call_is_on_today(tmp_path):
    from tests import web_world

    smtp = SmtpServer().start()
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend",
                                host="127.0.0.1", port=smtp.port, timeout=5)  # fmt: skip
    clock.start_at(NOW)
    worker = Worker(name="apply", transport=outbox.DjangoTransport(connection), clock=clock.now)
    try:
        world = web_world.build()
        visitor = Client(HTTP_ACCEPT_LANGUAGE="fr")
        assert visitor.post(apply_url(world.job), form()).status_code == 302
        worker.cycle()
        to = [parseaddr(m["To"])[1] for m in smtp.received]
        assert "ines@example.org" in to
        ack = smtp.received[to.index("ines@example.org")]
        assert (
            "Développeur Java" in ack["Subject"]
            or "Développeur Java" in ack.get_payload(decode=True).decode()
        )
        web = Client()
        web.force_login(world.admin)
        today = web.get(reverse("web:today")).content.decode()
        assert "Inès Moreau" in today
        ines = Candidate.objects.get(email="ines@example.org")
        assert Touchpoint.objects.filter(candidate=ines, kind="acknowledgement").exists()
    finally:
        clock.start_at(None)
        connection.close()
        smtp.stop()
