"""Everything a page reads is reached through the signed-in recruiter's organisation.

A row of another organisation is a 404, never a 403: its existence is not disclosed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from relance.followups.models import Thread
from relance.people.models import Candidate, Job, Organisation, Recruiter

View = Callable[..., HttpResponse]


def recruiter_page(view: View) -> View:
    """Login required, and a recruiter of an organisation. An account in no organisation
    (made by `createsuperuser`) reads what to do, not a bare 404."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "organisation_id", None) is None:
            from relance.web.views.setup import no_organisation

            return no_organisation(request)
        return view(request, *args, **kwargs)

    return wrapped


def admin_page(view: View) -> View:
    @recruiter_page
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if me(request).role != Recruiter.Role.ADMIN:
            raise Http404("admins only")
        return view(request, *args, **kwargs)

    return wrapped


def me(request: HttpRequest) -> Recruiter:
    user = request.user
    assert isinstance(user, Recruiter)
    return user


def organisation(request: HttpRequest) -> Organisation:
    org = me(request).organisation
    if org is None:
        raise Http404("no organisation")
    return org


def candidate(request: HttpRequest, pk: int) -> Candidate:
    return get_object_or_404(
        Candidate.objects.of(organisation(request)).select_related("owner", "organisation"), pk=pk
    )


def thread(request: HttpRequest, pk: int) -> Thread:
    return get_object_or_404(
        Thread.objects.of(organisation(request)).select_related(
            "candidate", "recruiter", "application__job"
        ),
        pk=pk,
    )


def job(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(Job.objects.of(organisation(request)), pk=pk)


def colleague(request: HttpRequest, pk: int) -> Recruiter:
    return get_object_or_404(Recruiter.objects.filter(organisation=organisation(request)), pk=pk)
