"""Reading settings from the environment, loudly.

A value we do not understand stops the program with a message naming the variable and
what was expected; it never falls back to a default silently. The message is in the
reader's language: the one the command was asked for (`--lang`), else RELANCE_LANGUAGE,
else LANG.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from relance.errors import InputError


class ConfigError(InputError):
    pass


MESSAGES = {
    "en": {
        "bool": "{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off",
        "whole": "{name}={raw!r}: expected a whole number",
        "whole_min": "{name}={raw!r}: expected a whole number, {low} or more",
        "whole_range": "{name}={raw!r}: expected a whole number from {low} to {high}",
        "choice": "{name}={raw!r}: expected one of {choices}",
        "language": "{name}={raw!r}: expected fr or en",
        "data_dir": "cannot create the data directory {path}: {reason}",
        "synchronous": "RELANCE_SQLITE_SYNCHRONOUS={raw!r}: expected NORMAL (commits survive "
        "a crash of the program) or FULL (and a power loss)",
        "sqlite_url": "DATABASE_URL={raw!r}: expected sqlite:///absolute/path.sqlite3 or "
        "sqlite://:memory:",
        "pg_name": "DATABASE_URL={raw!r}: the database name is missing (…/name)",
        "pg_port": "DATABASE_URL={raw!r}: the port is not a number",
        "scheme": "DATABASE_URL={raw!r}: unsupported scheme {scheme!r}; expected postgres:// "
        "or sqlite://",
        "url": "{name}={raw!r}: expected the web app's address, like https://relance.example.com",
        "url_extra": "{name}={raw!r}: expected the web app's address, like "
        "https://relance.example.com, without {part}",
        "proxy": "{name}={raw!r}: expected the TLS proxy's IP address, like 127.0.0.1 or "
        "::1 (or *: any peer, only when nothing but the proxy can reach the web app)",
        "proxy_needed": "{name}={raw!r} has no meaning without RELANCE_TRUSTED_PROXY",
        "headers": "{name}={raw!r}: expected headers among {known}, comma-separated, or "
        "forwarded alone",
        "email": "{name}={raw!r}: expected an e-mail address, like relance@example.com",
    },
    "fr": {
        "bool": "{name}={raw!r} : attendu 1/0, true/false, yes/no ou on/off",
        "whole": "{name}={raw!r} : attendu un nombre entier",
        "whole_min": "{name}={raw!r} : attendu un nombre entier, {low} ou plus",
        "whole_range": "{name}={raw!r} : attendu un nombre entier de {low} à {high}",
        "choice": "{name}={raw!r} : attendu l'une des valeurs {choices}",
        "language": "{name}={raw!r} : attendu fr ou en",
        "data_dir": "impossible de créer le dossier de données {path} : {reason}",
        "synchronous": "RELANCE_SQLITE_SYNCHRONOUS={raw!r} : attendu NORMAL (les écritures "
        "survivent à un arrêt brutal du programme) ou FULL (et à une coupure de courant)",
        "sqlite_url": "DATABASE_URL={raw!r} : attendu sqlite:///chemin/absolu.sqlite3 ou "
        "sqlite://:memory:",
        "pg_name": "DATABASE_URL={raw!r} : le nom de la base manque (…/nom)",
        "pg_port": "DATABASE_URL={raw!r} : le port n'est pas un nombre",
        "scheme": "DATABASE_URL={raw!r} : schéma {scheme!r} non pris en charge ; attendu "
        "postgres:// ou sqlite://",
        "url": "{name}={raw!r} : attendu l'adresse de l'application web, comme "
        "https://relance.example.com",
        "url_extra": "{name}={raw!r} : attendu l'adresse de l'application web, comme "
        "https://relance.example.com, sans {part}",
        "proxy": "{name}={raw!r} : attendu l'adresse IP du proxy TLS, comme 127.0.0.1 ou ::1 "
        "(ou * : n'importe qui, seulement si rien d'autre que le proxy n'atteint "
        "l'application web)",
        "proxy_needed": "{name}={raw!r} n'a pas de sens sans RELANCE_TRUSTED_PROXY",
        "headers": "{name}={raw!r} : attendu des en-têtes parmi {known}, séparés par des "
        "virgules, ou forwarded seul",
        "email": "{name}={raw!r} : attendu une adresse e-mail, comme relance@example.com",
    },
}

_asked: str | None = None


def use_language(lang: str | None) -> None:
    """The language of the messages about settings (the command's `--lang`); None: from
    the environment."""
    global _asked
    _asked = lang


def message_language(environ: dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if _asked in MESSAGES:
        return _asked  # type: ignore[return-value]
    chosen = (environ.get("RELANCE_LANGUAGE") or "").strip().lower()
    if chosen in MESSAGES:
        return chosen
    return "fr" if environ.get("LANG", "").lower().startswith("fr") else "en"


def refuse(key: str, environ: dict[str, str] | None = None, **params: Any) -> ConfigError:
    """The error for a setting, said in the reader's language."""
    return ConfigError(MESSAGES[message_language(environ)][key].format(**params))


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool, environ: dict[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise refuse("bool", environ, name=name, raw=raw)


def env_int(
    name: str,
    default: int,
    environ: dict[str, str] | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """A whole number, within [low, high] when they are given."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    key = "whole" if low is None else "whole_min" if high is None else "whole_range"
    try:
        value = int(raw)
    except ValueError:
        raise refuse(key, environ, name=name, raw=raw, low=low, high=high) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise refuse(key, environ, name=name, raw=raw, low=low, high=high)
    return value


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: dict[str, str] | None = None
) -> str:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = (environ.get(name) or default).strip().lower()
    if raw not in choices:
        raise refuse("choice", environ, name=name, raw=raw, choices=", ".join(choices))
    return raw


def language(environ: dict[str, str] | None = None) -> str:
    """RELANCE_LANGUAGE: fr or en, anything else refused; unset, French when LANG says so
    (fr_FR.UTF-8…), else English."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get("RELANCE_LANGUAGE")
    if raw is not None and raw.strip():
        value = raw.strip().lower()
        if value not in ("fr", "en"):
            raise refuse("language", environ, name="RELANCE_LANGUAGE", raw=raw)
        return value
    return "fr" if environ.get("LANG", "").lower().startswith("fr") else "en"


def base_url(name: str, default: str, environ: dict[str, str] | None = None) -> str:
    """The web app's public address (links in e-mails point to it): http(s)://host[:port]
    with an optional path, without query, fragment or credentials. Without its trailing /."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    url = raw.strip()
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or any(c.isspace() for c in url)
    ):
        raise refuse("url", environ, name=name, raw=raw)
    for part, present in (
        ("?…", parts.query),
        ("#…", parts.fragment),
        ("user:password@", parts.username is not None),
    ):
        if present:
            raise refuse("url_extra", environ, name=name, raw=raw, part=part)
    return url.rstrip("/")


def base_url_problem(url: str) -> str | None:
    """Why candidates' links to `url` would not work for them: `localhost` (the address of
    this machine), `http` (not encrypted), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        local = ipaddress.ip_address(host).is_loopback or host in ("0.0.0.0", "::")
    except ValueError:
        local = host == "localhost" or host.endswith(".localhost")
    if local:
        return "localhost"
    if parts.scheme.lower() != "https":
        return "http"
    return None


def email_address(name: str, default: str, environ: dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise refuse("email", environ, name=name, raw=raw)
    return value


# The headers waitress can take from a trusted proxy (the Forwarded header of RFC 7239
# replaces all the others, never beside them).
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port")
DEFAULT_PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-proto")


def trusted_proxy(environ: dict[str, str] | None = None) -> str:
    """RELANCE_TRUSTED_PROXY: the IP address of the TLS proxy in front of `relance web`
    (waitress compares it with the connection's address), `*` for any peer, or empty."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get("RELANCE_TRUSTED_PROXY", "")
    value = raw.strip()
    if value in ("", "*"):
        return value
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise refuse("proxy", environ, name="RELANCE_TRUSTED_PROXY", raw=raw) from None


def trusted_proxy_count(proxy: str, environ: dict[str, str] | None = None) -> int:
    """How many proxies in a row stand before the web app (1 to 10): the client is the
    address that many hops from the end of X-Forwarded-For."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get("RELANCE_TRUSTED_PROXY_COUNT")
    if raw is not None and raw.strip() and not proxy:
        raise refuse("proxy_needed", environ, name="RELANCE_TRUSTED_PROXY_COUNT", raw=raw)
    return env_int("RELANCE_TRUSTED_PROXY_COUNT", 1, environ, low=1, high=10)


def trusted_proxy_headers(proxy: str, environ: dict[str, str] | None = None) -> tuple[str, ...]:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    name = "RELANCE_TRUSTED_PROXY_HEADERS"
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return DEFAULT_PROXY_HEADERS
    if not proxy:
        raise refuse("proxy_needed", environ, name=name, raw=raw)
    chosen = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    if chosen == ("forwarded",) or (chosen and set(chosen) <= set(PROXY_HEADERS)):
        return chosen
    raise refuse("headers", environ, name=name, raw=raw, known=", ".join(PROXY_HEADERS))


def data_dir(environ: dict[str, str] | None = None) -> Path:
    """Where the embedded database and the secret key live: RELANCE_DATA_DIR, else
    $XDG_DATA_HOME/relance, else ~/.local/share/relance. Created on first use."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if environ.get("RELANCE_DATA_DIR"):
        path = Path(environ["RELANCE_DATA_DIR"]).expanduser()
    elif environ.get("XDG_DATA_HOME"):
        path = Path(environ["XDG_DATA_HOME"]).expanduser() / "relance"
    else:
        path = Path.home() / ".local" / "share" / "relance"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise refuse("data_dir", environ, path=path, reason=error.strerror) from None
    return path


def secret_key(directory: Path, environ: dict[str, str] | None = None) -> str:
    """RELANCE_SECRET_KEY, else a key generated once and kept in the data directory."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if environ.get("RELANCE_SECRET_KEY"):
        return environ["RELANCE_SECRET_KEY"]
    path = directory / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


# How SQLite commits (RELANCE_SQLITE_SYNCHRONOUS). NORMAL: a commit survives the process
# being killed, not a power loss (the last commits before it may roll back; the database
# stays whole). FULL: every commit is flushed to the disk first — about half a
# millisecond more per commit here (benchmarks/RESULTS.md).
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def sqlite_options(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The SQLite connection options. WAL lets readers work while the worker writes;
    IMMEDIATE takes the write lock at the start of a transaction, so two writers queue
    instead of failing half-way."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    synchronous = environ.get("RELANCE_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise refuse("synchronous", environ, raw=environ["RELANCE_SQLITE_SYNCHRONOUS"])
    return {
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


def database(
    url: str | None, directory: Path, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Django's DATABASES['default'] from DATABASE_URL.

    Accepted: postgres://user:password@host:port/name?sslmode=…, postgresql://…,
    sqlite:///absolute/path.sqlite3, sqlite://:memory:. No URL: SQLite in the data dir.
    """
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(directory / "relance.sqlite3"),
            "OPTIONS": sqlite_options(environ),
        }
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if parts.netloc == ":memory:" or parts.path in ("/:memory:", ":memory:"):
            name = ":memory:"
        elif parts.path.startswith("/") and len(parts.path) > 1:
            name = unquote(parts.path)
        else:
            raise refuse("sqlite_url", environ, raw=url)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": sqlite_options(environ),
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise refuse("pg_name", environ, raw=url)
        try:
            port = parts.port
        except ValueError:
            raise refuse("pg_port", environ, raw=url) from None
        options = dict(parse_qsl(parts.query))
        # PostgreSQL's JIT compiles a query the planner thinks costly: for the short
        # queries of an application it costs more than it saves (850 ms of a 2.3 s
        # segment count; benchmarks/RESULTS.md). `?options=` in the URL overrides it.
        options.setdefault("options", "-c jit=off")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 0,
        }
    raise refuse("scheme", environ, raw=url, scheme=scheme)
