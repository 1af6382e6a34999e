"""Classifying inbound messages: answers, out-of-office replies (with their return date, in
French and English), bounces and their severity, and messages that are none of these."""

from datetime import date

import pytest

from relance.messaging.inbound import classify, return_date, severity

TODAY = date(2026, 3, 2)


def message(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).encode("utf-8")


def test_a_person_answering_is_a_reply_with_the_message_it_answers():
    raw = message(
        """
From: Léa Martin <lea@example.org>
To: claire@agence.example
Subject: Re: Développeur Java chez Agence Test
In-Reply-To: <t12.s1@relance>
References: <t12.s0@relance> <t12.s1@relance>
Date: Tue, 3 Mar 2026 18:02:00 +0100
""",
        "Bonjour Claire, oui, avec plaisir : jeudi 14h ?",
    )
    result = classify(raw, TODAY)
    assert result.kind == "reply"
    assert result.sender == "lea@example.org"
    # The message it answers first, then the rest of the conversation.
    assert result.in_reply_to == ["<t12.s1@relance>", "<t12.s0@relance>"]


@pytest.mark.parametrize(
    ("headers", "body", "back"),
    [
        (
            "From: lea@example.org\nSubject: Absence\nAuto-Submitted: auto-replied\nDate: Mon, 2 Mar 2026 10:01:00 +0100",
            "Bonjour, je suis absente et serai de retour le 16 mars. Pour toute urgence, contactez Hugo.",
            date(2026, 3, 16),
        ),
        (
            "From: lea@example.org\nSubject: Réponse automatique : Développeur Java\nDate: Mon, 2 Mar 2026 10:01:00 +0100",
            "Je suis en congés jusqu'au 13/03/2026 inclus.",
            date(2026, 3, 13),
        ),
        (
            "From: oliver@example.com\nSubject: Automatic reply: Tech Lead\nX-Auto-Response-Suppress: All\nDate: Mon, 30 Nov 2026 10:01:00 +0000",
            "I am out of the office until January 5th with limited access to e-mail.",
            date(2027, 1, 5),
        ),
        (
            "From: oliver@example.com\nSubject: Out of Office\nDate: Mon, 2 Mar 2026 10:01:00 +0000",
            "Thanks for your message. I'm away and will be back on March 9, 2026.",
            date(2026, 3, 9),
        ),
        (
            "From: oliver@example.com\nSubject: Re: Tech Lead\nX-Autoreply: yes\nDate: Mon, 2 Mar 2026 10:01:00 +0000",
            "I am on holiday.",
            None,
        ),
    ],
)
def test_an_out_of_office_is_an_automatic_reply_with_its_return_date(headers, body, back):
    result = classify(message(headers, body), TODAY)
    assert result.kind == "auto_reply"
    assert result.return_date == back
    assert result.why


def test_a_return_date_without_a_year_is_the_next_one():
    assert return_date("de retour le 5 janvier", date(2026, 12, 20)) == date(2027, 1, 5)
    assert return_date("back on 16/03", date(2026, 3, 2)) == date(2026, 3, 16)
    assert return_date("nothing here", date(2026, 3, 2)) is None


def dsn(status: str, diagnostic: str, action: str = "failed") -> bytes:
    return message(
        """
From: MAILER-DAEMON@mx.example.net
To: claire@agence.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
""",
        f"""--b
Content-Type: text/plain

This is the mail system: your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; lea@example.org
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--b--
""",
    )


@pytest.mark.parametrize(
    ("status", "diagnostic", "severity_expected"),
    [
        ("5.1.1", "550 5.1.1 <lea@example.org>: Recipient address rejected: User unknown", "hard"),
        ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering", "policy"),
        ("4.2.2", "452 4.2.2 Mailbox full", "soft"),
        ("5.0.0", "550 No such user here", "hard"),
    ],
)
def test_a_delivery_status_notification_gives_each_recipient_its_status_and_severity(
    status, diagnostic, severity_expected
):
    result = classify(dsn(status, diagnostic), TODAY)
    assert result.kind == "bounce"
    assert [(r.address, r.severity) for r in result.recipients] == [
        ("lea@example.org", severity_expected)
    ]
    assert result.recipients[0].status.startswith(status[:2])


def test_a_delivery_report_of_success_is_not_a_bounce():
    assert classify(dsn("2.0.0", "250 OK", action="delivered"), TODAY).kind == "other"


def test_severity_follows_rfc_3463_unless_the_server_says_more():
    assert severity("5.1.1") == "hard"
    assert severity("5.7.1") == "policy"
    assert severity("4.4.7") == "soft"
    assert severity("5.0.0", "550 user unknown") == "hard"
    assert severity("5.1.1", "550 blocked: your IP is on a block list") == "policy"


def test_a_mailing_list_message_is_not_a_reply():
    raw = message(
        "From: news@jobs.example\nSubject: Les offres de la semaine\nList-Id: <offres.jobs.example>",
        "…",
    )
    assert classify(raw, TODAY).kind == "other"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage without headers",
        b"From: x@example.org\nSubject: =?unknown-charset?B?SGVsbG8=?=\nContent-Type: text/plain; charset=x-unknown\n\n\xe9\xe8",
        b"From: x@example.org\nContent-Type: multipart/mixed; boundary=none\n\n--none\nno end",
        b"From: x@example.org\nSubject: big\n\n" + b"A" * 5_000_000,
    ],
)
def test_bad_or_huge_messages_are_classified_without_crashing(raw):
    result = classify(raw, TODAY)
    assert result.kind in ("reply", "auto_reply", "bounce", "other")
