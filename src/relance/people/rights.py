"""A person's rights over their data (GDPR, and the CNIL's guidance for recruitment): a
full export for an access request, and erasure on request — each written in the audit
log. Erasure removes the person from every table, cancels what was queued for them, and
keeps only keyed digests so that they are never approached again by mistake.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.forms.models import model_to_dict

from relance.followups.models import Thread, Touchpoint
from relance.messaging.models import InboundMessage, OutboxMessage
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Consent,
    ErasedPerson,
    Organisation,
    Recruiter,
)
from relance.pools.models import PoolMember, Preference


@dataclass(frozen=True)
class PersonalData:
    """What an app above this one holds about a person (intake: CVs and their files),
    registered at start-up by that app (its AppConfig.ready): people does not import it.
    `export` gives its rows and its files (path in the zip -> bytes); `erase` removes them
    in the caller's transaction and returns how many; `anonymise` removes what leads back
    to the person. Files in storage are removed once the transaction commits."""

    name: str
    export: Callable[[Candidate], tuple[list[dict[str, Any]], dict[str, bytes]]]
    erase: Callable[[Candidate], int]
    anonymise: Callable[[Candidate], None]


PERSONAL_DATA: dict[str, PersonalData] = {}


def register(part: PersonalData) -> None:
    PERSONAL_DATA[part.name] = part


def erasure_keys(
    organisation_id: int, *, email: str = "", phone: str = "", linkedin: str = ""
) -> list[str]:
    """Keyed digests (HMAC-SHA256 with the installation's secret) of what identifies a
    person: the same person gives the same keys, and a key gives nothing back."""
    values = []
    if email.strip():
        values.append("email:" + email.strip().lower())
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 6:
        values.append("phone:" + digits[-9:])  # without the country prefix
    if linkedin.strip():
        values.append("linkedin:" + linkedin.strip().lower().rstrip("/").split("?")[0])
    secret = f"{settings.SECRET_KEY}:{organisation_id}".encode()
    return [hmac.new(secret, v.encode(), hashlib.sha256).hexdigest() for v in values]


def was_erased(
    organisation: Organisation, *, email: str = "", phone: str = "", linkedin: str = ""
) -> bool:
    """True when someone with this address, phone or profile asked to be erased."""
    keys = erasure_keys(organisation.pk, email=email, phone=phone, linkedin=linkedin)
    return (
        bool(keys) and ErasedPerson.objects.filter(organisation=organisation, key__in=keys).exists()
    )


def refuse_erased(sender: Any, instance: Candidate, created: bool, **_: Any) -> None:
    """A candidate added again (an import, a scenario, a page) who once asked to be erased
    is marked do-not-contact at once: every rule then keeps them out of every follow-up."""
    if not created or instance.do_not_contact_at is not None:
        return
    organisation = Organisation(pk=instance.organisation_id)
    if was_erased(
        organisation, email=instance.email, phone=instance.phone, linkedin=instance.linkedin_url
    ):
        instance.do_not_contact_at = instance.created_at
        Candidate.objects.filter(pk=instance.pk).update(do_not_contact_at=instance.created_at)


def audit(
    candidate: Candidate, actor: Recruiter | None, action: str, now: datetime, **detail: Any
) -> None:
    AuditEntry.objects.create(
        organisation_id=candidate.organisation_id, at=now, actor=actor, action=action,
        candidate_id=candidate.pk, detail=detail,
    )  # fmt: skip


def export(candidate: Candidate, actor: Recruiter | None, now: datetime) -> bytes:
    """Everything Relance holds about the person, as a zip: `candidate.json` (profile,
    applications, consents, timeline, follow-ups, e-mails written to them) and each e-mail
    received from them as an .eml file."""
    data = {
        "exported_at": now.isoformat(),
        "organisation": candidate.organisation.name,
        "candidate": _plain(candidate),
        "applications": [
            {**_plain(a), "job": a.job.title}
            for a in Application.objects.filter(candidate=candidate).select_related("job")
        ],
        "consents": [
            _plain(c)
            for c in Consent.objects.filter(candidate=candidate).order_by("given_at", "pk")
        ],
        "timeline": [
            _plain(t) for t in Touchpoint.objects.filter(candidate=candidate).order_by("at", "pk")
        ],
        "follow_ups": [
            _plain(t) for t in Thread.objects.filter(candidate=candidate).order_by("pk")
        ],
        "emails_written": [
            _plain(o) for o in OutboxMessage.objects.filter(candidate=candidate).order_by("pk")
        ],
        "preferences": [
            _plain(p) for p in Preference.objects.filter(candidate=candidate).order_by("topic")
        ],
        "pools": [
            {"pool": m.pool.name, "added_at": m.added_at}
            for m in PoolMember.objects.filter(candidate=candidate).select_related("pool")
        ],
    }
    files: dict[str, bytes] = {}
    for part in PERSONAL_DATA.values():
        data[part.name], more = part.export(candidate)
        files.update(more)
    received = list(_inbound_of(candidate))
    data["emails_received"] = [f"received/{m.pk}.eml" for m in received]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "candidate.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        for message in received:
            archive.writestr(f"received/{message.pk}.eml", bytes(message.raw))
        for name, content in files.items():
            archive.writestr(name, content)
    audit(candidate, actor, AuditEntry.Action.EXPORTED, now,
          files=1 + len(received) + len(files))  # fmt: skip
    return buffer.getvalue()


def erase(candidate: Candidate, actor: Recruiter | None, now: datetime) -> dict[str, int]:
    """Remove the person from every table, in one transaction: what was queued for them is
    cancelled with the rest (their outbox rows are deleted). Returns what was removed."""
    with transaction.atomic():
        person = Candidate.objects.select_for_update().get(pk=candidate.pk)
        for key in erasure_keys(
            person.organisation_id,
            email=person.email,
            phone=person.phone,
            linkedin=person.linkedin_url,
        ):
            ErasedPerson.objects.get_or_create(
                organisation_id=person.organisation_id, key=key, defaults={"erased_at": now}
            )
        removed = {
            "emails_received": _inbound_of(person).delete()[0],
            "emails_written": OutboxMessage.objects.filter(candidate=person).delete()[0],
            "timeline": Touchpoint.objects.filter(candidate=person).delete()[0],
            "follow_ups": Thread.objects.filter(candidate=person).delete()[0],
            "consents": Consent.objects.filter(candidate=person).delete()[0],
            "applications": Application.objects.filter(candidate=person).delete()[0],
            "preferences": Preference.objects.filter(candidate=person).delete()[0],
            "pools": PoolMember.objects.filter(candidate=person).delete()[0],
        }
        for part in PERSONAL_DATA.values():
            removed[part.name] = part.erase(person)
        audit(person, actor, AuditEntry.Action.ERASED, now, removed=removed)
        person.delete()
    return removed


def _inbound_of(candidate: Candidate) -> Any:
    rows = InboundMessage.objects.filter(organisation_id=candidate.organisation_id)
    if candidate.email:
        return rows.filter(candidate=candidate) | rows.filter(sender__iexact=candidate.email)
    return rows.filter(candidate=candidate)


def _plain(row: Any) -> dict[str, Any]:
    out = model_to_dict(row)
    out.pop("organisation", None)
    out.pop("raw", None)
    return out


def anonymise(candidate: Candidate, now: datetime) -> None:
    """Keep what statistics need (the candidate's row, source, stars, applications and
    their stages, the kinds and dates of the touchpoints) and nothing that leads back to the
    person: names, addresses, texts, e-mails kept or queued. Unlike an erasure it leaves no
    do-not-contact key: the person asked for nothing, the time to keep their data is over."""
    with transaction.atomic():
        person = Candidate.objects.select_for_update().get(pk=candidate.pk)
        _inbound_of(person).delete()
        OutboxMessage.objects.filter(candidate=person).delete()
        Touchpoint.objects.filter(candidate=person).update(subject="", body="", message_id="")
        Consent.objects.filter(candidate=person).update(text="")
        Preference.objects.filter(candidate=person).delete()
        PoolMember.objects.filter(candidate=person).delete()
        for part in PERSONAL_DATA.values():
            part.anonymise(person)
        Candidate.objects.filter(pk=person.pk).update(
            external_ref="", first_name="", last_name="", email="", phone="", linkedin_url="",
            location="",
            tags=[], skills=[], interests=[], desired_role="", company="", hook="",
            anonymised_at=now,
            do_not_contact_at=person.do_not_contact_at or now,
        )  # fmt: skip
        Thread.objects.filter(candidate=person, status=Thread.Status.OPEN).update(
            status=Thread.Status.STOPPED, stopped_at=now, reason="do_not_contact",
            due_at=None, nominal_at=None, deadline_at=None, attention_at=None, priority=None,
        )  # fmt: skip
        audit(person, None, AuditEntry.Action.CHANGED, now, anonymised=True)
