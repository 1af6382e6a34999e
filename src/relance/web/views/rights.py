"""A person's rights from their page (admins): the export of everything held about them,
and erasure on their request. The rules are in relance.people.rights."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance import clock
from relance.people import rights
from relance.web import scope


@require_POST
@scope.admin_page
def export(request: HttpRequest, pk: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    data = rights.export(person, scope.me(request), clock.now())
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="candidate-{person.pk}.zip"'
    return response


@require_POST
@scope.admin_page
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    person = scope.candidate(request, pk)
    if request.POST.get("sure") != "1":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("web:candidate", pk=person.pk)
    rights.erase(person, scope.me(request), clock.now())
    messages.success(
        request,
        _("Erased: nothing of this person remains, but a digest that keeps them from being "
          "contacted again."),
    )  # fmt: skip
    return redirect("web:candidates")
