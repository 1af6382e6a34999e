"""A throw-away PostgreSQL cluster on a loopback port, for the tests and the benchmark.

Uses the server binaries of the machine (Debian's postgresql package: .ci/run installs
it). As root, the cluster runs as the `postgres` user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None if PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, fast: bool = True) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = binaries
        # Its own folder in /tmp: as root, the `postgres` user must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="relance-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.fast = fast
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.dir, user="postgres", group="postgres")
            os.chmod(self.dir, 0o700)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data),
            "-U", "relance",
            "--auth=trust",
            "-E", "UTF8",
            "--no-locale",
        )  # fmt: skip
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            f"-k {self.dir}",
        ]
        if self.fast:
            # A throw-away cluster: durability buys nothing here.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self.options = " ".join(options)
        self._pg_ctl("start")
        return self.url("postgres")

    def _pg_ctl(self, action: str) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.dir / "server.log"),
            "-o", self.options,
            "-w", "-t", "120",
            action,
        )  # fmt: skip

    def restart(self) -> None:
        """Stop and start again: the server's own caches start empty."""
        self._pg_ctl("restart")

    def url(self, database: str) -> str:
        return f"postgres://relance@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, FileNotFoundError):
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
            )
        shutil.rmtree(self.dir, ignore_errors=True)
