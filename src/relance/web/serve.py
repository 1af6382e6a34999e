"""Serving the web app: waitress, a pure-Python WSGI server that runs wherever Python
does, with a pool of threads (`relance web`, and the demo).

Behind a TLS proxy (RELANCE_HTTPS=true), waitress believes the proxy's X-Forwarded-*
headers only on connections from RELANCE_TRUSTED_PROXY, and removes them from any other
connection: from the trusted proxy, `X-Forwarded-Proto: https` becomes the request's
scheme (so Django sees a secure request and does not redirect it again) and the client
address at `RELANCE_TRUSTED_PROXY_COUNT` hops from the end of `X-Forwarded-For` becomes
REMOTE_ADDR (the address the sign-in throttle counts failures by). Django itself never
reads these headers: a forged one has no effect.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

from relance.errors import InputError


class CannotListen(InputError):
    """The address or port cannot be listened on; `reason` is `busy`, `denied` or `other`."""

    def __init__(self, host: str, port: int, reason: str, detail: str) -> None:
        self.host, self.port, self.reason, self.detail = host, port, reason, detail
        super().__init__(f"cannot listen on {host}:{port}: {detail}")


def proxy_options() -> dict[str, Any]:
    """waitress's trusted-proxy options, from the settings (none: no proxy is believed)."""
    from django.conf import settings

    if not settings.RELANCE_TRUSTED_PROXY:
        return {}
    return {
        "trusted_proxy": settings.RELANCE_TRUSTED_PROXY,
        "trusted_proxy_count": settings.RELANCE_TRUSTED_PROXY_COUNT,
        "trusted_proxy_headers": set(settings.RELANCE_TRUSTED_PROXY_HEADERS),
    }


def server(host: str, port: int, threads: int) -> Any:
    """A server bound to host:port (0: a free port), not yet serving."""
    from django.core.wsgi import get_wsgi_application

    try:
        return create_server(
            get_wsgi_application(), host=host, port=port, threads=threads, ident="relance",
            clear_untrusted_proxy_headers=True, **proxy_options(),
        )  # fmt: skip
    except OSError as error:
        reason = {errno.EADDRINUSE: "busy", errno.EACCES: "denied"}.get(error.errno, "other")
        raise CannotListen(host, port, reason, error.strerror or str(error)) from None
    except ValueError as error:  # waitress: "Invalid host/port specified."
        raise CannotListen(host, port, "other", str(error)) from None


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
