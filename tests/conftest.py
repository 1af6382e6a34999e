from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    # CI runs the same examples every time, so a failure can be replayed exactly; hunting
    # for new ones is the `explore` profile's job.
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    # For hunting: RELANCE_HYPOTHESIS=explore .venv/bin/python -m pytest tests/test_properties.py
    "explore",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "postgresql",
    max_examples=25,
    derandomize=True,
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
PARIS_SUMMER = timezone(timedelta(hours=2))


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
