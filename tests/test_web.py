"""The web app through Django's test client: every page and action, scoped to the
organisation, in French and English, with a bounded number of queries."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import OutboxMessage, Template
from relance.people.models import Organisation, Recruiter
from tests import web_world
from tests.web_world import PASSWORD

pytestmark = pytest.mark.django_db


def pages(w):
    """Every page a recruiter reads, with the ids of their own organisation."""
    return [
        reverse("web:today"),
        reverse("web:today") + "?team=1",
        reverse("web:candidates"),
        reverse("web:candidate", args=[w.lea.pk]),
        reverse("web:jobs"),
        reverse("web:job", args=[w.job.pk]),
        reverse("web:templates"),
        reverse("web:template", args=["first_message.1.email", "fr"]),
        reverse("web:settings"),
        reverse("web:thread_message", args=[w.email_thread.pk]),
        reverse("web:thread_more", args=[w.email_thread.pk]),
    ]


def test_it_asks_to_sign_in_on_every_page_but_the_public_ones(client, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login")), url
    assert client.get(reverse("web:login")).status_code == 200


def test_it_serves_every_page_to_a_recruiter_of_the_organisation(client_of, world):
    client = client_of(world.recruiter)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_another_organisation_gets_404_on_every_page_and_action(client_of, world):
    """A recruiter of another organisation never reaches our rows, by page or by action."""
    client = client_of(world.stranger)
    ours = [
        reverse("web:candidate", args=[world.lea.pk]),
        reverse("web:job", args=[world.job.pk]),
        reverse("web:thread_message", args=[world.email_thread.pk]),
        reverse("web:thread_more", args=[world.email_thread.pk]),
    ]
    for url in ours:
        assert client.get(url).status_code == 404, url
    actions = [
        (reverse("web:thread_act", args=[world.email_thread.pk, a]), data)
        for a, data in [("send", {}), ("done", {}), ("call", {"outcome": "voicemail"}),
                        ("snooze", {"days": "1"}), ("skip", {"why": "other"})]
    ] + [
        (reverse("web:candidate_act", args=[world.lea.pk, a]), data)
        for a, data in [("note", {"body": "x"}), ("do_not_contact", {"sure": "1"}),
                        ("start", {"situation": "first_message", "channel": "email"}),
                        ("call", {"outcome": "answered"})]
    ]  # fmt: skip
    before = Touchpoint.objects.filter(organisation=world.org).count()
    queued = OutboxMessage.objects.count()  # the acknowledgements of the world's applications
    for url, data in actions:
        assert client.post(url, data).status_code == 404, url
    assert Touchpoint.objects.filter(organisation=world.org).count() == before
    assert OutboxMessage.objects.count() == queued
    # Our job given to an action on their own candidate is a 404 too.
    url = reverse("web:candidate_act", args=[world.other_candidate.pk, "stage"])
    assert client.post(url, {"job": world.job.pk, "stage": "interview"}).status_code == 404
    # Lists and the agenda show only their organisation.
    for url in (reverse("web:today") + "?team=1", reverse("web:candidates"), reverse("web:jobs")):
        body = client.get(url).content.decode()
        for ours in ("Léa", "Paul", "Développeur Java"):
            assert ours not in body, url
    assert "Ghost" in client.get(reverse("web:candidates")).content.decode()


def test_today_shows_what_is_due_with_its_reason_in_a_bounded_number_of_queries(
    client_of, world, django_assert_max_num_queries
):
    client = client_of(world.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:today"))
    body = response.content.decode()
    assert f'id="thread-{world.email_thread.pk}"' in body
    assert f'id="thread-{world.call_thread.pk}"' in body
    assert "Follow-up 1: no answer since" in body
    assert "Send now" in body
    assert "Voicemail" in body
    assert re.search(r'data-testid="due-count"><strong>2</strong>', body)
    # Marc has nothing due: his own agenda is empty, his team's is not.
    mine = client_of(world.recruiter).get(reverse("web:today")).content.decode()
    assert "Nothing is due today" in mine
    team = client_of(world.recruiter).get(reverse("web:today") + "?team=1").content.decode()
    assert f'id="thread-{world.email_thread.pk}"' in team


def test_a_voicemail_logged_brings_the_next_step_with_its_reason(client_of, world):
    client = client_of(world.admin)
    url = reverse("web:thread_act", args=[world.call_thread.pk, "call"])
    response = client.post(url, {"outcome": "voicemail"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Call logged: Voicemail left." in body
    thread = Thread.objects.get(pk=world.call_thread.pk)
    assert thread.status == Thread.Status.OPEN
    assert thread.next_step is not None
    step = Touchpoint.objects.filter(thread=thread).order_by("-at").first()
    assert (step.kind, step.outcome, step.recruiter_id) == ("call", "voicemail", world.admin.pk)
    # The row now tells the next step and why (in the reader's language).
    from relance.engine.reasons import sentence

    code = thread.delay_reason or thread.reason
    assert sentence(code, "en", thread.reason_params).split(" (")[0][:20] in body


def test_send_now_writes_the_email_to_the_outbox_once(client_of, world):
    client = client_of(world.admin)
    url = reverse("web:thread_act", args=[world.email_thread.pk, "send"])
    queued = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Queued" in queued
    assert "/send/" not in queued
    assert "/done/" not in queued
    row = OutboxMessage.objects.get(thread=world.email_thread)
    assert row.to_address == "Léa Martin <lea@example.org>"
    assert row.step == 1
    again = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Already queued" in again
    assert OutboxMessage.objects.filter(thread=world.email_thread).count() == 1


def test_snooze_holds_the_step_back_with_its_reason_and_skip_ends_it(client_of, world):
    client = client_of(world.admin)
    client.post(reverse("web:thread_act", args=[world.email_thread.pk, "snooze"]), {"days": "3"})
    thread = Thread.objects.get(pk=world.email_thread.pk)
    assert thread.delay_reason == "snoozed"
    assert thread.due_at >= web_world.later(3)
    # Put off to a later day, it is not hidden: Today shows it held back, with the reason.
    today = client.get(reverse("web:today")).content.decode()
    held = today.split('id="g-held"')[1]
    assert f'id="thread-{world.email_thread.pk}"' in held
    assert "Waiting: put off by the recruiter until" in held
    client.post(
        reverse("web:thread_act", args=[world.email_thread.pk, "skip"]),
        {"why": "in_touch_elsewhere", "note": "Vu au salon"},
    )
    thread.refresh_from_db()
    assert (thread.status, thread.reason, thread.reason_params) == (
        "stopped",
        "skipped",
        {"why": "Vu au salon"},
    )
    assert Touchpoint.objects.filter(candidate=world.lea, kind="note", body="Vu au salon").exists()


def test_a_bad_action_is_refused_with_what_was_expected(client_of, world):
    client = client_of(world.admin)
    url = reverse("web:thread_act", args=[world.call_thread.pk, "call"])
    response = client.post(url, {"outcome": "maybe"})
    assert response.status_code == 400
    assert b"maybe" in response.content
    assert client.post(reverse("web:candidates") + "x").status_code == 404
    bad = client.get(reverse("web:candidates") + "?stars=lots")
    assert bad.status_code == 400
    assert "stars='lots': expected a whole number" in html.unescape(bad.content.decode())


def test_the_candidate_page_shows_the_timeline_and_asks_before_a_second_voice(client_of, world):
    client = client_of(world.recruiter)  # Marc; Claire already follows Léa up
    page = client.get(reverse("web:candidate", args=[world.lea.pk])).content.decode()
    assert "Timeline" in page
    assert "Open follow-ups" in page
    assert "Another recruiter already follows this person up" in page
    url = reverse("web:candidate_act", args=[world.lea.pk, "start"])
    response = client.post(url, {"situation": "first_message", "channel": "linkedin"})
    assert response.status_code == 302
    assert "confirm=1" in response["Location"]
    assert Thread.objects.filter(candidate=world.lea).count() == 1
    client.post(url, {"situation": "first_message", "channel": "linkedin", "confirmed": "1"})
    assert Thread.objects.filter(candidate=world.lea, recruiter=world.recruiter).count() == 1


def test_a_note_a_stage_and_do_not_contact_from_the_candidate_page(client_of, world):
    client = client_of(world.admin)
    act = lambda a, **data: client.post(reverse("web:candidate_act", args=[world.lea.pk, a]), data)  # noqa: E731
    act("note", body="Préfère être appelée le matin")
    act("stage", job=world.job.pk, stage="interview")
    act("do_not_contact", sure="1")
    kinds = set(Touchpoint.objects.filter(candidate=world.lea).values_list("kind", flat=True))
    assert {"note", "stage_change", "do_not_contact"} <= kinds
    assert not Thread.objects.filter(candidate=world.lea, status="open").exists()
    page = client.get(reverse("web:candidate", args=[world.lea.pk])).content.decode()
    assert "Préfère être appelée le matin" in page


def test_the_template_editor_previews_on_a_real_candidate_and_checks_before_saving(
    client_of, world
):
    client = client_of(world.admin)
    name, url = (
        "first_message.1.email",
        reverse("web:template", args=["first_message.1.email", "en"]),
    )
    preview = reverse("web:template_preview", args=[name, "en"])
    shown = client.post(preview, {"subject": "Re: {{ previous.subject }}",
                                  "body": "Hi {{ candidate.first_name }}, back to {{ previous.date }}.",
                                  "candidate": world.paul.pk}).content.decode()  # fmt: skip
    assert "Hi Paul, back to" in shown
    assert "No problem found" in shown
    unknown = client.post(url, {"subject": "x", "body": "Hi {{ candidat.first_name }}"})
    assert "Unknown variable: candidat" in unknown.content.decode()
    assert not Template.objects.filter(organisation=world.org).exists()
    from relance.messaging.render import builtin

    first = builtin()[("first_message.0.email", "en")]
    copy = client.post(preview, {"subject": first.subject, "body": first.body}).content.decode()
    assert "Nearly identical to the step before" in copy
    assert "does not refer to the previous message" in copy
    client.post(
        url,
        {
            "subject": "Re: {{ previous.subject }}",
            "body": "Hi {{ candidate.first_name }} — {{ previous.date }}",
        },
    )
    saved = Template.objects.get(organisation=world.org, name=name, language="en")
    assert saved.updated_by == world.admin


def test_the_policy_refuses_a_value_beyond_a_hard_cap_with_its_reason(client_of, world):
    client = client_of(world.admin, "fr")
    form = {
        "max_followups": "4", "followup_delays_days": "2, 5, 7", "spacing_days": "2",
        "max_messages_per_7_days": "2", "sending_window": "08:00-19:00",
        "call_window": "09:00-19:00", "keep_in_touch_after_days": "120",
        "answer_deadline_days": "14", "rejection_not_before_days": "3",
    }  # fmt: skip
    response = client.post(reverse("web:settings_policy"), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Refusé : 4." in body
    assert "règle absolue 1" in body
    assert Organisation.objects.get(pk=world.org.pk).policy == {}
    form["max_followups"] = "3"
    assert client.post(reverse("web:settings_policy"), form).status_code == 302
    assert Organisation.objects.get(pk=world.org.pk).get_policy().max_followups == 3
    # A recruiter who is not an admin cannot change it.
    marc = client_of(world.recruiter)
    assert marc.post(reverse("web:settings_policy"), form).status_code == 404


def test_an_admin_invites_a_recruiter_who_chooses_a_password_once(client_of, world, client):
    admin = client_of(world.admin)
    admin.post(reverse("web:settings_invite"), {"email": "nina@test.example", "role": "recruiter"})
    link = admin.get(reverse("web:settings")).content.decode()
    found = re.search(r'data-testid="invitation">http://testserver(/join/[^<]+)<', link)
    assert found, link
    client.logout()
    page = client.get(found.group(1), follow=True)
    new = {"new_password1": "une phrase de passe", "new_password2": "une phrase de passe"}
    assert client.post(page.redirect_chain[-1][0], new).status_code == 302
    nina = Recruiter.objects.get(email="nina@test.example")
    assert nina.organisation == world.org
    assert nina.check_password("une phrase de passe")
    again = client.get(found.group(1), follow=True).content.decode()
    assert "a déjà servi ou a expiré" in again  # an anonymous visitor reads French first


def test_every_page_exists_in_french_and_english(client_of, world):
    fr = client_of(world.admin, "fr").get(reverse("web:today")).content.decode()
    assert "Aujourd'hui" in fr
    assert "Relance 1 : pas de réponse depuis le" in fr
    assert "Envoyer maintenant" in fr
    assert 'lang="fr"' in fr
    en = client_of(world.admin, "en").get(reverse("web:today")).content.decode()
    assert "Today" in en
    assert "Send now" in en
    assert 'lang="en"' in en
    switched = client_of(world.admin, "en").post(
        reverse("set_language"), {"language": "fr", "next": "/"}, follow=True
    )
    assert "Aujourd'hui" in switched.content.decode()


def test_pages_carry_a_content_security_policy_and_no_inline_script(client_of, world):
    client = client_of(world.admin)
    for url in pages(world):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.content.decode(), re.S)
        assert all("src=" in attrs and not body.strip() for attrs, body in scripts), url
        assert response["X-Frame-Options"] == "DENY"


def test_sign_in_attempts_are_throttled(client, world):
    url = reverse("web:login")
    for _ in range(5):
        client.post(url, {"username": world.admin.email, "password": "wrong"})
    locked = client.post(url, {"username": world.admin.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many" in locked.content.decode() or "Trop de" in locked.content.decode()


def test_a_right_password_signs_in(client, world):
    response = client.post(
        reverse("web:login"), {"username": world.admin.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:today")


def test_the_deploy_checks_pass_with_production_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "RELANCE_DATA_DIR": str(tmp_path),
        "RELANCE_HTTPS": "true",
        "RELANCE_SECRET_KEY": "x" * 20 + "-production-secret-key-of-fifty-and-more-chars",
        "RELANCE_ALLOWED_HOSTS": "relance.example.com",
        # Behind its TLS proxy, with candidates' links on the public address (relance.W001/2).
        "RELANCE_TRUSTED_PROXY": "127.0.0.1",
        "RELANCE_BASE_URL": "https://relance.example.com",
    }
    done = subprocess.run(
        [sys.executable, "-m", "relance.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_candidate_page_and_list_make_a_bounded_number_of_queries(
    client_of, world, django_assert_max_num_queries
):
    """The number of queries does not grow with the rows shown (no query per row)."""
    client = client_of(world.admin)
    for n in range(60):
        web_world._candidate(world.org, f"C{n}", f"c{n}@example.org", tags=["java"], stars=2)
    for url, most in (
        (reverse("web:candidate", args=[world.lea.pk]), 14 + 1),  # + its CVs (intake)
        # + the recruiters and pools the bulk actions offer
        (reverse("web:candidates") + "?stars=2&tag=java&contact=never&source=linkedin", 9),
        (reverse("web:candidates") + "?stage=applied&consent=talent_pool&q=mar", 9),
        (reverse("web:jobs"), 8),
        (reverse("web:job", args=[world.job.pk]), 8 + 11),  # one query per stage
    ):
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200, url
    page = client.get(reverse("web:candidates") + "?tag=java").content.decode()
    assert page.count('<td><a href="/candidates/') == 50
    found = re.search(r'href="\?tag=java&amp;after=(\d+)" rel="next"', page)
    assert found
    rest = client.get(reverse("web:candidates") + f"?tag=java&after={found.group(1)}")
    assert rest.content.decode().count('<td><a href="/candidates/') == 10


def test_a_list_page_reads_a_bounded_window_and_offers_to_search_older_ones(
    client_of, world, monkeypatch
):
    """A filter that matches few candidates never reads the whole table in one view."""
    from relance.web.views import candidates as view

    rare = web_world._candidate(world.org, "Rare", "rare@example.org", tags=["rare"])
    for n in range(30):
        web_world._candidate(world.org, f"N{n}", f"n{n}@example.org")
    monkeypatch.setattr(view, "WINDOW", 10)
    client = client_of(world.admin)
    first = client.get(reverse("web:candidates") + "?tag=rare").content.decode()
    assert "Rare" not in first
    assert "older ones were not searched yet" in first
    pages, url = 0, reverse("web:candidates") + "?tag=rare"
    while "Rare" not in (body := client.get(url).content.decode()):
        found = re.search(r'href="\?tag=rare&amp;after=(\d+)" rel="next"', body)
        assert found, "the matches stop before reaching the rare candidate"
        url = reverse("web:candidates") + f"?tag=rare&after={found.group(1)}"
        pages += 1
    assert pages >= 2
    assert f'href="/candidates/{rare.pk}/"' in body


def test_bad_input_on_settings_and_the_candidate_page_changes_nothing(client_of, world):
    client = client_of(world.admin)
    world.admin.signature = "Claire, Agence Test"
    world.admin.save(update_fields=["signature"])
    for bad in ({"port": "vingt"}, {"security": "tls9"}, {"address": "pas-une-adresse"}):
        form = {"signature": "Changed", "address": "claire@test.example", **bad}
        client.post(reverse("web:settings_identity"), form)
        assert Recruiter.objects.get(pk=world.admin.pk).signature == "Claire, Agence Test", bad
    before = Touchpoint.objects.filter(candidate=world.lea).count()
    url = reverse("web:candidate_act", args=[world.lea.pk, "reply"])
    response = client.post(url, {"channel": "pigeon"})
    assert response.status_code == 400
    assert "channel='pigeon'" in html.unescape(response.content.decode())
    assert Touchpoint.objects.filter(candidate=world.lea).count() == before


def _routes_with_an_id() -> dict[str, str]:
    """Every named route of the project whose path takes a row's id (an int), walked from
    the URL configuration: {"namespace:name": route}."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, str] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name and "<int:" in str(p.pattern):
                found[f"{namespace}:{p.name}" if namespace else p.name] = prefix + str(p.pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


def test_no_route_that_names_a_row_lets_another_organisation_reach_it(client_of, world):
    """Every route that takes a row's id, found in the URL configuration (so a new page is
    covered the day it is added): given one of our rows, an administrator of another
    organisation gets 404 by GET and by POST, and nothing of ours changes."""
    from datetime import timedelta

    from relance.intake.models import CV
    from relance.people.models import Application, AuditEntry, Interview, Job
    from relance.pools.models import Campaign

    application = Application.objects.get(candidate=world.paul, job=world.job)
    interview = Interview.objects.create(
        organisation=world.org, application=application, at=web_world.NOW - timedelta(hours=2),
        interviewer=world.admin, created_at=web_world.T0,
    )  # fmt: skip
    cv = CV.objects.create(
        organisation=world.org, candidate=world.lea, file="cvs/none.txt", original_name="cv.txt",
        kind="txt", size=3, sha256="0" * 64, text="Léa", uploaded_at=web_world.T0,
    )  # fmt: skip
    campaign = Campaign.objects.create(
        organisation=world.org, name="Ours", subject_fr="s", body_fr="b", subject_en="s",
        body_en="b", created_at=web_world.T0,
    )  # fmt: skip
    from relance.imports.models import ImportRun

    import_run = ImportRun.objects.create(
        organisation=world.org, recruiter=world.admin, file_name="ours.csv", digest="0" * 64,
        status=ImportRun.Status.DONE, dry_run=True, refusals=[[2, "why", ["x"]]],
        created_at=web_world.T0,
    )  # fmt: skip
    lea, job = world.lea.pk, world.job.pk
    urls = {
        "web:thread_message": [world.email_thread.pk],
        "web:thread_more": [world.email_thread.pk],
        "web:thread_act": [world.email_thread.pk, "done"],
        "web:candidate": [lea],
        "web:candidate_edit": [lea],
        "web:candidate_stars": [lea],
        "web:candidate_tags": [lea],
        "web:candidate_export": [lea],
        "web:candidate_erase": [lea],
        "web:candidate_pool": [lea],
        "web:candidate_consent": [lea],
        "web:candidate_act": [lea, "note"],
        "web:duplicate": [lea, world.paul.pk],
        "web:duplicate_different": [lea, world.paul.pk],
        "web:job": [job],
        "web:job_edit": [job],
        "web:job_close": [job],
        "web:job_reopen": [job],
        "web:job_stage": [job, "applied"],
        "web:job_send": [job],
        "web:job_matches": [job],
        "web:requirement_add": [job],
        "web:requirement_mark": [job],
        "web:requirement_remove": [job],
        "web:application_stage": [application.pk],
        "web:interview_new": [application.pk],
        "web:interview_edit": [interview.pk],
        "web:interview_act": [interview.pk, "done"],
        "web:campaign": [campaign.pk],
        "web:campaign_cancel": [campaign.pk],
        "web:campaign_schedule": [campaign.pk],
        "web:team_act": [world.recruiter.pk, "deactivate"],
        "web:import_run": [import_run.pk],
        "web:import_progress": [import_run.pk],
        "web:import_report": [import_run.pk],
        "web:import_abandon": [import_run.pk],
        "intake:cv_upload": [lea],
        "intake:cv_download": [lea, cv.pk],
        # The public pages: our job under their organisation's address.
        "intake:job": ["other", job],
        "intake:applied": ["other", job],
    }
    assert set(urls) == set(_routes_with_an_id()), "a route with an id is not covered here"

    def ours() -> tuple:
        return (
            Touchpoint.objects.filter(organisation=world.org).count(),
            OutboxMessage.objects.count(),
            sorted(Thread.objects.filter(organisation=world.org).values_list("pk", "status")),
            list(Application.objects.filter(pk=application.pk).values_list("stage")),
            list(Interview.objects.filter(pk=interview.pk).values_list("status", "at")),
            list(Job.objects.filter(pk=job).values_list("status", "title")),
            sorted(world.org.candidate_set.values_list("pk", "stars", "tags", "first_name")),
            CV.objects.filter(organisation=world.org).count(),
            list(Campaign.objects.filter(pk=campaign.pk).values_list("status")),
            sorted(Recruiter.objects.filter(organisation=world.org).values_list("pk", "is_active",
                                                                                "role")),
            AuditEntry.objects.filter(organisation=world.org).count(),
            list(ImportRun.objects.filter(pk=import_run.pk).values_list("status", "dry_run")),
        )  # fmt: skip

    world.stranger.role = Recruiter.Role.ADMIN
    world.stranger.save(update_fields=["role"])
    client = client_of(world.stranger)
    before = ours()
    data = {"stars": "3", "add": "x", "body": "x", "stage": "rejected", "sure": "1",
            "successor": world.stranger.pk, "title": "Stolen", "outcome": "answered"}  # fmt: skip
    for name, args in urls.items():
        url = reverse(name, args=args)
        # The method the route serves says 404; the other one 405, which discloses nothing.
        codes = (client.get(url).status_code, client.post(url, data).status_code)
        assert set(codes) <= {404, 405}, f"{url}: {codes}"
        assert 404 in codes, f"{url}: {codes}"
    assert ours() == before
