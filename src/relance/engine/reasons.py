"""Reason codes and the sentences a recruiter reads, in French and English.

A decision carries a code (machine-readable, stable) and parameters; the sentence is
built from them on demand. Parameters whose name ends in `_at` are ISO 8601 instants in
the candidate's local time, written out as a date in the reader's language; those
ending in `_on` are days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

LANGUAGES = ("fr", "en")

# Codes, grouped as the engine uses them.
ACTION_REASONS = (
    "first_message",
    "linkedin_message",
    "followup",
    "doubles_call",
    "call_back",
    "first_call",
    "application_call",
    "application_message",
    "application_followup",
    "keep_in_touch",
    "keep_in_touch_trigger",
    "interview_feedback",
    "feedback_email",
    "rejection",
    "rejection_call",
    "rejection_email",
    "sla_near",
)
DELAY_REASONS = (
    "sending_window",
    "call_window",
    "weekend",
    "holiday",
    "spacing",
    "pressure_cap",
    "out_of_office",
    "rejection_not_before",
    "snoozed",
)
STOP_REASONS = (
    "replied",
    "call_answered",
    "stage_changed",
    "stage_end",
    "unsubscribed",
    "do_not_contact",
    "bounced",
    "consent_missing",
    "plan_done",
    "no_channel",
    "skipped",
)
OTHER_REASONS = ("acknowledgement", "sla_overdue", "near_duplicate", "unsendable", "one_voice")

_SENTENCES: dict[str, dict[str, str]] = {
    "first_message": {
        "fr": "Premier message d'approche",
        "en": "First approach message",
    },
    "linkedin_message": {
        "fr": "Invitation LinkedIn acceptée : lui écrire pourquoi vous l'avez invité(e)",
        "en": "LinkedIn invitation accepted: tell them why you invited them",
    },
    "followup": {
        "fr": "Relance {step} : pas de réponse depuis le {previous_at}",
        "en": "Follow-up {step}: no answer since {previous_at}",
    },
    "doubles_call": {
        "fr": "Appel sans réponse : le doubler tout de suite par écrit ({channel})",
        "en": "Call not answered: follow it at once with a written message ({channel})",
    },
    "call_back": {
        "fr": "Rappeler à un autre moment de la journée (appel manqué du {previous_at})",
        "en": "Call again at another time of day (missed call of {previous_at})",
    },
    "application_call": {
        "fr": "Appeler le candidat qui a postulé, dans les {hours} heures ouvrées",
        "en": "Call the applicant within {hours} working hours",
    },
    "application_message": {
        "fr": "Écrire au candidat qui a postulé, dans les {hours} heures ouvrées",
        "en": "Write to the applicant within {hours} working hours",
    },
    "first_call": {
        "fr": "Premier appel",
        "en": "First call",
    },
    "application_followup": {
        "fr": "Candidat non joint : le relancer avant le {deadline_at}",
        "en": "Applicant not reached: follow up by {deadline_at}",
    },
    "keep_in_touch": {
        "fr": "Prendre des nouvelles : pas de contact depuis le {last_contact_at}",
        "en": "Keep in touch: no contact since {last_contact_at}",
    },
    "keep_in_touch_trigger": {
        "fr": "Prendre des nouvelles : {trigger}",
        "en": "Keep in touch: {trigger}",
    },
    "interview_feedback": {
        "fr": "Faire un retour après l'entretien, au plus tard le {deadline_at}",
        "en": "Give feedback after the interview, by {deadline_at}",
    },
    "feedback_email": {
        "fr": "Retour d'entretien : le confirmer par écrit",
        "en": "Interview feedback: confirm it in writing",
    },
    "rejection": {
        "fr": "Envoyer la réponse négative, avec le lien pour rejoindre le vivier",
        "en": "Send the rejection, with the link to join the talent pool",
    },
    "rejection_call": {
        "fr": "Appeler pour expliquer le refus (candidat vu en entretien)",
        "en": "Call to explain the rejection (candidate met at interview)",
    },
    "rejection_email": {
        "fr": "E-mail personnel après l'appel : les raisons et un conseil",
        "en": "Personal e-mail after the call: the reasons and one piece of advice",
    },
    "sla_near": {
        "fr": "Candidature sans réponse : répondre avant le {deadline_at}",
        "en": "Application not answered yet: answer by {deadline_at}",
    },
    "sending_window": {
        "fr": "En attente : hors des heures d'envoi ({window}, heure du candidat)",
        "en": "Waiting: outside sending hours ({window}, candidate's time)",
    },
    "call_window": {
        "fr": "En attente : hors des heures d'appel ({window}, heure du candidat)",
        "en": "Waiting: outside calling hours ({window}, candidate's time)",
    },
    "weekend": {
        "fr": "En attente : le week-end, reprise le {resume_at}",
        "en": "Waiting: the weekend, resuming on {resume_at}",
    },
    "holiday": {
        "fr": "En attente : jour férié le {holiday_on}",
        "en": "Waiting: public holiday on {holiday_on}",
    },
    "spacing": {
        "fr": "En attente : au moins {days} jours entre deux messages écrits",
        "en": "Waiting: at least {days} days between two written messages",
    },
    "pressure_cap": {
        "fr": "En attente : déjà {count} message(s) {period_fr}",
        "en": "Waiting: already {count} message(s) {period_en}",
    },
    "out_of_office": {
        "fr": "En attente : absent(e) jusqu'au {until_on}",
        "en": "Waiting: away until {until_on}",
    },
    "rejection_not_before": {
        "fr": "En attente : une réponse négative part au plus tôt {days} jours "
        "après la candidature",
        "en": "Waiting: a rejection leaves no sooner than {days} days after the application",
    },
    "snoozed": {
        "fr": "En attente : reporté par le recruteur au {until_at}",
        "en": "Waiting: put off by the recruiter until {until_at}",
    },
    "replied": {
        "fr": "Arrêt : a répondu ({channel})",
        "en": "Stopped: they answered ({channel})",
    },
    "call_answered": {
        "fr": "Arrêt : joint(e) au téléphone",
        "en": "Stopped: reached on the phone",
    },
    "stage_changed": {
        "fr": "Arrêt : le candidat est passé à l'étape « {stage} »",
        "en": "Stopped: the candidate moved to stage '{stage}'",
    },
    "stage_end": {
        "fr": "Arrêt : processus terminé (« {stage} »)",
        "en": "Stopped: process ended ('{stage}')",
    },
    "unsubscribed": {
        "fr": "Arrêt : s'est désinscrit(e)",
        "en": "Stopped: unsubscribed",
    },
    "do_not_contact": {
        "fr": "Arrêt : à ne pas contacter",
        "en": "Stopped: do not contact",
    },
    "bounced": {
        "fr": "Arrêt : adresse e-mail invalide (rejet définitif)",
        "en": "Stopped: e-mail address is invalid (hard bounce)",
    },
    "consent_missing": {
        "fr": "Arrêt : pas de consentement pour le vivier",
        "en": "Stopped: no talent-pool consent",
    },
    "plan_done": {
        "fr": "Terminé : toutes les étapes du plan sont faites",
        "en": "Done: every step of the plan is done",
    },
    "no_channel": {
        "fr": "Arrêt : aucun moyen de le (la) contacter",
        "en": "Stopped: no way to contact them",
    },
    "skipped": {
        "fr": "Arrêt : relance écartée par le recruteur ({why})",
        "en": "Stopped: follow-up skipped by the recruiter ({why})",
    },
    "acknowledgement": {
        "fr": "Accusé de réception de la candidature, envoyé tout de suite",
        "en": "Acknowledgement of the application, sent at once",
    },
    "sla_overdue": {
        "fr": "Délai dépassé : attendu au plus tard le {deadline_at}",
        "en": "Deadline missed: expected by {deadline_at}",
    },
    "near_duplicate": {
        "fr": "Retenu : presque identique à un message déjà reçu — à réécrire",
        "en": "Held back: nearly identical to a message already received — rewrite it",
    },
    "unsendable": {
        "fr": "Retenu : le message préparé ne peut pas partir tel quel (modèle incomplet) — "
        "à écrire à la main",
        "en": "Held back: the prepared message cannot leave as it is (an incomplete template) "
        "— write it by hand",
    },
    "one_voice": {
        "fr": "Un(e) autre recruteur(se) suit déjà cette personne ({others})",
        "en": "Another recruiter already follows this person up ({others})",
    },
}

_PERIODS = {
    "day": {"fr": "aujourd'hui", "en": "today"},
    "week": {"fr": "sur les 7 derniers jours", "en": "in the last 7 days"},
    "around": {"fr": "à moins d'une semaine de cette date", "en": "within a week of that date"},
}

_TRIGGERS = {
    "work_anniversary": {"fr": "son anniversaire professionnel", "en": "their work anniversary"},
    "new_job": {"fr": "a changé de poste", "en": "they started a new job"},
    "post": {"fr": "a publié un post", "en": "they published a post"},
}

_DAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    "fr": [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def format_moment(moment: datetime, language: str, with_time: bool = True) -> str:
    """'lundi 2 mars à 09:15' / 'Monday 2 March at 09:15', in the moment's own offset."""
    lang = language if language in LANGUAGES else "en"
    day = f"{_DAYS[lang][moment.weekday()]} {moment.day} {_MONTHS[lang][moment.month - 1]}"
    if not with_time:
        return day
    joiner = "à" if lang == "fr" else "at"
    return f"{day} {joiner} {moment:%H:%M}"


def format_day(moment: datetime, language: str) -> str:
    return format_moment(moment, language, with_time=False)


def sentence(code: str, language: str, params: Mapping[str, str | int] | None = None) -> str:
    lang = language if language in LANGUAGES else "en"
    texts = _SENTENCES.get(code)
    if texts is None:
        return code
    values: dict[str, str | int] = {}
    for key, value in (params or {}).items():
        if key.endswith("_at") and isinstance(value, str):
            values[key] = format_moment(datetime.fromisoformat(value), lang)
        elif key.endswith("_on") and isinstance(value, str):
            values[key] = format_day(datetime.fromisoformat(value), lang)
        elif key == "trigger":
            values[key] = _TRIGGERS.get(str(value), {}).get(lang, str(value))
        elif key == "channel":  # a code, or a name a page already gave: kept as it is
            values[key] = _CHANNELS.get(str(value), {}).get(lang, str(value))
        elif key == "stage":
            values[key] = _STAGES.get(str(value), {}).get(lang, str(value))
        else:
            values[key] = value
    period = str(values.get("period", "week"))
    values.setdefault("period_fr", _PERIODS.get(period, _PERIODS["week"])["fr"])
    values.setdefault("period_en", _PERIODS.get(period, _PERIODS["week"])["en"])
    try:
        return texts[lang].format_map(values)
    except (KeyError, ValueError):
        # A sentence never fails a decision: show the code and what we know.
        return f"{texts[lang].split(':')[0]} ({code})"


_SITUATIONS = {
    "first_message": {"fr": "Premier message", "en": "First message"},
    "linkedin_invitation": {"fr": "Invitation LinkedIn", "en": "LinkedIn invitation"},
    "cv_database": {"fr": "CVthèque", "en": "CV database"},
    "application": {"fr": "Candidature", "en": "Application"},
    "keep_in_touch": {"fr": "Prise de nouvelles", "en": "Keeping in touch"},
    "interview_feedback": {"fr": "Retour d'entretien", "en": "Interview feedback"},
    "answer_deadline": {"fr": "Réponse due", "en": "Answer due"},
    "rejection": {"fr": "Refus", "en": "Rejection"},
}
_CHANNELS = {
    "email": {"fr": "e-mail", "en": "e-mail"},
    "sms": {"fr": "SMS", "en": "SMS"},
    "linkedin": {"fr": "LinkedIn", "en": "LinkedIn"},
    "phone": {"fr": "appel", "en": "call"},
}
_STEP = {"fr": "relance {n}", "en": "follow-up {n}"}
_STAGES = {
    "sourced": {"fr": "sourcé", "en": "sourced"},
    "contacted": {"fr": "contacté", "en": "contacted"},
    "replied": {"fr": "a répondu", "en": "replied"},
    "applied": {"fr": "candidature", "en": "applied"},
    "screening": {"fr": "préqualification", "en": "screening"},
    "interview": {"fr": "entretien", "en": "interview"},
    "final": {"fr": "entretien final", "en": "final interview"},
    "offer": {"fr": "offre", "en": "offer"},
    "hired": {"fr": "embauché", "en": "hired"},
    "rejected": {"fr": "refusé", "en": "rejected"},
    "withdrawn": {"fr": "désisté", "en": "withdrawn"},
}


_EVENTS = {
    "message_sent": {"fr": "message envoyé", "en": "message sent"},
    "invitation_accepted": {
        "fr": "invitation LinkedIn acceptée",
        "en": "LinkedIn invitation accepted",
    },
    "application_received": {"fr": "candidature reçue", "en": "application received"},
    "call": {"fr": "appel", "en": "call"},
    "reply_received": {"fr": "réponse reçue", "en": "reply received"},
    "auto_reply_received": {"fr": "réponse automatique (absence)", "en": "automatic reply (away)"},
    "bounce": {"fr": "message rejeté", "en": "message bounced"},
    "unsubscribed": {"fr": "désinscription", "en": "unsubscribed"},
    "stage_changed": {"fr": "changement d'étape", "en": "stage changed"},
    "consent_given": {"fr": "consentement donné", "en": "consent given"},
    "consent_withdrawn": {"fr": "consentement retiré", "en": "consent withdrawn"},
    "do_not_contact": {"fr": "à ne pas contacter", "en": "do not contact"},
    "interview": {"fr": "entretien", "en": "interview"},
    "trigger": {"fr": "occasion de prendre des nouvelles", "en": "reason to get in touch"},
    "note": {"fr": "note", "en": "note"},
}


def event_label(event_type: str, language: str) -> str:
    lang = language if language in LANGUAGES else "en"
    return _EVENTS.get(event_type, {}).get(lang, event_type)


def situation_label(situation: str, language: str) -> str:
    lang = language if language in LANGUAGES else "en"
    return _SITUATIONS.get(situation, {}).get(lang, situation)


def stage_label(stage: str, language: str) -> str:
    lang = language if language in LANGUAGES else "en"
    return _STAGES.get(stage, {}).get(lang, stage)


def channel_label(channel: str, language: str) -> str:
    lang = language if language in LANGUAGES else "en"
    return _CHANNELS.get(channel, {}).get(lang, channel)


def action_label(situation: str, step: int | None, channel: str | None, language: str) -> str:
    """'Premier message · relance 1 · LinkedIn' / 'First message · follow-up 1 · LinkedIn'."""
    lang = language if language in LANGUAGES else "en"
    parts = [situation_label(situation, lang)]
    if step:
        parts.append(_STEP[lang].format(n=step))
    if channel:
        parts.append(channel_label(channel, lang))
    return " · ".join(parts)


def short_moment(moment: datetime, language: str) -> str:
    """'lun. 02/03 09:15' / 'Mon 02/03 09:15'."""
    lang = language if language in LANGUAGES else "en"
    day = _DAYS[lang][moment.weekday()]
    day = f"{day[:3]}." if lang == "fr" else day[:3]
    return f"{day} {moment:%d/%m %H:%M}"


def known_codes() -> frozenset[str]:
    return frozenset(_SENTENCES)
