"""The words of the domain, as a recruiter reads them, in French and English."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    "no_consent": _("No consent for this purpose"),
    "preference_never": _("Asked never to hear about this"),
    "preference_frequency": _("Heard about this too recently for their rhythm"),
    "pressure_cap": _("At the pressure cap this week"),
}
