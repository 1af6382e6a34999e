"""The demo organisation covers what a newcomer should see."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from relance import demo
from relance.followups.events import EventType

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_the_demo_history_covers_every_situation_and_the_hard_cases():
    scenario = demo.generate(NOW)
    assert len(scenario.recruiters) == 3
    assert 200 <= len(scenario.candidates) <= 400
    languages = Counter(c.language for c in scenario.candidates)
    assert languages["fr"] > 0
    assert languages["en"] > 0
    kinds = Counter(e.type for e in scenario.events)
    for kind in (
        EventType.MESSAGE_SENT,
        EventType.INVITATION_ACCEPTED,
        EventType.CALL,
        EventType.APPLICATION_RECEIVED,
        EventType.CONSENT_GIVEN,
        EventType.REPLY_RECEIVED,
        EventType.BOUNCE,
        EventType.UNSUBSCRIBED,
        EventType.AUTO_REPLY_RECEIVED,
        EventType.INTERVIEW,
        EventType.STAGE_CHANGED,
    ):
        assert kinds[kind] > 0, kind
    situations = {e.situation for e in scenario.events if e.situation}
    assert {s.value for s in situations} >= {"first_message", "cv_database"}
    assert all(scenario.start <= e.at <= NOW for e in scenario.events)


def test_the_demo_is_the_same_twice_for_the_same_moment():
    first, second = demo.generate(NOW), demo.generate(NOW)
    assert [(e.at, e.type, e.candidate) for e in first.events] == [
        (e.at, e.type, e.candidate) for e in second.events
    ]


def test_outside_office_hours_the_demo_takes_place_at_the_latest_working_afternoon():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")

    def at(*args):
        return datetime(*args, tzinfo=paris)

    wednesday_morning = at(2026, 11, 18, 10, 0)
    assert demo.working_moment(wednesday_morning) == wednesday_morning
    assert demo.working_moment(at(2026, 11, 22, 4, 29)) == at(2026, 11, 20, 16, 0)  # Sunday
    assert demo.working_moment(at(2026, 11, 23, 7, 0)) == at(2026, 11, 20, 16, 0)  # Monday, early
    assert demo.working_moment(at(2026, 11, 17, 20, 0)) == at(2026, 11, 17, 16, 0)  # evening
    assert demo.working_moment(at(2026, 11, 11, 10, 0)) == at(2026, 11, 10, 16, 0)  # 11 November


# --- the demo's port (issue 12, section 4) ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port():
    """A loopback port another program listens on."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    yield held.getsockname()[1]
    held.close()


def test_when_the_default_port_is_busy_the_demo_takes_the_next_free_one(busy_port, monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_PORT", busy_port)
    srv, busy = demo.listen("127.0.0.1", None)
    try:
        assert busy == busy_port
        assert int(srv.effective_port) != busy_port
    finally:
        srv.close()


def test_a_port_asked_for_is_used_or_refused_never_changed(busy_port):
    from relance.web import serve

    with pytest.raises(serve.CannotListen) as refused:
        demo.listen("127.0.0.1", busy_port)
    assert (refused.value.reason, refused.value.port) == ("busy", busy_port)


def _demo(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RELANCE_DATA_DIR": str(data), "LANG": "C.UTF-8", "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    env.pop("RELANCE_BASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "demo", "--now", "2026-11-20T10:00:00+01:00", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_the_demo_on_a_busy_port_says_so_and_suggests_another(tmp_path, busy_port):
    for lang, said in (
        ("en", f"relance demo: port {busy_port} on 127.0.0.1 is already in use"),
        ("fr", f"relance demo: le port {busy_port} de 127.0.0.1 est déjà pris"),
    ):
        process = _demo(tmp_path, "--port", str(busy_port), "--lang", lang)
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 2, out
        assert said in out
        assert "--port" in out.split(said, 1)[1]
        assert "Traceback" not in out
    assert not (tmp_path / "demo-mail").exists()  # stopped before loading anything


def test_the_links_in_the_demos_e_mails_point_at_the_port_really_served(tmp_path):
    process = _demo(tmp_path, "--port", "0", "--worker-interval", "3600", "--lang", "en")
    seen, port, deadline = [], None, time.monotonic() + 180
    try:
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            if not line:
                break
            seen.append(line)
            found = re.search(r"The web app runs at http://127\.0\.0\.1:(\d+)/", line)
            port = int(found.group(1)) if found else None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    assert port, "the demo did not start its web app:\n" + "".join(seen)
    mails = [path.read_text() for path in (tmp_path / "demo-mail").glob("*.eml")]
    assert mails
    assert any(f"http://127.0.0.1:{port}/" in mail for mail in mails)
    assert not any("localhost:8000" in mail for mail in mails)
