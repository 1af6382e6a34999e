"""Reading settings from the environment, loudly.

A value we do not understand stops the program with a message naming the variable and
what was expected; it never falls back to a default silently.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from relance.errors import InputError


class ConfigError(InputError):
    pass


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
    raise ConfigError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, environ: dict[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: dict[str, str] | None = None
) -> str:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    raw = (environ.get(name) or default).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


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
        raise ConfigError(f"cannot create the data directory {path}: {error.strerror}") from None
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
        raise ConfigError(
            f"RELANCE_SQLITE_SYNCHRONOUS={environ['RELANCE_SQLITE_SYNCHRONOUS']!r}: expected"
            " NORMAL (commits survive a crash of the program) or FULL (and a power loss)"
        )
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
            raise ConfigError(
                f"DATABASE_URL={url!r}: expected sqlite:///absolute/path.sqlite3 or sqlite://:memory:"
            )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": sqlite_options(environ),
        }
    if scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"DATABASE_URL={url!r}: the database name is missing (…/name)")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"DATABASE_URL={url!r}: the port is not a number") from None
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
    raise ConfigError(
        f"DATABASE_URL={url!r}: unsupported scheme {scheme!r}; expected postgres:// or sqlite://"
    )
