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


class Handler:
    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[Message] = []
        self.envelopes: list[list[str]] = []  # each received message's RCPT TO addresses
        self.data_count = 0
        self.pipelining = True  # as Postfix, Exim and the large providers offer it

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:  # aiosmtpd reads commands one by one: pipelining just works
            responses.insert(-1, "250-PIPELINING")
        return responses

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

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
