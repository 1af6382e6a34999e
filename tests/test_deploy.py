"""A production deployment: `relance web` (a real waitress server on loopback) behind a
TLS proxy, and the checks that warn when it is set up so that it cannot work (issue 12,
section 4).

The proxy is this test, connecting from 127.0.0.1 (the trusted proxy's address) with the
headers a TLS proxy adds; an untrusted client connects from 127.0.0.2.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "relance.example.com"
PASSWORD = "a long enough password"
PRODUCTION = {
    "RELANCE_HTTPS": "true",
    "RELANCE_TRUSTED_PROXY": "127.0.0.1",
    "RELANCE_ALLOWED_HOSTS": HOST,
    "RELANCE_BASE_URL": f"https://{HOST}",
    "RELANCE_SECRET_KEY": "x" * 20 + "-production-secret-key-of-fifty-and-more-chars",
    "RELANCE_LOGIN_FAILURE_LIMIT": "2",
}


def environment(data: Path, **more: str) -> dict[str, str]:
    env = {**os.environ, "RELANCE_DATA_DIR": str(data), "LANG": "C.UTF-8", **more}
    env.pop("DATABASE_URL", None)  # SQLite in the data directory
    env.pop("RELANCE_LANGUAGE", None)
    return env


def relance(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relance.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], int, list[str]]:
    """`relance web` on a free loopback port: the process, its port, what it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "web", "--port", "0", "--threads", "4"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            break
        seen.append(line)
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, int(found.group(1)), seen
    process.kill()
    raise AssertionError("relance web did not start:\n" + "".join(seen))


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`relance web` in production settings behind a proxy on 127.0.0.1, with one
    recruiter; yields its port."""
    env = environment(tmp_path_factory.mktemp("deployed"), **PRODUCTION)
    assert relance("manage", "migrate", "-v", "0", env=env).returncode == 0
    made = relance("manage", "shell", "-c", (
        "from relance.people.models import Organisation as O, Recruiter as R;"
        "o = O.objects.create(name='A', slug='a');"
        f"R.objects.create_user(email='claire@a.example', password={PASSWORD!r}, organisation=o)"
    ), env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    process, port, _ = serve(env)
    yield port
    stop(process)


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> http.client.HTTPResponse:
    """One request to the web app from `source`, as a proxy (or anyone) would send it."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def through_proxy(client: str) -> dict[str, str]:
    """What the TLS proxy adds to a request that came to it over https from `client`."""
    return {"X-Forwarded-Proto": "https", "X-Forwarded-For": client}


def test_a_request_forwarded_over_https_gets_the_page_and_hsts(deployed):
    response = request(deployed, "/login/", headers=through_proxy("203.0.113.5"))
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    assert "Secure" in response.getheader("Set-Cookie", "")  # the CSRF cookie


def test_plain_http_is_redirected_once_to_https(deployed):
    response = request(deployed, "/login/?next=/", headers={"X-Forwarded-For": "203.0.113.5"})
    assert response.status == 301
    location = response.getheader("Location")
    assert location == f"https://{HOST}/login/?next=/"
    # The browser follows it through the proxy, over https: the page, not another redirect.
    again = request(deployed, "/login/?next=/", headers=through_proxy("203.0.113.5"))
    assert again.status == 200


def test_a_forged_header_from_an_untrusted_address_is_not_believed(deployed):
    forged = request(deployed, "/login/", source="127.0.0.2", headers=through_proxy("10.0.0.1"))
    assert forged.status == 301  # still plain http to the web app
    assert forged.getheader("Location") == f"https://{HOST}/login/"


def _sign_in(port: int, client: str, password: str) -> int:
    """A sign-in through the proxy from `client`, with the CSRF cookie and token a browser
    would send; returns the status."""
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    page.request("GET", "/login/", headers={"Host": HOST, **through_proxy(client)})
    response = page.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    page.close()
    form = urlencode({"csrfmiddlewaretoken": token, "username": "Claire@A.example",
                      "password": password, "next": "/"})  # fmt: skip
    headers = {**through_proxy(client), "Cookie": cookie, "Origin": f"https://{HOST}",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return request(port, "/login/", method="POST", headers=headers, body=form).status


def test_the_sign_in_throttle_counts_the_forwarded_client_not_the_proxy(deployed):
    # Two failures (RELANCE_LOGIN_FAILURE_LIMIT=2) lock out this client for this account…
    assert _sign_in(deployed, "203.0.113.7", "wrong") == 200
    assert _sign_in(deployed, "203.0.113.7", "wrong") == 429
    assert _sign_in(deployed, "203.0.113.7", PASSWORD) == 429
    # …not the recruiter herself, signing in from elsewhere through the same proxy.
    assert _sign_in(deployed, "198.51.100.9", PASSWORD) == 302


def test_the_deploy_checks_warn_without_a_trusted_proxy_or_with_local_links(tmp_path):
    check = ("manage", "check", "--deploy", "--fail-level", "WARNING")
    clean = relance(*check, env=environment(tmp_path, **PRODUCTION))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    no_proxy = {**PRODUCTION, "RELANCE_TRUSTED_PROXY": ""}
    warned = relance(*check, env=environment(tmp_path, **no_proxy))
    assert warned.returncode == 1
    assert "(relance.W001) RELANCE_HTTPS is on but no trusted proxy is set" in warned.stderr
    local = {**PRODUCTION, "RELANCE_BASE_URL": "http://localhost:8000"}
    warned = relance(*check, env=environment(tmp_path, **local))
    assert "(relance.W002) RELANCE_BASE_URL=http://localhost:8000 points at this machine" in (
        warned.stderr
    )


def test_relance_web_warns_at_start_when_https_has_no_trusted_proxy(tmp_path):
    env = environment(tmp_path, **{**PRODUCTION, "RELANCE_TRUSTED_PROXY": ""})
    process, _, seen = serve(env)
    stop(process)
    assert any("WARNING: RELANCE_HTTPS is on but RELANCE_TRUSTED_PROXY is empty" in s for s in seen)


def test_the_worker_warns_loudly_when_real_mail_would_carry_links_to_localhost(tmp_path):
    env = environment(tmp_path)
    local = relance("worker", "--once", env=env)
    assert local.returncode == 0, local.stderr
    assert "WARNING: RELANCE_BASE_URL is http://localhost:8000" in local.stderr
    assert "will not work for them" in local.stderr
    french = relance("worker", "--once", "--lang", "fr", env=env)
    assert "ATTENTION : RELANCE_BASE_URL vaut http://localhost:8000" in french.stderr
    public = relance("worker", "--once", env={**env, "RELANCE_BASE_URL": f"https://{HOST}"})
    assert "RELANCE_BASE_URL" not in public.stderr
    kept = relance("worker", "--once", env={**env, "RELANCE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"})  # fmt: skip
    assert "RELANCE_BASE_URL" not in kept.stderr  # not real sending


def test_relance_web_on_a_busy_port_says_so_and_suggests_another(tmp_path):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = relance("web", "--port", str(port), "--lang", "fr", env=environment(tmp_path))
    assert done.returncode == 2
    assert f"relance web: le port {port} de 127.0.0.1 est déjà pris" in done.stderr
    assert "choisissez un autre port avec --port" in done.stderr
    assert "Traceback" not in done.stderr
