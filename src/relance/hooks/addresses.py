"""Where a webhook may go: never to this machine, a private network or a link-local
address (a cloud's metadata service at 169.254.169.254), unless the installation allows
it (RELANCE_WEBHOOKS_ALLOW_PRIVATE: the tests, a receiver on the same network).

The rule holds when an endpoint is saved AND at each delivery, after DNS resolution, and
the connection goes to the address that was checked — never to a second resolution of the
name, which a hostile DNS server could answer differently (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from relance.errors import InputError

PROBLEMS = {
    "fr": {
        "scheme": "attendu une adresse https:// (reçue : {url})",
        "host": "l'adresse {url} ne nomme pas de serveur",
        "port": "le port de {url} n'est pas un nombre de 1 à 65535",
        "resolve": "le nom {host} ne se résout en aucune adresse",
        "private": "{host} mène à {address}, une adresse locale ou privée : refusée",
        "long": "l'adresse dépasse 500 caractères",
    },
    "en": {
        "scheme": "expected an https:// address (got {url})",
        "host": "the address {url} names no server",
        "port": "the port of {url} is not a number from 1 to 65535",
        "resolve": "the name {host} resolves to no address",
        "private": "{host} leads to {address}, a local or private address: refused",
        "long": "the address is longer than 500 characters",
    },
}


class AddressRefused(InputError):
    """An endpoint's URL that Relance will not call; `describe` says why in fr or en."""

    def __init__(self, problem: str, **params: str) -> None:
        self.problem, self.params = problem, params
        super().__init__(self.describe("en"))

    def describe(self, lang: str) -> str:
        return PROBLEMS[lang if lang in PROBLEMS else "en"][self.problem].format(**self.params)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name, for the Host header and the TLS certificate
    port: int
    address: str  # the checked IP address to connect to
    path: str  # path and query


def allow_private() -> bool:
    return bool(getattr(settings, "RELANCE_WEBHOOKS_ALLOW_PRIVATE", False))


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    # is_global is False for loopback, private, link-local, shared (100.64/10), reserved
    # and documentation ranges; multicast is never a web server.
    return ip.is_global and not ip.is_multicast


def check_form(url: str) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and path, or AddressRefused (no network used)."""
    if len(url) > 500:
        raise AddressRefused("long")
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in schemes:
        raise AddressRefused("scheme", url=url)
    if not parts.hostname:
        raise AddressRefused("host", url=url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("port", url=url) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve(url: str) -> Target:
    """Check `url` and resolve its host: the first address Relance may call, or
    AddressRefused. Every address of the name must be allowed — a name that resolves to
    one public and one private address is refused."""
    scheme, host, port, path = check_form(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused("resolve", host=host) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise AddressRefused("resolve", host=host)
    if not allow_private():
        for address in addresses:
            if not public(address):
                raise AddressRefused("private", host=host, address=address)
    return Target(scheme, host, port, addresses[0], path)
