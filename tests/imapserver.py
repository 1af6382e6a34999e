"""A real IMAP server for the tests: Debian's dovecot, on a loopback port, with a
throw-away configuration, users and maildirs in a temporary folder. .ci/run installs
the dovecot-imapd package."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def available() -> bool:
    return Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ImapServer:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relance-imap-"))
        os.chmod(self.dir, 0o755)  # dovecot's own users must reach the password file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ImapServer:
        root = os.geteuid() == 0
        user = "dovecot" if root else pwd.getpwuid(os.getuid()).pw_name
        account = pwd.getpwnam(user)
        for name in ("run", "state", "home"):
            (self.dir / name).mkdir()
            if root and name != "run":
                shutil.chown(self.dir / name, user=account.pw_uid, group=account.pw_gid)
        (self.dir / "passwd").write_text(
            "".join(
                f"{login}:{{PLAIN}}{password}::::::\n" for login, password in self.users.items()
            )
        )
        (self.dir / "dovecot.conf").write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_login_user = {"dovenull" if root else user}
first_valid_uid = {account.pw_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={self.dir}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def deliver(self, login: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in a user's folder, as the mail server would."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(login, self.users[login])
        client.create(folder)  # harmless when it exists
        status, data = client.append(
            folder, None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        )
        client.logout()
        assert status == "OK", data

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
