"""The `relance` command, run as a user runs it: in a separate process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenarios" / "first-message-reply.yaml"


def relance(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "RELANCE_DATA_DIR": str(data_dir), "COLUMNS": "160"}
    environment.pop("DATABASE_URL", None)  # the embedded default, as on a fresh machine
    environment.pop("RELANCE_LANGUAGE", None)  # English unless a test asks otherwise
    environment["LANG"] = "C.UTF-8"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "relance.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=ROOT,
        input=stdin,
    )


def test_the_quick_start_demo_creates_the_database_and_prints_an_agenda(tmp_path):
    done = relance(
        "demo", "--now", "2026-11-20T10:00:00+01:00", "--lang", "en", "--no-web", data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Demo organisation" in done.stdout
    # A worker cycle sent what was due through SMTP, to a local sink keeping .eml files.
    kept = sorted((tmp_path / "demo-mail").glob("*.eml"))
    assert kept
    assert "demo-mail" in done.stdout
    first = kept[0].read_text()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in first
    assert "Message-ID: <relance." in first
    assert "follow-up(s) due" in done.stdout
    database = tmp_path / "relance.sqlite3"
    assert database.exists()
    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Then the agenda of one recruiter, as JSON, in priority order.
    agenda = relance(
        "agenda", "--recruiter", "claire@agence-demo.example", "--now", "2026-11-20T10:00:00+01:00",
        "--json", "--limit", "100", data_dir=tmp_path,
    )  # fmt: skip
    assert agenda.returncode == 0, agenda.stderr
    rows = [json.loads(line) for line in agenda.stdout.splitlines()]
    assert rows
    assert {row["recruiter"] for row in rows} == {"claire@agence-demo.example"}
    assert all(row["why"] for row in rows)
    # Running the demo again keeps the same organisation.
    again = relance("demo", "--now", "2026-11-20T10:00:00+01:00", "--no-web", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    # A mail server pipes a candidate's answer in: recorded once, and only once.
    from relance import demo

    someone = demo.generate(datetime.fromisoformat("2026-11-20T10:00:00+01:00")).candidates[0]
    answer = (
        f"From: {someone.email}\nSubject: Re: votre message\nMessage-ID: <a1@example.org>\n\nOui !"
    )
    first = relance("inbound", "--lang", "en", data_dir=tmp_path, stdin=answer)
    assert first.returncode == 0, first.stderr
    assert "Recorded on the candidate's timeline" in first.stdout
    second = relance("inbound", "--lang", "en", data_dir=tmp_path, stdin=answer)
    assert "Already received" in second.stdout
    nothing = relance("inbound", data_dir=tmp_path, stdin="")
    assert nothing.returncode == 2
    assert "expected an e-mail on standard input" in nothing.stderr


def test_simulate_prints_one_json_object_per_decision(tmp_path):
    done = relance("simulate", str(EXAMPLE), "--json", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["kind"] for line in lines] == ["task", "stop"]
    # The throw-away database: simulate never creates the user's database.
    assert not (tmp_path / "relance.sqlite3").exists()


def test_simulate_prints_a_readable_timeline_in_french(tmp_path):
    done = relance("simulate", str(EXAMPLE), "--lang", "fr", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Relance 1 : pas de réponse depuis le lundi 2 mars" in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["agenda", "--now", "yesterday"], "expected an ISO 8601 date-time"),
        (["agenda", "--now", "2026-03-02T09:00:00"], "add a UTC offset"),
        (["simulate", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_input_exits_with_code_2_and_says_what_was_expected(tmp_path, args, words):
    done = relance(*args, data_dir=tmp_path)
    assert done.returncode == 2
    assert words in done.stderr


def refused(capsys, *args: str) -> str:
    """Run the command in this process; it must stop with code 2 before doing anything, and
    say why on standard error (no traceback)."""
    from relance.cli import main

    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # The seven inputs of issue 12 that ended in a traceback, and their families.
        (["agenda", "--now", "9999-12-31T23:59:59-14:00"],
         "relance agenda: --now '9999-12-31T23:59:59-14:00': expected a date from 2000 to 2099"),
        (["outbox", "list", "--limit", "-3"],
         "relance outbox list: --limit -3: expected a whole number, 1 or more"),
        (["simulate", str(ROOT / "src")], f"relance simulate: {ROOT / 'src'}: is a directory; expected a file"),
        (["agenda", "--now", "2026-02-30T09:00:00+01:00"],
         "relance agenda: --now '2026-02-30T09:00:00+01:00': 2026-02-30 does not exist (that month has 28 days)"),
        (["retention", "--now", "2026-02-29T09:00:00+01:00"],
         "2026-02-29 does not exist (that month has 28 days)"),
        (["worker", "--now", "2026-03-02T25:00:00+01:00"],
         "--now '2026-03-02T25:00:00+01:00': 25:00 is not a time of day (00:00 to 23:59)"),
        (["demo", "--now", "2026-13-02T09:00:00+01:00"], "13 is not a month (01 to 12)"),
        (["agenda", "--limit", "0"], "--limit 0: expected a whole number, 1 or more"),
        (["agenda", "--limit", "ten"], "--limit ten: expected a whole number, 1 or more"),
        (["demo", "--limit", "-1"], "--limit -1: expected a whole number, 1 or more"),
        (["worker", "--batch", "0"], "--batch 0: expected a whole number from 1 to 10000"),
        (["worker", "--interval", "0"], "--interval 0: expected a number of seconds above 0"),
        (["worker", "--interval", "nan"], "--interval nan: expected a number of seconds above 0"),
        (["worker", "--interval", "inf"], "--interval inf: expected a number of seconds above 0"),
        (["demo", "--worker-interval", "-5"], "--worker-interval -5: expected a number of seconds"),
        (["demo", "--port", "70000"], "--port 70000: expected a port number from 1 to 65535, or 0"),
        (["web", "--port", "-1"], "--port -1: expected a port number from 1 to 65535, or 0"),
        (["web", "--threads", "0"], "--threads 0: expected a whole number from 1 to 1000"),
        (["mailbox", "add", "--host", "imap.example.com", "--user", "u", "--port", "99999"],
         "relance mailbox add: --port 99999: expected a port number from 1 to 65535"),
        (["sender", "add", "--recruiter", "a@b.example", "--port", "0"],
         "--port 0: expected a port number from 1 to 65535"),
        (["sender", "add", "--recruiter", "a@b.example", "--per-minute", "-2"],
         "--per-minute -2: expected 0 (no limit) or more"),
        (["export-candidate", "--id", "-1"], "--id -1: expected a whole number, 1 or more"),
        (["outbox", "resolve", "0", "--sent"], "relance outbox resolve: 0: expected a whole number, 1 or more"),
        (["inbound", "--classify", str(ROOT)], f"--classify {ROOT}: is a directory; expected a file"),
        (["simulate", "nowhere.yaml"], "relance simulate: nowhere.yaml: no such file"),
        (["export-candidate", "--id", "1", "--output", "/nowhere/lea.zip"],
         "--output /nowhere/lea.zip: the folder /nowhere does not exist"),
        (["export-candidate", "--id", "1", "--output", str(ROOT / "README.md")],
         "README.md: the file exists; choose another name"),
    ],
)  # fmt: skip
def test_a_value_the_command_cannot_use_stops_it_with_what_was_expected(capsys, args, said):
    assert said in refused(capsys, *args)


def test_the_arguments_messages_are_in_the_readers_language(capsys):
    line = refused(capsys, "outbox", "list", "--limit", "-3", "--lang", "fr")
    assert line == "relance outbox list: --limit -3 : attendu un nombre entier, 1 ou plus"
    line = refused(capsys, "agenda", "--lang=fr", "--now", "2026-02-30T09:00:00+01:00")
    assert "le 2026-02-30 n'existe pas (ce mois-là a 28 jours)" in line


@pytest.mark.parametrize(
    ("date", "said"),
    [
        ("2026-02-30T09:15:00+01:00", "events[0].at: 2026-02-30 does not exist (that month has 28 days)"),
        ("'2026-02-29T09:15:00+01:00'", "events[0].at: 2026-02-29 does not exist (that month has 28 days)"),
        ("2026-03-02T25:15:00+01:00", "events[0].at: 25:15 is not a time of day (00:00 to 23:59)"),
        ("9999-12-31T23:15:00+01:00", "events[0].at: expected a date from 2000 to 2099"),
    ],
)  # fmt: skip
def test_a_scenario_date_that_does_not_exist_exits_with_code_2_and_names_the_line(
    tmp_path, date, said
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "recruiters:\n  - {id: r1, name: Claire Dubois, email: claire@agence.example}\n"
        "candidates:\n  - {id: c1, name: Léa Martin, email: lea@example.org}\n"
        f"events:\n  - {{at: {date}, type: message_sent, candidate: c1, channel: email}}\n"
    )
    done = relance("simulate", str(bad), data_dir=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert "Traceback" not in done.stderr
    assert f"{bad}:6: {said}" in done.stderr


def test_a_language_other_than_french_or_english_is_refused_by_name(tmp_path):
    done = relance("agenda", data_dir=tmp_path, env={"RELANCE_LANGUAGE": "de"})
    assert done.returncode == 2
    assert "RELANCE_LANGUAGE='de': expected fr or en" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_setting_out_of_range_stops_the_command_in_the_readers_language(tmp_path):
    done = relance("agenda", "--lang", "fr", data_dir=tmp_path, env={"RELANCE_SMTP_PORT": "70000"})
    assert done.returncode == 2
    assert (
        "relance agenda: RELANCE_SMTP_PORT='70000' : attendu un nombre entier de 1 à 65535"
        in done.stderr
    )
    assert not (tmp_path / "relance.sqlite3").exists()  # stopped before anything was written


def test_a_bad_scenario_exits_with_code_2_and_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("stars: 3", "stars: 4"))
    done = relance("simulate", str(bad), data_dir=tmp_path)
    assert done.returncode == 2
    assert (
        f"{bad}:8: candidates[0].stars: expected a whole number from 0 to 3, got 4" in done.stderr
    )


def test_a_bad_setting_stops_the_command_with_its_name(tmp_path):
    done = relance("agenda", data_dir=tmp_path, env={"DATABASE_URL": "mysql://x/y"})
    assert done.returncode == 2
    assert "DATABASE_URL='mysql://x/y': unsupported scheme" in done.stderr


def test_manage_passes_through_to_django(tmp_path):
    done = relance("manage", "check", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_inbound_classify_explains_each_message_without_a_database(tmp_path):
    corpus = ROOT / "tests" / "fixtures" / "bounces-sisimai" / "maildir-bsd"
    files = [str(corpus / "lhost-postfix-01.eml"), str(corpus / "rfc3834-01.eml")]
    done = relance("inbound", "--classify", *files, "--json", "--lang", "fr", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    bounce, away = (json.loads(line) for line in done.stdout.splitlines())
    assert bounce["kind"] == "bounce"
    assert bounce["recipients"][0]["severity"] == "hard"
    assert bounce["why"] == ["un avis de non-remise standard (RFC 3464)"]
    assert away["kind"] == "auto_reply"
    assert not (tmp_path / "relance.sqlite3").exists()
    readable = relance("inbound", "--classify", *files, "--lang", "en", data_dir=tmp_path)
    assert "automatic reply" in readable.stdout
    missing = relance("inbound", "--classify", "nope.eml", data_dir=tmp_path)
    assert missing.returncode == 2
    assert "nope.eml: no such file" in missing.stderr
