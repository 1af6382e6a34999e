"""Understanding an inbound e-mail: a human answer, an automatic reply, a bounce, or other.

Pure functions over the raw bytes, with no database: `classify` says what a message is and
why (the headers or phrases that decided it), so that an administrator can check a
decision with `relance inbound --classify`. Matching a message to a candidate and acting on
it is the services' job.

Bounces: delivery status notifications (RFC 3464) are read field by field; the many
servers that send something else are read with flufl.bounce's detectors and the status
codes and phrases around each address. The severity follows RFC 3463: 5.1.x (bad mailbox)
is `hard`, 5.7.x (a policy block, usually about the sender) is `policy`, the rest `soft`.
"""

from __future__ import annotations

import email
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from flufl.bounce import all_failures

KINDS = ("reply", "auto_reply", "bounce", "other")


@dataclass(frozen=True)
class Recipient:
    address: str
    status: str  # an RFC 3463 code such as 5.1.1, or "" when the message gives none
    severity: str  # hard, soft or policy
    diagnostic: str = ""


# Why a message was taken as it was: a code, and the header or subject that said so.
Why = tuple[str, str]

WHY_SENTENCES = {
    "abuse_report": (
        "an abuse report (ARF): the person marked a message as spam",
        "un signalement d'abus (ARF) : la personne a marqué un message comme spam",
    ),
    "provider_bounce": ("a bounce notification from {detail}", "un avis de rejet de {detail}"),
    "provider_complaint": (
        "a complaint from {detail}: the person marked a message as spam",
        "une plainte transmise par {detail} : la personne a marqué un message comme spam",
    ),
    "provider_delivery": ("a delivery notification from {detail}", "un avis de remise de {detail}"),
    "dsn": (
        "a delivery status notification (RFC 3464)",
        "un avis de non-remise standard (RFC 3464)",
    ),
    "dsn_success": (
        "a delivery status notification that reports no failure",
        "un avis de remise qui ne signale aucun échec",
    ),
    "mail_server": (
        "sent by a mail server ({detail})",
        "envoyé par un serveur de messagerie ({detail})",
    ),
    "bounce_subject": ("its subject says so ({detail})", "son objet le dit ({detail})"),
    "report": ("a multipart/report", "un multipart/report"),
    "failed_recipients": ("an X-Failed-Recipients header", "un en-tête X-Failed-Recipients"),
    "no_recipient": ("no failed recipient found in it", "aucun destinataire en échec n'y figure"),
    "auto_submitted": (
        "Auto-Submitted: {detail} (RFC 3834)",
        "Auto-Submitted : {detail} (RFC 3834)",
    ),
    "autoreply_header": ("an {detail} header", "un en-tête {detail}"),
    "precedence": ("Precedence: {detail}", "Precedence : {detail}"),
    "auto_subject": (
        "its subject is an out-of-office one ({detail})",
        "son objet est celui d'un message d'absence ({detail})",
    ),
    "exchange_auto_reply": ("an Exchange automatic reply", "une réponse automatique d'Exchange"),
    "auto_text": (
        "its text is an out-of-office one",
        "son texte est celui d'un message d'absence",
    ),
    "mailing_list": ("a mailing-list message", "un message de liste de diffusion"),
    "person": (
        "written by a person: no sign of an automatic message",
        "écrit par une personne : aucun signe de message automatique",
    ),
}


def why_sentence(why: Why, language: str) -> str:
    code, detail = why
    english, french = WHY_SENTENCES[code]
    return (french if language == "fr" else english).format(detail=detail)


@dataclass
class Classification:
    kind: str
    why: list[Why] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    return_date: date | None = None
    sender: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)

    def as_json(self, language: str = "en") -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "why": [why_sentence(w, language) for w in self.why],
            "why_codes": [code for code, _ in self.why],
        }
        if self.kind == "bounce":
            out["recipients"] = [
                {"address": r.address, "status": r.status, "severity": r.severity}
                for r in self.recipients
            ]
        if self.kind == "auto_reply":
            out["return_date"] = self.return_date.isoformat() if self.return_date else None
        out["sender"] = self.sender
        out["subject"] = self.subject
        out["message_id"] = self.message_id
        out["in_reply_to"] = self.in_reply_to
        return out


def severity(status: str, diagnostic: str = "") -> str:
    """hard (the address is bad), policy (the sender is blocked) or soft (try later).

    The status code decides (RFC 3463: 5.1.x bad mailbox, 5.7.x policy), unless the server's
    own words say otherwise — servers often put a generic code on a precise sentence.
    """
    text = diagnostic.lower()
    if status.startswith("5.") and _BAD_ADDRESS.search(text) and not _BLOCKED.search(text):
        return "hard"
    if status.startswith("5.") and _BLOCKED.search(text):
        return "policy"
    if status.startswith("5.1."):
        return "hard"
    if status.startswith("5.7."):
        return "policy"
    return "soft"


_BAD_ADDRESS = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient|address)|does not exist|"
    r"doesn't exist|invalid (recipient|mailbox)|unknown (recipient|local[- ]part|mailbox)|"
    r"mailbox not found|no mailbox here|recipient not found|address (is )?(unknown|invalid)|"
    r"host (or domain name )?not found|domain not found|unrouteable address|"
    r"does not accept mail|not accept(ing)? (any )?mail|has moved|no longer (valid|available)|"
    r"destinataire inconnu|utilisateur inconnu|adresse (inconnue|invalide)|n'existe pas|"
    r"doesn't have an? [\w.-]+ account|no such domain|invalid domain"
)
_BLOCKED = re.compile(
    r"spam|blocked|block ?list|blacklist|reputation|spf|dkim|dmarc|not authori[sz]ed|"
    r"policy|relay(ing)? (access )?denied|content rejected|virus|ptr|reverse dns"
)


def classify(raw: bytes, today: date) -> Classification:
    """What `raw` (a whole e-mail, headers and body) is, and why. `today` stands in for the
    message's date when it has none (to place a return date without a year)."""
    message = email.message_from_bytes(raw, policy=compat32)
    result = Classification(
        kind="other",
        sender=parseaddr(_header(message, "From"))[1].lower(),
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID").strip(),
        in_reply_to=_message_ids(message),
    )
    if (
        _report_type(message) == "feedback-report"
        or re.search(r"(?im)^Feedback-Type:\s*\w+", _text(message, limit=20_000))
        or re.search(r"complaint about message|abuse report", result.subject, re.I)
    ):
        result.why.append(("abuse_report", ""))
        return result
    notification = _provider_notification(message)
    if notification is not None:
        kind, recipients, why = notification
        result.kind, result.recipients = kind, recipients
        result.why.append(why)
        return result
    blocks = _delivery_status(message)
    if blocks:
        # Anything but a success is a failure (servers also write "expired", "Delayed"...).
        failed = [
            b
            for b in blocks
            if b.get("action", "").lower()
            not in ("delivered", "relayed", "expanded", "deliverable")
        ]
        if not failed:
            result.why.append(("dsn_success", ""))
            return result
        result.kind = "bounce"
        result.why.append(("dsn", ""))
        result.recipients = _recipients_from_dsn(failed, message)
        if result.recipients:
            return result
    if result.kind == "bounce" or _looks_like_bounce(message, result):
        result.kind = "bounce"
        result.recipients = _recipients_from_text(message)
        if not result.recipients:
            result.why.append(("no_recipient", ""))
        return result
    auto = _automatic_reply(message)
    if auto is not None:
        result.kind = "auto_reply"
        result.why.append(auto)
        result.return_date = return_date(_text(message), _sent_on(message) or today)
        return result
    bulk = _bulk(message)
    if bulk is not None:
        result.why.append(bulk)
        return result
    result.kind = "reply"
    result.why.append(("person", ""))
    return result


# --- headers and text ------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(str(value))
        return "".join(
            part.decode(charset or "utf-8", "replace") if isinstance(part, bytes) else part
            for part, charset in parts
        ).strip()
    except (LookupError, ValueError):
        return str(value).strip()


def _message_ids(message: Message) -> list[str]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids += re.findall(r"<[^<>\s]+>", _header(message, name))
    return list(dict.fromkeys(ids))


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "") or "").lower()


def _text(message: Message, limit: int = 200_000) -> str:
    """The readable text of a message (text parts, and the headers of attached ones)."""
    chunks: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind.startswith("text/") or kind in ("message/delivery-status",):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    text = payload.decode(charset, "replace")
                except LookupError:
                    text = payload.decode("utf-8", "replace")
                if kind == "text/html":
                    text = re.sub(r"<[^>]+>", " ", text)
                chunks.append(text)
            elif isinstance(part.get_payload(), list):
                chunks.extend(str(p) for p in part.get_payload())
        if sum(len(c) for c in chunks) > limit:
            break
    return "\n".join(chunks)[:limit]


def _sent_on(message: Message) -> date | None:
    try:
        sent = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return sent.date() if sent else None


# --- bounces -------------------------------------------------------------------------------

_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|mailer|mail\.daemon|mmdf|smtp|"
    r"bounce|bounces|mail-delivery-subsystem|microsoftexchange|root|nobody)[^@]*(@|$)",
    re.I,
)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered|delivery (status )?notification|delivery failure|"
    r"failure notice|mail delivery|returned mail|returned to sender|could not be delivered|"
    r"not delivered|delivery has failed|delivery problem|message status|warning: could not|"
    r"non remis|non distribu|échec de (la )?(remise|distribution)|mail system error|"
    r"rejected|bounce|nondeliverable|unzustellbar|zustellung fehlgeschlagen|"
    r"error sending|could not send|delivery error|mail error",
    re.I,
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])([45][0-5]\d)(?:[ -]|$)", re.M)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.U)

# Phrases that say why, when a server gives no status code (checked in this order).
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.I), status)
    for p, status in [
        (
            r"mailbox (is )?full|over ?quota|quota exceeded|exceeds? (the )?(storage|quota)|"
            r"insufficient (disk )?space|boîte (aux lettres )?pleine",
            "5.2.2",
        ),
        (
            r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
            r"doesn't exist|not exist|invalid (recipient|mailbox|address)|unknown (recipient|"
            r"local[- ]part|mailbox)|recipient (address )?rejected|no mailbox|mailbox unavailable|"
            r"mailbox not found|address rejected|not our customer|account (has been )?"
            r"(disabled|closed|suspended|deactivated)|adresse (inconnue|invalide)|"
            r"destinataire inconnu|utilisateur inconnu|n'existe pas",
            "5.1.1",
        ),
        (
            r"host (or domain name )?not found|domain not found|name or service not known|"
            r"unrouteable|no mx|unknown host|host unknown|domain (does not|doesn't) exist|"
            r"nxdomain",
            "5.1.2",
        ),
        (
            r"message (size )?(is )?too (large|big)|exceeds (the )?(maximum )?(message )?size|"
            r"size limit",
            "5.3.4",
        ),
        (r"relay(ing)? (access )?denied|not permitted to relay|relay not permitted", "5.7.1"),
        (
            r"spam|blocked|blacklist|block ?list|denied|refused|policy|reputation|spf|dkim|"
            r"dmarc|not authori[sz]ed|rejected for policy",
            "5.7.1",
        ),
        (
            r"timed? ?out|time limit|expired|could not be delivered (for|within)|retry time|"
            r"too many retries|delivery time expired",
            "4.4.7",
        ),
        (r"connection refused|network|unreachable|temporar", "4.4.1"),
    ]
]


def _provider_notification(
    message: Message,
) -> tuple[str, list[Recipient], Why] | None:
    """Amazon SES notifications (JSON, by e-mail or SNS): bounces, complaints, deliveries."""
    text = _text(message, limit=100_000).strip()
    start = text.find('{"notificationType"')
    if start < 0:
        start = text.find('"notificationType"')
        start = text.rfind("{", 0, start) if start >= 0 else -1
    if start < 0:
        return None
    # Long lines come back folded by some mail systems as "!" + newline + space.
    body = re.sub(r"!\r?\n ", "", text[start:])
    try:
        data, _ = json.JSONDecoder().raw_decode(body)
    except ValueError:
        return None
    if isinstance(data.get("Message"), str):  # wrapped by SNS
        try:
            data = json.loads(data["Message"])
        except ValueError:
            return None
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        permanent = bounce.get("bounceType") == "Permanent"
        recipients = []
        for item in bounce.get("bouncedRecipients") or []:
            address = str(item.get("emailAddress", "")).lower()
            diagnostic = str(item.get("diagnosticCode", ""))
            status = _status_of(str(item.get("status", "")), diagnostic) or (
                "5.0.0" if permanent else "4.0.0"
            )
            recipients.append(Recipient(address, status, severity(status, diagnostic), diagnostic))
        return "bounce", recipients, ("provider_bounce", "Amazon SES")
    if kind == "Complaint":
        return "other", [], ("provider_complaint", "Amazon SES")
    if kind == "Delivery":
        return "other", [], ("provider_delivery", "Amazon SES")
    return None


def _looks_like_bounce(message: Message, result: Classification) -> bool:
    sender = _header(message, "From")
    reasons: list[Why] = []
    if _BOUNCE_SENDERS.search(parseaddr(sender)[1] or sender):
        reasons.append(("mail_server", parseaddr(sender)[1] or sender))
    if _BOUNCE_SUBJECTS.search(result.subject):
        reasons.append(("bounce_subject", result.subject[:80]))
    if message.get_content_type() == "multipart/report":
        reasons.append(("report", ""))
    if _header(message, "X-Failed-Recipients"):
        reasons.append(("failed_recipients", ""))
    if not reasons:
        return False
    result.why.extend(reasons)
    return True


def _delivery_status(message: Message) -> list[dict[str, str]]:
    """The per-recipient blocks of every message/delivery-status part, lower-cased keys."""
    blocks: list[dict[str, str]] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        texts: Iterable[str]
        if isinstance(payload, list):
            texts = [str(block) for block in payload]
        else:
            decoded = part.get_payload(decode=True)
            raw = decoded.decode("utf-8", "replace") if isinstance(decoded, bytes) else str(payload)
            texts = re.split(r"\n\s*\n", raw)
        for text in texts:
            fields = _fields(text)
            if "final-recipient" in fields or "original-recipient" in fields:
                blocks.append(fields)
    return blocks


def _fields(text: str) -> dict[str, str]:
    """RFC 822-style fields of a block, continuation lines joined."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z-]+", name.strip()):
            last = name.strip().lower()
            fields.setdefault(last, value.strip())
    return fields


def _recipients_from_dsn(blocks: list[dict[str, str]], message: Message) -> list[Recipient]:
    out: dict[str, Recipient] = {}
    for block in blocks:
        raw = block.get("final-recipient") or block.get("original-recipient") or ""
        address = raw.split(";", 1)[-1].strip().strip("<>").lower()
        if "@" not in address:
            found = _ADDRESS.search(raw)
            if not found:
                continue
            address = found.group(0).lower()
        diagnostic = block.get("diagnostic-code", "")
        status = _status_of(block.get("status", ""), diagnostic, block.get("action", ""))
        out.setdefault(
            address, Recipient(address, status, severity(status, diagnostic), diagnostic[:300])
        )
    return list(out.values())


def _status_of(declared: str, diagnostic: str, action: str = "") -> str:
    """The most precise status: a code in the diagnostic beats a generic declared one."""
    match = _STATUS.search(declared)
    status = ".".join(match.groups()) if match else ""
    in_text = _STATUS.search(diagnostic)
    if in_text and (not status or (status.endswith(".0.0") and in_text.group(1) == status[0])):
        status = ".".join(in_text.groups())
    if not status or status.endswith(".0.0"):
        guessed = _from_phrases(diagnostic, status[:1] or _class_from_reply(diagnostic, action))
        if guessed:
            status = guessed
    if not status:
        klass = _class_from_reply(diagnostic, action)
        status = f"{klass}.0.0" if klass else ""
    return status


def _class_from_reply(text: str, action: str = "") -> str:
    code = _REPLY_CODE.search(text)
    if code:
        return code.group(1)[0]
    if action == "delayed":
        return "4"
    return ""


def _from_phrases(text: str, klass: str) -> str:
    for pattern, status in _PHRASES:
        if pattern.search(text):
            if klass == "4" or (not klass and status.startswith("4")):
                return "4" + status[1:]
            return "5" + status[1:] if klass == "5" or not klass else status
    return ""


def _recipients_from_text(message: Message) -> list[Recipient]:
    """Failed recipients of a bounce that is not a standard DSN."""
    text = _text(message)
    addresses: dict[str, bool] = {}  # address -> permanent
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector tripping on a malformed message must not stop us
        temporary, permanent = frozenset(), frozenset()
    for value, permanent_failure in [(a, False) for a in temporary] + [
        (a, True) for a in permanent
    ]:
        address = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        address = address.strip("<>").lower()
        if "@" in address:
            addresses.setdefault(address, permanent_failure)
    for header in ("X-Failed-Recipients", "Original-Recipient", "Final-Recipient"):
        for _, address in getaddresses([_header(message, header)]):
            if "@" in address:
                addresses.setdefault(address.lower(), True)
    if not addresses:
        addresses = dict.fromkeys(_addresses_in_bounce_text(text), True)
    out = []
    for address, permanent_failure in addresses.items():
        context = _context(text, address)
        klass = "5" if permanent_failure else ""
        found = _STATUS.search(context)
        if found:
            status = ".".join(found.groups())
            if status.endswith(".0.0"):
                status = _from_phrases(context, status[0]) or status
        else:
            klass = _class_from_reply(context) or klass or ("5" if permanent_failure else "4")
            status = _from_phrases(context, klass) or f"{klass}.0.0"
        diagnostic = _diagnostic(context)
        out.append(Recipient(address, status, severity(status, diagnostic), diagnostic))
    return out


def _addresses_in_bounce_text(text: str) -> list[str]:
    """Addresses quoted in a bounce's own text (before the returned message)."""
    head = re.split(r"(?im)^(?:-+ ?(original message|this is a copy)|received: )", text)[0]
    found = [a.lower() for a in _ADDRESS.findall(head)]
    ignored = re.compile(r"^(mailer-daemon|postmaster)@", re.I)
    return [a for a in dict.fromkeys(found) if not ignored.match(a)][:10]


def _context(text: str, address: str, width: int = 600) -> str:
    at = text.lower().find(address)
    if at < 0:
        return text[:2000]
    return text[at : at + width] + "\n" + text[max(0, at - 300) : at]


def _diagnostic(context: str) -> str:
    return " ".join(context.split())[:300]


# --- automatic replies ------------------------------------------------------------------------

_AUTO_SUBJECTS = re.compile(
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response|respon)|"
    r"absence|absent|vacation|holiday|on leave|away from|autoreply|r[ée]ponse automatique|"
    r"message d'absence|abwesenheit|fuera de la oficina|congés|congé",
    re.I,
)
_AUTO_BODIES = re.compile(
    r"\b(i am|i'm|i will be) (currently )?(out of (the )?office|away|on (annual )?leave|"
    r"on holiday|on vacation)|je suis (actuellement )?(absente?|en (congés?|vacances|"
    r"déplacement))|je serai (absente?|de retour)|this is an automatic (reply|response)|"
    r"ceci est (une réponse|un message) automatique",
    re.I,
)


def _automatic_reply(message: Message) -> Why | None:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return ("auto_submitted", auto_submitted)
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Response"):
        if _header(message, name):
            return ("autoreply_header", name)
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return ("precedence", precedence)
    subject = _header(message, "Subject")
    if _AUTO_SUBJECTS.search(subject):
        return ("auto_subject", subject[:80])
    if _header(message, "X-Auto-Response-Suppress") and _AUTO_BODIES.search(_text(message)):
        return ("exchange_auto_reply", "")
    if _AUTO_BODIES.search(_text(message, limit=5000)):
        return ("auto_text", "")
    return None


def _bulk(message: Message) -> Why | None:
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "list", "junk"):
        return ("precedence", precedence)
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return ("mailing_list", "")
    return None


# --- return dates -------------------------------------------------------------------------------

_MONTHS = {
    **{m: i for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"], start=1)},
    **{m: i for i, m in enumerate(
        ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
         "septembre", "octobre", "novembre", "décembre"], start=1)},
    **{m: i for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1)},
    "fevrier": 2, "aout": 8, "decembre": 12, "sept": 9,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_RETURN_CUE = (
    r"(?:back|return(?:ing)?|in the office|de retour|retour|reviendrai|rentre|until|till|"
    r"jusqu['’]au|jusqu['’]à|jusqu['’]a)"
)
_DATE_FORMS = [
    # 16/03/2026, 16.03.26, 16/03
    (re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b"), "dmy"),
    # 2026-03-16
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
    # 16 mars 2026, 16 March, 1er avril
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({_MONTH_NAMES})\.?(?:\s+(\d{{4}}))?", re.I
        ),
        "d_month",
    ),
    # March 16, 2026
    (
        re.compile(
            rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?", re.I
        ),
        "month_d",
    ),
]


def return_date(text: str, reference: date) -> date | None:
    """The return date an out-of-office gives ("back on 16 March", "de retour le 16/03"),
    in French or English; the year, when missing, is the next one on or after `reference`
    (the day the message was sent)."""
    for cue in re.finditer(_RETURN_CUE, text, re.I):
        window = text[cue.end() : cue.end() + 80]
        found = _first_date(window, reference)
        if found is not None:
            return found
    return None


def _first_date(window: str, reference: date) -> date | None:
    best: tuple[int, date] | None = None
    for pattern, form in _DATE_FORMS:
        match = pattern.search(window)
        if not match:
            continue
        parsed = _to_date(match, form, reference)
        if parsed is not None and (best is None or match.start() < best[0]):
            best = (match.start(), parsed)
    return best[1] if best else None


def _to_date(match: re.Match[str], form: str, reference: date) -> date | None:
    try:
        if form == "iso":
            return date(int(match[1]), int(match[2]), int(match[3]))
        if form == "dmy":
            day, month, year = int(match[1]), int(match[2]), match[3]
        elif form == "d_month":
            day, month, year = int(match[1]), _MONTHS[match[2].lower()], match[3]
        else:
            month, day, year = _MONTHS[match[1].lower()], int(match[2]), match[3]
        if year:
            full = int(year) + (2000 if len(year) == 2 else 0)
            return date(full, month, day)
        candidate = date(reference.year, month, day)
        if candidate < reference:
            candidate = date(reference.year + 1, month, day)
        return candidate
    except (ValueError, KeyError):
        return None
