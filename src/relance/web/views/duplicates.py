"""The possible duplicates page: pairs of records that are, or may be, the same person, each
to merge (which record is kept, and field by field which value wins) or to dismiss ("not
the same person", never proposed again). The rules are in people/duplicates.py and
people/merge.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance import clock
from relance.people import candidates, duplicates, merge
from relance.people.models import Candidate
from relance.web import scope

PAGE = 50


def _reason(code: str) -> str:
    return {
        "email": _("Same e-mail"),
        "linkedin_url": _("Same LinkedIn profile"),
        "phone": _("Same phone"),
        "name": _("Close name, same role and place"),
        "company": _("Close name, same company"),
    }[code]


@scope.recruiter_page
def duplicates_page(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    after = None
    parts = request.GET.get("after", "").split("\x1f")
    if len(parts) == 3 and parts[0] in (duplicates.COMPANY, duplicates.NAME):
        after = (parts[0], parts[1], parts[2])  # the pass, then the last block read
    exact = duplicates.exact(org, limit=PAGE) if after is None else []
    possible, cursor = duplicates.possible(org, limit=PAGE, after=after)
    pairs = [*exact, *possible]
    people = Candidate.objects.of(org).in_bulk({x for p in pairs for x in (p.first, p.second)})
    rows = [
        {"pair": p, "a": people[p.first], "b": people[p.second], "why": _reason(p.reason)}
        for p in pairs
        if p.first in people and p.second in people
    ]
    return render(
        request,
        "web/duplicates.html",
        {"rows": rows, "next": "\x1f".join(cursor) if cursor else ""},
    )


def _pair(request: HttpRequest, first: int, second: int) -> tuple[Candidate, Candidate]:
    if first == second:
        raise Http404
    return scope.candidate(request, first), scope.candidate(request, second)


@scope.recruiter_page
def duplicate(request: HttpRequest, first: int, second: int) -> HttpResponse:
    """Review one pair: choose the record kept and, where they differ, each field's value."""
    a, b = _pair(request, first, second)
    if request.method == "POST":
        keep_id = request.POST.get("keep", str(a.pk))
        keep, other = (b, a) if keep_id == str(b.pk) else (a, b)
        choose = {}
        for name in merge.differences(a, b):
            taken = request.POST.get(f"field_{name}", "")
            if taken in (str(a.pk), str(b.pk)):
                choose[name] = "keep" if taken == str(keep.pk) else "other"
        try:
            done = merge.merge(keep, other, scope.me(request), clock.now(), choose)
        except merge.MergeRefused as refused:
            messages.error(request, str(refused))
            return redirect("web:duplicate", first=a.pk, second=b.pk)
        messages.success(
            request,
            _("Merged: %(name)s keeps both records' history, follow-ups and applications.")
            % {"name": done.kept.full_name},
        )
        return redirect("web:candidate", pk=done.kept.pk)
    fields = [
        {
            "name": name,
            "label": candidates.FIELD_NAMES.get(name, name),
            "a": _shown(a, name),
            "b": _shown(b, name),
        }
        for name in merge.differences(a, b)
    ]
    return render(request, "web/duplicate.html", {"a": a, "b": b, "fields": fields})


def _shown(candidate: Candidate, name: str) -> str:
    if name == "owner":
        return str(candidate.owner) if candidate.owner else ""
    return str(getattr(candidate, name))


@require_POST
@scope.recruiter_page
def different(request: HttpRequest, first: int, second: int) -> HttpResponse:
    a, b = _pair(request, first, second)
    duplicates.not_the_same(scope.organisation(request), a, b, scope.me(request), clock.now())
    messages.success(request, _("Noted: this pair will not be proposed again."))
    return redirect("web:duplicates")
