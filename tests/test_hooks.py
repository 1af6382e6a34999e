"""Webhooks out (relance/hooks): Standard Webhooks signatures checked by the independent
`standardwebhooks` package, events written in the transaction of the change, delivered by
the worker to a real HTTP receiver on loopback — which fails on purpose, answers 410, or
is too slow — on the retry schedule (clock-driven, nothing sleeps), never to a private
address unless allowed."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from standardwebhooks import Webhook, WebhookVerificationError

from relance.engine import Channel, Situation, Stage
from relance.followups import services
from relance.followups.events import Event, EventType
from relance.followups.models import Thread
from relance.hooks import addresses, delivery, endpoints, signing
from relance.hooks.models import Delivery, Endpoint
from relance.people.models import Application, Candidate, Job, Recruiter

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on loopback: answers each request with the next planned status
    (200 once the plan is used up), and checks every signature with `standardwebhooks`."""

    def __init__(self) -> None:
        self.plan: list[int | str] = []  # a status, or "slow": answer after the timeout
        self.received: list[dict[str, Any]] = []
        self.secrets: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = []
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified.append(secret)
                    except WebhookVerificationError:
                        pass
                receiver.received.append({"headers": headers, "body": body, "verified": verified})
                status = receiver.plan.pop(0) if receiver.plan else 200
                if status == "slow":
                    receiver.release.wait(5)  # longer than the timeout: never on time
                    status = 200
                self.send_response(int(status))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?team=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):  # type: ignore[no-untyped-def]
    # The receiver is on loopback: allowed explicitly here, refused by default.
    settings.RELANCE_WEBHOOKS_ALLOW_PRIVATE = True
    found = Receiver()
    yield found
    found.close()


def now() -> datetime:
    return datetime.now(tz=UTC)


def make_candidate(org, ref="c1") -> Candidate:  # type: ignore[no-untyped-def]
    return Candidate.objects.create(
        organisation=org, first_name="Léa", last_name="Martin", email=f"{ref}@example.org",
        external_ref=ref, created_at=now() - timedelta(days=10),
    )  # fmt: skip


def listen(org, receiver, events=None) -> tuple[Endpoint, str]:  # type: ignore[no-untyped-def]
    from relance.hooks.outbox import EVENTS

    endpoint, secret = endpoints.add(org, receiver.url, list(events or EVENTS), None, now())
    receiver.secrets.append(secret)
    return endpoint, secret


def reply(candidate: Candidate, at: datetime) -> None:
    services.record_event(
        Event(EventType.REPLY_RECEIVED, at, candidate, channel=Channel.EMAIL), now=at
    )


def deliver(at: datetime | None = None, send: delivery.Post = delivery.post) -> delivery.Report:
    return delivery.deliver_due(lambda: at or now(), "test-worker", send=send)


# --- signatures --------------------------------------------------------------------------


def test_it_signs_as_the_independent_implementation_verifies():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    body = json.dumps({"type": "candidate.replied", "data": {"candidate_id": 7}})
    at = int(time.time())
    headers = signing.headers([secret], "msg_1", at, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    # The same bytes under another id, or another body, do not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    # The package's own signature is ours, byte for byte.
    assert headers["webhook-signature"] == Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(at, tz=UTC), body
    )


def test_during_a_rotation_both_secrets_sign(org):
    endpoint, old = endpoints.add(
        org, "https://93.184.215.14/x", ["candidate.replied"], None, now()
    )
    new = endpoints.rotate(endpoint, now())
    live = delivery.live_secrets(endpoint, now())
    assert live == [new, old]
    headers = signing.headers(live, "msg_1", int(time.time()), "{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify("{}", headers, json_parse=False)
    # A day later, only the new one signs.
    assert delivery.live_secrets(endpoint, now() + timedelta(hours=25)) == [new]


# --- events, in the transaction of the change ----------------------------------------------


def test_a_reply_writes_a_candidate_replied_event_in_its_transaction(org, receiver):
    listen(org, receiver, ["candidate.replied"])
    candidate = make_candidate(org)
    reply(candidate, now())
    (row,) = Delivery.objects.all()
    assert row.event_type == "candidate.replied"
    assert row.event_id.startswith("msg_")
    payload = json.loads(row.body)
    assert payload["type"] == "candidate.replied"
    assert payload["data"] == {
        "organisation_id": org.pk, "candidate_id": candidate.pk, "channel": "email",
    }  # fmt: skip
    # No name, no address: ids only.
    assert "Léa" not in row.body
    assert "example.org" not in row.body

    # The change rolled back: no event either.
    def failing_change() -> None:
        with transaction.atomic():
            reply(candidate, now())
            raise RuntimeError("the change fails after the event was written")

    with pytest.raises(RuntimeError):
        failing_change()
    assert Delivery.objects.count() == 1


def test_only_the_events_an_endpoint_listens_to_are_written_for_it(org, receiver):
    listen(org, receiver, ["application.stage_changed"])
    reply(make_candidate(org), now())
    assert not Delivery.objects.exists()


def test_a_stage_change_writes_its_application_and_both_stages(org, receiver):
    listen(org, receiver, ["application.stage_changed"])
    candidate = make_candidate(org)
    job = Job.objects.create(organisation=org, title="Data Engineer", created_at=now())
    at = now()
    for stage in (Stage.SCREENING, Stage.INTERVIEW):
        services.record_event(
            Event(EventType.STAGE_CHANGED, at, candidate, job=job, outcome=stage), now=at
        )
    rows = [json.loads(r.body)["data"] for r in Delivery.objects.order_by("pk")]
    application = Application.objects.get(candidate=candidate)
    assert rows[1] == {
        "organisation_id": org.pk, "candidate_id": candidate.pk, "application_id": application.pk,
        "job_id": job.pk, "stage": "interview", "previous_stage": "screening",
    }  # fmt: skip
    assert rows[0]["previous_stage"] is None


def test_a_reply_stops_the_thread_and_says_so(org, receiver, recruiter):
    listen(org, receiver, ["thread.stopped", "candidate.replied", "message.sent"])
    candidate = make_candidate(org)
    at = now() - timedelta(days=1)
    services.record_event(
        Event(EventType.MESSAGE_SENT, at, candidate, recruiter=recruiter, channel=Channel.EMAIL,
              situation=Situation.FIRST_MESSAGE),
        now=at,
    )  # fmt: skip
    reply(candidate, now())
    kinds = list(Delivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert kinds == ["message.sent", "candidate.replied", "thread.stopped"]
    stopped = json.loads(Delivery.objects.get(event_type="thread.stopped").body)["data"]
    assert stopped["situation"] == "first_message"
    assert stopped["thread_id"] == Thread.objects.get(candidate=candidate).pk


def test_consent_unsubscribe_and_bounce_events(org, receiver):
    listen(org, receiver)
    candidate = make_candidate(org)
    at = now()
    for event in (
        Event(EventType.CONSENT_GIVEN, at, candidate, outcome="talent_pool"),
        Event(EventType.CONSENT_WITHDRAWN, at, candidate, outcome="talent_pool"),
        Event(EventType.BOUNCE, at, candidate, outcome="hard"),
        Event(EventType.UNSUBSCRIBED, at, candidate, channel=Channel.EMAIL),
    ):
        services.record_event(event, now=at)
    told = Delivery.objects.exclude(event_type="thread.stopped").order_by("pk")
    kinds = list(told.values_list("event_type", flat=True))
    assert kinds == [
        "consent.given", "consent.withdrawn", "message.bounced", "candidate.unsubscribed",
    ]  # fmt: skip
    data = [json.loads(r.body)["data"] for r in told]
    assert data[0]["purpose"] == "talent_pool"
    assert data[2]["kind"] == "hard"


# --- delivery --------------------------------------------------------------------------------


def test_it_delivers_a_signed_event_the_receiver_verifies(org, receiver):
    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())
    report = deliver()
    assert report.delivered == 1
    (got,) = receiver.received
    assert got["verified"] == receiver.secrets  # standardwebhooks accepted our signature
    row = Delivery.objects.get()
    assert got["headers"]["webhook-id"] == row.event_id
    assert got["body"].decode() == row.body
    assert (row.status, row.attempts, row.last_status) == ("delivered", 1, 200)


def test_a_failing_receiver_is_retried_on_the_schedule(org, receiver):
    endpoint, _ = listen(org, receiver, ["candidate.replied"])
    t0 = now()
    reply(make_candidate(org), t0)
    receiver.plan = [500] * 10
    at, waits = t0, []
    for _ in range(10):
        report = deliver(at)
        row = Delivery.objects.get()
        if row.status == "failed":
            break
        assert report.retried == 1
        waits.append(row.due_at - at)
        assert deliver(row.due_at - timedelta(seconds=1)).retried == 0  # not before its time
        at = row.due_at
    assert waits == list(delivery.SCHEDULE[1:])
    # The tenth attempt, 75 hours after the first, fails too: three days of failures.
    assert (row.status, row.attempts, row.last_status) == ("failed", 10, 500)
    # Every attempt carried the same id, each signed at its own time.
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1
    assert len({r["headers"]["webhook-timestamp"] for r in receiver.received}) == 10
    endpoint.refresh_from_db()
    assert endpoint.disabled_at == at
    assert endpoint.disabled_reason == "failing"


def test_a_success_clears_the_failures_and_the_endpoint_stays(org, receiver):
    endpoint, _ = listen(org, receiver, ["candidate.replied"])
    t0 = now()
    reply(make_candidate(org), t0)
    receiver.plan = [503]
    deliver(t0)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert deliver(t0 + timedelta(seconds=5)).delivered == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.disabled_at is None


def test_a_410_disables_the_endpoint_and_its_admins_are_told(org, receiver):
    Recruiter.objects.create_user(email="admin@test.example", organisation=org,
                                  role=Recruiter.Role.ADMIN)  # fmt: skip
    endpoint, _ = listen(org, receiver, ["candidate.replied"])
    candidate = make_candidate(org)
    reply(candidate, now())
    reply(candidate, now())
    receiver.plan = [410]
    report = deliver()
    assert report.disabled == [endpoint.pk]
    assert len(receiver.received) == 1  # the second event never left
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason == "gone"
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    (told,) = mail.outbox
    assert told.to == ["admin@test.example"]
    assert "410" in told.body
    assert receiver.url in told.body
    deliver()
    assert len(mail.outbox) == 1  # told once
    # New events are not written for a disabled endpoint.
    reply(candidate, now())
    assert Delivery.objects.count() == 2


def test_three_days_of_failures_disable_the_endpoint(org, receiver):
    endpoint, _ = listen(org, receiver, ["candidate.replied"])
    t0 = now()
    candidate = make_candidate(org)
    reply(candidate, t0)
    receiver.plan = [500, 500]
    deliver(t0)
    later = t0 + timedelta(days=3)
    reply(candidate, later)  # a new event, first attempt three days after the first failure
    deliver(later)
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "failing"


def test_a_slow_receiver_times_out_and_is_retried(org, receiver, settings):
    settings.RELANCE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())
    receiver.plan = ["slow"]
    began = time.monotonic()
    report = deliver()
    assert time.monotonic() - began < 3  # bounded by the timeout, not by the receiver
    row = Delivery.objects.get()
    assert report.retried == 1
    assert row.status == "pending"
    assert "no answer within 0.3 s" in row.last_error


def test_a_crash_between_sending_and_recording_sends_again_under_the_same_id(org, receiver):
    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())

    def crash(url: str, headers: dict[str, str], body: str) -> delivery.Answer:
        delivery.post(url, headers, body)  # it arrived…
        raise SystemExit("killed before recording")  # …and the worker died

    with pytest.raises(SystemExit):
        deliver(send=crash)
    row = Delivery.objects.get()
    assert row.status == "sending"
    deliver()  # its lease still holds: not sent twice by another worker meanwhile
    assert len(receiver.received) == 1
    report = deliver(now() + delivery.lease() + timedelta(seconds=1))
    assert (report.recovered, report.delivered) == (1, 1)
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    row.refresh_from_db()
    assert row.status == "delivered"
    assert row.attempts == 2


def test_send_again_delivers_the_same_event_once_more(org, receiver):
    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())
    deliver()
    row = Delivery.objects.get()
    assert endpoints.send_again(row, now())
    assert not endpoints.send_again(row, now())  # already on its way
    deliver()
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]


# --- where webhooks may go ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://100.64.0.1/x",
    ],
)
def test_local_and_private_addresses_are_refused(org, url):
    with pytest.raises(addresses.AddressRefused) as refused:
        endpoints.add(org, url, ["candidate.replied"], None, now())
    assert refused.value.problem in ("private", "resolve")
    assert "refus" in refused.value.describe("fr")
    assert not Endpoint.objects.exists()


def test_plain_http_and_unresolvable_names_are_refused(org):
    with pytest.raises(addresses.AddressRefused) as refused:
        endpoints.add(org, "http://93.184.215.14/x", ["candidate.replied"], None, now())
    assert refused.value.problem == "scheme"
    with pytest.raises(addresses.AddressRefused) as refused:
        endpoints.add(org, "https://nowhere.invalid/x", ["candidate.replied"], None, now())
    assert refused.value.problem == "resolve"


def test_the_rule_holds_again_at_delivery(org, receiver, settings):
    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())
    settings.RELANCE_WEBHOOKS_ALLOW_PRIVATE = False  # the address is now refused
    report = deliver()
    assert report.retried == 1
    assert not receiver.received
    assert "refused" in Delivery.objects.get().last_error


def test_it_connects_to_the_address_it_checked(monkeypatch, settings):
    settings.RELANCE_WEBHOOKS_ALLOW_PRIVATE = False
    answers = iter([[(2, 1, 6, "", ("93.184.215.14", 443))], [(2, 1, 6, "", ("127.0.0.1", 443))]])
    monkeypatch.setattr(addresses.socket, "getaddrinfo", lambda *a, **k: next(answers))
    target = addresses.resolve("https://rebind.example/x")
    assert target.address == "93.184.215.14"  # the second, hostile answer is never asked
    connection = delivery._PinnedTLS(target, 1)
    assert connection.address == "93.184.215.14"
    assert connection.host == "rebind.example"


def test_the_worker_cycle_delivers_webhooks(org, receiver):
    from relance.worker import Worker

    listen(org, receiver, ["candidate.replied"])
    reply(make_candidate(org), now())
    report = Worker(name="w1").cycle()
    assert report.webhooks == 1
    assert len(receiver.received) == 1
