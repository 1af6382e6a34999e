"""A local SMTP server that keeps what it receives as .eml files: where the demo's worker
sends, so that a newcomer sees real messages leave without mailing anyone."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        number = len(list(self.folder.glob("*.eml"))) + 1
        (self.folder / f"{number:04d}.eml").write_bytes(envelope.content)
        return "250 2.0.0 Kept"


@contextmanager
def running(folder: Path) -> Iterator[int]:
    """Run the sink on a free loopback port while the block runs; yields the port."""
    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(_Keep(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
