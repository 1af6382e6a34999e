from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings

# default: a developer's run. ci: the same examples every time, so that a failure can be
# replayed exactly (hunting for new ones is `explore`'s job:
# RELANCE_HYPOTHESIS=explore .venv/bin/python -m pytest tests/test_properties.py).
# postgresql: the second run of the suite, on PostgreSQL.
for name, examples, fixed in (
    ("default", 60, False),
    ("ci", 200, True),
    ("explore", 1500, False),
    ("postgresql", 25, True),
):
    settings.register_profile(
        name,
        max_examples=examples,
        derandomize=fixed,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
if os.environ.get("RELANCE_HYPOTHESIS"):
    settings.load_profile(os.environ["RELANCE_HYPOTHESIS"])
elif os.environ.get("RELANCE_TEST_ON_POSTGRESQL"):
    settings.load_profile("postgresql")
elif os.environ.get("CI"):
    settings.load_profile("ci")
else:
    settings.load_profile("default")

PARIS_WINTER = timezone(timedelta(hours=1))


def paris(*args: int) -> datetime:
    """A Paris wall-clock time in winter (UTC+1)."""
    return datetime(*args, tzinfo=PARIS_WINTER)  # type: ignore[misc]


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    from relance.people.models import Organisation

    return Organisation.objects.create(name="Agence Test", slug="test")


@pytest.fixture
def recruiter(org):  # type: ignore[no-untyped-def]
    from relance.people.models import Recruiter

    return Recruiter.objects.create_user(
        email="claire@test.example", first_name="Claire", last_name="Dubois", organisation=org
    )
