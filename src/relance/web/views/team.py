"""The team (admins): every recruiter, active or not, with their role; changing a role,
deactivating a recruiter with the handover of their work to a colleague, reactivating.
And the audit log: who viewed, changed, exported or erased whom, and every team change.

The rules are in people/team.py and followups/handover.py; a refused change is shown on
the recruiter's row with why (status 400), and nothing is changed.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relance import clock
from relance.engine import calendar
from relance.followups import handover
from relance.followups.models import Thread
from relance.people import team as rules
from relance.people.models import AuditEntry, Candidate, Job, Organisation, Recruiter
from relance.web import errors, labels, scope

PAGE = 50
ACTIONS = ("role", "deactivate", "reactivate")


@require_GET
@scope.admin_page
def team(request: HttpRequest) -> HttpResponse:
    return _page(request, {})


def _page(request: HttpRequest, refused: dict[int, str], status: int = 200) -> HttpResponse:
    org = scope.organisation(request)
    members = list(
        Recruiter.objects.filter(organisation=org).order_by("-is_active", "first_name", "email")
    )
    threads = dict(
        Thread.objects.filter(organisation=org, status=Thread.Status.OPEN)
        .values_list("recruiter")
        .annotate(n=Count("id"))
        .values_list("recruiter", "n")
    )
    jobs = dict(
        Job.objects.of(org)
        .filter(owner__isnull=False)
        .values_list("owner")
        .annotate(n=Count("id"))
        .values_list("owner", "n")
    )
    rows = [
        {"member": m, "threads": threads.get(m.pk, 0), "jobs": jobs.get(m.pk, 0),
         "error": refused.get(m.pk, "")}
        for m in members
    ]  # fmt: skip
    return render(
        request,
        "web/team.html",
        {
            "rows": rows,
            "active": [m for m in members if m.is_active],
            "roles": list(labels.ROLES.items()),
            "me": scope.me(request),
        },
        status=status,
    )


@require_POST
@scope.admin_page
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    member = scope.colleague(request, pk)
    if action not in ACTIONS:
        return errors.bad_request(request, errors.one_of("action", action, ACTIONS))
    me, now = scope.me(request), clock.now()
    try:
        if action == "role":
            role = request.POST.get("role", "")
            if rules.change_role(member, role, me, now):
                messages.success(
                    request,
                    _("%(name)s is now: %(role)s.")
                    % {"name": member, "role": labels.label("role", role)},
                )
        elif action == "deactivate":
            raw = request.POST.get("successor", "").strip()
            if raw and not raw.isdigit():
                return errors.bad_request(request, errors.whole_number("successor", raw))
            successor = scope.colleague(request, int(raw)) if raw else None
            done = handover.deactivate(member, successor, me, now)
            messages.success(
                request,
                _(
                    "%(name)s is deactivated and can no longer sign in. %(successor)s takes "
                    "over %(threads)s follow-up(s), %(candidates)s candidate(s), %(jobs)s "
                    "job(s) and %(interviews)s interview(s)."
                )
                % {"name": member, "successor": successor, "threads": done.threads,
                   "candidates": done.candidates, "jobs": done.jobs,
                   "interviews": done.interviews},
            )  # fmt: skip
        elif rules.reactivate(member, me, now):
            messages.success(
                request,
                _(
                    "%(name)s can sign in again. What was handed over stays with the "
                    "colleague who took it."
                )
                % {"name": member},
            )
    except rules.TeamRefused as refused:
        messages.error(request, _("Nothing was changed."))
        return _page(request, {member.pk: str(refused)}, status=400)
    return redirect("web:team")


# --- the audit log -------------------------------------------------------------------------


class AuditFilters:
    """The log's filters, read from the query string; a bad value is named, not ignored."""

    def __init__(self) -> None:
        self.action = ""
        self.recruiter = self.candidate = 0
        self.since: date | None = None
        self.until: date | None = None
        self.raw: dict[str, str] = {}
        self.problem = ""

    @classmethod
    def read(cls, get: Any) -> AuditFilters:
        f = cls()
        f.raw = {k: get.get(k, "").strip() for k in
                 ("action", "recruiter", "candidate", "since", "until")}  # fmt: skip
        f.action = f.raw["action"]
        if f.action and f.action not in AuditEntry.Action.values:
            f.problem = errors.one_of("action", f.action, AuditEntry.Action.values)
        for name in ("recruiter", "candidate"):
            value = f.raw[name]
            if value and not value.isdigit():
                f.problem = errors.whole_number(name, value)
            setattr(f, name, int(value) if value.isdigit() else 0)
        for name in ("since", "until"):
            value = f.raw[name]
            if not value:
                continue
            try:
                setattr(f, name, date.fromisoformat(value))
            except ValueError:
                f.problem = _("%(field)s=%(value)s: expected a date, such as 2026-03-02") % {
                    "field": name,
                    "value": repr(value),
                }
        return f

    def apply(self, rows: Any, org: Organisation) -> Any:
        if self.action:
            rows = rows.filter(action=self.action)
        if self.recruiter:
            rows = rows.filter(Q(actor_id=self.recruiter) | Q(recruiter_id=self.recruiter))
        if self.candidate:
            rows = rows.filter(candidate_id=self.candidate)
        # A period is days in the organisation's time zone, both ends included.
        if self.since:
            rows = rows.filter(at__gte=calendar.at_local(self.since, time(0), org.timezone))
        if self.until:
            end = self.until + timedelta(days=1)
            rows = rows.filter(at__lt=calendar.at_local(end, time(0), org.timezone))
        return rows


@require_GET
@scope.admin_page
def audit(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first: a page follows the last entry shown (keyset on the
    moment and the id, index audit_org_at), so no page counts or skips rows."""
    org = scope.organisation(request)
    filters = AuditFilters.read(request.GET)
    if filters.problem:
        return errors.bad_request(request, filters.problem)
    rows = filters.apply(AuditEntry.objects.filter(organisation=org), org)
    after = request.GET.get("after", "")
    if after:
        if not after.isdigit():
            return errors.bad_request(request, errors.whole_number("after", after))
        last = AuditEntry.objects.filter(organisation=org, pk=int(after)).values_list("at")
        moment = last.first()
        if moment is not None:
            rows = rows.filter(Q(at__lt=moment[0]) | Q(at=moment[0], pk__lt=int(after)))
    page = list(rows.select_related("actor", "recruiter", "job").order_by("-at", "-pk")[: PAGE + 1])
    next_after = page[PAGE - 1].pk if len(page) > PAGE else None
    page = page[:PAGE]
    people = Candidate.objects.of(org).in_bulk(
        {e.candidate_id for e in page if e.candidate_id is not None}
    )
    team_names = {r.pk: str(r) for r in Recruiter.objects.filter(organisation=org)}
    entries = [
        {"entry": e, "candidate": people.get(e.candidate_id) if e.candidate_id else None,
         "summary": summary(e, team_names), "keys": ", ".join(sorted(e.detail or {}))}
        for e in page
    ]  # fmt: skip
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "web/audit.html",
        {
            "entries": entries,
            "filters": filters,
            "actions": list(labels.AUDIT_ACTIONS.items()),
            "members": Recruiter.objects.filter(organisation=org).order_by("first_name", "email"),
            "next_after": next_after,
            "query": query.urlencode(),
            "zone": timezone.get_current_timezone_name(),
        },
    )


def summary(entry: AuditEntry, names: dict[int, str]) -> str:
    """What the entry's details say, in the reader's language; empty when there is
    nothing more to say than the action."""
    d = entry.detail or {}

    def name(pk: Any) -> str:
        return names.get(pk, f"#{pk}") if isinstance(pk, int) else ""

    action = entry.action
    if action == AuditEntry.Action.ROLE_CHANGED:
        before, after = d.get("role_before"), d.get("role_after")
        return f"{labels.label('role', before)} → {labels.label('role', after)}"
    if action == AuditEntry.Action.DEACTIVATED:
        return _(
            "handed over to %(name)s: %(threads)s follow-up(s), %(candidates)s candidate(s), "
            "%(jobs)s job(s), %(interviews)s interview(s)"
        ) % {"name": name(d.get("successor")), "threads": d.get("threads", 0),
             "candidates": d.get("candidates", 0), "jobs": d.get("jobs", 0),
             "interviews": d.get("interviews", 0)}  # fmt: skip
    if action == AuditEntry.Action.CHANGED and d.get("because") == "deactivated":
        return _("owner: %(before)s → %(after)s (a deactivation)") % {
            "before": name(d.get("owner_before")),
            "after": name(d.get("owner_after")),
        }
    if action == AuditEntry.Action.CHANGED and d.get("anonymised"):
        return _("anonymised (retention rules)")
    if action in (AuditEntry.Action.INVITED, AuditEntry.Action.JOINED):
        return _("as %(role)s") % {"role": labels.label("role", d.get("role"))}
    if action == AuditEntry.Action.SETUP:
        return _("from the console") if d.get("door") == "command" else _("on the first-run page")
    if action == AuditEntry.Action.EXPORTED and "files" in d:
        return _("%(files)s file(s)") % {"files": d["files"]}
    if action == AuditEntry.Action.ERASED and isinstance(d.get("removed"), dict):
        return _("%(rows)s row(s) removed with the person") % {
            "rows": sum(v for v in d["removed"].values() if isinstance(v, int))
        }
    return ""
