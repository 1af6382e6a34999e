"""Serving the web app: waitress, a pure-Python WSGI server that runs wherever Python
does, with a pool of threads (`relance web`, and the demo)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from waitress.server import create_server


def server(host: str, port: int, threads: int) -> Any:
    """A server bound to host:port (0: a free port), not yet serving."""
    from django.core.wsgi import get_wsgi_application

    return create_server(
        get_wsgi_application(), host=host, port=port, threads=threads, ident="relance"
    )


def address(srv: Any) -> str:
    host = srv.effective_host
    return f"http://{'[' + host + ']' if ':' in host else host}:{srv.effective_port}/"


def run(srv: Any, on_stop: Callable[[], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM)."""
    import signal

    def stop(*_: object) -> None:
        srv.close()
        if on_stop is not None:
            on_stop()

    signal.signal(signal.SIGTERM, stop)
    try:
        srv.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        stop()
