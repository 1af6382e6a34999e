"""ruff and mypy are part of the suite, and the README's test command is what CI runs."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = run(sys.executable, "-m", "ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_is_formatted():
    done = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_engine():
    done = run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"(?is)#+\s*quick\s*start(.*?)(\n#+\s|\Z)", readme)
    assert section, "README.md has no Quick start section"
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section.group(1), re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_the_quick_start_is_two_commands_and_ci_runs_the_second():
    commands = quick_start()
    assert len(commands) == 2
    assert "relance demo" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
