"""A minimal SMTP sink for the delivery benchmark: accepts everything, keeps nothing but a
count, and runs in several processes on one port (SO_REUSEPORT).

aiosmtpd (what the tests use: it can misbehave on purpose) tops out near 1,700 messages/s
on this machine, below what the benchmark must measure; this sink answers each command
with a fixed line and reaches about 4,000 a second per client. It speaks just enough
SMTP for smtplib and Django's backend: EHLO (with PIPELINING), MAIL, RCPT, DATA, RSET,
NOOP, QUIT.

    python benchmarks/smtpsink.py PORT COUNT_FILE
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path


class Sink(asyncio.Protocol):
    received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        # Replies to pipelined commands leave together, as Postfix sends them: written one
        # by one, the second would wait for the client's delayed ACK (Nagle), 40 ms.
        self.replies: list[bytes] = []
        self.buffer += data
        self._handle()
        if self.replies:
            self.transport.write(b"".join(self.replies))

    def _handle(self) -> None:
        write = self.replies.append
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                Sink.received += 1
                write(b"250 2.0.0 Accepted\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            command = self.buffer[:4].upper()
            self.buffer = self.buffer[end + 2 :]
            if command == b"EHLO":
                write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif command == b"DATA":
                self.in_data = True
                self.buffer = b"\r\n" + self.buffer  # a body may start with the end mark
                write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif command == b"QUIT":
                write(b"221 Bye\r\n")
                self.transport.write(b"".join(self.replies))
                self.replies = []
                self.transport.close()
                return
            else:
                write(b"250 OK\r\n")


async def serve(port: int, count_file: Path) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, sock=listener)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    count_file.write_text(str(Sink.received))


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
