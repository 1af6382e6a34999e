"""The REST API through HTTP, as an ATS on the other side uses it: `relance setup` and
`relance apikey create` as a script runs them, `relance web --port 0` as a real server on
loopback, and plain HTTP requests (the issue's "Done when": a phone answer recorded
through the API stops that candidate's follow-ups)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import relance

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
SETUP = [
    "setup", "--org-name", "Agence API", "--country", "fr", "--address", "1 rue de la Paix, Paris",
    "--admin-email", "admin@api.example", "--admin-name", "Ada Admin", "--lang", "en",
]  # fmt: skip


@contextlib.contextmanager
def web(data: Path) -> Iterator[str]:
    """`relance web --port 0` on this data directory (SQLite) until it says its address."""
    env = {**os.environ, "RELANCE_DATA_DIR": str(data), "RELANCE_API_RATE_LIMIT": "1000"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "web", "--port", "0", "--lang", "en"], cwd=ROOT,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if found:
                yield found.group(1)
                return
        raise AssertionError("".join(seen))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """(base URL, a write key, a read key) of an organisation set up by the commands."""
    data = tmp_path_factory.mktemp("api-http")
    done = relance(*SETUP, data_dir=data, env={"RELANCE_ADMIN_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    tokens = []
    for scope in ("write", "read"):
        made = relance("apikey", "create", "--name", f"ATS {scope}", "--scope", scope, "--by",
                       "admin@api.example", data_dir=data)  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert "never be shown again" in made.stdout
        tokens.append(made.stdout.strip().splitlines()[-1])
    listed = relance("apikey", "list", "--lang", "fr", data_dir=data)
    assert "portée write" in listed.stdout
    assert "jamais" in listed.stdout
    assert tokens[0] not in listed.stdout
    with web(data) as base:
        yield base, tokens[0], tokens[1]


def call(base: str, token: str, method: str, path: str, body: dict | None = None,
         **headers: str) -> tuple[int, dict, dict]:  # fmt: skip
    request = urllib.request.Request(
        base + "/api/v1" + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Accept-Language": "en", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_an_answered_call_recorded_by_an_ats_stops_the_follow_ups(server):
    base, write, read = server
    status, person, _ = call(base, write, "POST", "/candidates", {
        "first_name": "Léa", "source": "linkedin", "email": "lea@example.com"})  # fmt: skip
    assert status == 201, person
    status, sent, _ = call(base, write, "POST", "/events", {
        "candidate": person["id"], "type": "message_sent", "channel": "email",
        "situation": "first_message"})  # fmt: skip
    assert (status, sent["started"]) == (201, ["first_message"]), sent
    status, page, _ = call(base, read, "GET", f"/threads?candidate={person['id']}&status=open")
    assert status == 200
    assert len(page["items"]) == 1
    status, done, _ = call(base, write, "POST", "/events", {
        "candidate": person["id"], "type": "call", "outcome": "answered"})  # fmt: skip
    assert (status, done["stopped"]) == (201, 1), done
    status, page, _ = call(base, read, "GET", f"/threads?candidate={person['id']}&status=open")
    assert page["items"] == []
    status, stopped, _ = call(base, read, "GET", f"/threads?candidate={person['id']}")
    assert [t["status"] for t in stopped["items"]] == ["stopped"]


def test_over_http_a_read_key_cannot_write_and_errors_are_problems(server):
    base, _write, read = server
    status, body, headers = call(base, read, "POST", "/candidates", {"first_name": "X"})
    assert status == 403
    assert headers["Content-Type"] == "application/problem+json"
    status, body, _ = call(base, "rlk_nope", "GET", "/candidates")
    assert status == 401
    assert body["status"] == 401


def test_over_http_an_idempotency_key_replays(server):
    base, write, _read = server
    body = {"first_name": "Paul", "source": "email", "email": "paul@example.com"}
    first = call(base, write, "POST", "/candidates", body, **{"Idempotency-Key": "k-1"})
    again = call(base, write, "POST", "/candidates", body, **{"Idempotency-Key": "k-1"})
    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    assert again[2].get("Idempotent-Replayed") == "true"
