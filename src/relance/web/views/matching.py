"""Matching on a job's page (docs/matching.md): sending the job to the candidates the
recruiter selected among its matches."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relance import clock
from relance.people.models import Candidate
from relance.pools import segments, selection
from relance.web import errors, scope

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
