"""Merging two records of the same person into one.

The kept candidate ends with everything both records held: the timelines (touchpoints),
the follow-up threads, applications, interviews, consents, preferences, pools, CVs, e-mails
received and written, sign-ups, and the audit history (the removed record's entries are
re-pointed). Then the engine decides again for every open thread of the kept person: the
hard rules (the pressure cap, stop on answer, refusals) now see every message the person
received under either record. One transaction: all of it or nothing.

Rules where the two records disagree:

- Profile fields: the kept record's value, unless the caller chose the other's (field by
  field) or the kept one is empty; tags, skills and interests are the union of both; the
  stars the higher; the first contact the earlier; the last contact the later.
- Refusals hold, whatever side they were on (DOMAIN.md hard rule 5): do-not-contact and
  unsubscribe keep the earlier of their dates. A bounce belongs to an address: it holds when
  the address kept is the one that bounced.
- Consents: the most protective wins. A purpose one record withdrew (rows, none live) is
  withdrawn on the other's live rows too, at the merge (hard rule 9).
- Preferences: for a topic on both sides, the rarer rhythm (`never` before `quarterly`…).
- Applications to the same job: the one that went furthest is kept (then the later stage
  change); the other's touchpoints, threads and interviews move to it.
- Pools: a pool both were in keeps one membership (the earlier).

Every model that points at a candidate must be handled here (`HANDLED`): before the removed
record is deleted, the merge checks through the app registry that no row points at it any
more, and refuses (rolling back) otherwise, so that a new model added without its place here
can never lose rows to a cascade or leave them dangling. tests/test_merge.py fails as soon
as a model points at a candidate without being listed.

This module sits in `people` but reads the tables of the apps above (like people/rights.py
does): through the app registry by label, never by importing their code, except the
follow-up services that recompute the threads (followups is the layer whose rules apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from relance.engine import Stage
from relance.errors import InputError
from relance.people import candidates, rights
from relance.people.models import (
    Application,
    AuditEntry,
    Candidate,
    Consent,
    Interview,
    Recruiter,
)

# "app_label.Model.field" of every foreign key to Candidate, and how the merge treats it.
HANDLED = {
    "people.Consent.candidate": "consents",
    "people.Application.candidate": "applications",
    "followups.Touchpoint.candidate": "repoint",
    "followups.Thread.candidate": "repoint",
    "messaging.OutboxMessage.candidate": "repoint",
    "messaging.InboundMessage.candidate": "repoint",
    "intake.CV.candidate": "repoint",
    "intake.SignUp.candidate": "repoint",
    "pools.Preference.candidate": "preferences",
    "pools.PoolMember.candidate": "pools",
}

# The profile's fields a person chooses between when the records differ.
CHOSEN = tuple(f for f in candidates.FIELDS if f not in ("tags", "skills", "interests", "stars"))
UNITED = ("tags", "skills", "interests")
# The rarer rhythm first: the most protective choice of the preference centre.
RHYTHM = ("never", "quarterly", "monthly", "weekly")


class MergeRefused(InputError):
    """These two records cannot be merged; the message says why, in the reader's language."""


@dataclass
class Merged:
    """What the merge did: the kept candidate, the removed record's id, the fields whose value
    came from the removed record, the rows moved by kind, and what the rules decided."""

    kept: Candidate
    removed_id: int
    fields_from_other: list[str] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)
    withdrawn: list[str] = field(default_factory=list)  # purposes withdrawn by the merge
    applications_dropped: int = 0
    watches_ended: int = 0  # a second keep-in-touch watch, ended


def pointing_fields() -> list[tuple[type[Model], str, str]]:
    """(model, field name, "app.Model.field") of every foreign key to Candidate."""
    found = []
    for model in apps.get_models():
        for one in model._meta.concrete_fields:
            if one.is_relation and one.related_model is Candidate:
                label = f"{model._meta.app_label}.{model.__name__}.{one.name}"
                found.append((model, one.name, label))
    return found


def differences(keep: Candidate, other: Candidate) -> list[str]:
    """The profile's fields where both records hold a value and the values differ: where a
    person chooses which one wins."""
    out = []
    for name in CHOSEN:
        a, b = _value(keep, name), _value(other, name)
        if a not in ("", None) and b not in ("", None) and a != b:
            out.append(name)
    return out


def merge(
    keep: Candidate,
    other: Candidate,
    actor: Recruiter | None,
    now: datetime,
    choose: Mapping[str, str] | None = None,
) -> Merged:
    """Merge `other` into `keep`. `choose` maps a profile field to "keep" or "other" (the
    default: the kept record's value, or the other's where the kept one is empty).
    Raises MergeRefused (nothing written) when the two cannot be merged."""
    choose = dict(choose or {})
    check_choices(choose)
    with transaction.atomic():
        rows = Candidate.objects.select_for_update().filter(pk__in=[keep.pk, other.pk])
        locked = {c.pk: c for c in rows.order_by("pk")}
        _check(keep, other, locked)
        person, gone = locked[keep.pk], locked[other.pk]
        result = Merged(kept=person, removed_id=gone.pk)
        _merge_profile(person, gone, choose, result)
        _merge_consents(person, gone, now, result)
        _merge_preferences(person, gone, result)
        _merge_pools(person, gone, result)
        _merge_applications(person, gone, result)
        for model, name, label in pointing_fields():
            if HANDLED.get(label) == "repoint":
                moved = model._default_manager.filter(**{name: gone}).update(**{name: person})
                result.moved[label] = result.moved.get(label, 0) + moved
        history = AuditEntry.objects.filter(
            organisation_id=person.organisation_id, candidate_id=gone.pk
        ).update(candidate_id=person.pk)
        _refuse_dangling(gone)
        gone.delete()
        rights.audit(
            person, actor, AuditEntry.Action.CHANGED, now, merged_from=result.removed_id,
            fields=result.fields_from_other, withdrawn=result.withdrawn,
            applications_dropped=result.applications_dropped,
            moved={k.split(".")[1]: v for k, v in result.moved.items() if v},
            audit_entries_moved=history,
        )  # fmt: skip
        # The engine decides again with both timelines; what it made undue is cancelled.
        from relance.followups import news, services, steps
        from relance.followups.models import Thread

        news.merged(person.pk, person.organisation_id, result.withdrawn, now)
        services.recompute_candidate(person, now)
        steps.cancel_undue(person.pk)
        # Both records may have had their keep-in-touch watch: one person, one watch (the
        # older one stays), the other ended through the follow-up services, with why.
        watches = Thread.objects.filter(
            candidate=person, status=Thread.Status.OPEN, situation="keep_in_touch", trigger=""
        ).order_by("pk")
        for pk in list(watches.values_list("pk", flat=True))[1:]:
            steps.skip(pk, now, _("Merged with another record of the same person."), actor)
            result.watches_ended += 1
    keep.refresh_from_db()
    result.kept = keep
    return result


def check_choices(choose: Mapping[str, str]) -> None:
    for name, side in choose.items():
        if name not in CHOSEN or side not in ("keep", "other"):
            raise MergeRefused(
                _("%(field)s: not a field whose value can be chosen (expected one of: %(fields)s).")
                % {"field": f"{name}={side}", "fields": ", ".join(CHOSEN)}
            )


def _check(keep: Candidate, other: Candidate, locked: dict[int, Candidate]) -> None:
    if keep.pk == other.pk:
        raise MergeRefused(_("a person cannot be merged with themselves."))
    if len(locked) != 2 or keep.organisation_id != other.organisation_id:
        raise MergeRefused(_("both candidates must exist, in the same organisation."))
    if any(c.anonymised_at is not None for c in locked.values()):
        raise MergeRefused(_("an anonymised person cannot be merged: nothing is left of them."))


def _value(candidate: Candidate, name: str) -> Any:
    return candidate.owner_id if name == "owner" else getattr(candidate, name)


def _merge_profile(
    person: Candidate, gone: Candidate, choose: dict[str, str], result: Merged
) -> None:
    changed: list[str] = []
    for name in CHOSEN:
        mine, theirs = _value(person, name), _value(gone, name)
        take = choose.get(name) == "other" or (
            name not in choose and mine in ("", None) and theirs not in ("", None)
        )
        if take and mine != theirs:
            attname = "owner_id" if name == "owner" else name
            setattr(person, attname, theirs)
            changed.append(attname)
            result.fields_from_other.append(name)
    for name in UNITED:
        both = list(getattr(person, name))
        both += [v for v in getattr(gone, name) if v.lower() not in {x.lower() for x in both}]
        if both != getattr(person, name):
            setattr(person, name, both)
            changed.append(name)
    later_or_earlier = {
        "stars": max(person.stars, gone.stars),
        "created_at": min(person.created_at, gone.created_at),
        "last_contact_at": _latest(person.last_contact_at, gone.last_contact_at),
        # Refusals hold, whichever record they were on.
        "do_not_contact_at": _earliest(person.do_not_contact_at, gone.do_not_contact_at),
        "unsubscribed_at": _earliest(person.unsubscribed_at, gone.unsubscribed_at),
        "email_bounced_at": _bounce(person, gone),
    }
    for name, value in later_or_earlier.items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if changed:
        person.save(update_fields=changed)


def _bounce(person: Candidate, gone: Candidate) -> datetime | None:
    """A bounce belongs to an address: it holds when the address kept bounced on either
    record (the kept record may have taken the other's address)."""
    address = person.email.lower()
    bounced = [
        c.email_bounced_at
        for c in (person, gone)
        if c.email_bounced_at is not None and c.email.lower() == address
    ]
    return min(bounced, default=None)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((d for d in (a, b) if d is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((d for d in (a, b) if d is not None), default=None)


def _merge_consents(person: Candidate, gone: Candidate, now: datetime, result: Merged) -> None:
    rows = list(Consent.objects.filter(candidate__in=[person, gone]))
    withdrew = set()
    for side in (person.pk, gone.pk):
        for purpose in {r.purpose for r in rows if r.candidate_id == side}:
            own = [r for r in rows if r.candidate_id == side and r.purpose == purpose]
            if all(r.withdrawn_at is not None for r in own):
                withdrew.add(purpose)  # this record's latest word on the purpose: no
    moved = Consent.objects.filter(candidate=gone).update(candidate=person)
    result.moved["people.Consent.candidate"] = moved
    for purpose in sorted(withdrew):
        live = Consent.objects.filter(candidate=person, purpose=purpose, withdrawn_at__isnull=True)
        if live.update(withdrawn_at=now):
            result.withdrawn.append(purpose)


def _merge_preferences(person: Candidate, gone: Candidate, result: Merged) -> None:
    model = apps.get_model("pools", "Preference")
    mine = {p.topic: p for p in model.objects.filter(candidate=person)}
    for theirs in model.objects.filter(candidate=gone):
        own = mine.get(theirs.topic)
        if own is None:
            continue
        if RHYTHM.index(theirs.frequency) < RHYTHM.index(own.frequency):
            own.frequency, own.updated_at = theirs.frequency, theirs.updated_at
            own.save(update_fields=["frequency", "updated_at"])
        theirs.delete()
    moved = model.objects.filter(candidate=gone).update(candidate=person)
    result.moved["pools.Preference.candidate"] = moved


def _merge_pools(person: Candidate, gone: Candidate, result: Merged) -> None:
    model = apps.get_model("pools", "PoolMember")
    mine = {m.pool_id: m for m in model.objects.filter(candidate=person)}
    for theirs in model.objects.filter(candidate=gone, pool_id__in=list(mine)):
        own = mine[theirs.pool_id]
        if theirs.added_at < own.added_at:
            own.added_at = theirs.added_at
            own.save(update_fields=["added_at"])
        theirs.delete()
    moved = model.objects.filter(candidate=gone).update(candidate=person)
    result.moved["pools.PoolMember.candidate"] = moved


def _reach(application: Application) -> tuple[int, int, datetime]:
    """How far an application went: its furthest stage, then its stage (hired above an end),
    then the later change."""
    return (
        Stage(application.furthest_stage).rank,
        Stage(application.stage).rank,
        application.stage_changed_at,
    )


def _merge_applications(person: Candidate, gone: Candidate, result: Merged) -> None:
    mine = {a.job_id: a for a in Application.objects.filter(candidate=person)}
    touchpoint = apps.get_model("followups", "Touchpoint")
    thread = apps.get_model("followups", "Thread")
    for theirs in list(Application.objects.filter(candidate=gone, job_id__in=list(mine))):
        own = mine[theirs.job_id]
        kept, dropped = (own, theirs) if _reach(own) >= _reach(theirs) else (theirs, own)
        for model in (touchpoint, thread, Interview):
            model._default_manager.filter(application=dropped).update(application=kept)
        furthest = max(own.furthest_stage, theirs.furthest_stage, key=lambda s: Stage(s).rank)
        applied = _earliest(own.applied_at, theirs.applied_at)
        interviewed = _latest(own.last_interview_at, theirs.last_interview_at)
        dropped.delete()
        Application.objects.filter(pk=kept.pk).update(
            candidate=person, furthest_stage=furthest, applied_at=applied,
            last_interview_at=interviewed,
        )  # fmt: skip
        result.applications_dropped += 1
    moved = Application.objects.filter(candidate=gone).update(candidate=person)
    result.moved["people.Application.candidate"] = moved


def _refuse_dangling(gone: Candidate) -> None:
    """No row may still point at the removed record: deleting it would cascade them away."""
    left = [
        label
        for model, name, label in pointing_fields()
        if model._default_manager.filter(**{name: gone}).exists()
    ]
    if left:
        raise RuntimeError(f"merge: rows still point at candidate {gone.pk}: {left}")
