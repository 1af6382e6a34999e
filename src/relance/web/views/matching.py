"""Matching on a job's page: the candidates whose CVs fit the job (ranked by
matching.rank, each with their score, the reason, the requirements their CV shows and
those it lacks, and whether they may receive the job now), and the job's requirements,
which the recruiter marks must-have or nice-to-have, takes off or adds (docs/matching.md,
"On the job page").

The panel is its own page (GET /jobs/<pk>/matches/): the job page loads it with htmx once
shown, so the pipeline never waits for the ranking, and links to it without JavaScript.
Each change of a requirement is a small POST form: it redirects back to the job page, or,
with htmx, answers the requirements and a panel ranked again, in place."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from relance import clock
from relance.intake.models import CV
from relance.matching import rank, recognise, requirements, score, text, vocabulary
from relance.matching.models import Requirement
from relance.people.models import AuditEntry, Candidate, Job
from relance.pools import segments, selection
from relance.web import errors, labels, scope

PER_PAGE = 20  # matches a page of the panel shows; "show more" brings the next ones
DEEPEST = 500  # how far "show more" goes down the ranking
FIVE = 5  # "select the top five who may be contacted"
TOPIC = "job_offers"  # what sending a job to someone is, for their consent and rhythm
NAME_LENGTH = 100


@dataclass(frozen=True)
class Row:
    """One candidate of the panel, as the page shows them."""

    place: int  # 1 for the best
    candidate: Candidate
    value: int
    reason: str
    found: list[tuple[str, str]]  # (requirement's name, the CV line that shows it)
    missing: list[str]
    why_not: str  # '' when they may receive the job now, else an exclusion code
    selected: bool


# --- sending the job to the selected (pools.selection) --------------------------------------------


@require_POST
@scope.recruiter_page
def job_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The button "Send this job to the selected": the ticked candidates (`ids`) become a
    draft job-offer campaign of this job; the recruiter lands on the campaign's page to
    preview who receives it (and who does not, with the reason), edit and schedule it."""
    one = scope.job(request, pk)
    org = scope.organisation(request)
    raw = request.POST.getlist("ids")
    bad = next((value for value in raw if not value.strip().isdigit()), None)
    if bad is not None:
        return errors.bad_request(request, errors.whole_number("ids", bad))
    wanted = {int(value) for value in raw}
    if len(wanted) > segments.MAX_IDS:
        messages.error(
            request,
            _("Not sent: %(n)s people selected; a selection holds at most %(max)s.")
            % {"n": len(wanted), "max": segments.MAX_IDS},
        )
        return redirect("web:job", pk=one.pk)
    ours = sorted(
        Candidate.objects.of(org)
        .filter(pk__in=wanted, anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if not ours:
        messages.error(request, _("Select at least one candidate to send the job to."))
        return redirect(reverse("web:job", args=[one.pk]) + "#matches")
    draft = selection.campaign_for_selection(org, one, ours, scope.me(request), clock.now())
    messages.success(
        request,
        ngettext(
            "Draft campaign for %(n)s person: see who may receive it, then schedule it.",
            "Draft campaign for %(n)s people: see who may receive it, then schedule it.",
            len(ours),
        )
        % {"n": len(ours)},
    )
    return redirect("web:campaign", pk=draft.pk)


# --- the panel ----------------------------------------------------------------------------------


@require_GET
@scope.recruiter_page
def job_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel: PER_PAGE matches after `after` (a place in the ranking, which is the
    same every time for the same CVs and requirements); `select=5` ticks the first five
    who may be contacted."""
    one = scope.job(request, pk)
    raw = request.GET.get("after", "0") or "0"
    if not raw.isdigit() or int(raw) > DEEPEST:
        return errors.bad_request(request, errors.whole_number("after", raw))
    context = panel(request, one, int(raw), request.GET.get("select") == str(FIVE))
    if request.headers.get("HX-Request"):
        name = "web/partials/matches_more.html" if int(raw) else "web/partials/matches.html"
        return render(request, name, context)
    return render(request, "web/job_matches.html", context)


def panel(request: HttpRequest, job: Job, after: int = 0, select: bool = False) -> dict[str, Any]:
    """What the panel shows: the matches after a place, or why there are none."""
    org = scope.organisation(request)
    context: dict[str, Any] = {"job": job, "after": after, "rows": [], "more": False}
    if not CV.objects.filter(organisation=org).exclude(text="").exists():
        context["no_cv"] = True
        return context
    found = rank.rank(org, job=job, limit=after + PER_PAGE + 1)
    context["more"] = len(found) > after + PER_PAGE
    shown = found[after : after + PER_PAGE]
    people = Candidate.objects.of(org).in_bulk([m.candidate for m in shown])
    why_not = _contactability(org, sorted(people), job)
    language = labels.reader_language()
    rows: list[Row] = []
    ticked = 0
    for place, match in enumerate(shown, start=after + 1):
        person = people.get(match.candidate)
        if person is None:  # erased since the index read them
            continue
        reason = why_not.get(person.pk, "")
        tick = select and not reason and ticked < FIVE
        ticked += tick
        rows.append(
            Row(
                place=place,
                candidate=person,
                value=match.score.value,
                reason=score.reason_text(match.score, language),
                found=[(vocabulary.name(c, language), line) for c, line in match.score.matched],
                missing=[vocabulary.name(c, language) for c in match.score.missing],
                why_not=reason,
                selected=tick,
            )
        )
    context.update(
        rows=rows,
        next_after=after + PER_PAGE,
        contactable=sum(1 for row in rows if not row.why_not),
        exclusions=labels.EXCLUSIONS,
    )
    return context


def _contactability(org: Any, candidate_ids: list[int], job: Job) -> dict[int, str]:
    """Who may receive the job now, or why not: the campaign exclusions' reasons."""
    return selection.contactability(org, candidate_ids, TOPIC, clock.now(), job=job)


# --- the job's requirements -----------------------------------------------------------------------


def requirement_rows(job: Job) -> list[dict[str, Any]]:
    """The job's requirements as the page lists them: must-haves first, then by name. A job
    read for the first time since matching came has its requirements worked out now."""
    if not Requirement.objects.filter(job=job).exists():
        requirements.refresh(job)
    language = labels.reader_language()
    rows = [
        {"concept": r.concept, "name": vocabulary.name(r.concept, language), "weight": r.weight,
         "origin": r.origin}
        for r in requirements.active(job)
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r["weight"] != "must", text.fold(r["name"]), r["concept"]))


@lru_cache(maxsize=1)
def _by_label() -> dict[str, str]:
    """Every folded name of the vocabulary to its concept (a skill's name before a job
    title's when both have it)."""
    out: dict[str, str] = {}
    concepts = vocabulary.load().concepts
    for cid in sorted(concepts, key=lambda c: (concepts[c].kind != "skill", c)):
        for name in (
            *concepts[cid].labels,
            text.fold(concepts[cid].fr),
            text.fold(concepts[cid].en),
        ):
            out.setdefault(name, cid)
    return out


def find_concept(name: str) -> str | None:
    """The concept a recruiter means by a name: one of its names in either language, or
    the one concept the recogniser finds in what they typed."""
    folded = text.fold(name).strip()
    if not folded:
        return None
    if folded in _by_label():
        return _by_label()[folded]
    found = {m.concept for m in recognise.mentions(name)}
    return found.pop() if len(found) == 1 else None


@require_POST
@scope.recruiter_page
def requirement_add(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    name = request.POST.get("name", "").strip()[:NAME_LENGTH]
    weight = request.POST.get("weight", Requirement.Weight.MUST)
    if weight not in Requirement.Weight.values:
        return errors.bad_request(
            request, errors.one_of("weight", weight, Requirement.Weight.values)
        )
    concept = find_concept(name)
    if concept is None:
        if name:
            problem = _(
                "Skill: “%(name)s” is not a skill Relance knows. Try another name for it, in "
                "French or English (e.g. “gestion de projet” or “project management”)."
            ) % {"name": name}
        else:
            problem = _(
                "Skill: type the name of a skill to add (e.g. Java, Spring, project management)."
            )
        return _answer(request, one, error=problem, status=400)
    _mark(request, one, concept, weight)
    return _answer(request, one, done=_("Requirement added: %(name)s.") % {"name": _name(concept)})


@require_POST
@scope.recruiter_page
def requirement_mark(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    concept = request.POST.get("concept", "")
    weight = request.POST.get("weight", "")
    if weight not in Requirement.Weight.values:
        return errors.bad_request(
            request, errors.one_of("weight", weight, Requirement.Weight.values)
        )
    if not Requirement.objects.filter(job=one, concept=concept).exists():
        return errors.bad_request(
            request,
            _not_ours(concept),
        )
    _mark(request, one, concept, weight)
    done = (
        _("%(name)s is now a must-have.")
        if weight == Requirement.Weight.MUST
        else _("%(name)s is now a nice-to-have.")
    )
    return _answer(request, one, done=done % {"name": _name(concept)})


@require_POST
@scope.recruiter_page
def requirement_remove(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    concept = request.POST.get("concept", "")
    kept = Requirement.objects.filter(job=one, concept=concept, active=True).first()
    if kept is None:
        return errors.bad_request(
            request,
            _not_ours(concept),
        )
    now = clock.now()
    with transaction.atomic():
        requirements.drop(one, concept)
        _audit(one, request, now, concept, [kept.weight, None])
    return _answer(
        request, one, done=_("Requirement taken off: %(name)s.") % {"name": _name(concept)}
    )


def _mark(request: HttpRequest, job: Job, concept: str, weight: str) -> None:
    """The recruiter's choice, kept by later edits of the job's text (origin "recruiter"),
    and written in the audit log as the job's other changes are."""
    before = Requirement.objects.filter(job=job, concept=concept, active=True).first()
    now = clock.now()
    with transaction.atomic():
        requirements.mark(job, concept, weight)
        _audit(job, request, now, concept, [before.weight if before else None, weight])


def _audit(job: Job, request: HttpRequest, now: Any, concept: str, weight: list[Any]) -> None:
    AuditEntry.objects.create(
        organisation_id=job.organisation_id, at=now, actor=scope.me(request),
        action=AuditEntry.Action.JOB_CHANGED, job=job,
        detail={"title": job.title, "requirement": concept, "weight": weight},
    )  # fmt: skip


def _not_ours(concept: str) -> str:
    return _("concept=%(value)s: not a requirement of this job") % {"value": repr(concept)}


def _name(concept: str) -> str:
    return vocabulary.name(concept, labels.reader_language())


def _answer(
    request: HttpRequest, job: Job, *, done: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    """After a change: with htmx, the requirements and the panel ranked again, in place;
    without, back to the job's page with what happened."""
    if request.headers.get("HX-Request"):
        context = {
            "job": job, "requirements": requirement_rows(job), "done": done, "error": error,
            "name": request.POST.get("name", "") if error else "",
        }  # fmt: skip
        return render(request, "web/partials/requirements.html", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(reverse("web:job", args=[job.pk]) + "#requirements")
