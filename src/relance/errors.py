"""Errors about input that a user must fix. They carry a message that says what, where and
what was expected; the CLI prints it and exits with code 2. No Django import here: the
CLI must be able to report a bad setting before Django can start."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user: a file, an argument, a setting."""


class ScenarioError(InputError):
    def __init__(self, source: str, line: int | None, where: str, message: str) -> None:
        location = f"{source}:{line}" if line else source
        super().__init__(f"{location}: {where}: {message}")
