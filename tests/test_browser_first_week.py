"""A new team's first week on a fresh install, in a real browser, in English (issue 13,
"Done when"): no demo and no Django shell, only what a team has — `relance setup`,
`relance web`, `relance worker`, an SMTP server (aiosmtpd on loopback), and Chromium.

Tuesday 24 November 2026, 10:00: the administrator sets the organisation up from the
console, signs in, creates a job; a candidate applies on the careers page with a PDF CV;
the acknowledgement reaches the SMTP server and the call is on Today; the interview is
planned for Wednesday and its confirmation leaves. Wednesday 12:30: it took place; the
feedback deadline is on Today; she is rejected. Monday 30 November: her personal e-mail,
due three days after the interview, is written and leaves with the reasons.

The web app and the worker run with their clock started at each day's moment
(RELANCE_CLOCK_START, `relance worker --now`); between days they are stopped and started
again on the same database, as a server restarts. On the suite's PostgreSQL pass the
installation gets a new database of its own.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests import cvfiles
from tests.test_browser import browser, shots  # noqa: F401 (fixtures)
from tests.test_browser import pytestmark as needs_chromium
from tests.test_browser_setup import own_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long and solid passphrase"
ADMIN = "claire@agence-martin.example"
TUESDAY = "2026-11-24T10:00:00+01:00"
WEDNESDAY = "2026-11-25T12:30:00+01:00"
NEXT_TUESDAY = "2026-12-01T10:30:00+01:00"

pytestmark = needs_chromium


class Installation:
    """A fresh installation: its data directory, database, SMTP server and environment."""

    def __init__(self, data: Path, database: str | None, smtp_port: int) -> None:
        self.data = data
        self.env = {**os.environ, "RELANCE_DATA_DIR": str(data), "COLUMNS": "400",
                    "RELANCE_SMTP_HOST": "127.0.0.1", "RELANCE_SMTP_PORT": str(smtp_port),
                    "RELANCE_SMTP_SECURITY": "none"}  # fmt: skip
        self.env.pop("DATABASE_URL", None)
        if database:
            self.env["DATABASE_URL"] = database

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "relance.cli", *args], cwd=ROOT, env={**self.env, **(env or {})},
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip

    @contextlib.contextmanager
    def day(self, moment: str) -> Iterator[str]:
        """`relance web` and `relance worker` with their clocks started at `moment`;
        yields the web app's base URL; both stopped (SIGTERM) after."""
        env = {**self.env, "RELANCE_CLOCK_START": moment}
        logs = self.data / "logs"
        logs.mkdir(exist_ok=True)
        stamp = moment[:10]
        processes: list[subprocess.Popen] = []
        try:
            web_log = logs / f"web-{stamp}.log"
            with open(web_log, "w") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "relance.cli", "web", "--port", "0", "--lang", "en"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                ))  # fmt: skip
            with open(logs / f"worker-{stamp}.log", "w") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "relance.cli", "worker", "--interval", "1",
                     "--now", moment, "--lang", "en"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                ))  # fmt: skip
            deadline = time.monotonic() + 120
            while not (found := re.search(r"http://127\.0\.0\.1:\d+/", web_log.read_text())):
                assert processes[0].poll() is None, web_log.read_text()
                assert time.monotonic() < deadline, web_log.read_text()
                time.sleep(0.2)
            yield found.group(0)
            for process in processes:
                assert process.poll() is None, f"{process.args} stopped early:\n" + "".join(
                    p.read_text() for p in sorted(logs.iterdir())
                )
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def mail_to(smtp, address: str, needle: str, timeout: float = 30.0) -> str:
    """The text of the e-mail the SMTP server received for `address` holding `needle`
    (polled: the worker sends within its cycle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(smtp.received):
            if address not in str(message["To"]):
                continue
            parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
            part = parsed.get_body(preferencelist=("plain",))
            text = f"{parsed['Subject']}\n{part.get_content() if part else ''}"
            if needle in text:
                return text
        time.sleep(0.3)
    seen = [(str(m["To"]), str(m["Subject"])) for m in smtp.received]
    raise AssertionError(f"no e-mail to {address} holding {needle!r}; received: {seen}")


def sign_in(browser, base: str):  # noqa: F811
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "login/")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(base)
    return page, errors


def test_a_new_team_s_first_week_in_english(browser, shots, smtp, tmp_path):  # noqa: F811
    with own_database() as database:
        site = Installation(tmp_path / "data", database, smtp.port)

        # The organisation and its first administrator, from the console.
        done = site.run(
            "setup", "--lang", "en", "--org-name", "Agence Martin", "--country", "FR",
            "--language", "en", "--address", "12 rue de la Paix, 75002 Paris",
            "--admin-email", ADMIN, "--admin-name", "Claire Martin",
            env={"RELANCE_ADMIN_PASSWORD": PASSWORD, "RELANCE_CLOCK_START": TUESDAY},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

        with site.day(TUESDAY) as base:
            page, errors = sign_in(browser, base)
            assert page.locator("h1").inner_text() == "Today"

            # A job, from the jobs' page.
            page.goto(base + "jobs/")
            page.get_by_role("link", name="New job").click()
            page.fill("#id_title", "Python Developer")
            page.fill("#id_description", "Django, PostgreSQL.\nHybrid, two days a week in Lyon.")
            page.fill("#id_location", "Lyon")
            page.select_option("#id_contract", "permanent")
            page.get_by_role("button", name="Create the job").click()
            page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
            job_path = page.url.removeprefix(base)  # "jobs/N/": the port changes each day
            job_url = page.url

            # A candidate applies on the careers page, with a two-column PDF CV.
            visitor = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            form = visitor.new_page()
            form.goto(base + "careers/agence-martin/")
            form.get_by_role("link", name=re.compile("Python Developer")).first.click()
            cv = tmp_path / "Nadia Benali CV.pdf"
            cv.write_bytes(cvfiles.two_column_pdf())
            form.get_by_label("First name").fill("Nadia")
            form.get_by_label("Last name").fill("Benali")
            form.get_by_label("E-mail").fill("nadia.benali@example.org")
            form.get_by_label("Phone").fill("06 11 22 33 44")
            form.get_by_label("Your CV").set_input_files(str(cv))
            form.get_by_label("I have read the information notice").check()
            form.get_by_role("button", name="Send my application").click()
            form.get_by_text("Thank you, your application is sent").wait_for()
            visitor.close()

            # The acknowledgement reaches the SMTP server; the call is on Today.
            acknowledgement = mail_to(smtp, "nadia.benali@example.org", "Python Developer")
            assert "Nadia" in acknowledgement
            page.goto(base)
            row = page.locator("li.row", has_text="Nadia Benali").first
            row.wait_for()
            assert row.locator(".channel.phone").count() == 1, row.inner_text()
            page.screenshot(path=str(shots / "first-week-today.png"), full_page=True)
            # Her page holds her CV's text, read column by column.
            row.locator("a.name").click()
            page.locator("#cvs").get_by_text("Nadia Benali CV.pdf").wait_for()
            page.locator("#cvs summary").click()
            assert "COMPÉTENCES" in page.locator("#cvs pre.body").inner_text()

            # The interview, on Wednesday at 11:00 by video: its confirmation leaves.
            page.goto(job_url)
            card = page.locator('[data-testid="column-applied"] li.app', has_text="Nadia Benali")
            card.get_by_role("link", name="Plan an interview").click()
            page.fill("#id_day", "2026-11-25")
            page.fill("#id_clock", "11:00")
            page.fill("#id_video_url", "https://meet.example.com/nadia")
            page.get_by_role("button", name="Plan it and send the confirmation").click()
            page.wait_for_url(job_url + "*")
            assert "Interview planned." in page.locator(".flash").inner_text()
            confirmation = mail_to(smtp, "nadia.benali@example.org", "meet.example.com/nadia")
            assert "prepare" in confirmation.lower(), confirmation
            assert not errors, errors
            page.context.close()

        with site.day(WEDNESDAY) as base:
            page, errors = sign_in(browser, base)
            page.goto(base + job_path)
            # Its time has come: it took place, and the feedback deadline is on Today.
            confirm = page.locator('[data-testid="to-confirm"]')
            assert "Nadia Benali" in confirm.inner_text()
            with page.expect_navigation():
                confirm.get_by_role("button", name="It took place").click()
            page.goto(base)
            feedback = page.locator("li.row", has_text="Nadia Benali").filter(
                has_text="Interview feedback"
            )
            feedback.first.wait_for()
            assert "26 November" in feedback.first.inner_text(), feedback.first.inner_text()
            feedback.first.get_by_role("button", name="Answered").click()
            feedback.first.get_by_text("Call logged").wait_for()

            # She is rejected, from the pipeline.
            page.goto(base + job_path)
            card = page.locator('[data-testid="column-interview"] li.app', has_text="Nadia Benali")
            card.locator("select[name=stage]").select_option("rejected")
            with page.expect_navigation():
                card.get_by_role("button", name="Move").click()
            assert page.locator('[data-testid="column-rejected"] li.app', has_text="Nadia").count()
            assert not errors, errors
            page.context.close()

        with site.day(NEXT_TUESDAY) as base:
            page, errors = sign_in(browser, base)
            # Her rejection: a call, then the personal e-mail, due three days after the
            # interview and once the pressure cap allows (the confirmation and Wednesday's
            # answered call were two messages in seven days).
            call = page.locator("li.row", has_text="Nadia Benali").filter(has_text="Rejection")
            call.first.wait_for()
            assert "Call to explain the rejection" in call.first.inner_text()
            call.first.get_by_role("button", name="Answered").click()
            page.locator("#row-status").get_by_text("Call logged").wait_for()
            row = (
                page.locator("li.row", has_text="Nadia Benali")
                .filter(has=page.locator("summary.primary", has_text="Write and send the e-mail"))
                .first
            )
            row.wait_for()
            thread = row.get_attribute("id")
            row.locator("summary.primary").click()
            body = row.locator("textarea[name=body]")
            body.wait_for()
            assert "/c/pool/" in body.input_value()
            body.fill(
                body.input_value()
                .replace("[The reasons, two at most, concrete.]",
                         "We chose a profile with more production experience in Django.")
                .replace("[one concrete piece of advice, drawn from your interviews.]",
                         "show the projects you led in figures.")
            )  # fmt: skip
            row.get_by_role("button", name="Send this e-mail").click()
            page.locator(f"#{thread}").get_by_text("Queued as you wrote it").wait_for()
            page.screenshot(path=str(shots / "first-week-rejection.png"), full_page=True)
            rejection = mail_to(smtp, "nadia.benali@example.org", "more production experience")
            assert "show the projects you led in figures" in rejection
            assert "/c/pool/" in rejection
            assert not errors, errors
            page.context.close()

        # Nothing was sent twice.
        sent = [str(m["Subject"]) for m in smtp.received]
        assert len(sent) == len(set(sent)), sent
