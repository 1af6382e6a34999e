"""Hostile e-mails never crash nor hang the inbound classifier, nor `receive`.

Every family that once crashed `relance inbound --classify` or hung it (tests/hostile_mail.py,
generated from a fixed seed: 20 MB bodies, 5,000-level nesting, 100,000 continuation lines,
10,000 DSN recipients, undecodable words and charsets, SES JSON of every shape...) must be
classified, each message within a generous bound (a hang guard, not a measure of speed),
and a message given to `receive` must be kept. Hypothesis adds mutations of real bounces.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.messaging.inbound import KINDS, classify, why_sentence
from tests.hostile_mail import FAMILIES, messages

TODAY = date(2026, 3, 2)
BOUND = 2.0  # seconds a message may take, at most: a hang guard, generous on a slow machine
CORPUS = Path(__file__).resolve().parent / "fixtures" / "bounces-sisimai" / "maildir-bsd"


class Hung(Exception):
    pass


@contextlib.contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Interrupts what runs longer than `seconds` (where signals can: the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed_classify(raw: bytes) -> tuple[str, list[tuple[str, str]], float]:
    start = time.perf_counter()
    with hang_guard(BOUND * 5):
        result = classify(raw, TODAY)
    return result.kind, result.why, time.perf_counter() - start


ALL = list(messages())


def test_the_hostile_set_covers_every_family_with_a_few_hundred_messages():
    assert len(ALL) >= 300
    assert {name.rsplit("-", 1)[0] for name, _ in ALL} == set(FAMILIES)
    assert max(len(raw) for _, raw in ALL) >= 20 * 1024 * 1024


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_hostile_message_is_classified_within_the_bound(family):
    worst = (0.0, "")
    for name, raw in ALL:
        if not name.startswith(family + "-"):
            continue
        kind, why, took = timed_classify(raw)
        assert kind in KINDS, name
        assert why, name  # always a reason
        # Read within bounds, not given up on: the last guard (unreadable) is never reached.
        assert "unreadable" not in {code for code, _ in why}, (name, why)
        assert all(why_sentence(w, lang) for w in why for lang in ("en", "fr"))  # as --classify
        assert took < BOUND, f"{name}: {took:.2f} s"
        worst = max(worst, (took, name))
    print(f"{family}: worst {worst[0] * 1000:.0f} ms ({worst[1]})")


def test_what_cannot_be_read_in_full_says_so():
    by_name = dict(ALL)
    _, why, _ = timed_classify(by_name["huge_html-00"])
    assert ("too_big", f"{256 * 1024} / {len(by_name['huge_html-00'])}") in why
    assert "too_deep" in {code for code, _ in timed_classify(by_name["deep_multipart-00"])[1]}
    assert "too_deep" in {code for code, _ in timed_classify(by_name["deep_rfc822-00"])[1]}


@pytest.mark.django_db
def test_every_family_goes_through_receive_and_is_kept(org):
    """Two messages of each family through the one door of every inbound message."""
    from relance.messaging.models import InboundMessage
    from relance.messaging.receive import receive

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    seen: dict[str, int] = {}
    for name, raw in ALL:
        family = name.rsplit("-", 1)[0]
        if seen.get(family, 0) >= 2:
            continue
        seen[family] = seen.get(family, 0) + 1
        start = time.perf_counter()
        with hang_guard(BOUND * 5):
            received = receive(org, raw, now)
        took = time.perf_counter() - start
        assert received.outcome in ("recorded", "unmatched", "ignored", "failed", "duplicate")
        assert took < BOUND * 2, f"{name}: {took:.2f} s"
        if received.outcome != "duplicate":
            kept = InboundMessage.objects.get(pk=received.inbound_id)
            assert bytes(kept.raw) == raw, name
        now += timedelta(minutes=1)
    assert InboundMessage.objects.count() >= len(FAMILIES)


def _mutate(raw: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    for where, length, insert in cuts:
        at = where % (len(raw) + 1)
        raw = raw[:at] + insert + raw[at + length :]
    return raw


@given(
    name=st.sampled_from(sorted(p.name for p in CORPUS.glob("*.eml"))),
    cuts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=100_000),
            st.integers(min_value=0, max_value=200),
            st.sampled_from(
                [b"", b"\x00", b"\xff\xfe", b"=?utf-8?b?A?=", b"\n\n", b"\r\n ", b"--",
                 b"Content-Type: multipart/mixed; boundary=x\n\n--x\n",
                 b"Content-Type: message/rfc822\n\n", b"charset=idna", b'"', b";" * 50,
                 b"<" * 100, b"5.1.1 ", b"Final-Recipient: rfc822; a@b.example\n"]
            ),
        ),
        max_size=6,
    ),
)  # fmt: skip
def test_mutated_real_bounces_are_classified_within_the_bound(name, cuts):
    raw = _mutate((CORPUS / name).read_bytes(), cuts)
    kind, why, took = timed_classify(raw)
    assert kind in KINDS
    assert why
    assert "unreadable" not in {code for code, _ in why}, why
    assert took < BOUND
