"""A real SMTP server on a loopback port (aiosmtpd), able to misbehave on purpose."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Faults:
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 ..."
    fail_data: dict[int, str] = field(default_factory=dict)  # nth DATA (1-based) -> reply
    drop_after_data: set[int] = field(default_factory=set)  # nth DATA: keep it, then hang up
    drop_at_mail: set[int] = field(default_factory=set)  # nth MAIL FROM: hang up at once


class Handler:
    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[Message] = []
        self.envelopes: list[list[str]] = []  # each received message's RCPT TO addresses
        self.data_count = 0
        self.mail_count = 0
        self.pipelining = True  # as Postfix, Exim and the large providers offer it
        self.sessions: list[Any] = []  # the connections' protocol objects, to hang up

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.sessions.append(server)
        if self.pipelining:  # aiosmtpd reads commands one by one: pipelining just works
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.mail_count += 1
        if self.mail_count in self.faults.drop_at_mail:
            server.transport.close()  # the line drops before any content
            return "421 4.3.0 Closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.faults.refuse:
            return self.faults.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        reply = self.faults.fail_data.get(self.data_count)
        if reply:
            return reply
        self.received.append(email.message_from_bytes(envelope.content))
        self.envelopes.append(list(envelope.rcpt_tos))
        if self.data_count in self.faults.drop_after_data:
            server.transport.close()  # the message is in, the "250" never leaves
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(self, logins: dict[str, str] | None = None) -> None:
        """With `logins`, the server offers AUTH and accepts only these (login: password)."""
        self.handler = Handler()
        self.port = free_port()
        self.logged_in: list[str] = []
        options: dict[str, Any] = {}
        if logins is not None:

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                              auth_data: Any) -> AuthResult:  # fmt: skip
                if not isinstance(auth_data, LoginPassword):
                    return AuthResult(success=False, handled=False)
                login, password = auth_data.login.decode(), auth_data.password.decode()
                if logins.get(login) != password:
                    return AuthResult(success=False, handled=False)
                self.logged_in.append(login)
                return AuthResult(success=True)

            options = {"authenticator": authenticator, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def received(self) -> list[Message]:
        return self.handler.received

    @property
    def faults(self) -> Faults:
        return self.handler.faults

    def hang_up_idle(self) -> None:
        """Close every client connection, as a server does with idle ones after a while."""
        for server in self.handler.sessions:
            if server.transport is not None:
                self.controller.loop.call_soon_threadsafe(server.transport.close)
        self.handler.sessions.clear()
        import time

        time.sleep(0.1)  # the loop closes them

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
