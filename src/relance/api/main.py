"""The REST API (django-ninja): its authentication, its errors as problem details, and its
resources, each a door into the same services as the pages (people/candidates.py,
people/jobs.py, followups/pipeline.py, followups/services.record_event), so that every
hard rule holds whichever door an event comes through."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from relance.api import problems
from relance.api.cursor import CursorInvalid
from relance.errors import InputError
from relance.followups.pipeline import Refused
from relance.followups.services import OneVoiceConflict
from relance.people.candidates import CandidateInvalid


class KeyAuth(HttpBearer):
    """The key was checked by guard.guarded before the endpoint runs; this names the
    scheme in the OpenAPI document and hands the key to ninja."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return getattr(request, "api_key", None)


api = NinjaAPI(
    title="Relance API",
    version="1",
    description="Candidates, jobs, applications and events of your organisation. "
    "Authenticate with `Authorization: Bearer rlk_…` (an organisation API key).",
    urls_namespace="api",
    auth=KeyAuth(),
    docs_url=None,  # our own page (docs.py): no script from a CDN, fits our CSP
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": problems.field_of(e.get("loc", ())), "message": problems.pydantic_message(e)}
        for e in exc.errors
    ]
    return problems.invalid(errors)


@api.exception_handler(CandidateInvalid)
def _candidate_invalid(request: HttpRequest, exc: CandidateInvalid) -> HttpResponse:
    return problems.invalid([{"field": f, "message": m} for f, m in exc.problems.items()])


@api.exception_handler(CursorInvalid)
def _bad_cursor(request: HttpRequest, exc: CursorInvalid) -> HttpResponse:
    return problems.invalid(
        [{"field": "cursor", "message": _("not a cursor this API gave: use next_cursor as is.")}]
    )


def _in_words(exc: Refused) -> str:
    """The pages' sentence for this refusal, in the reader's language (else the rule's
    own words, in English)."""
    from relance.web import labels
    from relance.web.views.applications import REFUSALS

    text = REFUSALS.get(exc.code)
    if text is None:
        return str(exc)
    values: dict[str, Any] = {**exc.params, "name": _("The candidate")}
    if "stage" in values:
        values["stage"] = labels.label("stage", str(values["stage"]))
    try:
        return str(text) % values
    except (KeyError, TypeError, ValueError):
        return str(exc)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return problems.response(
        409, exc.code, _("The rules refuse this change."), _in_words(exc), code=exc.code,
        params={k: str(v) for k, v in exc.params.items()},
    )  # fmt: skip


@api.exception_handler(OneVoiceConflict)
def _one_voice(request: HttpRequest, exc: OneVoiceConflict) -> HttpResponse:
    names = ", ".join(str(r) for r in exc.others)
    return problems.response(
        409, "one_voice", _("Another recruiter already follows this person up."),
        _("%(names)s already follows this person up: send \"confirmed\": true to start "
          "a follow-up of your own anyway.") % {"names": names},
    )  # fmt: skip


@api.exception_handler(InputError)
def _input(request: HttpRequest, exc: InputError) -> HttpResponse:
    text = str(exc)
    where, sep, what = text.partition(": ")
    field = where.split(" ")[-1] if sep else "body"
    return problems.invalid([{"field": field, "message": what if sep else text}])


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problems.not_found()


@api.exception_handler(ObjectDoesNotExist)
def _missing_row(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problems.not_found()


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problems.response(exc.status_code, "error", str(exc.message))


def _register() -> None:
    from relance.api import reads, resources  # noqa: F401  (they add the endpoints to `api`)


_register()
