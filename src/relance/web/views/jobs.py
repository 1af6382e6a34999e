"""Jobs and their applications by stage."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relance import clock
from relance.followups import experience
from relance.people.models import Application, Job
from relance.web import labels, scope

PER_STAGE = 100


@require_GET
@scope.recruiter_page
def jobs(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    rows = list(Job.objects.of(org).select_related("owner").order_by("status", "-created_at")[:200])
    counts: dict[int, dict[str, int]] = {}
    for job_id, stage, n in (
        Application.objects.filter(job__in=rows)
        .values_list("job_id", "stage")
        .annotate(n=Count("pk"))
    ):
        counts.setdefault(job_id, {})[stage] = n
    table = [(job, [(s, counts.get(job.pk, {}).get(s, 0)) for s in labels.STAGES]) for job in rows]
    now = clock.now()
    seen = experience.measure(org, now - timedelta(days=90), now)
    return render(
        request,
        "web/jobs.html",
        {"table": table, "stages": labels.STAGES, "experience": seen},
    )


@require_GET
@scope.recruiter_page
def job(request: HttpRequest, pk: int) -> HttpResponse:
    one = scope.job(request, pk)
    columns = []
    for stage in labels.STAGES:
        apps = list(
            Application.objects.filter(job=one, stage=stage)
            .select_related("candidate")
            .order_by("-stage_changed_at")[:PER_STAGE]
        )
        if apps:
            columns.append((stage, apps))
    return render(request, "web/job.html", {"job": one, "columns": columns})
