"""Handing e-mails to a server: the message as bytes, and the transports that take it.

An outbox row becomes an `Outgoing` — envelope sender, recipient, and the message as it
goes on the wire — built here from a fixed layout rather than with the standard library's
EmailMessage (whose `as_bytes()` costs about half a millisecond: more than the whole
per-message budget of a worker; benchmarks/RESULTS.md).

Transports: `DjangoTransport` wraps any Django e-mail backend. With Django's SMTP backend
(the default) it opens the connection through the backend (TLS, login) and then speaks to
the server itself over that one reused connection, pipelining MAIL, RCPT and DATA when the
server offers it (RFC 2920): two round trips per message instead of four. Any other
backend (a provider through django-anymail) is given a Django EmailMessage built from the
same bytes. `MemoryTransport` keeps what it is given.
"""

from __future__ import annotations

import binascii
import contextlib
import email
import functools
import re
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formataddr, parseaddr
from typing import Protocol

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from relance.messaging.inbound import _STATUS


@dataclass(frozen=True)
class Outgoing:
    sender: str  # the envelope sender (MAIL FROM), a bare address
    recipient: str
    message_id: str
    data: bytes  # CRLF line endings, headers then body; 8-bit UTF-8 body

    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.data)


@dataclass(frozen=True)
class SendResult:
    outcome: str  # accepted, temporary, permanent, uncertain
    code: int = 0
    status: str = ""  # the enhanced status code, when the server gave one (5.1.1)
    text: str = ""


class Transport(Protocol):
    def send(self, message: Outgoing, following: Outgoing | None = None) -> SendResult:
        """Hand `message` over. `following`, when given, is the message the caller will
        send next over the same transport: a transport may prepare it ahead."""
        ...

    def abandon(self) -> None:
        """The `following` message of the last send will not be sent next."""
        ...

    def close(self) -> None: ...


# --- building -----------------------------------------------------------------------------


def build(
    *,
    from_address: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    date: datetime,
    headers: dict[str, str],
) -> Outgoing:
    """The message as it goes on the wire: text/plain, UTF-8.

    `from_address` and `to` are a name and an address (`Léa Martin <lea@example.org>`, the
    name quoted if need be) or a bare address; names that are not ASCII are encoded
    (RFC 2047). `date` is aware: the Date header gives its offset (the organisation's, at
    that instant). Header values may be given already folded ("\r\n "); a long one is
    folded at its spaces.

    The body is sent as it is (8-bit, or 7-bit when ASCII) when every line fits in 78
    characters (RFC 5322's recommended limit), quoted-printable otherwise (RFC 2045: lines
    of at most 76 characters, soft breaks that every client removes, so a 5,000-character
    paragraph or a long link arrives whole; RFC 5322's hard limit is 998 bytes). A body
    sent 8-bit to a server without 8BITMIME is made quoted-printable by the transport."""
    lines = [
        f"From: {_address(from_address)}",
        f"To: {_address(to)}",
        f"Subject: {_text(subject)}",
        f"Date: {_date(date)}",
        f"Message-ID: {message_id}",
        *(f"{name}: {_fold(_text(value))}" for name, value in headers.items() if value),
        "MIME-Version: 1.0",
    ]
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    content = text.encode("utf-8")
    if any(len(line) > 78 for line in text.split("\n")):
        encoding = "quoted-printable"
        content = binascii.b2a_qp(content)
    else:
        encoding = "7bit" if text.isascii() else "8bit"
    lines += ["Content-Type: text/plain; charset=utf-8", f"Content-Transfer-Encoding: {encoding}"]
    head = "\r\n".join(lines).encode("ascii")
    data = head + b"\r\n\r\n" + content.replace(b"\n", b"\r\n")
    return Outgoing(_bare(from_address), _bare(to), message_id, data)


@functools.lru_cache(maxsize=1024)
def _address(value: str) -> str:
    """A name and an address as a header shows them: the name as is when it is plain
    ASCII, quoted when it holds a special character (a comma, a quote…), RFC 2047 encoded
    words when it is not ASCII."""
    name, address = parseaddr(value)
    if not address:  # not an address parseaddr understands: keep what was given
        return " ".join(value.split())
    name = " ".join(name.split())
    if not name:
        return address
    if not name.isascii():
        words = _encoded_words(name)
        last = len(words.rpartition("\n")[2])
        fold = "\r\n " if last + len(address) + 3 > 74 else " "  # 78 with "To: "
        return f"{words}{fold}<{address}>"
    return formataddr((name, address))


def phrase(text: str) -> str:
    """A display name as a header shows it (a List-Id's description): as is when it is
    plain ASCII, quoted when it holds a special character, encoded words otherwise."""
    text = " ".join(text.split())
    if not text.isascii():
        return _encoded_words(text)
    return formataddr((text, "x@x")).rpartition(" <")[0]


@functools.lru_cache(maxsize=1024)
def _bare(value: str) -> str:
    return parseaddr(value)[1] if "<" in value else value.strip()


def _text(value: str) -> str:
    """A header's text: as is when it is ASCII, else RFC 2047 encoded words, one per folded
    line."""
    value = " ".join(value.splitlines())
    if value.isascii() and len(value) < 900:
        return value
    return _encoded_words(value)


@functools.lru_cache(maxsize=1024)
def _encoded_words(value: str) -> str:
    """RFC 2047 encoded words of at most 42 bytes of text each (68 characters encoded: a
    header line with one keeps within 78 characters), never splitting a character, and
    cut before a space where there is one: a decoder drops the white space between two
    encoded words (RFC 2047, 6.2), and a cut within a word would show as a space in the
    few that do not (Python's own address parser). Kept for the subjects that repeat."""
    chunks, chunk = [], ""
    for piece in _BEFORE_SPACES.split(value):  # each word with the space before it
        if len((chunk + piece).encode("utf-8")) <= 42:
            chunk += piece
            continue
        if chunk:
            chunks.append(chunk)
        while len(piece.encode("utf-8")) > 42:  # a word longer than a chunk
            cut = 42
            while len(piece[:cut].encode("utf-8")) > 42:
                cut -= 1
            chunks.append(piece[:cut])
            piece = piece[cut:]
        chunk = piece
    chunks.append(chunk)
    return "\r\n ".join(
        f"=?utf-8?b?{binascii.b2a_base64(c.encode('utf-8'), newline=False).decode()}?="
        for c in chunks
    )


_BEFORE_SPACES = re.compile(r"(?= )")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(moment: datetime) -> str:
    """RFC 5322's date with the moment's own offset (`Wed, 04 Mar 2026 09:00:00 +0100`);
    email.utils.format_datetime says the same, three times slower."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign, minutes = ("-", -minutes) if minutes < 0 else ("+", minutes)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )


def _fold(value: str, width: int = 78) -> str:
    """A header value folded at its spaces so that each line keeps within `width` where it
    can (RFC 5322, 2.2.3); an unbreakable word stays whole. Already folded values pass."""
    if len(value) + 14 <= width or "\r\n" in value:
        return value
    lines, line = [], ""
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > width - 14:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def _as_quoted_printable(data: bytes) -> bytes:
    head, _, body = data.partition(b"\r\n\r\n")
    if b"Content-Transfer-Encoding: 8bit" not in head:
        return data  # already 7-bit: ASCII, or quoted-printable
    head = head.replace(
        b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: quoted-printable"
    )
    encoded = binascii.b2a_qp(body.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    return head + b"\r\n\r\n" + encoded


# --- transports ---------------------------------------------------------------------------

# A connection unused for longer than this is checked (NOOP) before a message goes on it.
IDLE_CHECK_SECONDS = 30.0


class DjangoTransport:
    """Any Django e-mail backend (SMTP by default, or a provider through django-anymail).
    One connection, opened once and reused for many messages.

    Over SMTP with PIPELINING, `send(message, following)` sends the next message's MAIL,
    RCPT and DATA behind this one's content (RFC 2920: content may open a group): one
    round trip per message instead of two. Nothing of the following message's content
    leaves until it is itself sent — the outbox marks it `sending` in between — and if it
    is not sent next after all, the connection is dropped (a server in DATA mode delivers
    nothing of a transaction cut short; RFC 5321, 4.1.1.4)."""

    def __init__(self, connection: object, idle_check: float = IDLE_CHECK_SECONDS) -> None:
        self.connection = connection
        self.opened = False
        self.ahead: _Ahead | None = None  # the envelope sent ahead, with its replies
        self.idle_check = idle_check
        self.last_used = 0.0  # time.monotonic() of the last exchange with the server
        # Whether the content of the message in hand has left whole (its final dot sent):
        # only then may a lost line mean that the server took it.
        self.content_left = False

    def send(self, message: Outgoing, following: Outgoing | None = None) -> SendResult:
        if self.ahead is not None and self.ahead.message_id != message.message_id:
            self.abandon()
        if self.opened and self.ahead is None and not self._still_open():
            self.close(quietly=True)  # closed by the server while idle: open a new one
        # A connection that was open before this message may have been closed by the
        # server without our knowing: if it fails before the content left, the message is
        # tried once more at once on a new connection (nothing of it was delivered).
        for fresh in (not self.opened, True):
            result = self._attempt(message, following)
            if result.outcome != "retry":
                return result
            if fresh:
                break
        return SendResult("temporary", text=result.text)

    def _attempt(self, message: Outgoing, following: Outgoing | None) -> SendResult:
        """One try over the current connection (opened if need be). "retry": the line was
        lost before the content left — the message was certainly not delivered."""
        if not self.opened:
            try:
                self.connection.open()  # type: ignore[attr-defined]
            except (OSError, smtplib.SMTPException) as error:
                # Nothing was handed over yet: safe to try again later.
                return SendResult("temporary", text=f"cannot connect: {error}")
            self.opened = True
        self.content_left = False
        smtp = isinstance(self.connection, SmtpBackend) and self.connection.connection
        try:
            if smtp:
                self._send_smtp(self.connection.connection, message, following)  # type: ignore[union-attr]
            else:
                _send_backend(self.connection, message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _refused(code, text)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            return _refused(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            self.close(quietly=True)
            if smtp and not self.content_left:
                return SendResult("retry", text=f"connection lost before the content: {error!r}")
            # The server may have taken the message before the line dropped.
            return SendResult("uncertain", text=f"connection lost: {error!r}")
        except smtplib.SMTPException as error:
            self.close()
            return SendResult("temporary", text=repr(error))
        except Exception as error:
            if type(error).__module__.startswith("anymail"):  # a provider's API refusal
                return _provider_error(error)
            raise
        finally:
            self.last_used = time.monotonic()
        return SendResult("accepted", 250)

    def _still_open(self) -> bool:
        """After `idle_check` seconds without a word, ask the server (NOOP) whether the
        connection still stands: most servers close an idle one after a few minutes."""
        smtp = getattr(self.connection, "connection", None)
        if (
            not isinstance(smtp, smtplib.SMTP)
            or time.monotonic() - self.last_used < self.idle_check
        ):
            return True
        try:
            code, _ = smtp.noop()
        except (smtplib.SMTPException, OSError):
            return False
        self.last_used = time.monotonic()
        return code == 250

    def abandon(self) -> None:
        """The message whose envelope went ahead will not follow now: drop the connection
        (the server, waiting for its content, discards it); the next send reconnects."""
        if self.ahead is not None:
            self.close()

    def close(self, quietly: bool = False) -> None:
        """Close the connection; `quietly`, without a QUIT — always so while an envelope
        went ahead: in DATA mode, the server would take a QUIT as content."""
        if quietly or self.ahead is not None:
            self.ahead = None
            smtp = getattr(self.connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                smtp.close()
        if self.opened:
            # Closing a broken connection may fail too; there is nothing more to do then.
            with contextlib.suppress(Exception):
                self.connection.close()  # type: ignore[attr-defined]
        self.opened = False

    def _send_smtp(self, smtp: smtplib.SMTP, message: Outgoing,
                   following: Outgoing | None) -> None:  # fmt: skip
        """MAIL, RCPT and DATA over the open connection; pipelined when the server allows
        it. Raises what smtplib.sendmail raises, so the same mapping applies."""
        smtp.ehlo_or_helo_if_needed()
        options = _options(smtp)
        data = message.data if options else _as_quoted_printable(message.data)
        payload = _LEADING_DOT.sub(b"..", data) + b".\r\n"
        if not smtp.has_extn("pipelining"):
            # What smtplib's sendmail does, a command at a time, so that a line lost before
            # the content's end is known to have delivered nothing.
            replies = [smtp.mail(message.sender, options), smtp.rcpt(message.recipient)]
            if replies[0][0] == 250 and replies[1][0] in (250, 251):
                smtp.putcmd("data")
                replies.append(smtp.getreply())
            else:
                replies.append((503, b"no valid recipient"))
            _accept_envelope(smtp, message, replies)
            self.content_left = True
            smtp.send(payload)
            code, text = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, text)
            return
        ahead, self.ahead = self.ahead, None
        if ahead is None:
            smtp.send(_envelope(message, options))
            replies = [smtp.getreply() for _ in range(3)]
        else:
            replies = ahead.replies
        _accept_envelope(smtp, message, replies)
        # From the first byte of the content on, a lost line is a doubt (the final dot may
        # be out): the next envelope rides in the same write (one round trip a message).
        self.content_left = True
        smtp.send(payload if following is None else payload + _envelope(following, options))
        code, text = smtp.getreply()
        if following is not None:
            try:
                self.ahead = _Ahead(following.message_id, [smtp.getreply() for _ in range(3)])
            except (smtplib.SMTPException, OSError):
                # This message's answer is in; the next one starts on a new connection.
                self.close(quietly=True)
        if code != 250:
            raise smtplib.SMTPDataError(code, text)


@dataclass(frozen=True)
class _Ahead:
    message_id: str
    replies: list[tuple[int, bytes]]


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _options(smtp: smtplib.SMTP) -> list[str]:
    """MAIL FROM's options: 8-bit content where the server takes it (else the content is
    sent quoted-printable)."""
    return ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []


def _envelope(message: Outgoing, options: list[str]) -> bytes:
    mail = " ".join([f"MAIL FROM:<{message.sender}>", *options])
    return f"{mail}\r\nRCPT TO:<{message.recipient}>\r\nDATA\r\n".encode()


def _accept_envelope(
    smtp: smtplib.SMTP, message: Outgoing, replies: list[tuple[int, bytes]]
) -> None:
    """Raise what smtplib raises for a refused MAIL, RCPT or DATA (the transaction reset)."""
    (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = replies
    if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
        smtp.send(b".\r\n")  # a server that opened DATA anyway: end it empty
        smtp.getreply()
    if mail_code != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(mail_code, mail_text, message.sender)
    if rcpt_code not in (250, 251):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused({message.recipient: (rcpt_code, rcpt_text)})
    if data_code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(data_code, data_text)


def _send_backend(backend: object, message: Outgoing) -> None:
    parsed = message.message()
    headers = {
        name: str(value)
        for name, value in parsed.items()
        if name.lower() not in {"from", "to", "subject", "content-type", "mime-version",
                                "content-transfer-encoding"}
    }  # fmt: skip
    payload = parsed.get_payload(decode=True)
    body = payload.decode("utf-8") if isinstance(payload, bytes) else ""
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"] or "")))
    sender = str(email.header.make_header(email.header.decode_header(parsed["From"] or "")))
    mail = EmailMessage(subject, body, sender, [message.recipient], headers=headers)
    mail.connection = backend  # type: ignore[assignment]
    if not backend.send_messages([mail]):  # type: ignore[attr-defined]
        raise smtplib.SMTPException("the backend did not send the message")


def _refused(code: int, text: bytes | str) -> SendResult:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    found = _STATUS.search(message)
    status = ".".join(found.groups()) if found else f"{str(code)[:1]}.0.0"
    outcome = "permanent" if 500 <= code < 600 else "temporary"
    return SendResult(outcome, code, status, message[:500])


def _provider_error(error: Exception) -> SendResult:
    """A provider's refusal (django-anymail's AnymailAPIError and its kin): an HTTP status
    of 5xx or 429 is temporary, another 4xx is permanent; recipients the provider rejected
    (AnymailRecipientsRefused) are a bad mailbox."""
    kind = type(error).__name__
    try:
        text = f"{kind}: {error}"[:500]
    except Exception:  # describing the provider's answer must not lose the outcome
        text = kind
    if kind == "AnymailRecipientsRefused":
        return SendResult("permanent", 550, "5.1.1", text)
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500 and status != 429:
        return SendResult("permanent", 554, "5.0.0", text)
    # The provider's answer is unknown or says "later": nothing was accepted.
    return SendResult("temporary", 451, "4.0.0", text)


@dataclass
class MemoryTransport:
    """Keeps what it is given: `relance simulate`, the demo's history."""

    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing, following: Outgoing | None = None) -> SendResult:
        self.sent.append(message)
        return SendResult("accepted", 250)

    def abandon(self) -> None:
        pass

    def close(self) -> None:
        pass
