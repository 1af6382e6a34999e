"""The e-mails as they leave, read as a receiving server and a careful reader would read
them: the bytes a real SMTP server on loopback received (issue 12, "Mail that reads like a
careful person's"). Who it is for (To names the candidate), when (Date in the
organisation's zone), from where (a Message-ID at the sender's domain, with a random part,
still found again by replies and bounces), in lines a server accepts, with list headers
only on automated messages, and never with a place left to fill in."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from relance.engine import Channel
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread, Touchpoint
from relance.followups.steps import decide_now
from relance.followups.timeline import render_for
from relance.messaging import checks, compose, outbox, receive
from relance.messaging.models import OutboxMessage
from relance.messaging.render import Rendered, TemplateProblem
from relance.messaging.transport import build
from relance.people.models import Candidate, Job
from relance.pools import campaigns, consent
from relance.pools.models import Campaign, Segment
from tests.conftest import approach, paris
from tests.smtpserver import Handler, SmtpServer

pytestmark = pytest.mark.django_db

T0 = paris(2026, 3, 2, 9, 0)


class RawHandler(Handler):
    """Keeps each message's bytes as they came in the DATA command; may not offer 8BITMIME."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []
        self.eight_bit = True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        return [r for r in responses if self.eight_bit or "8BITMIME" not in r]

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.raw.append(envelope.original_content or envelope.content)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp():  # the conftest's `transport` sends here
    server = SmtpServer()
    server.handler = RawHandler()
    server.controller = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    server.start()
    yield server
    server.stop()


def head_of(raw: bytes) -> list[str]:
    """The header lines as they came, folded lines joined."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return re.sub(r"\r\n[ \t]", " ", head).split("\r\n")


def header(raw: bytes, name: str) -> str:
    found = [line.split(":", 1)[1].strip() for line in head_of(raw) if line.startswith(f"{name}:")]
    assert len(found) <= 1, found
    return found[0] if found else ""


def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def followup_sent(org, recruiter, transport, smtp) -> tuple[Candidate, OutboxMessage, bytes]:
    """Léa's follow-up 1, written by the engine and delivered through the real server."""
    lea, thread = approach(org, recruiter)
    row, _ = services.queue_send(thread.pk, thread.due_at)
    assert row is not None
    outbox.deliver(row.pk, transport, thread.due_at)
    row.refresh_from_db()
    assert row.status == "sent"
    return lea, row, smtp.handler.raw[-1]


def rejected_finalist(org, recruiter, name: str = "Camille", address: str = "camille") -> Thread:
    """A finalist without a phone, rejected: the personal e-mail is the recruiter's task."""
    person = Candidate.objects.create(
        organisation=org, first_name=name, last_name="Rousseau", email=f"{address}@example.org",
        created_at=T0 - timedelta(days=30),
    )  # fmt: skip
    job = Job.objects.create(organisation=org, title="Développeur Java", created_at=T0)
    for stage in ("interview", "final", "rejected"):
        services.record_event(Event(EventType.STAGE_CHANGED, T0, person, recruiter=recruiter,
                                    job=job, outcome=stage), T0)  # fmt: skip
    thread = Thread.objects.get(candidate=person, situation="rejection")
    assert (thread.next_kind, thread.next_channel) == ("task", "email")
    return thread


# --- item 1: a place left to fill in never leaves ----------------------------------------


def test_a_personal_rejection_still_holding_its_placeholders_is_refused_with_the_reason(
    org, recruiter, client_of
):
    thread = rejected_finalist(org, recruiter)
    at = thread.due_at
    prepared = render_for(thread, decide_now(thread, at), at)
    assert "[Les raisons, deux au plus, concrètes.]" in prepared.body  # as the issue saw it
    with pytest.raises(checks.Unsendable) as refused:
        services.send_edited(thread.pk, at, prepared.subject, prepared.body, recruiter)
    assert refused.value.reason("fr") == (
        "Le message contient encore du texte à compléter : « [Les raisons, deux au plus, "
        "concrètes.] », « [un conseil concret, tiré de vos entretiens.] ». Remplacez-le par le "
        "vôtre avant d'envoyer."
    )
    assert "[Les raisons, deux au plus, concrètes.]" in refused.value.reason("en")
    assert not OutboxMessage.objects.exists()
    # Through the page: the reason, in the reader's language; nothing written.
    url = reverse("web:thread_act", args=[thread.pk, "send_edited"])
    for language, words in (("en", "still holds text to fill in"), ("fr", "encore du texte")):
        page = client_of(recruiter, language).post(
            url, {"subject": prepared.subject, "body": prepared.body}
        )
        assert page.status_code == 400
        assert words in page.content.decode()
    # Half filled in: the brackets gone but the instruction left is still refused.
    half = prepared.body.replace("[Les raisons, deux au plus, concrètes.]", "Les raisons, deux au "
                                 "plus, concrètes").replace("[un conseil concret, tiré de vos "
                                 "entretiens.]", "lisez la doc.")  # fmt: skip
    with pytest.raises(checks.Unsendable):
        services.send_edited(thread.pk, at, prepared.subject, half, recruiter)
    for subject, body in (("", "Bonjour"), ("Objet", "  \n ")):
        with pytest.raises(checks.Unsendable):
            services.send_edited(thread.pk, at, subject, body, recruiter)
    assert not OutboxMessage.objects.exists()
    # Filled in: it leaves. Brackets of ordinary text are not placeholders.
    written = prepared.body.replace(
        "[Les raisons, deux au plus, concrètes.]",
        "le poste « Développeur Java [H/F] » demandait plus d'expérience de Kafka [1].",
    ).replace("[un conseil concret, tiré de vos entretiens.]", "montrez vos projets […].")
    row = services.send_edited(thread.pk, at, prepared.subject, written, recruiter)
    assert row.by_hand
    assert "[H/F]" in row.body


def test_the_outbox_refuses_any_message_still_holding_a_placeholder(org, recruiter):
    """The last guard, whoever writes: an organisation's own automatic template that
    kept an instruction is not written (the caller turns it into a task to rewrite)."""
    lea, _ = approach(org, recruiter)
    for rendered in (
        Rendered(
            "application.ack.email", "fr", "Merci", "Bonjour,\n[Votre accroche, en une phrase.]"
        ),
        Rendered("application.ack.email", "en", "Thanks", "Hello,\n[one line about them…]"),
        Rendered("application.ack.email", "fr", "", "Bonjour"),
    ):
        message_id = compose.message_id(org.pk, "ack", 1)
        with pytest.raises(checks.Unsendable):
            outbox.write_single(lea, recruiter, "acknowledgement", rendered, message_id, T0)
    assert not OutboxMessage.objects.filter(reason="acknowledgement").exists()


# --- item 3: list headers only on automated messages --------------------------------------


def test_only_automated_messages_carry_list_headers(org, recruiter, transport, smtp):
    lea, _, raw = followup_sent(org, recruiter, transport, smtp)
    assert header(raw, "List-Id") == f'"Agence Test (relances)" <followups.{org.pk}.test.example>'
    assert header(raw, "List-Unsubscribe").count("<") == 2  # https and mailto:
    assert header(raw, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    # An acknowledgement: the candidate asked for it. One to one, no list.
    job = Job.objects.create(organisation=org, title="Data Engineer", created_at=T0)
    tom = Candidate.objects.create(organisation=org, first_name="Tom", email="tom@example.org",
                                   created_at=T0)  # fmt: skip
    services.record_event(Event(EventType.APPLICATION_RECEIVED, T0, tom, recruiter=recruiter,
                                job=job), T0)  # fmt: skip
    ack = OutboxMessage.objects.get(candidate=tom, reason="acknowledgement")
    outbox.deliver(ack.pk, transport, T0)
    # A personal rejection, written by the recruiter.
    thread = rejected_finalist(org, recruiter)
    personal = services.send_edited(thread.pk, thread.due_at, "Votre candidature",
                                    "Camille, merci pour ces entretiens.", recruiter)  # fmt: skip
    outbox.deliver(personal.pk, transport, thread.due_at)
    for one_to_one in smtp.handler.raw[1:]:
        assert header(one_to_one, "List-Unsubscribe") == ""
        assert header(one_to_one, "List-Id") == ""
        assert header(one_to_one, "List-Unsubscribe-Post") == ""
    assert len(smtp.handler.raw) == 3
    # Never List-Unsubscribe without List-Id: SpamAssassin's __LIST_PARTIAL ("incomplete
    # mailing list headers", in LIST_PARTIAL_SHORT_MSG and RAND_HEADER_LIST_SPOOF).
    for raw in smtp.handler.raw:
        assert bool(header(raw, "List-Unsubscribe")) == bool(header(raw, "List-Id"))
    # A campaign's message and a renewal request: their own lists.
    segment = Segment.objects.create(organisation=org, name="All", definition={}, created_at=T0)
    campaign = Campaign.objects.create(
        organisation=org, name="News", segment=segment, topic="job_offers", created_by=recruiter,
        subject_fr="Des nouvelles", body_fr="Bonjour {{ candidate.first_name }}",
        subject_en="News", body_en="Hi", status="scheduled", scheduled_at=T0, created_at=T0,
    )  # fmt: skip
    mail = OutboxMessage(organisation=org, candidate=lea, campaign=campaign, reason="campaign",
                         from_address="Claire <claire@test.example>")  # fmt: skip
    found = outbox.outgoing(mail, T0).message()
    assert found["List-Id"] == f'"Agence Test (campagnes)" <campaigns.{org.pk}.test.example>'
    mail = OutboxMessage(organisation=org, candidate=lea, reason="renewal",
                         from_address="claire@test.example")  # fmt: skip
    assert (
        outbox.outgoing(mail, T0).message()["List-Id"].endswith(f"<renewals.{org.pk}.test.example>")
    )


# --- item 4: Message-IDs at the sending domain, with a random part ------------------------


def test_message_ids_are_at_the_senders_domain_random_and_found_again(
    org, recruiter, transport, smtp
):
    lea, row, raw = followup_sent(org, recruiter, transport, smtp)
    thread_id = row.thread_id
    sent_id = header(raw, "Message-ID")
    assert sent_id == row.message_id
    assert re.fullmatch(
        rf"<relance\.{org.pk}\.t\.{thread_id}\.\d+\.\d{{20}}@test\.example>", sent_id
    )
    assert "localhost" not in sent_id  # the unsubscribe link is RELANCE_BASE_URL's: localhost here
    # The same step written by another installation (or a restored database): another id.
    again = compose.message_id(org.pk, "t", thread_id, row.action_index, sender="c@test.example")
    assert again != sent_id
    assert re.sub(r"\.\d{20}@", "@", again) == re.sub(r"\.\d{20}@", "@", sent_id)
    # A bounce that quotes only our Message-ID (a forwarded address) finds Léa.
    bounce = (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: claire@test.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.org>\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail system: <old.address@forward.example>: "
        "user unknown\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; "
        "mx.example.org\r\n\r\nFinal-Recipient: rfc822; old.address@forward.example\r\nAction: "
        "failed\r\nStatus: 5.1.1\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {sent_id}\r\nSubject: x\r\n--b--\r\n"
    ).encode()
    later = row.sent_at + timedelta(hours=1)
    result = receive.receive(org, bounce, later)
    assert result.candidates == [lea.pk]
    # A reply to it (In-Reply-To) is Léa's, whatever address she writes from.
    reply = (f"From: Lea <lea.perso@elsewhere.example>\r\nSubject: Re: x\r\nMessage-ID: <r@e>\r\n"
             f"In-Reply-To: {sent_id}\r\n\r\nOui, appelez-moi.\r\n").encode()  # fmt: skip
    assert receive.receive(org, reply, later).candidates == [lea.pk]


def test_a_message_written_with_no_sender_domain_falls_back_to_the_mail_domain(settings):
    settings.RELANCE_MAIL_DOMAIN = "relance.agence.example"
    assert compose.message_id(1, "ack", 7).endswith("@relance.agence.example>")
    assert compose.message_id(1, "ack", 7, sender="x@localhost").endswith(
        "@relance.agence.example>"
    )
    moved = compose.sent_from(compose.message_id(1, "ack", 7), "Claire <claire@Agence.example>")
    assert re.fullmatch(r"<relance\.1\.ack\.7\.\d{20}@agence\.example>", moved)
    assert compose.sent_from("<someone@else.example>", "claire@agence.example") == (
        "<someone@else.example>"
    )


def test_a_campaign_writes_each_person_once_without_relying_on_message_ids(org, recruiter):
    people = [
        Candidate.objects.create(
            organisation=org, first_name=n, email=f"{n}@example.org", created_at=T0
        )
        for n in ("ana", "bob")
    ]
    for person in people:
        consent.record_choices(person, {"talent_pool", "job_alerts"}, {"job_offers": "monthly"},
                               T0 - timedelta(days=1))  # fmt: skip
    segment = Segment.objects.create(organisation=org, name="All", definition={}, created_at=T0)
    campaign = Campaign.objects.create(
        organisation=org, name="News", segment=segment, topic="job_offers", created_by=recruiter,
        subject_fr="Des nouvelles", body_fr="Bonjour {{ candidate.first_name }}",
        subject_en="News", body_en="Hi", status="scheduled", scheduled_at=T0, created_at=T0,
    )  # fmt: skip
    assert campaigns.write_batch(campaign.pk, T0)[0] == 2
    Campaign.objects.filter(pk=campaign.pk).update(last_candidate_id=0, status="sending")
    assert campaigns.write_batch(campaign.pk, T0)[0] == 0  # the cursor moved back: no twice
    assert OutboxMessage.objects.filter(campaign=campaign).count() == 2
    to = sorted(OutboxMessage.objects.values_list("to_address", flat=True))
    assert to == ["ana <ana@example.org>", "bob <bob@example.org>"]


# --- item 5: Date in the organisation's zone, To with the candidate's name -----------------


def test_date_gives_the_organisations_offset_at_that_instant(org, recruiter, transport, smtp):
    _, row, raw = followup_sent(org, recruiter, transport, smtp)
    date = header(raw, "Date")
    assert date.endswith("+0100")  # Paris, in winter
    assert parsedate_to_datetime(date) == row.sent_at
    summer = paris(2026, 7, 6, 9, 0)
    assert outbox.outgoing(row, summer).message()["Date"].endswith("+0200")  # summer time
    org.timezone = "America/New_York"
    org.save()
    assert outbox.outgoing(row, summer).message()["Date"].endswith("-0400")
    assert outbox.outgoing(row, T0).message()["Date"].endswith("-0500")


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Léa", "Martin"),
        ("Léa", "Martin, née Dupont"),  # a comma: one recipient, not two
        ('Jean "JJ"', "Dupont"),  # quotes
        ("Sean", "O'Brien (Dublin)"),  # an apostrophe and parentheses
        ("Zoë-Anaïs Éléonore", "de La Tour d'Auvergne-Lauraguais Ødegård Łukasiewicz"),  # long
        ("", ""),
    ],
)
def test_to_names_the_candidate_however_their_name_is_written(org, first, last):
    person = Candidate(organisation=org, first_name=first, last_name=last, email="p@example.org")
    message = build(from_address="Claire Dubois <claire@test.example>",
                    to=compose.recipient(person), subject="Bonjour", body="Bonjour",
                    message_id="<x@test.example>", date=T0, headers={})  # fmt: skip
    lines = message.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in lines), lines
    words = re.findall(rb"=\?[^?]+\?[bq]\?[^?]*\?=", message.data.split(b"\r\n\r\n", 1)[0])
    assert all(len(word) <= 75 for word in words)  # RFC 2047
    parsed = email.message_from_bytes(message.data, policy=policy.default)
    (address,) = parsed["To"].addresses  # one recipient, whatever the name holds
    assert address.addr_spec == "p@example.org"
    # RFC 2047 decoders give the name back exactly; Python's address parser also keeps the
    # space between two encoded words (a space more, where a long name was cut at a space).
    assert " ".join(address.display_name.split()) == person.full_name
    assert message.recipient == "p@example.org"


# --- item 6: bodies in lines a server accepts ----------------------------------------------


def test_a_long_paragraph_arrives_whole_in_lines_a_server_accepts(org, recruiter, transport, smtp):
    thread = rejected_finalist(org, recruiter)
    link = "https://carrieres.agence-test.example/offres/developpeur-java?" + "&".join(
        f"utm_param{i}=valeur-très-longue-{i}" for i in range(12)
    )
    paragraph = " ".join(
        f"Phrase {i} : l'équipe a apprécié votre démarche, vos échanges à l'oral étaient clairs"
        for i in range(60)
    )
    paragraph = paragraph[:2500] + f" (voir {link}) " + paragraph[2500:]
    assert len(paragraph) > 5000
    assert "\n" not in paragraph
    body = f"Bonjour Camille,\n\n{paragraph}\n\nClaire"
    row = services.send_edited(thread.pk, thread.due_at, "Votre candidature", body, recruiter)
    outbox.deliver(row.pk, transport, thread.due_at)
    raw = smtp.handler.raw[-1]
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")), "a line over 78 characters"
    assert header(raw, "Content-Transfer-Encoding") == "quoted-printable"
    received = email.message_from_bytes(raw, policy=policy.default)
    text = received.get_content()
    assert text.replace("\r\n", "\n").rstrip("\n") == body
    assert link in text.split()[text.split().index("(voir") + 1]  # the link, unbroken
    # A message whose lines all fit leaves as it is, readable: 8-bit UTF-8.
    short = services.send_edited(
        rejected_finalist(org, recruiter, "Inès", "ines").pk, thread.due_at, "Votre candidature",
        "Inès, merci pour votre temps.\n\nClaire", recruiter,
    )  # fmt: skip
    outbox.deliver(short.pk, transport, thread.due_at)
    assert header(smtp.handler.raw[-1], "Content-Transfer-Encoding") == "8bit"
    assert "Inès, merci".encode() in smtp.handler.raw[-1]


def test_a_server_without_8bitmime_gets_the_long_paragraph_quoted_printable_once(
    org, recruiter, transport, smtp
):
    smtp.handler.eight_bit = False
    thread = rejected_finalist(org, recruiter)
    body = "Bonjour,\n\n" + "é" * 3000
    row = services.send_edited(thread.pk, thread.due_at, "Votre candidature", body, recruiter)
    message = outbox.outgoing(row, thread.due_at)
    from relance.messaging.transport import _as_quoted_printable

    assert _as_quoted_printable(message.data) == message.data  # already 7-bit: not twice
    outbox.deliver(row.pk, transport, thread.due_at)
    assert b"BODY=8BITMIME" not in b"".join(smtp.handler.raw)
    received = email.message_from_bytes(smtp.handler.raw[-1], policy=policy.default)
    assert received.get_content().replace("\r\n", "\n").rstrip("\n") == body


def test_every_header_line_keeps_within_the_limits(org, recruiter, transport, smtp):
    lea, thread = approach(org, recruiter)
    while thread.status == "open":  # every follow-up: References grows
        row, _ = services.queue_send(thread.pk, thread.due_at)
        outbox.deliver(row.pk, transport, thread.due_at)
        thread.refresh_from_db()
    for raw in smtp.handler.raw:
        lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        assert all(len(line) <= 998 for line in lines)
        # Longer only where nothing can be folded (a link is one word).
        long = [
            line for line in lines if len(line) > 78 and b" " in line.split(b": ", 1)[-1].strip()
        ]
        assert not long, long
    assert Touchpoint.objects.filter(candidate=lea, channel=Channel.EMAIL).count() == 3


def test_a_campaign_text_holding_a_placeholder_is_refused_before_it_is_scheduled(org, recruiter):
    segment = Segment.objects.create(organisation=org, name="All", definition={}, created_at=T0)
    campaign = Campaign(
        organisation=org, name="News", segment=segment, topic="job_offers", created_by=recruiter,
        subject_fr="Des nouvelles", body_fr="Bonjour {{ candidate.first_name }},\n[Votre annonce, "
        "en deux phrases.]", subject_en="News", body_en="Hi", created_at=T0,
    )  # fmt: skip
    with pytest.raises(TemplateProblem, match=r"\[Votre annonce, en deux phrases\.\]"):
        campaigns.check_texts(campaign)
    campaign.body_fr = "Bonjour {{ candidate.first_name }}, un poste Java [H/F] vient d'ouvrir."
    campaigns.check_texts(campaign)
