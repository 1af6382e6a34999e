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

import codecs
import contextlib
import email
import email.header
import hashlib
import html as _html
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from flufl.bounce import all_failures

# A detector that trips is logged by flufl.bounce with its traceback before it re-raises;
# classify catches it and goes on without that detector's answer, so the traceback would
# only frighten whoever reads the output of `relance inbound --classify`.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
logging.getLogger("flufl.bounce").propagate = False

KINDS = ("reply", "auto_reply", "bounce", "other")


@dataclass(frozen=True)
class Recipient:
    address: str  # the address we sent to (a DSN's Original-Recipient when it gives one)
    status: str  # an RFC 3463 code such as 5.1.1, or "" when the message gives none
    severity: str  # hard, soft or policy
    diagnostic: str = ""
    final: str = ""  # where it ended up (a DSN's Final-Recipient), when another address


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
    "null_sender_failure": (
        "sent with an empty return path (Return-Path: <>), it says a message could not be "
        "delivered",
        "envoyé sans adresse de retour (Return-Path: <>), il dit qu'un message n'a pas pu "
        "être remis",
    ),
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
    "exchange_rule": (
        "written by an Exchange inbox rule (X-MS-Exchange-Inbox-Rules-Loop)",
        "écrit par une règle de boîte Exchange (X-MS-Exchange-Inbox-Rules-Loop)",
    ),
    "null_sender": (
        "sent with an empty return path (Return-Path: <>), as automatic messages are",
        "envoyé sans adresse de retour (Return-Path: <>), comme les messages automatiques",
    ),
    "challenge": (
        "a challenge from an anti-spam filter asking to prove we are human ({detail}): "
        "not an answer",
        "une demande de vérification d'un filtre anti-spam, qui veut savoir si nous sommes "
        "humains ({detail}) : pas une réponse",
    ),
    "return_date_past": (
        "the return date it gives, {detail}, is already past: ignored",
        "la date de retour qu'il donne, {detail}, est déjà passée : ignorée",
    ),
    "return_date_far": (
        "the return date it gives, {detail}, is more than a year away: ignored",
        "la date de retour qu'il donne, {detail}, est à plus d'un an : ignorée",
    ),
    "unreadable": ("unreadable: {detail}", "illisible : {detail}"),
    "too_big": (
        "read in part, being too big ({detail} bytes)",
        "lu en partie, car trop gros ({detail} octets)",
    ),
    "too_deep": (
        "read in part: beyond {detail} nested parts, the rest was left out",
        "lu en partie : au-delà de {detail} parties imbriquées, la suite a été laissée de côté",
    ),
    "too_many_parts": (
        "read in part: beyond {detail} parts, the rest was left out",
        "lu en partie : au-delà de {detail} parties, la suite a été laissée de côté",
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
                | ({"final_recipient": r.final} if r.final else {})
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
    own words say otherwise — servers often put a generic code on a precise sentence: a
    "User unknown!" under 5.0.0 is hard, "blocked as spam" under 5.1.1 is policy. A refusal
    of our sender (5.1.7, 5.1.8, or one given in answer to MAIL FROM or HELO) is never the
    candidate's address being bad; nor is a rate limit.
    """
    text = diagnostic.lower()
    if status.startswith("5."):
        if status.startswith(("5.1.7", "5.1.8")) or _ABOUT_SENDER.search(text):
            return "policy"
        if _RATE_LIMIT.search(text) or _MAILBOX_FULL.search(text):
            return "soft"
        if _BAD_ADDRESS.search(text) and not _BLOCKED.search(text):
            return "hard"
        if _BLOCKED.search(text):
            return "policy"
    if status.startswith("5.1."):
        return "hard"
    if status.startswith("5.7."):
        return "policy"
    return "soft"


# What real servers write for "this address does not exist" (or its domain), often under a
# generic code. Phrases, not one server's exact sentence: each covers its variants.
_NO_SUCH_ADDRESS = (
    r"user (is )?unknown|unknown (user|recipient|local[- ]part|mailbox|account|address(ee)?)|"
    r"addressee unknown|user not (known|found|listed)|no such (user|mailbox|recipient|"
    r"address|account)|(user|mailbox|address|account|recipient) (does not|doesn't) exist|"
    r"(does not|doesn't) exist|invalid (recipient|mailbox|address|user)|"
    r"not a valid (recipient|mailbox|user|e-?mail)|mailbox not found|no mailbox here|"
    r"no users? here by that name|there is no user by that name|recipient not found|"
    r"recipnotfound|address (is )?(unknown|invalid)|address (was )?not found|"
    r"(address|recipient|mailbox|user)[^.\n]{0,40}(couldn't|could not|can't|cannot) be found|"
    r"(wasn't|was not) found at|recipient (name )?is not recogni[sz]ed|"
    r"not (a )?recogni[sz]ed (e-?mail )?account|not listed in (the )?(domino directory|"
    r"public name)|domino directory entry does not|not found in (the )?directory|"
    r"invalid final delivery user(id)?|(not have|no) (a )?final (e-?mail )?delivery point|"
    r"recipient address rejected: access denied|has moved|"
    r"no longer (valid|available|active|in use)|"
    r"account (has been )?(disabled|closed|deactivated|discontinued)|"
    r"destinataire inconnu|utilisateur inconnu|adresse (inconnue|invalide)|n'existe pas|"
    r"doesn't have an? [\w.-]+ account|"
    # the domain
    r"host (or domain name )?not found|domain not found|no such domain|invalid domain|"
    r"unrouteable address|illegal host/domain|bad destination (host|mailbox)|"
    r"(couldn't|could not|can't) find (a|any) (mail exchanger|host)|no mx record|"
    r"no mail exchanger|indicated no smtp service|domain not used for mail|"
    r"does not accept mail|not accept(ing)? (any )?mail"
)
_BAD_ADDRESS = re.compile(_NO_SUCH_ADDRESS)
_BLOCKED = re.compile(
    r"spam|blocked|block ?list|blacklist|reputation|spf|dkim|dmarc|not authori[sz]ed|"
    r"policy|relay(ing)? (access )?denied|content rejected|virus|ptr|reverse dns"
)
# Our sender refused: its address, its domain, our server's name (HELO).
_ABOUT_SENDER = re.compile(
    r"sender (address )?(rejected|refused|denied|unknown|invalid|verify failed)|"
    r"domain of sender|(after|in reply to) mail from|my name was rejected|"
    r"(after|in reply to) (helo|ehlo)"
)
_MAILBOX_FULL = re.compile(
    r"mailbox (is )?full|over ?quota|quota exceeded|insufficient (disk )?space|"
    r"boîte (aux lettres )?pleine"
)
_RATE_LIMIT = re.compile(
    r"too many (recipients|messages|mails|connections)|rate[- ]limit|throttl|"
    r"sending rate|try again later"
)


def classify(raw: bytes, today: date) -> Classification:
    """What `raw` (a whole e-mail, headers and body) is, and why. `today` stands in for the
    message's date when it has none (to place a return date without a year), and bounds the
    return date an out-of-office gives.

    Never raises and never hangs, whatever it is given: the message is read within bounds
    (its first `MAX_BYTES`, `MAX_LINES` lines, `MAX_CONTAINERS` nested parts; every header,
    part, list of recipients capped before any regular expression sees it), and one that
    still cannot be read is `other`, with why ("unreadable: ...")."""
    try:
        return _classify(raw, today)
    except Exception as error:  # RecursionError, MemoryError, a stdlib or flufl bug...
        detail = f"{type(error).__name__}: {error}"
        return Classification(kind="other", why=[("unreadable", detail[:300])])


def _classify(raw: bytes, today: date) -> Classification:
    message, notes = read(raw)
    result = Classification(
        kind="other",
        sender=_address(_header(message, "From")),
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID")[:300],
        in_reply_to=_message_ids(message),
    )
    result.why.extend(notes)
    if (
        _report_type(message) == "feedback-report"
        or re.search(r"(?im)^Feedback-Type:[ \t]*\w", _text(message, limit=20_000))
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
    challenge = _challenge(message)
    if challenge is not None:
        # Not an answer (follow-ups go on) nor an absence (nothing to wait for): the person's
        # filter asks us to prove we are human. Kept for a recruiter to see, nothing more.
        result.why.append(challenge)
        return result
    auto = _automatic_reply(message)
    if auto is not None:
        result.kind = "auto_reply"
        result.why.append(auto)
        back = return_date(_notification_text(message, 20_000), _sent_on(message) or today)
        result.return_date = _plausible_return(back, today, result.why)
        return result
    bulk = _bulk(message)
    if bulk is not None:
        result.why.append(bulk)
        return result
    result.kind = "reply"
    result.why.append(("person", ""))
    return result


# --- the same message twice ----------------------------------------------------------------------

# Header fields each delivery adds or rewrites: the same message delivered twice (a server
# retrying, a mailbox read again, one message sent to two of our addresses) differs only
# in these.
_TRACE_FIELDS = re.compile(
    rb"(?im)^(?:received|return-path|delivered-to|x-original-to|envelope-to|x-envelope-[\w-]*|"
    rb"authentication-results|arc-[\w-]*|received-spf|x-spam-[\w-]*|x-virus-[\w-]*|"
    rb"x-uid|status|x-status|x-keywords|content-length|lines|x-gm-[\w-]*):"
    rb"[^\n]*\n(?:[ \t][^\n]*\n)*"
)


def fingerprint(raw: bytes) -> str:
    """What makes a message itself: SHA-256 of its bytes without the trace fields each
    delivery adds (and line ends made alike, IMAP giving CRLF where a pipe gives LF).

    Two messages are the same when their fingerprints are: not when their Message-IDs are,
    since broken or hostile senders reuse one Message-ID for different messages."""
    data = raw.replace(b"\r\n", b"\n")
    if data.startswith(b"From "):  # an mbox separator line, written on delivery
        data = data.partition(b"\n")[2]
    end = data.find(b"\n\n")
    head, body = (data, b"") if end < 0 else (data[: end + 1], data[end + 1 :])
    return "sha256:" + hashlib.sha256(_TRACE_FIELDS.sub(b"", head) + body).hexdigest()


# --- reading within bounds ---------------------------------------------------------------------

# What is read of a message. Enough for any real notification, answer or out-of-office (the
# 589 real bounces of tests/fixtures are all under 80 KB and 1,500 lines); an attachment
# beyond it is not needed to say what a message is (the whole message is still kept).
MAX_BYTES = 256 * 1024
MAX_LINES = 10_000
# Parts that hold parts (multipart/*, message/*): the stdlib's parser recurses into each,
# and checks every line against every open boundary. Real mail nests a handful.
MAX_CONTAINERS = 40
# Lines that may open a part ("--boundary"): bounds the number of parts.
MAX_PART_LINES = 1_000
MAX_PARTS = 300  # parts looked at
MAX_FIELD = 1_000  # a Content-Type field (the stdlib splits its parameters in quadratic time)
MAX_HEADER = 2_000  # a header's value, before decoding
MAX_PART_TEXT = 100_000  # characters of one decoded part
MAX_RECIPIENTS = 100  # failed recipients read from one notification
MAX_IDS = 50  # Message-IDs read from In-Reply-To and References

_CONTAINER = re.compile(rb"(?i)content-type:\s*(?:multipart|message)/")
_PART_LINE = re.compile(rb"(?m)^--")
_CONTENT_TYPE_FIELD = re.compile(rb"(?im)^content-type:[^\n]*(?:\n[ \t][^\n]*)*")


def read(raw: bytes) -> tuple[Message, list[Why]]:
    """`raw` parsed within bounds, and why it was read in part (if it was)."""
    notes: list[Why] = []
    head = raw[:MAX_BYTES]
    lines = head.split(b"\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        head = head[: len(head) - len(lines[-1])]
    if len(head) < len(raw):
        notes.append(("too_big", f"{len(head)} / {len(raw)}"))
    cut = _nth_start(_CONTAINER, head, MAX_CONTAINERS)
    if cut is not None:
        notes.append(("too_deep", str(MAX_CONTAINERS)))
        head = head[:cut]
    cut = _nth_start(_PART_LINE, head, MAX_PART_LINES)
    if cut is not None:
        notes.append(("too_many_parts", str(MAX_PART_LINES)))
        head = head[:cut]
    head = _CONTENT_TYPE_FIELD.sub(_shorter_field, head)
    message = email.message_from_bytes(head, policy=compat32)
    for part in _parts(message):
        # The stdlib and flufl.bounce decode a part with its declared charset: one that no
        # mail may use (idna, punycode, a NUL in its name...) is read as UTF-8 instead.
        with contextlib.suppress(Exception):
            charset = part.get_param("charset")
            if isinstance(charset, str) and not _usable_charset(charset):
                part.set_param("charset", "utf-8")
    return message, notes


def _nth_start(pattern: re.Pattern[bytes], data: bytes, n: int) -> int | None:
    """Where the line holding the `n`-th match of `pattern` starts, if there are that many."""
    for count, match in enumerate(pattern.finditer(data), start=1):
        if count == n:
            return data.rfind(b"\n", 0, match.start()) + 1
    return None


def _shorter_field(match: re.Match[bytes]) -> bytes:
    field = match.group(0)
    return field if len(field) <= MAX_FIELD else field[:MAX_FIELD]


def _parts(message: Message, returned: bool = True) -> Iterator[Message]:
    """The parts of `message`, depth first, at most MAX_PARTS (without recursion: the depth
    is bounded by `read`, but no stack is spent on it). Without `returned`, the messages a
    notification returns or quotes (message/rfc822, text/rfc822-headers) are left out,
    unless one is itself a notification (multipart/report) forwarded as an attachment."""
    stack = [message]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        kind = part.get_content_type()
        if not returned and part is not message and kind in _RETURNED_KINDS:
            inner = _contents(part)
            forwarded = (
                isinstance(inner, list)
                and bool(inner)
                and isinstance(inner[0], Message)
                and inner[0].get_content_type() == "multipart/report"
            )
            if not forwarded:  # a notification forwarded as an attachment is read as one
                continue
        yield part
        payload = _contents(part)
        # A delivery-status part's "parts" are its blocks of fields, read as such: not parts.
        if isinstance(payload, list) and kind != "message/delivery-status":
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))


_RETURNED_KINDS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")


# --- headers and text ------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        if value is None:
            return ""
        text = str(value)[:MAX_HEADER]
    except Exception:  # a header the stdlib cannot even give back
        return ""
    try:
        parts = email.header.decode_header(text)
        decoded = "".join(
            _decode(part, charset) if isinstance(part, bytes) else part for part, charset in parts
        )
    except Exception:  # HeaderParseError and the like: the words stay as they came
        decoded = text
    # Control characters (a NUL, a terminal's escape sequences) are shown to no one.
    return " ".join(_CONTROL.sub(" ", decoded).split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _decode(data: bytes, charset: str | None) -> str:
    """`data` in `charset`, or in UTF-8 when the charset is no text encoding a mail may use
    (unknown, a NUL in its name, idna, punycode, 'undefined'... some refuse errors='replace')."""
    name = (charset or "utf-8").strip().lower()
    try:
        if not _usable_charset(name):
            raise LookupError(name)
        return data.decode(name, "replace")
    except Exception:
        return data.decode("utf-8", "replace")


def _usable_charset(name: str) -> bool:
    try:
        codec = codecs.lookup(name.strip().lower())
    except Exception:  # unknown, or a NUL in its name (ValueError)
        return False
    return getattr(codec, "_is_text_encoding", True) and codec.name not in _NOT_MAIL_CHARSETS


_NOT_MAIL_CHARSETS = {
    "idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "charmap",
    "unicode-internal",
}  # fmt: skip


def _address(value: str) -> str:
    try:
        return parseaddr(value)[1].lower()[:320]
    except Exception:
        return ""


def _message_ids(message: Message) -> list[str]:
    """The Message-IDs this one answers: In-Reply-To first, then the latest References."""
    replied = re.findall(r"<[^<>\s]{1,250}>", _header(message, "In-Reply-To"))[:10]
    # References run from the oldest to the latest; the latest are read (the header is
    # cut at MAX_HEADER from its start, so a long chain loses its latest: rare, and
    # In-Reply-To names the one answered).
    references = re.findall(r"<[^<>\s]{1,250}>", _header(message, "References"))
    return list(dict.fromkeys(replied + references[::-1]))[:MAX_IDS]


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "") or "").lower()[:40]


def _text(message: Message, limit: int = 200_000) -> str:
    """The readable text of a message: its text parts, the fields of delivery-status and
    feedback-report parts, and the headers of the messages it returns."""
    return _gather(_parts(message), limit)


def _notification_text(message: Message, limit: int = 200_000) -> str:
    """The text the notification itself writes: without the messages it returns (attached,
    or quoted below a line such as "This is a copy of the message"), whose headers and
    words (a "Mailman 2.0.2", a "550" in a subject) say nothing about this delivery."""
    text = _gather(_parts(message, returned=False), limit)
    marker = _RETURNED.search(text)
    return text[: marker.start()] if marker and marker.start() > 0 else text


_RETURNED = re.compile(
    r"(?im)^[ \t]*(?:"
    r"-{2,}[^\n]{0,40}?(?:original message|copy of|undelivered message|unsent message|"
    r"returned message|message headers?)"
    r"|(?:below|here) (?:this line )?is (?:a )?copy of"
    r"|original message (?:headers?|follows|details)"
    r"|(?:the )?headers? of the original message"
    r"|received: |return-path: |x-mailer: )"
)


def _gather(parts: Iterable[Message], limit: int) -> str:
    chunks: list[str] = []
    size = 0
    for part in parts:
        if size > limit:
            break
        kind = part.get_content_type()
        payload = _contents(part)
        if isinstance(payload, list):
            if kind.startswith("message/"):
                text = "\n\n".join(_fields_of(p) for p in payload[: MAX_RECIPIENTS + 1])
                chunks.append(text)
                size += len(text)
            continue
        if not (kind.startswith("text/") or kind == "message/delivery-status"):
            continue
        data = _payload(part)
        text = _decode(data[:MAX_PART_TEXT], part.get_content_charset())
        if kind == "text/html":
            # [^<>]: a "<" never closed costs one scan to the next "<", not to the end.
            text = _html.unescape(re.sub(r"<[^<>]*>", " ", text))
        chunks.append(text)
        size += len(text)
    return "\n".join(chunks)[:limit]


def _contents(part: Message) -> object:
    """A part's payload as parsed: its parts, or its text. Read from the parser's result,
    since get_payload() decodes 8-bit text with the declared charset, whatever it is
    (idna, punycode: a UnicodeError)."""
    return part._payload  # type: ignore[attr-defined]


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a transfer encoding the stdlib trips on
        data = None
    if isinstance(data, bytes):
        return data
    raw = _contents(part)
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _fields_of(message: Message) -> str:
    """The header fields of a part, as text ("Name: value" lines), each value capped."""
    try:
        return "\n".join(f"{name}: {str(value)[:MAX_HEADER]}" for name, value in message.items())
    except Exception:
        return ""


def _sent_on(message: Message) -> date | None:
    try:
        sent = parsedate_to_datetime(_header(message, "Date"))
    except Exception:  # not a date, a year 99999, a zone of +9999...
        return None
    return sent.date() if sent else None


# --- bounces -------------------------------------------------------------------------------

_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|post[_.-]?master|mail-daemon|mailer|mail\.daemon|mmdf|smtp|"
    r"bounce|bounces|mail-delivery-subsystem|microsoftexchange)[^@]*(@|$)",
    re.I,
)
_SYSTEM_SENDERS = re.compile(r"^(root|nobody)(@|$)", re.I)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered|delivery (status )?notification|delivery failure|"
    r"failure notice|mail delivery|returned mail|returned to sender|could not be delivered|"
    r"not delivered|delivery has failed|delivery problem|message status|warning: could not|"
    r"non remis|non distribu|échec de (la )?(remise|distribution)|mail system error|"
    r"rejected|bounce|nondeliverable|unzustellbar|zustellung fehlgeschlagen|"
    r"error sending|could not send|delivery error|mail error",
    re.I,
)
_FAILURE_TEXT = re.compile(
    r"could ?n[o']t be delivered|was not delivered|undeliverable|delivery (?:has )?failed|"
    r"permanent (?:error|failure)|n'a pas pu être (?:remis|distribué)|non remis|"
    r"unzustellbar",
    re.I,
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.])([45][0-5]\d)(?:[ -]|$)", re.M)
# Bounded parts, and a match may only start where a local part starts: a long run of
# address characters without "@" is then scanned once, not once per character.
_ADDRESS = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
)

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
            # A status is guessed from the commonest sentences only (a server's own generic
            # code is kept otherwise); the severity reads the whole list (_BAD_ADDRESS).
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
            r"nxdomain|(couldn't|could not) find any host",
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
    data = _json_object(body)
    wrapped = data.get("Message") if data is not None else None
    if isinstance(wrapped, str):  # wrapped by SNS
        data = _json_object(wrapped)
    if data is None:
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    if kind == "Bounce":
        bounce = _dict(data.get("bounce"))
        permanent = bounce.get("bounceType") == "Permanent"
        recipients = []
        listed = bounce.get("bouncedRecipients")
        for item in (listed if isinstance(listed, list) else [])[:MAX_RECIPIENTS]:
            item = _dict(item)
            address = str(item.get("emailAddress", ""))[:320].lower()
            if "@" not in address:
                continue
            diagnostic = str(item.get("diagnosticCode", ""))[:1000]
            status = _status_of(str(item.get("status", ""))[:40], diagnostic) or (
                "5.0.0" if permanent else "4.0.0"
            )
            recipients.append(
                Recipient(address, status, severity(status, diagnostic), diagnostic[:300])
            )
        return "bounce", recipients, ("provider_bounce", "Amazon SES")
    if kind == "Complaint":
        return "other", [], ("provider_complaint", "Amazon SES")
    if kind == "Delivery":
        return "other", [], ("provider_delivery", "Amazon SES")
    return None


def _json_object(text: str) -> dict[str, object] | None:
    """The JSON object `text` starts with, or None (not JSON, another shape, nested deeper
    than the decoder's stack allows)."""
    try:
        data, _ = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _looks_like_bounce(message: Message, result: Classification) -> bool:
    sender = _header(message, "From")
    address = _address(sender) or sender[:200]
    reasons: list[Why] = []
    system: Why | None = None
    if _BOUNCE_SENDERS.search(address):
        reasons.append(("mail_server", address))
    elif _SYSTEM_SENDERS.search(address):
        # root@, nobody@ send a system's own mail (cron, scripts) as well as bounces: a
        # sign only beside another one.
        system = ("mail_server", address)
    if _BOUNCE_SUBJECTS.search(result.subject):
        reasons.append(("bounce_subject", result.subject[:80]))
    if message.get_content_type() == "multipart/report":
        reasons.append(("report", ""))
    if _header(message, "X-Failed-Recipients"):
        reasons.append(("failed_recipients", ""))
    if (
        not reasons
        and _header(message, "Return-Path").replace(" ", "") == "<>"
        and _FAILURE_TEXT.search(_notification_text(message, 5_000))
    ):
        # A null sender is a mail server or an automatic reply; one saying that a message
        # could not be delivered is a bounce, whatever its subject.
        reasons.append(("null_sender_failure", ""))
    if not reasons:
        return False
    result.why.extend(([system] if system else []) + reasons)
    return True


def _delivery_status(message: Message) -> list[dict[str, str]]:
    """The per-recipient blocks of every message/delivery-status part, lower-cased keys."""
    blocks: list[dict[str, str]] = []
    for part in _parts(message, returned=False):
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = _contents(part)
        texts: Iterable[str]
        if isinstance(payload, list):
            texts = [_fields_of(block) for block in payload if isinstance(block, Message)]
        else:
            texts = re.split(r"\n[ \t\r]*\n", _decode(_payload(part)[:MAX_PART_TEXT], "utf-8"))
        for text in texts:
            fields = _fields(text)
            if "final-recipient" in fields or "original-recipient" in fields:
                blocks.append(fields)
                if len(blocks) >= MAX_RECIPIENTS:
                    return blocks
    return blocks


def _fields(text: str) -> dict[str, str]:
    """RFC 822-style fields of a block, continuation lines joined."""
    fields: dict[str, list[str]] = {}
    last = ""
    for line in text.splitlines()[:200]:  # a block of a few lines: more is not a DSN's
        if line[:1] in (" ", "\t") and last:
            fields[last].append(line.strip())
            continue
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z-]{1,60}", name.strip()):
            last = name.strip().lower()
            fields.setdefault(last, [value.strip()])
    return {name: " ".join(values)[:MAX_HEADER] for name, values in fields.items()}


def _recipients_from_dsn(blocks: list[dict[str, str]], message: Message) -> list[Recipient]:
    out: dict[str, Recipient] = {}
    text = lowered = ""
    for block in blocks:
        # Original-Recipient is the address we sent to (RFC 3464, 2.3.1): the one a candidate
        # has. Final-Recipient may be where a forward or an alias led it.
        original = _dsn_address(block.get("original-recipient", ""))
        final = _dsn_address(block.get("final-recipient", ""))
        address = original or final
        if not address:
            continue
        diagnostic = block.get("diagnostic-code", "")
        if not re.search(r"[a-z]{3}", diagnostic.partition(";")[2] or diagnostic, re.I):
            # No words from the server: the notification's own text often gives them
            # ("userunknown@…: 550 5.1.1 … User unknown").
            if not text:
                text = _notification_text(message, 50_000)
                lowered = text.lower()
            for name in (address, final):
                if name and lowered.find(name) >= 0:
                    diagnostic = _diagnostic(_context(text, lowered, name, []))
                    break
        status = _status_of(block.get("status", ""), diagnostic, block.get("action", ""))
        out.setdefault(
            address,
            Recipient(
                address,
                status,
                severity(status, diagnostic),
                diagnostic[:300],
                final if final != address else "",
            ),
        )
    return list(out.values())


def _dsn_address(value: str) -> str:
    """The address of a DSN recipient field ("rfc822; lea@example.org"), or ""."""
    address = value.split(";", 1)[-1].strip().strip("<>").lower()
    if "@" in address and " " not in address:
        return address
    found = _ADDRESS.search(value)
    return found.group(0).lower() if found else ""


def _status_of(declared: str, diagnostic: str, action: str = "") -> str:
    """The most precise status: a code in the diagnostic beats a generic declared one."""
    match = _STATUS.search(declared)
    status = ".".join(match.groups()) if match else ""
    # Codes of the diagnostic (a relay's generic one may come before the remote's precise
    # one: "5.1.0 - Unknown address error 550-'5.2.2 ... Mailbox Full'"): the precise first.
    codes = [m for m in _STATUS.finditer(diagnostic) if m.group(1) != "2" and m[0] != status]
    in_text = next((m for m in codes if not m[0].endswith(".0")), codes[0] if codes else None)
    # x.y.0 is "other" within its subject: the remote server's own code, in the diagnostic,
    # says more (a relay declaring 5.1.0 over the remote "5.2.2 Mailbox full").
    if in_text and (not status or (status.endswith(".0") and in_text.group(1) == status[0])):
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
    """Failed recipients of a bounce that is not a standard DSN.

    Their addresses come from flufl.bounce's detectors (which know where each server writes
    them) and the X-Failed-Recipients header; their status and the words around them from
    the notification's own text only, never from the message it returns."""
    text = _notification_text(message)
    lowered = text.lower()
    addresses: dict[str, bool] = {}  # address -> permanent
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector tripping on a malformed message must not stop us
        temporary, permanent = frozenset(), frozenset()
    for value, permanent_failure in [(a, False) for a in temporary] + [
        (a, True) for a in permanent
    ]:
        address = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        address = address.strip("<>").lower()[:320]
        if "@" in address:
            addresses.setdefault(address, permanent_failure)
    for header in ("X-Failed-Recipients", "Original-Recipient", "Final-Recipient"):
        for _, address in getaddresses([_header(message, header)])[:MAX_RECIPIENTS]:
            if "@" in address:
                addresses.setdefault(address.lower()[:320], True)
    if not addresses:
        addresses = dict.fromkeys(_addresses_in_bounce_text(text), True)
    failed = list(addresses.items())[:MAX_RECIPIENTS]
    # Where each failed recipient's own paragraph starts: its address opening a line (an
    # address inside a sentence, "(generated from ...)", starts none).
    places = sorted(
        p
        for p in (lowered.find(a) for a, _ in failed)
        if p >= 0 and not lowered[lowered.rfind("\n", 0, p) + 1 : p].strip(" \t<\"'")
    )
    out = []
    for address, permanent_failure in failed:
        context = _context(text, lowered, address, places)
        klass = "5" if permanent_failure else ""
        # A 2.x.x code says a success: beside a failed recipient, it is a version number.
        found = next((m for m in _STATUS.finditer(context) if m.group(1) != "2"), None)
        if found:
            status = ".".join(found.groups())
            if status.endswith(".0.0"):
                status = _from_phrases(context, status[0]) or status
        else:
            klass = _class_from_reply(context) or klass or ("5" if permanent_failure else "4")
            status = _from_phrases(context, klass) or f"{klass}.0.0"
        out.append(Recipient(address, status, severity(status, context), _diagnostic(context)))
    return out


def _addresses_in_bounce_text(text: str) -> list[str]:
    """Addresses quoted in a bounce's own text (before the returned message)."""
    head = re.split(r"(?im)^(?:-+ ?(original message|this is a copy)|received: )", text)[0]
    found = [a.lower() for a in _ADDRESS.findall(head)]
    ignored = re.compile(r"^(mailer-daemon|postmaster)@", re.I)
    return [a for a in dict.fromkeys(found) if not ignored.match(a)][:10]


def _context(text: str, lowered: str, address: str, places: list[int], width: int = 600) -> str:
    """The words about `address`: what follows it, then what precedes it, neither reaching
    into another failed recipient's (`places`: where each is first named)."""
    at = lowered.find(address)
    if at < 0:
        return text[:2000]
    end = min([p for p in places if p > at] + [at + width])
    # What precedes is read only when no other failed recipient comes before (then it would
    # be that one's words).
    start = at if any(p < at for p in places) else max(at - 300, 0)
    return text[at:end] + "\n" + text[start:at]


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


_AUTO_HEADERS = (
    "X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Response", "X-Autoresponder",
    "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply",
)  # fmt: skip


def _automatic_reply(message: Message) -> Why | None:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return ("auto_submitted", auto_submitted[:80])
    for name in _AUTO_HEADERS:
        if _header(message, name):
            return ("autoreply_header", name)
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return ("precedence", precedence)
    # Exchange writes the address whose inbox rule produced a message (an automatic reply
    # set up as a rule, a redirection) in this header, to stop loops: a person typing an
    # answer never produces it.
    if _header(message, "X-MS-Exchange-Inbox-Rules-Loop"):
        return ("exchange_rule", "")
    # RFC 3834 (3.3) and RFC 5321 (4.5.5): automatic messages go out with an empty
    # envelope sender, which the receiving server writes down as Return-Path: <>. A
    # person's message always has one (bounces, which have none too, are read before).
    if _header(message, "Return-Path").replace(" ", "") == "<>":
        return ("null_sender", "")
    subject = _header(message, "Subject")
    if _AUTO_SUBJECTS.search(subject):
        return ("auto_subject", subject[:80])
    text = _fresh(_notification_text(message, 5_000))
    if _header(message, "X-Auto-Response-Suppress") and _AUTO_BODIES.search(text):
        return ("exchange_auto_reply", "")
    if _AUTO_BODIES.search(text):
        return ("auto_text", "")
    return None


# Challenge/response filters (Boxbe, Spam Arrest, Bluebottle, BoxTrapper, Mailblocks,
# ChoiceMail, TMDA...) answer a first message from an unknown sender with a request to
# prove it is a person, often from the protected address itself. Their subjects are read
# broadly; their text only for what a person answering would never write.
_CHALLENGE_SERVICES = r"boxbe|spam ?arrest|bluebottle|boxtrapper|mailblocks|choicemail|tmda"
_CHALLENGE_SUBJECTS = re.compile(
    rf"{_CHALLENGE_SERVICES}|"
    r"(?:confirm|verify|prove)\w* (?:that )?you(?:'re| are) (?:a )?(?:human|real|person|not a)|"
    r"are you (?:a )?human|(?:sender|e-?mail|address|message) verification|"
    r"verification (?:request|required|needed)|(?:awaiting|pending|requires?|needs?) "
    r"(?:your )?(?:verification|approval)|(?:please )?(?:verify|confirm|validate) (?:your|this) "
    r"(?:message|e-?mail)|guest list|approved senders?|(?:white|allow) ?list|"
    r"vérification (?:de l'expéditeur|requise)|confirm(?:ez|er) (?:votre|ce) (?:message|e-?mail)",
    re.I,
)
_CHALLENGE_TEXT = re.compile(
    rf"\b(?:{_CHALLENGE_SERVICES})\b|"
    r"(?:confirm|verify|prove|show)\w* (?:to us )?(?:that )?you(?:'re| are) (?:a )?"
    r"(?:human|real person|person|not a (?:robot|bot|spammer|machine))|"
    r"are you (?:a )?human\b|challenge[ /-]response|sender verification|"
    r"(?:awaiting|pending) (?:sender |your )?verification|"
    r"(?:vérifi|confirm|prouv)\w* que vous (?:êtes|etes) (?:un(?:e)? )?"
    r"(?:humain|personne|être humain|vraie personne)|vérification de l'expéditeur",
    re.I,
)
_CHALLENGE_HEADERS = re.compile(rf"^x-(?:{_CHALLENGE_SERVICES})", re.I)


def _challenge(message: Message) -> Why | None:
    for name in message.keys()[:200]:
        if _CHALLENGE_HEADERS.match(name):
            return ("challenge", name[:80])
    if _header(message, "X-Delivery-Agent").upper().startswith("TMDA"):
        return ("challenge", "TMDA")
    subject = _header(message, "Subject")
    if _CHALLENGE_SUBJECTS.search(subject):
        return ("challenge", subject[:80])
    found = _CHALLENGE_TEXT.search(_fresh(_notification_text(message, 5_000)))
    if found:
        return ("challenge", found.group(0)[:80])
    return None


_QUOTED = re.compile(
    r"(?im)^(?:>|on [^\n]{0,200}wrote ?:|le [^\n]{0,200}a écrit ?:|from: |de ?: |"
    r"-{2,}[^\n]{0,20}(?:original|message d'origine|forwarded|message transféré))"
)


def _fresh(text: str) -> str:
    """What a message writes itself, before the message it quotes."""
    found = _QUOTED.search(text)
    return text[: found.start()] if found else text


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
    r"\b(?:back|return(?:ing)?|in the office|de retour|retour|reviendrai|rentre|until|till|"
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


def _plausible_return(back: date | None, today: date, why: list[Why]) -> date | None:
    """The return date, unless it cannot be one: past, or more than a year ahead (a wrong
    year, a misread number). Ignored with the reason, the follow-ups then waiting as for an
    out-of-office without a date."""
    if back is None:
        return None
    if back < today:
        why.append(("return_date_past", back.isoformat()))
        return None
    try:
        a_year_on = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        a_year_on = today.replace(year=today.year + 1, day=28)
    if back > a_year_on:
        why.append(("return_date_far", back.isoformat()))
        return None
    return back


def return_date(text: str, reference: date) -> date | None:
    """The return date an out-of-office gives ("back on 16 March", "de retour le 16/03"),
    in French or English; the year, when missing, is the next one on or after `reference`
    (the day the message was sent)."""
    for cue in itertools.islice(re.finditer(_RETURN_CUE, text[:20_000], re.I), 50):
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
