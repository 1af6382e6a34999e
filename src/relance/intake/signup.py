"""The open talent-pool sign-up, with double opt-in.

The form records what the person chose (purposes, rhythms) as a pending SignUp and sends,
through the outbox, an e-mail with a signed link; nothing is a consent until that link is
used: then the choices are recorded exactly as the consent form records them
(pools/consent.py), with the wording of the version shown. The link works once and for
LIFETIME; opening it shows a button (a mail scanner that follows links confirms nothing).

The form's answer is the same whether the address is known or not, and whether an e-mail
could be sent (not to a person marked do-not-contact, nor to an address that bounced). A
person added by a sign-up that is never confirmed is forgotten once its link expires: only
a confirmed sign-up keeps someone in our records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from relance.intake.models import CV, SignUp
from relance.messaging import compose, outbox
from relance.messaging.render import Rendered
from relance.people import rights
from relance.people.models import Application, AuditEntry, Candidate, Consent, Organisation
from relance.pools import consent, links

SALT = "relance.signup"
LIFETIME = timedelta(days=7)
PATH = "c/signup"
# The outbox's reason for the confirmation: like an application's acknowledgement, it is
# what the person just asked for — one-to-one, outside any thread, not counted by the
# pressure cap, and it always leaves (pools/recheck.py).
REASON = "acknowledgement"


class Problem(Exception):
    """Why a confirmation link cannot be used: tampered, expired, used or gone."""

    def __init__(self, why: str, language: str = "") -> None:
        super().__init__(why)
        self.why = why
        self.language = language


@dataclass
class Asked:
    first_name: str
    last_name: str
    email: str
    purposes: set[str]
    frequencies: Mapping[str, str]
    language: str


def submit(organisation: Organisation, form: Asked, now: datetime) -> None:
    """Record the pending sign-up and write its confirmation e-mail to the outbox, in one
    transaction. Says nothing of whom it found."""
    from relance.intake import public

    with transaction.atomic():
        forget_unconfirmed(organisation, now)
        person, added = public.find_or_add(
            organisation, email=form.email, first_name=form.first_name,
            last_name=form.last_name, language=form.language, now=now,
        )  # fmt: skip
        pending = SignUp.objects.create(
            organisation=organisation, candidate=person, purposes=sorted(form.purposes),
            frequencies=dict(form.frequencies), language=form.language,
            version=consent.VERSION, created_candidate=added, created_at=now,
        )  # fmt: skip
        rights.audit(person, None, AuditEntry.Action.CHANGED, now, by="candidate",
                     page="signup", created=added, confirmed=False)  # fmt: skip
        if person.do_not_contact_at is not None or person.email_bounced_at is not None:
            return
        outbox.write_single(
            person, None, REASON, confirmation(organisation, pending, now),
            compose.message_id(organisation.pk, "signup", pending.pk), now,
        )  # fmt: skip


def confirmation(organisation: Organisation, pending: SignUp, now: datetime) -> Rendered:
    link = f"{settings.RELANCE_BASE_URL}/{PATH}/{token(pending, now)}/"
    with translation.override(pending.language):
        subject = _("Confirm that you join the talent pool of %(company)s") % {
            "company": organisation.name
        }
        # One string per paragraph: the catalogue holds no line breaks.
        body = "\n\n".join(
            [
                _("Hello,"),
                _(
                    "Someone — you, we hope — asked to join the talent pool of %(company)s "
                    "with this address. To confirm, open this link within 7 days and press "
                    "the button:"
                )
                % {"company": organisation.name},
                link,
                _("If it was not you, do nothing: without your confirmation, nothing is kept."),
                organisation.name,
            ]
        )
    return Rendered(name="intake.signup", language=pending.language, subject=subject, body=body)


def token(pending: SignUp, now: datetime) -> str:
    payload = {"s": pending.pk, "o": pending.organisation_id, "t": int(now.timestamp())}
    return signing.dumps(payload, salt=SALT, compress=True)


def read(value: str, now: datetime) -> SignUp:
    """The pending sign-up a link opens, or Problem. Reading never uses it."""
    try:
        data = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        raise Problem("tampered") from None
    if not isinstance(data, dict):
        raise Problem("tampered")
    pending = (
        SignUp.objects.filter(pk=data.get("s"), organisation_id=data.get("o"))
        .select_related("candidate", "organisation")
        .first()
    )
    if pending is None or pending.candidate.anonymised_at is not None:
        raise Problem("gone")
    issued = datetime.fromtimestamp(int(data.get("t", 0)), tz=now.tzinfo)
    if now - issued > LIFETIME or pending.version != consent.VERSION:
        raise Problem("expired", pending.language)
    if pending.confirmed_at is not None:
        raise Problem("used", pending.language)
    return pending


def confirm(pending: SignUp, now: datetime) -> Candidate:
    """The person confirmed: their choices become consents (added to those they already
    gave, never withdrawing one), their rhythms are set. Once: a second use is Problem."""
    with transaction.atomic():
        if not SignUp.objects.filter(pk=pending.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        ):
            raise Problem("used", pending.language)
        person = pending.candidate
        consent.record_choices(
            person, consent.active(person) | set(pending.purposes), pending.frequencies, now,
            method=Consent.Method.FORM, language=pending.language,
        )  # fmt: skip
        rights.audit(person, None, AuditEntry.Action.CHANGED, now, by="candidate",
                     page="signup", confirmed=True, purposes=sorted(pending.purposes))  # fmt: skip
    return person


def preferences_path(person: Candidate, now: datetime) -> str:
    return links.path(person, "preferences", now)


def forget_unconfirmed(organisation: Organisation, now: datetime) -> int:
    """Remove the sign-ups whose link expired unused, and the people they added who have
    nothing else with us (no consent, application or CV, no other sign-up): they never
    confirmed, we keep nothing of them. Returns how many people were removed."""
    expired = SignUp.objects.of(organisation).filter(
        confirmed_at__isnull=True, created_at__lt=now - LIFETIME
    )
    added = set(expired.filter(created_candidate=True).values_list("candidate_id", flat=True))
    expired.delete()
    if not added:
        return 0
    alone = (
        Candidate.objects.of(organisation)
        .filter(pk__in=added)
        .exclude(Exists(Consent.objects.filter(candidate=OuterRef("pk"))))
        .exclude(Exists(Application.objects.filter(candidate=OuterRef("pk"))))
        .exclude(Exists(CV.objects.filter(candidate=OuterRef("pk"))))
        .exclude(Exists(SignUp.objects.filter(candidate=OuterRef("pk"))))
    )
    removed = 0
    for person in alone:
        rights.audit(person, None, AuditEntry.Action.ERASED, now, unconfirmed_signup=True)
        person.delete()
        removed += 1
    return removed
