"""The agenda is an index range scan: its cost follows what is due, not the table's size.

Checked with EXPLAIN on the database the suite runs on (SQLite here; PostgreSQL when the
suite runs there, see test_on_postgresql.py), with enough rows that a planner would
rather scan the table if the index could not serve the query.
"""

from datetime import timedelta

import pytest
from django.db import connection

from relance.followups import agenda
from relance.followups.models import Thread
from relance.people.models import Candidate, Recruiter
from tests.conftest import paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 3, 2, 9)


def fill(org, recruiter, count=10000):
    """Ten recruiters' threads, of which one in ten is open and one in a hundred due."""
    team = [recruiter] + [
        Recruiter.objects.create_user(email=f"r{i}@test.example", organisation=org)
        for i in range(9)
    ]
    candidates = Candidate.objects.bulk_create(
        Candidate(organisation=org, first_name=f"C{i}", created_at=NOW) for i in range(count)
    )
    Thread.objects.bulk_create(
        Thread(
            organisation=org,
            candidate=c,
            recruiter=team[(i // 7) % len(team)],
            situation="first_message",
            status="open" if i % 10 else "stopped",
            started_at=NOW,
            # A few are due; most wait for later.
            due_at=NOW + timedelta(days=-1 if i % 100 == 1 else 30),
            attention_at=NOW + timedelta(days=-1 if i % 100 == 1 else 30),
            priority=i,
        )
        for i, c in enumerate(candidates)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    return explain(sql, params)


def explain(sql, params) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def test_the_recruiters_agenda_uses_its_index(org, recruiter):
    fill(org, recruiter)
    plan = explain(*agenda.items_sql(org, NOW, recruiter, 50))
    assert "thread_agenda_recruiter" in plan, plan
    if connection.vendor == "sqlite":
        assert "COVERING INDEX thread_agenda_recruiter" in plan, plan
    shown = agenda.items(org, NOW, NOW, recruiter, 50)
    assert shown
    assert {i.recruiter for i in shown} == {recruiter.email}
    assert [i.thread_id for i in shown] == [t.pk for t in agenda.due_threads(org, NOW, recruiter)]
    # The ORM's version of the same query (for pages that need objects) uses it too.
    assert "thread_agenda_recruiter" in plan_of(
        agenda._due(org, NOW, recruiter).order_by("priority", "pk")[:50]
    )


def test_the_organisations_agenda_uses_its_index(org, recruiter):
    fill(org, recruiter)
    plan = plan_of(agenda._due(org, NOW, None).order_by("priority", "pk"))
    assert "thread_agenda_org" in plan, plan
    assert "thread_agenda_org" in explain(*agenda.items_sql(org, NOW, None, None))
    plan = explain(*agenda.plan_sql(org, NOW))
    assert "thread_agenda_org" in plan, plan
    if connection.vendor == "sqlite":
        assert "COVERING INDEX thread_agenda_org" in plan, plan
    assert len(agenda.plan(org, NOW)) == 100
    assert agenda.count_due(org, NOW) == 100
