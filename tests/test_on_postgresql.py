"""The whole suite, again, on a real PostgreSQL server.

A throw-away cluster is started on a loopback port and the suite runs against it in a
second pytest process (Django settings are per process). In CI a missing server is a
failure, never a skip: .ci/run installs Debian's postgresql.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgserver import Cluster, server_binaries

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    os.environ.get("RELANCE_TEST_ON_POSTGRESQL") == "1", reason="already the PostgreSQL run"
)
def test_the_whole_suite_passes_on_postgresql(tmp_path):
    if server_binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(
                "PostgreSQL is not installed; .ci/run must install it (apt-get install postgresql)"
            )
        pytest.skip("PostgreSQL server binaries not found: apt-get install postgresql to run this")
    cluster = Cluster()
    url = cluster.start()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "RELANCE_TEST_ON_POSTGRESQL": "1",
            "RELANCE_DATA_DIR": str(tmp_path / "data"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-x",
             "--deselect", "tests/test_on_postgresql.py", "--deselect", "tests/test_cli.py"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
    finally:
        cluster.stop()
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
    assert done.returncode == 0, f"the suite failed on PostgreSQL:\n{tail}"
    assert " passed" in done.stdout


def test_the_postgresql_run_is_really_on_postgresql(db):
    from django.db import connection

    if os.environ.get("RELANCE_TEST_ON_POSTGRESQL") == "1":
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"
