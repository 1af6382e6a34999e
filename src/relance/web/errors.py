"""Bad input, said in the reader's language on a real page (400.html): what, where, and
what was expected. Forms never send such values; a hand-made address or request can."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


def one_of(field: str, value: str, choices: Iterable[str]) -> str:
    return _("%(field)s=%(value)s: expected one of %(choices)s") % {
        "field": field,
        "value": repr(value),
        "choices": ", ".join(choices),
    }


def whole_number(field: str, value: str) -> str:
    return _("%(field)s=%(value)s: expected a whole number") % {
        "field": field,
        "value": repr(value),
    }
