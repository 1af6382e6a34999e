"""How often a public form may be submitted: per e-mail address and per client address,
over the last hour (RELANCE_PUBLIC_FORM_PER_ADDRESS, RELANCE_PUBLIC_FORM_PER_IP).

Counted in the database, so that every thread and process of the web server shares the
count, on SQLite and PostgreSQL alike. What is stored is a keyed digest (HMAC with the
installation's secret) of the address or IP, never the address or IP itself; rows older
than the hour are deleted as new ones come."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from relance.intake.models import FormAttempt
from relance.people.models import Organisation

WINDOW = timedelta(hours=1)


def key(organisation: Organisation, kind: str, value: str) -> str:
    secret = f"{settings.SECRET_KEY}:throttle:{organisation.pk}".encode()
    return hmac.new(secret, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def allow(organisation: Organisation, now: datetime, *, email: str, ip: str) -> bool:
    """Count this submission and say whether it is within the limits. A refused one is not
    counted (a client that keeps trying is not locked out longer for it)."""
    limits = []
    if ip:
        limits.append((key(organisation, "ip", ip), int(settings.RELANCE_PUBLIC_FORM_PER_IP)))
    if email:
        limits.append(
            (key(organisation, "email", email), int(settings.RELANCE_PUBLIC_FORM_PER_ADDRESS))
        )
    since = now - WINDOW
    with transaction.atomic():
        FormAttempt.objects.filter(organisation=organisation, at__lt=since).delete()
        for digest, limit in limits:
            if FormAttempt.objects.filter(key=digest, at__gte=since).count() >= limit:
                return False
        FormAttempt.objects.bulk_create(
            FormAttempt(organisation=organisation, key=digest, at=now) for digest, _ in limits
        )
    return True
