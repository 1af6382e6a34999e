"""The query planner's statistics on SQLite (relance/dbstats.py): a table with rows and an
index without statistics is analysed, once; again when its size moved by a quarter; an
empty table never; on PostgreSQL nothing (its autovacuum does it). And the planner
statistics are what makes a filter on stars use the right index."""

from __future__ import annotations

import pytest
from django.db import connection

from relance import dbstats
from relance.people.models import Candidate, Organisation
from tests.conftest import paris

T0 = paris(2026, 3, 2, 9, 0)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_statistics_left_behind():
    """The tests after these find the database as it was: without statistics."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")


def stats(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone():
            return {}
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return dict(cursor.fetchall())


def people(org: Organisation, start: int, n: int) -> None:
    Candidate.objects.bulk_create(
        Candidate(organisation=org, first_name=f"P{i}", email=f"p{i}@example.org",
                  stars=i % 4, created_at=T0)
        for i in range(start, start + n)
    )  # fmt: skip


def test_missing_and_outdated_statistics_are_refreshed_and_fresh_ones_left_alone():
    if connection.vendor != "sqlite":
        assert dbstats.refresh_stale() == []  # PostgreSQL's autovacuum keeps its own
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    # Empty tables: nothing to learn, nothing analysed.
    assert "people_candidate" not in dbstats.refresh_stale()
    org = Organisation.objects.create(name="Agence", slug="agence")
    people(org, 0, 400)
    assert "people_candidate" in dbstats.refresh_stale()
    first = stats("people_candidate")
    assert first, "ANALYZE wrote the candidates' statistics"
    assert all(int(s.split()[0]) == 400 for s in first.values())
    # Fresh: nothing to do (the worker checks every hour, so this must be cheap and idle).
    assert "people_candidate" not in dbstats.refresh_stale()
    people(org, 400, 50)  # +12.5 %: still fresh enough
    assert "people_candidate" not in dbstats.refresh_stale()
    people(org, 450, 100)  # 550 rows against 400 known: +37.5 %
    assert "people_candidate" in dbstats.refresh_stale()
    assert all(int(s.split()[0]) == 550 for s in stats("people_candidate").values())
    # A partial index that holds no row gets no statistics: that is no reason to analyse.
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX test_candidate_none ON people_candidate (stars) "
                       "WHERE stars > 100")  # fmt: skip
    try:
        assert "people_candidate" not in dbstats.refresh_stale()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX test_candidate_none")
    # An index a migration adds starts without statistics: its table is analysed.
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX test_candidate_stars ON people_candidate (stars)")
    try:
        assert dbstats.refresh_stale() == ["people_candidate"]
        assert "test_candidate_stars" in stats("people_candidate")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX test_candidate_stars")


def test_every_command_leaves_the_statistics_fresh_after_migrating(tmp_path):
    """The commands migrate first, then refresh: a database whose candidates have no
    statistics gets them from `relance agenda` (any command)."""
    from relance.commands import common

    if connection.vendor != "sqlite":
        common.migrate()
        assert dbstats.refresh_stale() == []  # PostgreSQL analyses by itself
        return
    org = Organisation.objects.create(name="Agence", slug="agence")
    people(org, 0, 30)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    common.migrate()
    assert stats("people_candidate")


def test_a_migration_run_by_hand_leaves_the_statistics_fresh():
    """`relance manage migrate` (Django's own command, not the commands' migrate-first)
    after an upgrade that rebuilt the candidates' table: its new index has statistics as
    soon as the migration ends, not an hour later from the worker."""
    from django.core.management import call_command

    org = Organisation.objects.create(name="Agence", slug="agence")
    people(org, 0, 30)
    call_command("migrate", "people", "0010", verbosity=0)  # before the company column
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    # Every app forward again: going back unapplied the migrations of the apps that
    # depend on the latest people migration (webhooks, the API, the imports…).
    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        assert "candidate_org_company" in stats("people_candidate")
    assert dbstats.refresh_stale() == []  # nothing left for the worker to do
