"""What every API request goes through before its endpoint, in this order: the key
(401), the rate limit (429 with Retry-After), the scope (403), then for a POST with an
Idempotency-Key the claim of that key (409 while another request holds it), or the replay
of the stored response (or 422 for the same key with another body). Writes are logged one
row each (ApiWrite); the worker prunes these rows after their retention (api/retention.py).

The rate limit counts requests per key in fixed one-minute windows, in the database:
every process and thread of the web app (waitress, several workers behind a proxy) sees
the same count with no extra server (the default cache is per process, and Relance runs
without Redis). It costs one UPDATE per request on a row of its own per key, so requests
of different keys never wait for each other. A fixed window lets a client make up to twice
the limit across a window's edge; the limit is there to protect the service, not to meter.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from relance import clock
from relance.api import keys, problems
from relance.api.models import ApiKey, ApiWrite, IdempotentResponse, RateWindow

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
WINDOW = timedelta(minutes=1)
KEEP_IDEMPOTENT = timedelta(hours=24)
# A claim older than this belongs to a request that died (no request runs this long).
STALE_CLAIM = timedelta(minutes=5)
IN_PROGRESS = 0  # an IdempotentResponse's status while its request runs
MAX_IDEMPOTENCY_KEY = 255


def _token(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def hit(key: ApiKey, now: datetime) -> tuple[bool, int]:
    """Count one request of `key`: (allowed, seconds until its window ends)."""
    limit = settings.RELANCE_API_RATE_LIMIT
    start = now.replace(second=0, microsecond=0)
    left = max(1, math.ceil((start + WINDOW - now).total_seconds()))
    if limit == 0:
        return True, left
    rows = RateWindow.objects.filter(key=key, start=start)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateWindow.objects.create(key=key, start=start, count=1)
            # The previous windows of this key are of no use any more.
            RateWindow.objects.filter(key=key, start__lt=start).delete()
        except IntegrityError:  # another request created it meanwhile
            rows.update(count=F("count") + 1)
    count = rows.values_list("count", flat=True).first() or 0
    return count <= limit, left


def _request_digest(request: HttpRequest) -> str:
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
    ).hexdigest()


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = clock.now()
        key = keys.find(_token(request), now)
        if key is None:
            return problems.response(
                401,
                "unauthenticated",
                _("A valid API key is needed."),
                _("Send it as “Authorization: Bearer rlk_…”; an administrator creates keys "
                  "on the API keys page of the settings."),
                headers={"WWW-Authenticate": 'Bearer realm="relance"'},
            )  # fmt: skip
        allowed, left = hit(key, now)
        if not allowed:
            return problems.response(
                429,
                "rate_limited",
                _("Too many requests."),
                _("This key made more than %(n)s requests this minute: try again in "
                  "%(s)s seconds.") % {"n": settings.RELANCE_API_RATE_LIMIT, "s": left},
                headers={"Retry-After": str(left)},
            )  # fmt: skip
        safe = request.method in SAFE
        if not safe and not key.can_write:
            return problems.response(
                403, "read_only_key", _("This key can only read."),
                _("Ask an administrator for a key with the write scope."),
            )  # fmt: skip
        request.api_key = key  # type: ignore[attr-defined]
        idempotency = request.META.get("HTTP_IDEMPOTENCY_KEY", "")
        if request.method == "POST" and idempotency:
            answer = _idempotent(request, key, idempotency, now, view, args, kwargs)
        else:
            answer = view(request, *args, **kwargs)
        if not safe:
            ApiWrite.objects.create(
                key=key, at=now, method=request.method or "", path=request.path[:300],
                status=answer.status_code,
            )  # fmt: skip
        return answer

    return csrf_exempt(run)


def _idempotent(
    request: HttpRequest,
    key: ApiKey,
    token: str,
    now: datetime,
    view: Callable[..., HttpResponse],
    args: Any,
    kwargs: Any,
) -> HttpResponse:
    """Run the request once per (key, Idempotency-Key), following the IETF draft "The
    Idempotency-Key HTTP Header Field": the pair is claimed (a row, unique on the pair)
    *before* the endpoint runs, so that two requests sent at once cannot both run — the
    second gets 409 "request in progress"; the same key with another body gets 422; a
    finished one is replayed. A claim is dropped when the request fails with a server
    fault (trying again may succeed), and taken over when it is older than STALE_CLAIM (its
    process died)."""
    if len(token) > MAX_IDEMPOTENCY_KEY:
        return problems.invalid(
            [{"field": "Idempotency-Key", "message": _("at most %(n)s characters.")
              % {"n": MAX_IDEMPOTENCY_KEY}}]
        )  # fmt: skip
    wanted = _request_digest(request)
    mine = IdempotentResponse.objects.filter(key=key, token=token)
    mine.filter(created_at__lte=now - KEEP_IDEMPOTENT).delete()  # expired: the key is free
    claim = _claim(key, token, wanted, now)
    if claim is None:
        stored = mine.first()
        if stored is not None and stored.request_digest != wanted:
            reused = _("already used with another body.")
            return problems.response(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for another request."),
                _("The same key replays the same request only: use a new key for a new request."),
                errors=[{"field": "Idempotency-Key", "message": reused}],
            )
        if stored is not None and stored.status != IN_PROGRESS:
            replay = HttpResponse(
                bytes(stored.body), status=stored.status, content_type=stored.content_type
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        if stored is not None and _take_over(stored, now):
            claim = stored  # its request died with its process: this one runs instead
        else:
            return problems.response(
                409,
                "idempotency_request_in_progress",
                _("A request with this Idempotency-Key is in progress."),
                _("Wait for its answer, then send the request again to read it."),
                errors=[{"field": "Idempotency-Key", "message": _("in progress.")}],
                headers={"Retry-After": "1"},
            )
    return _run(claim, request, view, args, kwargs)


def _take_over(stored: IdempotentResponse, now: datetime) -> bool:
    """A claim left by a request that died (older than STALE_CLAIM) is taken by this one;
    the conditional update lets only one of several requests take it."""
    if stored.status != IN_PROGRESS or stored.created_at > now - STALE_CLAIM:
        return False
    taken = IdempotentResponse.objects.filter(
        pk=stored.pk, status=IN_PROGRESS, created_at=stored.created_at
    ).update(created_at=now)
    return taken == 1


def _run(
    claim: IdempotentResponse,
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    args: Any,
    kwargs: Any,
) -> HttpResponse:
    """Run the claimed request; keep its answer for replays, or free the key on a fault."""
    mine = IdempotentResponse.objects.filter(pk=claim.pk)
    try:
        answer = view(request, *args, **kwargs)
    except BaseException:
        mine.delete()
        raise
    if answer.status_code < 500:
        mine.update(
            status=answer.status_code,
            content_type=answer.get("Content-Type", "application/json"),
            body=answer.content,
        )
    else:  # a server fault may succeed when tried again
        mine.delete()
    return answer


def _claim(key: ApiKey, token: str, digest: str, now: datetime) -> IdempotentResponse | None:
    """The row that says this request runs, committed at once (visible to every other
    request), or None when another request holds the pair."""
    try:
        with transaction.atomic():
            return IdempotentResponse.objects.create(
                key=key, token=token, request_digest=digest, status=IN_PROGRESS,
                content_type="", body=b"", created_at=now,
            )  # fmt: skip
    except IntegrityError:
        return None
