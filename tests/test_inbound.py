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


@pytest.mark.parametrize(
    "raw",
    [
        # Each crashed classify before issue 12.
        b"From: x@example.org\nSubject: =?utf-8?b?A?= =?utf-8?b?AAAAA?=\n\nHi",  # HeaderParseError
        b"From: x@example.org\nContent-Type: text/plain; charset=idna\n\n\xe9\xe8",
        b"From: x@example.org\nContent-Type: text/plain; charset=undefined\n\nabc",
        b"From: x@example.org\nContent-Type: text/plain; charset=punycode\n\n\xff\xfe",
        b'From: x@example.org\nContent-Type: text/plain; charset="utf\x00-8"\n\nabc',
        b"From: x@example.org\nSubject: =?idna?q?=E9?=\n\nabc",
        b'From: no-reply@sns.amazonaws.com\n\n{"notificationType": "Bounce", "bounce": [1, 2]}',
        b'From: no-reply@sns.amazonaws.com\n\n{"notificationType": "Bounce", "bounce": {"bouncedRecipients": "x"}}',
        b'From: no-reply@sns.amazonaws.com\n\n{"Message": "[1]", "notificationType": "Bounce"}',
        b'From: no-reply@sns.amazonaws.com\n\n{"notificationType": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        b"From: x@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n"
        + b"".join(
            b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
            for i in range(1500)
        ),
        b"From: x@example.org\nSubject: x\nDate: Mon, 2 Mar 99999 10:00:00 +9999\nAuto-Submitted: auto-replied\n\nback on 3/4",
    ],
)
def test_messages_that_once_crashed_are_classified(raw):
    result = classify(raw, TODAY)
    assert result.kind in ("reply", "auto_reply", "bounce", "other")
    assert "unreadable" not in {code for code, _ in result.why}


def test_a_message_that_cannot_be_read_is_other_with_why(monkeypatch):
    from relance.messaging import inbound

    def trip(raw, today):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(inbound, "_classify", trip)
    result = classify(b"From: x@example.org\n\nHi", TODAY)
    assert (result.kind, result.why) == (
        "other",
        [("unreadable", "RecursionError: maximum recursion depth exceeded")],
    )
    assert result.as_json("fr")["why"] == [
        "illisible : RecursionError: maximum recursion depth exceeded"
    ]


def test_a_huge_message_is_read_in_part_and_says_so():
    raw = message(
        "From: lea@example.org\nSubject: Re: Java", "Oui, avec plaisir.\n" + "x" * 3_000_000
    )
    result = classify(raw, TODAY)
    assert result.kind == "reply"
    assert result.why[0] == ("too_big", f"{256 * 1024} / {len(raw)}")


def test_control_characters_of_headers_are_shown_to_no_one():
    raw = b"From: Lea <lea@example.org>\nSubject: Re: Java \x1b]0;pwned\x07 \x00ok\n\nOui"
    assert classify(raw, TODAY).subject == "Re: Java ]0;pwned ok"


# --- robots taken for people (issue 12) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            "Subject: Please confirm your message to lea@example.org",
            "Hello, I use a challenge/response filter. Please click the link to confirm you are human.",
        ),
        (
            "Subject: Re: Développeur Java",
            "Before your message is delivered, please verify you are a human: https://example.net/v/1",
        ),
        ("Subject: Re: Développeur Java\nX-Boxbe-Challenge: 1", "Approve me."),
        ("Subject: Boxbe: request to join Léa's guest list", "Léa uses Boxbe to stop spam."),
        (
            "Subject: Re: Développeur Java",
            "The person you wrote to uses Bluebottle. Your message is awaiting verification.",
        ),
        ("Subject: [SpamArrest] Verification required", "Click to verify."),
        (
            "Subject: Re: Développeur Java",
            "Votre message est en attente : merci de confirmer que vous êtes un humain.",
        ),
        ("Subject: Re: Java\nX-Delivery-Agent: TMDA/1.1.12 (Ferret)", "Confirm by replying."),
        (
            "Subject: Re: Java\nAuto-Submitted: auto-replied",
            "Your message is held. Please prove you are not a robot by clicking below.",
        ),
    ],
)
def test_a_challenge_from_an_anti_spam_filter_is_not_an_answer(headers, body):
    """From the candidate's own address: taken for a reply, it stopped every follow-up."""
    raw = message(f"From: Léa Martin <lea@example.org>\nTo: claire@agence.example\n{headers}", body)
    result = classify(raw, TODAY)
    assert result.kind == "other"
    assert result.why[-1][0] == "challenge"


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour Claire, je vous confirme que je suis disponible jeudi.",
        "Can you confirm the email you sent was for the Lyon job? I am a real fan of your agency.",
        "Yes! I'd love to. Are you free on Monday?",
        "Léa\n\nOn Mon, 2 Mar 2026, Claire wrote:\n> Please confirm you are human",
    ],
)
def test_a_person_saying_confirm_or_quoting_is_still_a_person(body):
    raw = message("From: lea@example.org\nSubject: Re: Développeur Java", body)
    assert classify(raw, TODAY).kind == "reply"


def test_an_exchange_rule_reply_marked_only_by_its_headers_is_automatic():
    raw = message(
        """
From: Oliver Smith <oliver@example.com>
To: claire@agence.example
Subject: RE: Tech Lead
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: oliver@example.com
Date: Mon, 2 Mar 2026 10:01:00 +0000
""",
        "Thank you for your e-mail. I will get back to you as soon as possible.",
    )
    result = classify(raw, TODAY)
    assert result.kind == "auto_reply"
    assert ("exchange_rule", "") in result.why


def test_a_message_with_an_empty_return_path_is_automatic():
    raw = message(
        "Return-Path: <>\nFrom: lea@example.org\nSubject: Re: Java", "Thank you for your message."
    )
    assert classify(raw, TODAY).kind == "auto_reply"


# --- bounce recipients, statuses and severities (issue 12) ------------------------------------------


def test_a_dsn_names_the_address_we_sent_to_before_the_final_one():
    raw = dsn("5.1.1", "550 5.1.1 user unknown").replace(
        b"Final-Recipient: rfc822; lea@example.org",
        b"Original-Recipient: rfc822;lea@example.org\nFinal-Recipient: rfc822; lea.martin@mail.forward.example",
    )
    [recipient] = classify(raw, TODAY).recipients
    assert (recipient.address, recipient.final, recipient.severity) == (
        "lea@example.org", "lea.martin@mail.forward.example", "hard",
    )  # fmt: skip


@pytest.mark.parametrize("returned_as", ["quoted", "attached"])
def test_a_status_comes_from_the_notification_never_from_the_returned_message(returned_as):
    returned = (
        "From: claire@agence.example\nTo: lea@example.org\nX-Mailer: Mailman 2.0.2\n"
        "Subject: 550 5.7.1 offers\n\nLa 4.4.7e offre."
    )
    if returned_as == "quoted":
        raw = message(
            "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender",
            "I could not deliver your message to <lea@example.org>.\n"
            "Remote host said: user unknown\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n"
            + returned,
        )
    else:
        raw = message(
            'From: MAILER-DAEMON@mx.example.org\nSubject: Mail delivery failed\nContent-Type: multipart/mixed; boundary="b"',
            "--b\nContent-Type: text/plain\n\nI could not deliver your message to <lea@example.org>: user unknown.\n\n"
            f"--b\nContent-Type: message/rfc822\n\n{returned}\n--b--\n",
        )
    [recipient] = classify(raw, TODAY).recipients
    assert recipient.address == "lea@example.org"
    assert recipient.status.startswith("5.")
    assert recipient.status not in ("2.0.2", "5.7.1", "4.4.7")
    assert recipient.severity == "hard"


@pytest.mark.parametrize(
    "words",
    [
        "The recipient name is not recognized",
        "User Léa Martin (lea@example.org) not listed in Domino Directory",
        "Invalid final delivery userid: lea@example.org",
        "550 User not known",
        "550 Addressee unknown",
        "lea@example.org does not have a final email delivery point",
        "The recipient's e-mail address was not found in the recipient's e-mail system.",
        "lea wasn't found at example.org.",
        "550 <lea@example.org>... User unknown!",
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
        "Sorry, I couldn't find any host by that name.",
    ],
)
def test_the_words_of_real_servers_for_no_such_user_are_a_hard_bounce(words):
    """Under a generic code (or none), as Domino, Exchange, IMail, MDaemon, qmail... write them."""
    raw = message(
        "From: postmaster@mx.example.org\nSubject: Non-Delivery Report\n",
        f"Your message did not reach some or all of the intended recipients.\n\n"
        f"  lea@example.org\n    {words}\n",
    )
    [recipient] = classify(raw, TODAY).recipients
    assert (recipient.address, recipient.status[:2], recipient.severity) == (
        "lea@example.org", "5.", "hard"
    )  # fmt: skip
    assert severity("5.0.0", words) == "hard"


def test_a_refusal_of_our_sender_or_a_rate_limit_is_not_the_candidates_address():
    assert severity("5.1.8", "501 5.1.8 Sender address rejected") == "policy"
    assert severity("5.1.0", "550 5.1.0 <bounce@mailer.example> sender rejected") == "policy"
    assert (
        severity("5.1.0", "SMTP error after MAIL FROM:<claire@agence.example>: 550 no") == "policy"
    )
    assert (
        severity("5.1.1", "550 5.1.1 192.0.2.1 has sent to too many recipients this hour") == "soft"
    )
    assert severity("5.1.1", "552 sorry, mailbox lea@example.org is over quota") == "soft"


# --- out-of-office return dates (issue 12) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kept", "why"),
    [
        ("Je suis absente jusqu'au 13/02/2026.", None, ("return_date_past", "2026-02-13")),
        ("I am out of the office until 31/12/2099.", None, ("return_date_far", "2099-12-31")),
        ("Back on 2027-03-03.", None, ("return_date_far", "2027-03-03")),
        ("Back on 2027-03-02.", date(2027, 3, 2), None),
        ("De retour le 2 mars.", date(2026, 3, 2), None),
    ],
)
def test_an_out_of_office_return_date_is_bounded(body, kept, why):
    """Past, or more than a year ahead: ignored with the reason (the follow-ups then wait as
    for an absence without a date)."""
    raw = message(
        "From: lea@example.org\nSubject: Absence\nAuto-Submitted: auto-replied\nDate: Mon, 2 Mar 2026 08:00:00 +0100",
        body,
    )
    result = classify(raw, TODAY)
    assert result.kind == "auto_reply"
    assert result.return_date == kept
    ignored = [w for w in result.why if w[0].startswith("return_date_")]
    assert ignored == ([why] if why else [])
    if why:
        assert why[1] in " ".join(result.as_json("en")["why"])  # shown by --classify
