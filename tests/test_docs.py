"""What a user meets is documented."""

from pathlib import Path

from relance.cli import build_parser
from relance.engine.policy import Policy
from relance.engine.reasons import known_codes
from relance.followups.events import EventType

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_reason_code_is_documented_with_its_sentences():
    text = (DOCS / "decisions.md").read_text()
    assert [code for code in sorted(known_codes()) if f"`{code}`" not in text] == []


def test_every_policy_setting_is_documented():
    text = (DOCS / "decisions.md").read_text()
    assert [name for name in Policy().to_mapping() if f"`{name}`" not in text] == []


def test_every_event_type_is_documented():
    text = (DOCS / "scenarios.md").read_text()
    assert [e.value for e in EventType if f"`{e.value}`" not in text] == []


def test_every_command_and_option_is_in_the_readme():
    readme = (DOCS.parent / "README.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert f"relance {name}" in readme
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in readme, f"relance {name} {option} is not in README.md"


def test_every_setting_read_from_the_environment_is_documented():
    import re

    text = (DOCS / "configuration.md").read_text()
    source = (DOCS.parent / "src" / "relance").rglob("*.py")
    names = set()
    for path in source:
        names |= set(re.findall(r'"(RELANCE_[A-Z_]+|DATABASE_URL)"', path.read_text()))
    assert names
    assert [n for n in sorted(names) if f"`{n}`" not in text] == []


def test_every_image_and_page_the_readme_links_to_exists():
    import re

    readme = (DOCS.parent / "README.md").read_text()
    targets = re.findall(r"\]\(((?:docs|benchmarks|examples)/[^)#\s]+)\)", readme)
    assert targets
    assert [t for t in targets if not (DOCS.parent / t).exists()] == []
