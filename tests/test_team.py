"""The team and the audit log (issue 13, item 8): roles (an organisation always keeps an
administrator), deactivating a recruiter with the handover of their work to a colleague in
one transaction, reactivating; the audit log page, filtered and paged; every page scoped
to the organisation, admins only, in French and English."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from relance.engine import Channel, Situation
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.people import rights
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Interview,
    Job,
    Recruiter,
)
from tests import web_world
from tests.test_translations import every_code, raw_codes
from tests.web_world import PASSWORD, T0

pytestmark = pytest.mark.django_db


def marcs_work(world):  # type: ignore[no-untyped-def]
    """Marc's work: a candidate he owns and follows up (an open thread), a stopped thread
    of his, a job he is in charge of, an interview he will hold."""
    sam = Candidate.objects.create(organisation=world.org, first_name="Sam", last_name="Roux",
                                   email="sam@example.org", created_at=T0, owner=world.recruiter)  # fmt: skip
    services.record_event(Event(EventType.MESSAGE_SENT, T0, sam, recruiter=world.recruiter,
                                channel=Channel.EMAIL, situation=Situation.FIRST_MESSAGE), T0)  # fmt: skip
    job = Job.objects.create(organisation=world.org, title="Data", created_at=T0,
                             owner=world.recruiter)  # fmt: skip
    application = Application.objects.create(organisation=world.org, candidate=sam, job=job,
                                             stage="interview", stage_changed_at=T0)  # fmt: skip
    interview = Interview.objects.create(organisation=world.org, application=application,
                                         at=web_world.later(2), interviewer=world.recruiter,
                                         created_at=T0)  # fmt: skip
    stopped = Thread.objects.create(organisation=world.org, candidate=world.lea,
                                    recruiter=world.recruiter, situation="first_message",
                                    status="stopped", started_at=T0)  # fmt: skip
    return sam, job, interview, stopped


def sign_in(client, email: str) -> int:  # type: ignore[no-untyped-def]
    response = client.post(reverse("web:login"), {"username": email, "password": PASSWORD})
    return response.status_code


def deactivate(client, member, successor=None):  # type: ignore[no-untyped-def]
    data = {} if successor is None else {"successor": str(successor)}
    return client.post(reverse("web:team_act", args=[member.pk, "deactivate"]), data)


# --- the team page ---------------------------------------------------------------------------


def test_the_team_page_lists_everyone_for_admins_only(client_of, world):
    world.recruiter.is_active = False
    world.recruiter.save(update_fields=["is_active"])
    page = client_of(world.admin).get(reverse("web:team")).content.decode()
    assert "Claire Dubois" in page
    assert "marc@test.example" in page
    assert "deactivated" in page  # Marc, not active, still listed
    assert "eve@other.example" not in page  # another organisation's
    nina = Recruiter.objects.create_user("nina@test.example", PASSWORD, organisation=world.org)
    assert client_of(nina).get(reverse("web:team")).status_code == 404  # not an admin
    assert client_of(nina).get(reverse("web:audit")).status_code == 404


def test_deactivating_hands_the_work_over_to_the_chosen_colleague_in_one_go(
    client_of, world, client
):
    sam, job, interview, stopped = marcs_work(world)
    marc_session = Client()
    marc_session.force_login(world.recruiter)
    assert marc_session.get(reverse("web:today")).status_code == 200

    admin = client_of(world.admin)
    response = deactivate(admin, world.recruiter, world.admin.pk)
    assert response.status_code == 302
    page = admin.get(reverse("web:team")).content.decode()
    assert "Marc is deactivated and can no longer sign in. Claire Dubois takes over 1" in (
        html.unescape(page)
    )
    marc = Recruiter.objects.get(pk=world.recruiter.pk)
    assert not marc.is_active
    assert Thread.objects.get(candidate=sam, status="open").recruiter == world.admin
    assert not Thread.objects.filter(recruiter=marc, status="open").exists()  # none orphaned
    assert Thread.objects.get(pk=stopped.pk).recruiter == marc  # history stays his
    assert Candidate.objects.get(pk=sam.pk).owner == world.admin
    assert Job.objects.get(pk=job.pk).owner == world.admin
    assert Interview.objects.get(pk=interview.pk).interviewer == world.admin
    # He can no longer sign in, and his open session ends.
    assert sign_in(Client(), "marc@test.example") == 200  # the form again: refused
    assert marc_session.get(reverse("web:today")).status_code == 302
    # In the audit log: the deactivation, and the candidate whose owner changed.
    entry = AuditEntry.objects.get(action="deactivated")
    assert (entry.actor, entry.recruiter) == (world.admin, marc)
    assert entry.detail == {"successor": world.admin.pk, "threads": 1, "candidates": 1,
                            "jobs": 1, "interviews": 1}  # fmt: skip
    owner = AuditEntry.objects.get(action="changed", candidate_id=sam.pk)
    assert owner.detail["owner_after"] == world.admin.pk
    # A new follow-up of his candidate, on his former job, goes to who took them over.
    sam, job = Candidate.objects.get(pk=sam.pk), Job.objects.get(pk=job.pk)
    services.record_event(Event(EventType.APPLICATION_RECEIVED, web_world.NOW, sam, job=job),
                          web_world.NOW)  # fmt: skip
    assert Thread.objects.filter(candidate=sam, situation="application", recruiter=world.admin)
    assert not Thread.objects.filter(recruiter=marc, status="open").exists()


def test_deactivating_without_choosing_who_takes_over_changes_nothing(client_of, world):
    sam, *_ = marcs_work(world)
    admin = client_of(world.admin)
    response = deactivate(admin, world.recruiter)
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Choose who takes over Marc's follow-ups, candidates and jobs" in text
    assert 'aria-invalid="true"' in text
    assert Recruiter.objects.get(pk=world.recruiter.pk).is_active
    assert Candidate.objects.get(pk=sam.pk).owner == world.recruiter
    assert not AuditEntry.objects.filter(action__in=["deactivated", "changed"]).exists()
    # Nor to themselves, nor to someone deactivated, nor oneself deactivated.
    assert deactivate(admin, world.recruiter, world.recruiter.pk).status_code == 400
    assert deactivate(admin, world.admin, world.recruiter.pk).status_code == 400
    assert Recruiter.objects.get(pk=world.admin.pk).is_active
    assert deactivate(admin, world.recruiter, "Claire").status_code == 400


def test_another_organisations_recruiter_is_a_404_everywhere(client_of, world):
    admin = client_of(world.admin)
    eve = world.stranger
    for action, data in (("role", {"role": "admin"}), ("deactivate", {"successor": world.admin.pk}),
                         ("reactivate", {})):  # fmt: skip
        assert admin.post(reverse("web:team_act", args=[eve.pk, action]), data).status_code == 404
    # …nor can one of them take over our recruiter's work.
    assert deactivate(admin, world.recruiter, eve.pk).status_code == 404
    assert Recruiter.objects.get(pk=world.recruiter.pk).is_active
    eve.refresh_from_db()
    assert (eve.role, eve.is_active) == ("recruiter", True)
    # And their admin reaches none of ours.
    eve.role = "admin"
    eve.save(update_fields=["role"])
    other = client_of(eve)
    assert other.post(reverse("web:team_act", args=[world.recruiter.pk, "role"]),
                      {"role": "admin"}).status_code == 404  # fmt: skip
    assert "marc@test.example" not in other.get(reverse("web:team")).content.decode()
    assert "Claire" not in other.get(reverse("web:audit")).content.decode()


def test_reactivating_lets_them_sign_in_but_keeps_the_handover(client_of, world, client):
    sam, *_ = marcs_work(world)
    admin = client_of(world.admin)
    deactivate(admin, world.recruiter, world.admin.pk)
    assert (
        admin.post(reverse("web:team_act", args=[world.recruiter.pk, "reactivate"])).status_code
        == 302
    )
    assert sign_in(Client(), "marc@test.example") == 302
    assert Candidate.objects.get(pk=sam.pk).owner == world.admin
    assert AuditEntry.objects.filter(action="reactivated", recruiter=world.recruiter).exists()


def test_an_organisation_always_keeps_an_administrator(client_of, world):
    admin = client_of(world.admin)
    role = reverse("web:team_act", args=[world.admin.pk, "role"])
    response = admin.post(role, {"role": "recruiter"})
    assert response.status_code == 400
    assert "Claire Dubois is the last administrator" in html.unescape(response.content.decode())
    assert Recruiter.objects.get(pk=world.admin.pk).role == "admin"
    # With another administrator, one may step down.
    marc_role = reverse("web:team_act", args=[world.recruiter.pk, "role"])
    assert admin.post(marc_role, {"role": "admin"}).status_code == 302
    assert admin.post(role, {"role": "recruiter"}).status_code == 302
    assert Recruiter.objects.get(pk=world.admin.pk).role == "recruiter"
    entries = list(AuditEntry.objects.filter(action="role_changed").order_by("pk"))
    assert [(e.recruiter_id, e.detail["role_after"]) for e in entries] == [
        (world.recruiter.pk, "admin"), (world.admin.pk, "recruiter"),
    ]  # fmt: skip
    # A role that does not exist is refused.
    assert client_of(world.recruiter).post(role, {"role": "owner"}).status_code == 400


def test_the_last_active_admin_cannot_be_demoted_when_the_other_one_left(client_of, world):
    marc = world.recruiter
    Recruiter.objects.filter(pk=marc.pk).update(role="admin")
    admin = client_of(world.admin)
    assert deactivate(admin, marc, world.admin.pk).status_code == 302
    response = admin.post(reverse("web:team_act", args=[world.admin.pk, "role"]),
                          {"role": "recruiter"})  # fmt: skip
    assert response.status_code == 400


# --- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_says_who_did_what_to_whom_newest_first_in_the_organisations_time(
    client_of, world
):
    marcs_work(world)
    admin = client_of(world.admin, "fr")
    rights.audit(world.lea, world.recruiter, "viewed", web_world.NOW)  # 10:00 in Paris
    rights.audit(world.paul, world.admin, "exported", web_world.NOW + timedelta(hours=1),
                 files=2)  # fmt: skip
    deactivate(admin, world.recruiter, world.admin.pk)
    page = html.unescape(admin.get(reverse("web:audit")).content.decode())
    rows = re.findall(r"<tr><td>(.*?)</td>", page)
    assert len(rows) == 4
    assert "11:00" in rows[0]  # newest first, in Paris time
    assert "10:00" in rows[-1]
    assert "A désactivé" in page
    assert "repris par Claire Dubois : 1 relance(s), 1 candidat(s)" in page
    assert "responsable : Marc → Claire Dubois (une désactivation)" in page
    assert "A exporté" in page
    assert "2 fichier(s)" in page
    assert "Léa Martin" in page
    codes = every_code() | {"viewed", "exported", "deactivated", "changed", "role_changed"}
    assert raw_codes(admin.get(reverse("web:audit")).content.decode(), codes) == set()
    assert raw_codes(admin.get(reverse("web:team")).content.decode(), codes) == set()


def test_the_audit_log_filters_by_action_recruiter_candidate_and_period(client_of, world):
    admin = client_of(world.admin)
    day = web_world.NOW
    rights.audit(world.lea, world.recruiter, "viewed", day)
    rights.audit(world.lea, world.admin, "changed", day + timedelta(days=1))
    rights.audit(world.paul, world.admin, "viewed", day + timedelta(days=2))
    rights.audit(world.other_candidate, world.stranger, "viewed", day)  # another organisation

    def shown(**query: str) -> list[str]:
        page = admin.get(reverse("web:audit"), query).content.decode()
        return re.findall(r'<a href="/candidates/\d+/">([^<]+)</a>', page)

    assert shown() == ["Paul Martin", "Léa Martin", "Léa Martin"]
    assert shown(action="viewed") == ["Paul Martin", "Léa Martin"]
    assert shown(recruiter=str(world.recruiter.pk)) == ["Léa Martin"]
    assert shown(candidate=str(world.paul.pk)) == ["Paul Martin"]
    # Days in the organisation's time zone, both ends included.
    assert shown(since="2026-03-05", until="2026-03-05") == ["Léa Martin"]
    assert shown(since="2026-03-05") == ["Paul Martin", "Léa Martin"]
    assert shown(candidate=str(world.other_candidate.pk)) == []  # never another's
    for bad in ({"action": "deleted"}, {"recruiter": "Marc"}, {"since": "5 mars"},
                {"after": "x"}):  # fmt: skip
        response = admin.get(reverse("web:audit"), bad)
        assert response.status_code == 400, bad
        assert "expected" in response.content.decode()


def test_the_audit_log_pages_follow_the_last_entry_shown(client_of, world):
    from relance.web.views import team

    admin = client_of(world.admin)
    same_moment = web_world.NOW
    for n in range(team.PAGE + 5):  # entries at the same moment: the id orders them
        rights.audit(world.lea, world.admin, "viewed", same_moment if n % 2 else
                     same_moment + timedelta(minutes=n))  # fmt: skip
    first = admin.get(reverse("web:audit"), {"action": "viewed"}).content.decode()
    found = re.search(r'href="\?action=viewed&amp;after=(\d+)" rel="next"', first)
    assert found, "no next page"
    second = admin.get(reverse("web:audit"), {"action": "viewed", "after": found.group(1)})
    ids_first = re.findall(r'<span class="muted">#(\d+)</span>', first)
    assert len(ids_first) == team.PAGE
    shown_first = len(re.findall(r"<tr><td>", first))
    shown_second = len(re.findall(r"<tr><td>", second.content.decode()))
    assert (shown_first, shown_second) == (team.PAGE, 5)
    assert 'rel="next"' not in second.content.decode()
    # Newest first over both pages, nothing twice.
    order = list(AuditEntry.objects.filter(organisation=world.org).order_by("-at", "-pk")
                 .values_list("pk", flat=True))  # fmt: skip
    assert int(found.group(1)) == order[team.PAGE - 1]


def test_team_changes_and_invitations_are_in_the_audit_log_in_english(client_of, world):
    admin = client_of(world.admin)
    admin.post(reverse("web:settings_invite"), {"email": "nina@test.example", "role": "admin"})
    admin.post(reverse("web:team_act", args=[world.recruiter.pk, "role"]), {"role": "admin"})
    page = html.unescape(admin.get(reverse("web:audit")).content.decode())
    assert "Invited" in page
    assert "nina@test.example" in page
    assert "as Administrator" in page
    assert "Changed the role" in page
    assert "Recruiter → Administrator" in page
    assert "Audit log" in page
