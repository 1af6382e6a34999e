"""The example scenarios are the project's contract: their decisions must not change
without someone reading the new ones and updating the expected files."""

import json
from pathlib import Path

import pytest

from relance import scenario, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
SCENARIOS = sorted(EXAMPLES.glob("*.yaml"))


def test_there_is_an_example_for_every_situation():
    covered = set()
    for path in SCENARIOS:
        for line in path.with_suffix(".expected.jsonl").read_text().splitlines():
            covered.add(json.loads(line)["situation"])
    assert covered >= {
        "first_message",
        "linkedin_invitation",
        "cv_database",
        "application",
        "keep_in_touch",
        "interview_feedback",
        "answer_deadline",
        "rejection",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_an_example_scenario_gives_exactly_its_expected_decisions(path):
    expected = [
        json.loads(line) for line in path.with_suffix(".expected.jsonl").read_text().splitlines()
    ]
    result = simulate.run(scenario.load(path))
    assert [line.as_json() for line in result.decisions] == expected


@pytest.mark.django_db
def test_a_simulation_leaves_nothing_behind():
    from relance.people.models import Candidate, Organisation

    simulate.run(scenario.load(EXAMPLES / "application-journey.yaml"))
    assert not Organisation.objects.exists()
    assert not Candidate.objects.exists()
