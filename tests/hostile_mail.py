"""Hostile e-mails, generated: every family that once crashed or hung the inbound classifier.

A seeded generator (the same messages on every run, so a failure can be replayed): each
family is a function of a `random.Random` and returns the raw bytes of one message. The
big ones (20 MB bodies, 1,000-level nesting, 100,000 continuation lines) are built here
rather than stored as files. `python -m tests.hostile_mail DIR` writes them out, e.g. to
try `relance inbound --classify DIR/*.eml` by hand.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

Family = Callable[[random.Random], bytes]

MB = 1024 * 1024


def _head(rng: random.Random, extra: str = "", sender: str = "") -> str:
    sender = sender or rng.choice(
        ["lea@example.org", "MAILER-DAEMON@mx.example.net", "postmaster@example.com"]
    )
    return (
        f"From: {sender}\r\nTo: claire@agence.example\r\n"
        f"Message-ID: <hostile.{rng.randrange(10**9)}@example.net>\r\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n" + extra
    )


def _bounce_head(rng: random.Random, extra: str = "") -> str:
    subject = rng.choice(
        ["Undelivered Mail Returned to Sender", "failure notice", "Returned mail: see transcript"]
    )
    return _head(rng, f"Subject: {subject}\r\n" + extra, sender="MAILER-DAEMON@mx.example.net")


def _words(rng: random.Random, n: int) -> str:
    return " ".join(
        rng.choice(["user", "mailbox", "550", "delivery", "the", "é", "x"]) for _ in range(n)
    )


# --- headers -----------------------------------------------------------------------------------


def bad_encoded_words(rng: random.Random) -> bytes:
    """Encoded words that cannot be decoded (HeaderParseError, bad base64, bad charsets)."""
    words = [
        "=?utf-8?B?####?=",
        "=?utf-8?B?SGVsbG8?=",  # missing padding
        "=?utf-8?b?" + "A" * rng.randrange(1, 9) + "?=",
        "=?utf-8?Q?=ZZ=?=",
        "=?utf-8?X?abc?=",
        "=??B?SGVsbG8=?=",
        "=?utf-8*fr?B?SGVsbG8=?=",
        "=?utf-8?B?"
        + base64.b64encode(bytes(rng.randrange(256) for _ in range(30))).decode()
        + "?=",
    ]
    pick = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 6)))
    where = rng.choice(
        ["Subject", "From", "In-Reply-To", "References", "Auto-Submitted", "Message-ID"]
    )
    extra = f"{where}: {pick}\r\n"
    if where != "Subject":
        extra += f"Subject: {pick}\r\n"
    return (_head(rng, extra) + "\r\nBonjour\r\n").encode()


def bad_charsets(rng: random.Random) -> bytes:
    """Charsets that no codec reads, or that refuse errors='replace' (idna, punycode)."""
    charset = rng.choice(
        ["idna", "undefined", "punycode", "utf-7", "x-unknown", "utf\x00-8", "idna\x00", "rot13",
         "base64", "zlib", "uu", "hex", "utf-32", "mbcs", "cp65001", "unicode-escape", "../../etc"]
    )  # fmt: skip
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    header_bytes = bytes(rng.randrange(128, 256) for _ in range(10))
    encoded = base64.b64encode(header_bytes).decode()
    kind = rng.choice(["text/plain", "text/html", "message/delivery-status"])
    head = _head(
        rng,
        f"Subject: =?{charset}?B?{encoded}?= =?{charset}?Q?=E9=FF?=\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: {kind}; charset="{charset}"\r\n'
        f"Content-Transfer-Encoding: {rng.choice(['8bit', 'base64', 'quoted-printable', 'x-uuencode'])}\r\n",
    )
    return head.encode("latin-1") + b"\r\n" + body


def eight_bit_headers(rng: random.Random) -> bytes:
    junk = bytes(rng.randrange(128, 256) for _ in range(rng.randrange(1, 200)))
    return (
        b"From: " + junk + b" <" + junk[:5] + b"@example.org>\r\nSubject: " + junk
        + b"\r\nAuto-Submitted: " + junk[:3] + b"\r\nContent-Type: text/plain; charset=" + junk[:8]
        + b"\r\n\r\n" + junk + b"\x00" * rng.randrange(0, 50)
    )  # fmt: skip


def continuation_lines(rng: random.Random) -> bytes:
    """A header folded over 100,000 lines."""
    name = rng.choice(
        ["Subject", "To", "References", "Content-Type", "Received", "X-Failed-Recipients"]
    )
    first = "multipart/mixed; boundary=b" if name == "Content-Type" else "start"
    lines = "\r\n".join(
        rng.choice([" x", '\t;"', " a@b.c", " =?utf-8?q?=E9?=", " <m@x>"]) for _ in range(100_000)
    )
    return (_head(rng, f"Subject: hi\r\n{name}: {first}\r\n{lines}\r\n") + "\r\nBody\r\n").encode()


def encoded_word_subject(rng: random.Random) -> bytes:
    """A subject of 1 MB of encoded words."""
    word = rng.choice(
        ["=?utf-8?q?=C3=A9t=C3=A9?=", "=?utf-8?b?w6l0w6k=?=", "=?iso-8859-1?q?caf=E9?="]
    )
    subject = " ".join([word] * (MB // len(word)))
    return (_head(rng, f"Subject: {subject}\r\n") + "\r\nBonjour\r\n").encode()


def quoted_parameters(rng: random.Random) -> bytes:
    """A Content-Type with thousands of quoted parameters (the stdlib splits them slowly)."""
    n = rng.choice([2_000, 20_000, 60_000])
    params = "".join(rng.choice(['; a="x', ';"', '; b=";"', "; c=d"]) for _ in range(n))
    return (
        _head(rng, f"Subject: params\r\nContent-Type: multipart/report{params}\r\n")
        + "\r\nBody\r\n"
    ).encode()


def many_references(rng: random.Random) -> bytes:
    """Tens of thousands of Message-IDs in In-Reply-To and References."""
    ids = " ".join(
        f"<m{i}.{rng.randrange(10**6)}@example.org>" for i in range(rng.choice([5_000, 40_000]))
    )
    return (
        _head(rng, f"Subject: Re: hi\r\nIn-Reply-To: {ids}\r\nReferences: {ids}\r\n")
        + "\r\nOui\r\n"
    ).encode()


def bad_dates(rng: random.Random) -> bytes:
    date = rng.choice(
        ["Mon, 2 Mar 99999 10:00:00 +0100", "Mon, 2 Mar 2026 10:00:00 +9999", "Mon, 31 Feb 2026 99:99:99 -9999",
         "0", "\x00", "Mon, 2 Mar 0 10:00:00 +0100", "Mon, 2 Mar 2026 10:00:00 +2400"]
    )  # fmt: skip
    body = rng.choice(
        ["I am out of the office until 31/12/9999.", "Je suis absente jusqu'au 99/99.",
         "back on 29 February", "de retour le " + "1er " * 5000, "back " * 50_000]
    )  # fmt: skip
    return (
        "From: lea@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
        f"Date: {date}\r\n\r\n{body}\r\n"
    ).encode()


# --- structure -----------------------------------------------------------------------------


def deep_multipart(rng: random.Random) -> bytes:
    """Multiparts nested 1,000 to 5,000 levels (RecursionError in the stdlib's parser)."""
    depth = rng.choice([1_000, 2_000, 5_000])
    kind = rng.choice(["multipart/mixed", "multipart/report; report-type=delivery-status"])
    out = [
        _head(
            rng, f"Subject: deep\r\nMIME-Version: 1.0\r\nContent-Type: {kind}; boundary=b0\r\n\r\n"
        )
    ]
    for level in range(1, depth):
        out.append(f"--b{level - 1}\r\nContent-Type: multipart/mixed; boundary=b{level}\r\n\r\n")
    out.append(f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nuser unknown a@b.example\r\n")
    out.extend(f"--b{level}--\r\n" for level in reversed(range(depth)) if rng.random() < 0.9)
    return "".join(out).encode()


def deep_rfc822(rng: random.Random) -> bytes:
    """Messages attached in messages, 1,000 levels deep."""
    depth = rng.choice([1_000, 3_000])
    out = [_bounce_head(rng)]
    out.extend("Content-Type: message/rfc822\r\n\r\n" for _ in range(depth))
    out.append("Subject: inner\r\n\r\nhello\r\n")
    return "".join(out).encode()


def many_parts(rng: random.Random) -> bytes:
    """One multipart with tens of thousands of small parts."""
    n = rng.choice([10_000, 50_000])
    kind = rng.choice(["text/plain", "message/delivery-status", "text/html", "message/rfc822"])
    part = f"--b\r\nContent-Type: {kind}\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\n"
    return (
        _bounce_head(rng, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n")
        + "\r\n" + part * n + "--b--\r\n"
    ).encode()  # fmt: skip


def broken_mime(rng: random.Random) -> bytes:
    boundary = rng.choice(["", '""', "x" * 5000, "--", "a b", "\x00"])
    body = rng.choice(["--" + boundary + "\r\nno end", "", "--\r\n--\r\n" * 1000, "x" * 100_000])
    cte = rng.choice(["base64", "quoted-printable", "x-uuencode", "7bit", "garbage"])
    raw = _head(
        rng,
        f'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n",
    )
    return (raw + "\r\n" + body).encode()


# --- bounces and providers -------------------------------------------------------------------


def address_free_bounce(rng: random.Random) -> bytes:
    """A long bounce text without any address: once quadratic for the address pattern."""
    n = rng.choice([200_000, 1_000_000, 3_000_000])
    run = rng.choice(["a", "a.", "-", "a-", "1.", "é"]) * (n // 2)
    return (_bounce_head(rng) + "\r\n" + run + "\r\n").encode()


def long_lines(rng: random.Random) -> bytes:
    """A body of one line of several megabytes, optionally with status-like digits."""
    unit = rng.choice(["5.1.1", "550 ", "<", "user unknown ", "=\r\n", "\t"])
    return (_bounce_head(rng) + "\r\n" + unit * (rng.choice([2, 5]) * MB // len(unit))).encode()


def huge_html(rng: random.Random) -> bytes:
    """20 MB of HTML (once stripped of its tags before any size cap)."""
    unit = rng.choice(["<", "<a ", "<b>x</b>", "<<<>", "<!--"])
    body = unit * (20 * MB // len(unit))
    return (
        _head(rng, "Subject: Re: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n")
        + "\r\n" + body
    ).encode()  # fmt: skip


def huge_bounce_body(rng: random.Random) -> bytes:
    """A 20 MB bounce body, for the bounce detectors (flufl.bounce) to read."""
    unit = rng.choice(
        ["user unknown ", "a@b.example\r\n", "   ----- Transcript of session follows -----\r\n",
         "<a@b.example>: 550 5.1.1\r\n", "Final-Recipient: rfc822; x\r\n", "       \r\n"]
    )  # fmt: skip
    body = unit * (20 * MB // len(unit))
    return (_bounce_head(rng) + "\r\n" + body).encode()


def many_dsn_recipients(rng: random.Random) -> bytes:
    """A delivery status notification of 10,000 recipient blocks."""
    n = rng.choice([10_000, 30_000])
    diag = rng.choice(["550 5.1.1 user unknown", "x" * 2000, "=?utf-8?q?=E9?=", ""])
    blocks = "".join(
        f"Final-Recipient: rfc822; r{i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; {diag}\r\n\r\n"
        for i in range(n)
    )
    return (
        _bounce_head(rng, "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n")
        + "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        + blocks + "--b--\r\n"
    ).encode()  # fmt: skip


def dsn_continuations(rng: random.Random) -> bytes:
    """One DSN field continued over 100,000 lines."""
    lines = "\r\n".join(" 550 5.1.1 unknown" for _ in range(100_000))
    return (
        _bounce_head(rng, "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n")
        + "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        + f"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nDiagnostic-Code: smtp;\r\n{lines}\r\n\r\n--b--\r\n"
    ).encode()  # fmt: skip


def ses_shapes(rng: random.Random) -> bytes:
    """Amazon SES-like JSON of every unexpected shape."""
    shapes: list[object] = [
        {"notificationType": "Bounce", "bounce": [1, 2]},
        {"notificationType": "Bounce", "bounce": {"bouncedRecipients": "a@b.example"}},
        {"notificationType": "Bounce", "bounce": {"bouncedRecipients": [None, 1, "x", []]}},
        {"notificationType": "Bounce", "bounce": {"bouncedRecipients": [{"emailAddress": {"a": 1}, "status": [], "diagnosticCode": None}]}},
        {"notificationType": ["Bounce"]},
        {"notificationType": None, "eventType": {"x": 1}},
        {"Message": "[1, 2]", "notificationType": "Bounce"},
        {"Message": "{\"notificationType\": \"Bounce\", \"bounce\": null}"},
        {"Message": "not json", "notificationType": "Bounce"},
        {"Message": 12, "notificationType": "Complaint"},
        {"notificationType": "Bounce", "bounce": {"bouncedRecipients": [{"emailAddress": "a@b.example"}] * 20_000}},
        {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "a@b.example", "diagnosticCode": "x" * 1_000_000}]}},
    ]  # fmt: skip
    pick = rng.choice(shapes)
    text = json.dumps(pick)
    variant = rng.randrange(4)
    if variant == 1:
        text = '{"notificationType": ' + "[" * 100_000 + "]" * 100_000 + "}"
    elif variant == 2:
        text = '{"notificationType": "Bounce"' + ', "x": {' * 50_000
    elif variant == 3:
        text = '"notificationType"' * 50_000 + "{" * 1000
    return (
        _head(
            rng,
            "Subject: Amazon SES Email Event Notification\r\n",
            sender="no-reply@sns.amazonaws.com",
        )
        + "\r\n"
        + text
    ).encode()


def abuse_like(rng: random.Random) -> bytes:
    """Feedback-Type lines and complaint subjects, huge or broken."""
    body = rng.choice(
        [
            "Feedback-Type: " + "x" * 1_000_000,
            "Feedback-Type:\r\n" * 100_000,
            "Feedback-Type: abuse\x00",
        ]
    )
    return (
        _head(rng, "Subject: complaint about message\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\r\n")
        + "\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\n" + body + "\r\n--b--\r\n"
    ).encode()  # fmt: skip


def auto_reply_text(rng: random.Random) -> bytes:
    """Out-of-office texts of megabytes, full of return cues and dates."""
    unit = rng.choice(
        ["back on 16/03 ", "de retour le ", "until ", "jusqu'au 1er mars ", "I am away "]
    )
    return (
        "From: lea@example.org\r\nSubject: Automatic reply\r\nX-Auto-Response-Suppress: All\r\n\r\n"
        + unit * (rng.choice([1, 5]) * MB // len(unit))
    ).encode()


def binary_noise(rng: random.Random) -> bytes:
    size = rng.choice([0, 1, 100, 10_000, 1_000_000])
    noise = bytes(rng.randrange(256) for _ in range(min(size, 10_000)))
    return noise * max(1, size // max(1, len(noise)))


FAMILIES: dict[str, Family] = {
    f.__name__: f
    for f in (
        bad_encoded_words,
        bad_charsets,
        eight_bit_headers,
        continuation_lines,
        encoded_word_subject,
        quoted_parameters,
        many_references,
        bad_dates,
        deep_multipart,
        deep_rfc822,
        many_parts,
        broken_mime,
        address_free_bounce,
        long_lines,
        huge_html,
        huge_bounce_body,
        many_dsn_recipients,
        dsn_continuations,
        ses_shapes,
        abuse_like,
        auto_reply_text,
        binary_noise,
    )
}

# The costly families (megabytes each) get fewer variants than the cheap ones.
BIG = {
    "continuation_lines", "encoded_word_subject", "deep_multipart", "deep_rfc822", "many_parts",
    "address_free_bounce", "long_lines", "huge_html", "huge_bounce_body", "many_dsn_recipients",
    "dsn_continuations", "auto_reply_text", "quoted_parameters", "many_references", "abuse_like",
}  # fmt: skip


def messages(seed: int = 12, small: int = 40, big: int = 4) -> Iterator[tuple[str, bytes]]:
    """(name, raw) of every hostile message: `small` variants of each cheap family and
    `big` of each costly one, the same on every run for a given seed."""
    for name, family in FAMILIES.items():
        rng = random.Random(f"{seed}:{name}")
        for i in range(big if name in BIG else small):
            yield f"{name}-{i:02d}", family(rng)


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in messages():
        (folder / f"{name}.eml").write_bytes(raw)
