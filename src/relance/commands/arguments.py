"""One argparse type per kind of value the command takes, each refusing what it cannot
use with what was expected, in the reader's language: an instant (`--now`), a count of
rows or threads (`--limit`, `--batch`, `--threads`), a limit where 0 means none
(`--per-minute`), a port, a number of seconds (`--interval`), an id, a file to read.

argparse then stops with exit code 2 and `relance COMMAND: --option VALUE: expected …`
before anything is opened or written.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from relance import clock

TEXT = {
    "fr": {
        "whole": "{raw} : attendu un nombre entier",
        "at_least": "{raw} : attendu un nombre entier, {low} ou plus",
        "between": "{raw} : attendu un nombre entier de {low} à {high}",
        "limit": "{raw} : attendu 0 (aucune limite) ou plus",
        "port": "{raw} : attendu un numéro de port de 1 à 65535",
        "any_port": "{raw} : attendu un numéro de port de 1 à 65535, ou 0 pour un port libre",
        "seconds": "{raw} : attendu un nombre de secondes au-dessus de 0, au plus {high}",
        "instant": "{raw!r} : {problem}",
        "missing": "{raw} : fichier introuvable",
        "directory": "{raw} : c'est un dossier ; attendu un fichier",
        "unreadable": "{raw} : impossible de le lire (permission refusée)",
        "exists": "{raw} : le fichier existe ; choisissez un autre nom",
        "no_folder": "{raw} : le dossier {folder} n'existe pas",
        "unwritable": "{raw} : impossible d'écrire dans {folder} (permission refusée)",
    },
    "en": {
        "whole": "{raw}: expected a whole number",
        "at_least": "{raw}: expected a whole number, {low} or more",
        "between": "{raw}: expected a whole number from {low} to {high}",
        "limit": "{raw}: expected 0 (no limit) or more",
        "port": "{raw}: expected a port number from 1 to 65535",
        "any_port": "{raw}: expected a port number from 1 to 65535, or 0 for any free port",
        "seconds": "{raw}: expected a number of seconds above 0, at most {high}",
        "instant": "{raw!r}: {problem}",
        "missing": "{raw}: no such file",
        "directory": "{raw}: is a directory; expected a file",
        "unreadable": "{raw}: cannot read it (permission denied)",
        "exists": "{raw}: the file exists; choose another name",
        "no_folder": "{raw}: the folder {folder} does not exist",
        "unwritable": "{raw}: cannot write in {folder} (permission denied)",
    },
}

# The messages our types produced: the parser shows them as `--option VALUE: …` instead of
# argparse's `argument --option: VALUE: …`.
_OURS: set[str] = set()

LONGEST_INTERVAL = 86_400  # a day: a longer pause between cycles is a typo


class Parser(argparse.ArgumentParser):
    """argparse, with our messages shown as a sentence: `relance agenda: --limit -3: …`."""

    def error(self, message: str) -> NoReturn:
        found = re.fullmatch(r"argument ([^:]+): (.*)", message, re.S)
        if found and found.group(2) in _OURS:
            name = found.group(1).split("/")[0]
            message = found.group(2) if not name.startswith("-") else f"{name} {found.group(2)}"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {message}\n")


class Kinds:
    """The types, saying what was expected in `lang`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.text = TEXT[lang]

    def _refuse(self, key: str, **params: Any) -> NoReturn:
        message = self.text[key].format(**params)
        _OURS.add(message)
        raise argparse.ArgumentTypeError(message)

    def _whole(self, raw: str, key: str, **params: Any) -> int:
        try:
            return int(raw.strip())
        except ValueError:
            self._refuse(key, raw=raw, **params)

    def count(self, maximum: int | None = None) -> Callable[[str], int]:
        """A whole number of rows, threads…: 1 or more (and at most `maximum`)."""

        def count(raw: str) -> int:
            key = "at_least" if maximum is None else "between"
            value = self._whole(raw, key, low=1, high=maximum)
            if value < 1 or (maximum is not None and value > maximum):
                self._refuse(key, raw=raw, low=1, high=maximum)
            return value

        return count

    def limit(self, raw: str) -> int:
        """A limit where 0 means none: 0 or more."""
        value = self._whole(raw, "limit")
        if value < 0:
            self._refuse("limit", raw=raw)
        return value

    def identifier(self, raw: str) -> int:
        """A row's id: 1 or more."""
        value = self._whole(raw, "at_least", low=1)
        if value < 1:
            self._refuse("at_least", raw=raw, low=1)
        return value

    def port(self, raw: str) -> int:
        """A port to connect to: 1 to 65535."""
        value = self._whole(raw, "port")
        if not 1 <= value <= 65535:
            self._refuse("port", raw=raw)
        return value

    def listening_port(self, raw: str) -> int:
        """A port to listen on: 1 to 65535, or 0 for any free one."""
        value = self._whole(raw, "any_port")
        if not 0 <= value <= 65535:
            self._refuse("any_port", raw=raw)
        return value

    def seconds(self, raw: str) -> float:
        """A pause in seconds: above 0, at most a day (not `nan`, not `inf`)."""
        try:
            value = float(raw.strip())
        except ValueError:
            self._refuse("seconds", raw=raw, high=LONGEST_INTERVAL)
        if not (math.isfinite(value) and 0 < value <= LONGEST_INTERVAL):
            self._refuse("seconds", raw=raw, high=LONGEST_INTERVAL)
        return value

    def instant(self, raw: str) -> datetime:
        """An ISO 8601 instant with its offset, in UTC, in the years Relance works in."""
        try:
            return clock.read_instant(raw)
        except clock.InstantError as error:
            self._refuse("instant", raw=raw, problem=error.describe(self.lang))

    def file(self, raw: str) -> str:
        """A file that exists, is not a directory, and can be read."""
        path = Path(raw)
        if path.is_dir():
            self._refuse("directory", raw=raw)
        if not path.exists():
            self._refuse("missing", raw=raw)
        if not os.access(path, os.R_OK):
            self._refuse("unreadable", raw=raw)
        return raw

    def new_file(self, raw: str) -> str:
        """A file to write: not there yet (never overwritten), in a folder that exists and
        can be written in."""
        path = Path(raw)
        folder = path.parent
        if path.is_dir():
            self._refuse("directory", raw=raw)
        if path.exists():
            self._refuse("exists", raw=raw)
        if not folder.is_dir():
            self._refuse("no_folder", raw=raw, folder=folder)
        if not os.access(folder, os.W_OK):
            self._refuse("unwritable", raw=raw, folder=folder)
        return raw
