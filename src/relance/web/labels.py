"""The words of the domain, as a recruiter reads them, in French and English.

Every code a page shows (a stage, a channel, a situation, a reason, a role, a purpose, a
campaign state, a touch kind, an outcome…) is turned into words here, and only here:
templates use the `label`, `situation`, `reason`, `why` and `outcome` filters
(templatetags/relance.py), views use `label()`. A code this module does not know is shown
as it is, and tests/test_translations.py fails on a page that shows one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from relance.engine import reasons

STAGES = {
    "sourced": _("Sourced"),
    "contacted": _("Contacted"),
    "replied": _("Replied"),
    "applied": _("Applied"),
    "screening": _("Screening"),
    "interview": _("Interview"),
    "final": _("Final interview"),
    "offer": _("Offer"),
    "hired": _("Hired"),
    "rejected": _("Rejected"),
    "withdrawn": _("Withdrawn"),
}
SOURCES = {
    "linkedin": "LinkedIn",
    "email": _("E-mail"),
    "cv_database": _("CV database"),
    "application": _("Application"),
    "referral": _("Referral"),
    "event": _("Event"),
}
CHANNELS = {
    "email": _("E-mail"),
    "sms": "SMS",
    "linkedin": "LinkedIn",
    "phone": pgettext_lazy("channel", "Call"),
}
PURPOSES = {
    "talent_pool": _("Talent pool"),
    "newsletter": _("Newsletter"),
    "job_alerts": _("Job alerts"),
}
CALL_OUTCOMES = {
    "answered": _("Answered"),
    "voicemail": _("Voicemail left"),
    "no_answer": _("No answer"),
}
TOUCH_KINDS = {
    "message": _("Message"),
    "acknowledgement": _("Acknowledgement"),
    "call": pgettext_lazy("touch", "Call"),
    "auto_reply": _("Automatic reply"),
    "bounce": _("Bounce"),
    "invitation_accepted": _("Invitation accepted"),
    "application": _("Application"),
    "interview": _("Interview"),
    "stage_change": _("Stage changed"),
    "unsubscribe": _("Unsubscribed"),
    "do_not_contact": _("Do not contact"),
    "consent_given": _("Consent given"),
    "consent_withdrawn": _("Consent withdrawn"),
    "trigger": _("Reason to get in touch"),
    "note": _("Note"),
}
SKIP_REASONS = {
    "in_touch_elsewhere": _("Already in touch another way"),
    "not_relevant": _("No longer relevant"),
    "wrong_person": _("Wrong person or profile"),
    "other": _("Other"),
}
SNOOZES = {1: _("Tomorrow"), 3: _("In 3 days"), 7: _("In a week")}

# Talent pools and campaigns (docs/pools.md).
TOPICS = {
    "job_offers": _("Job offers"),
    "events": _("Events"),
    "company_news": _("Company news"),
    "employee_stories": _("Employee stories"),
    "job_market": _("Job-market information"),
}
FREQUENCIES = {
    "weekly": _("Every week"),
    "monthly": _("Every month"),
    "quarterly": _("Every three months"),
    "never": _("Never"),
}
EXCLUSIONS = {
    "do_not_contact": _("Do not contact"),
    "unsubscribed": _("Unsubscribed"),
    "bounced": _("Address bounced"),
    "no_email": _("No e-mail address"),
    "ended": _("Hired or withdrawn"),
    "in_process": _("In an active process on another job"),
    "no_consent": _("No consent for this purpose"),
    "preference_never": _("Asked never to hear about this"),
    "preference_frequency": _("Heard about this too recently for their rhythm"),
    "pressure_cap": _("At the pressure cap this week"),
}

ROLES = {"admin": _("Administrator"), "recruiter": _("Recruiter")}
# A candidate's profile and the candidate list's orders (docs/web.md, "Candidates").
SENIORITIES = {
    "junior": _("Junior"),
    "intermediate": _("Intermediate"),
    "senior": _("Senior"),
    "lead": _("Lead"),
    "executive": _("Executive"),
}
SORTS = {
    "newest": _("Newest first"),
    "name": _("Name (A to Z)"),
    "stars": _("Stars (most first)"),
    "contact": _("Last contact (latest first)"),
}
BULK_ACTIONS = {
    "tag_add": _("Add a tag"),
    "tag_remove": _("Remove a tag"),
    "owner": _("Assign an owner"),
    "pool": _("Add to a pool"),
    "follow_up": _("Start a follow-up"),
    "do_not_contact": _("Mark “do not contact”"),
}
BULK_OUTCOMES = {
    "done": _("Done"),
    "unchanged": _("Unchanged"),
    "refused": _("Refused"),
    "confirm": _("To confirm"),
}
# What the audit log records (people.AuditEntry.Action): the team page's log.
AUDIT_ACTIONS = {
    "viewed": _("Viewed"),
    "exported": _("Exported"),
    "changed": _("Changed"),
    "erased": _("Erased"),
    "setup": _("Set up the organisation"),
    "invited": _("Invited"),
    "joined": _("Joined"),
    "role_changed": _("Changed the role"),
    "deactivated": _("Deactivated"),
    "reactivated": _("Reactivated"),
    "job_created": _("Created the job"),
    "job_changed": _("Changed the job"),
    "job_closed": _("Closed the job"),
    "job_reopened": _("Reopened the job"),
}
# How a connection to a mail server is secured (the settings page).
SECURITIES = {
    "starttls": _("STARTTLS (port 587)"),
    "ssl": _("SSL/TLS (port 465)"),
    "none": _("None (a local relay only)"),
}
CAMPAIGN_STATES = {
    "draft": pgettext_lazy("campaign", "Draft"),
    "scheduled": pgettext_lazy("campaign", "Scheduled"),
    "sending": pgettext_lazy("campaign", "Sending"),
    # Every batch written: the outbox may still be sending (see the figures).
    "done": pgettext_lazy("campaign", "All written"),
    "cancelled": pgettext_lazy("campaign", "Cancelled"),
}
BOUNCES = {
    "hard": _("permanent failure"),
    "soft": _("temporary failure"),
    "policy": _("refused by their server's policy"),
}
TRIGGERS = {
    "work_anniversary": _("work anniversary"),
    "new_job": _("new job"),
    "post": _("a post of theirs"),
}
METHODS = {"form": _("on the form"), "link": _("by the e-mail link"), "call": _("on a call")}
# Jobs and interviews (docs/web.md, "Jobs").
CONTRACTS = {
    "permanent": _("Permanent (CDI)"),
    "fixed_term": _("Fixed-term (CDD)"),
    "freelance": _("Freelance"),
    "internship": _("Internship"),
    "apprenticeship": _("Apprenticeship"),
    "other": _("Other contract"),
}
# A job's requirements (matching): how much a skill counts, who decided it.
REQUIREMENT_WEIGHTS = {"must": _("Must-have"), "nice": _("Nice-to-have")}
REQUIREMENT_ORIGINS = {
    "text": _("found in the job's text"),
    "recruiter": _("set by a recruiter"),
}
JOB_STATES = {"open": pgettext_lazy("job", "Open"), "closed": pgettext_lazy("job", "Closed")}
# A job's fields, as its history names them (the job's form; the changes are AUDIT_ACTIONS).
JOB_FIELDS = {
    "title": _("Title"),
    "client": _("Client"),
    "location": _("Location"),
    "contract": _("Contract"),
    "owner": _("Recruiter in charge"),
    "family": _("Job family"),
    "description": _("Full text"),
}
INTERVIEW_STATES = {
    "scheduled": pgettext_lazy("interview", "Planned"),
    "done": pgettext_lazy("interview", "Took place"),
    "cancelled": pgettext_lazy("interview", "Cancelled"),
}
# Webhooks out (relance/hooks): the events an endpoint listens to, a delivery's state.
WEBHOOK_EVENTS = {
    "candidate.replied": _("A candidate replied"),
    "thread.stopped": _("A follow-up stopped"),
    "message.sent": _("A message was sent"),
    "message.bounced": _("A message bounced"),
    "candidate.unsubscribed": _("A candidate unsubscribed"),
    "consent.given": _("A consent was given"),
    "consent.withdrawn": _("A consent was withdrawn"),
    "application.stage_changed": _("An application changed stage"),
}
WEBHOOK_STATES = {
    "pending": pgettext_lazy("webhook", "Waiting"),
    "claimed": pgettext_lazy("webhook", "Sending"),
    "sending": pgettext_lazy("webhook", "Sending"),
    "delivered": pgettext_lazy("webhook", "Delivered"),
    "failed": pgettext_lazy("webhook", "Failed"),
}

TABLES: dict[str, dict[Any, Any]] = {
    "stage": STAGES,
    "source": SOURCES,
    "channel": CHANNELS,
    "purpose": PURPOSES,
    "outcome": CALL_OUTCOMES,
    "touch": TOUCH_KINDS,
    "topic": TOPICS,
    "frequency": FREQUENCIES,
    "role": ROLES,
    "seniority": SENIORITIES,
    "sort": SORTS,
    "bulk": BULK_ACTIONS,
    "bulk_outcome": BULK_OUTCOMES,
    "audit": AUDIT_ACTIONS,
    "campaign": CAMPAIGN_STATES,
    "bounce": BOUNCES,
    "trigger": TRIGGERS,
    "method": METHODS,
    "exclusion": EXCLUSIONS,
    "skip": SKIP_REASONS,
    "contract": CONTRACTS,
    "job": JOB_STATES,
    "interview": INTERVIEW_STATES,
    "job_field": JOB_FIELDS,
    "requirement_weight": REQUIREMENT_WEIGHTS,
    "requirement_origin": REQUIREMENT_ORIGINS,
    "webhook_event": WEBHOOK_EVENTS,
    "webhook_state": WEBHOOK_STATES,
}

# What a touchpoint's `outcome` holds, by kind (engine TouchKind): its table.
OUTCOME_OF_TOUCH = {
    "call": "outcome",
    "stage_change": "stage",
    "bounce": "bounce",
    "consent_given": "purpose",
    "consent_withdrawn": "purpose",
    "trigger": "trigger",
}


def reader_language() -> str:
    """`fr` or `en`: the language the page is shown in."""
    return "fr" if (get_language() or "fr").startswith("fr") else "en"


def label(table: str, code: Any) -> Any:
    """The words for `code` in one of the TABLES, in the reader's language."""
    if code in ("", None):
        return ""
    return TABLES[table].get(code, code)


def touch_outcome(kind: str, outcome: str) -> Any:
    """A touchpoint's outcome (a call's result, the new stage, a consent's purpose…)."""
    table = OUTCOME_OF_TOUCH.get(kind)
    return label(table, outcome) if table else outcome


def situation(code: str) -> str:
    return reasons.situation_label(code, reader_language()) if code else ""


def action(situation_code: str, step: int | None, channel: str | None) -> str:
    return reasons.action_label(situation_code, step, channel or None, reader_language())


def reason(code: str, params: dict[str, Any] | None = None) -> str:
    """The sentence of a reason code, its values in words: a channel or a stage by its
    name (never `phone` or `interview`), a moment in the recruiter's time zone."""
    if not code:
        return ""
    language = reader_language()
    return reasons.sentence(code, language, reason_values(params or {}, language))


def reason_values(params: dict[str, Any], language: str) -> dict[str, Any]:
    zone = timezone.get_current_timezone()
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "channel" and isinstance(value, str):
            out[key] = reasons.channel_label(value, language)
        elif key == "stage" and isinstance(value, str):
            out[key] = label("stage", value)
        elif key.endswith("_at") and isinstance(value, str):
            try:
                out[key] = datetime.fromisoformat(value).astimezone(zone).isoformat()
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out


def moment(value: datetime | None, their_zone: str | None = None) -> str:
    """A moment as the recruiter reads it: in their time zone (the organisation's, set per
    request by web/middleware.py), and, when the candidate's clock says another time, that
    time too, labelled: 'mercredi 4 mars à 14:00 (08:00 pour le candidat, New York)'.

    The candidate's zone is `their_zone`, or the zone the value carries (an agenda row's
    times are in the candidate's zone); a value in UTC from the database carries none."""
    if value is None:
        return ""
    language = reader_language()
    zone = timezone.get_current_timezone()
    mine = value.astimezone(zone)
    text = reasons.format_moment(mine, language)
    theirs_zone = _zone(their_zone) if their_zone else value.tzinfo
    if not isinstance(theirs_zone, ZoneInfo) or theirs_zone.key == getattr(zone, "key", ""):
        return text
    theirs = value.astimezone(theirs_zone)
    if theirs.utcoffset() == mine.utcoffset():
        return text
    clock = (
        f"{theirs:%H:%M}"
        if theirs.date() == mine.date()
        else reasons.format_moment(theirs, language)
    )
    where = {"time": clock, "place": place(theirs_zone.key)}
    return f"{text} " + gettext("(%(time)s for them, %(place)s)") % where


def place(zone: str) -> str:
    """'America/New_York' -> 'New York': where a time zone's clock is."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


# Templates whose name is not situation.step.channel (messaging/builtin/*.yaml).
TEMPLATE_NAMES = {
    "application.ack.email": _("Acknowledgement of an application · e-mail"),
    "rejection.early.email": _("Rejection before an interview · e-mail"),
    "rejection.late.email": _("Rejection after an interview · e-mail"),
    "rejection.late.phone": _("Rejection after an interview · call"),
    "campaign.job_offer": _("Campaign: a job offer · e-mail"),
    "pool.renewal.email": _("Talent pool: asking to renew the consent · e-mail"),
    "interview.confirmation.email": _("Interview: confirmation and preparation guide · e-mail"),
    "interview.rescheduled.email": _("Interview: moved · e-mail"),
    "interview.cancelled.email": _("Interview: cancelled · e-mail"),
}


def template_name(name: str) -> Any:
    """What a template is for: 'Premier message · relance 1 · e-mail'."""
    if name in TEMPLATE_NAMES:
        return TEMPLATE_NAMES[name]
    parts = name.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        return action(parts[0], int(parts[1]), parts[2])
    return name
