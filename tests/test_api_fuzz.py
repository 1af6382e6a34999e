"""The API fuzzed from its own OpenAPI document (schemathesis): for every operation, a
fixed number of generated requests — valid and invalid — with a deterministic seed. No
answer is a 5xx, none breaks the schema the document gives for its status, and none shows
a row of another organisation (their rows carry a marker that no answer may contain).

In-process through WSGI, against the test database: bounded to EXAMPLES requests per
operation (about 30 operations), a few seconds in all."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from relance.api import keys
from tests import web_world

EXAMPLES = 12
MARKER = "zqxOTHERORGzqx"


# The document the app serves (no database needed to read it).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def fuzz_world(world, settings):
    """Our organisation with a write key; the other one's rows marked."""
    from relance.people.models import Candidate, Job

    settings.RELANCE_API_RATE_LIMIT = 0
    Candidate.objects.filter(pk=world.other_candidate.pk).update(
        first_name=MARKER, last_name=MARKER, email=f"{MARKER.lower()}@example.org"
    )
    Job.objects.filter(pk=world.other_job.pk).update(title=MARKER, description=MARKER)
    token = keys.create(world.org, "fuzz", "write", world.admin, web_world.NOW)[1]
    # As Django's test client does: a request through WSGI must not close the test's
    # connection (on PostgreSQL that would end the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_holds_against_generated_requests(case, fuzz_world):
    response = case.call_and_validate(
        headers=fuzz_world, checks=[not_a_server_error, response_schema_conformance]
    )
    assert MARKER.lower() not in response.text.lower(), (case.method, case.formatted_path)
