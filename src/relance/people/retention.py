"""How long a person's data is kept (the CNIL's guidance for recruitment), evaluated in the
database — no candidate is loaded to be judged:

- a rejected candidate who did not consent to the talent pool is anonymised 3 months after
  the rejection;
- everyone else is kept at most 2 years after the last contact; a talent-pool member is
  asked to renew 30 days before, by an e-mail with a personal link to the consent form
  (answering it renews the consent and starts the two years again).

`relance retention` runs it, daily, with `--dry-run` to see first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from relance.engine import Purpose, Stage
from relance.people import rights
from relance.people.models import Application, Candidate, Consent, Organisation

log = logging.getLogger(__name__)

REJECTED_KEPT = timedelta(days=91)  # 3 months
KEPT_AFTER_CONTACT = timedelta(days=730)  # 2 years
RENEW_BEFORE = timedelta(days=30)


@dataclass
class Plan:
    rejected: list[int] = field(default_factory=list)  # anonymise: rejected, no pool consent
    expired: list[int] = field(default_factory=list)  # anonymise: 2 years without contact
    renew: list[int] = field(default_factory=list)  # pool members to ask to renew
    asked: int = 0  # renewal e-mails written (not on a dry run)


def _pool_member() -> Exists:
    return Exists(
        Consent.objects.filter(
            candidate=OuterRef("pk"), purpose=Purpose.TALENT_POOL, withdrawn_at__isnull=True
        )
    )


def _kept(organisation: Organisation) -> QuerySet[Candidate]:
    return Candidate.objects.of(organisation).filter(anonymised_at__isnull=True)


def plan(organisation: Organisation, now: datetime) -> Plan:
    rejected_long_ago = Exists(
        Application.objects.filter(
            candidate=OuterRef("pk"),
            stage=Stage.REJECTED,
            stage_changed_at__lte=now - REJECTED_KEPT,
        )
    )
    still_in_process = Exists(
        Application.objects.filter(candidate=OuterRef("pk")).exclude(
            stage__in=[Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED]
        )
    )
    rejected = (
        _kept(organisation)
        .filter(rejected_long_ago)
        .exclude(_pool_member())
        .exclude(still_in_process)
    )
    contact = Q(last_contact_at__lte=now - KEPT_AFTER_CONTACT) | Q(
        last_contact_at__isnull=True, created_at__lte=now - KEPT_AFTER_CONTACT
    )
    expired = _kept(organisation).filter(contact).exclude(still_in_process)
    renew = (
        _kept(organisation)
        .filter(_pool_member())
        .filter(
            last_contact_at__lte=now - KEPT_AFTER_CONTACT + RENEW_BEFORE,
            last_contact_at__gt=now - KEPT_AFTER_CONTACT,
        )
    )
    rejected_ids = list(rejected.order_by("pk").values_list("pk", flat=True))
    already = set(rejected_ids)
    return Plan(
        rejected=rejected_ids,
        expired=[
            pk for pk in expired.order_by("pk").values_list("pk", flat=True) if pk not in already
        ],
        renew=list(renew.order_by("pk").values_list("pk", flat=True)),
    )


def run(organisation: Organisation, now: datetime, dry_run: bool) -> Plan:
    """Work out the plan, and unless `dry_run`, anonymise whom it names and ask the pool
    members near the end of their two years to renew."""
    todo = plan(organisation, now)
    if not dry_run:
        for pk in todo.rejected + todo.expired:
            rights.anonymise(Candidate(pk=pk, organisation=organisation), now)
        todo.asked = ask_to_renew(organisation, todo.renew, now)
    return todo


def ask_to_renew(organisation: Organisation, candidate_ids: list[int], now: datetime) -> int:
    """Write the renewal e-mail (with a personal link to the consent form) of each pool
    member, once per period: a renewal written since their last contact is that period's,
    so the daily job does not ask twice. Returns how many were written."""
    from django.db import transaction

    from relance.messaging import checks, compose, outbox
    from relance.messaging.models import OutboxMessage

    written = 0
    people = list(
        Candidate.objects.of(organisation)
        .filter(pk__in=candidate_ids)
        .exclude(email="")
        .select_related("owner", "organisation")
        .order_by("pk")
    )
    # One query for all: the daily job meets the same people for 30 days.
    renewals: dict[int, list[datetime]] = {}
    written_before = OutboxMessage.objects.filter(
        candidate_id__in=[person.pk for person in people], reason="renewal"
    ).values_list("candidate_id", "created_at")
    for candidate_id, at in written_before:
        renewals.setdefault(candidate_id, []).append(at)
    for person in people:
        since = person.last_contact_at
        if any(since is None or at >= since for at in renewals.get(person.pk, [])):
            continue
        message_id = compose.message_id(organisation.pk, "renew", person.pk, _stamp(person))
        variables = compose.context(organisation=organisation, candidate=person,
                                    recruiter=person.owner, job=None, previous=None)  # fmt: skip
        rendered = compose.compose(organisation, "pool.renewal.email", person.language, variables)
        try:
            with transaction.atomic():
                outbox.write_single(person, person.owner, "renewal", rendered, message_id, now)
        except checks.Unsendable as refused:  # the organisation's own text: left to fix
            log.error("renewal e-mail to candidate %s not written: %s", person.pk,
                      refused.reason("en"))  # fmt: skip
            continue
        written += 1
    return written


def _stamp(person: Candidate) -> int:
    """The period a renewal belongs to: the last contact it follows."""
    return int(person.last_contact_at.timestamp()) if person.last_contact_at else 0


def still_to_ask(candidate_ids: set[int]) -> set[int]:
    """Of these people, those a renewal e-mail may still go to when it leaves: still in
    the talent pool, not unsubscribed, not marked do-not-contact, address not bounced."""
    return set(
        Candidate.objects.filter(
            pk__in=candidate_ids,
            unsubscribed_at__isnull=True,
            do_not_contact_at__isnull=True,
            email_bounced_at__isnull=True,
            anonymised_at__isnull=True,
        )
        .filter(_pool_member())
        .values_list("pk", flat=True)
    )
