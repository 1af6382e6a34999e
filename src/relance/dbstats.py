"""The query planner's statistics, kept up to date on SQLite.

PostgreSQL's autovacuum analyses its tables by itself. SQLite keeps no statistics until
ANALYZE runs, and Django never runs it: an installation's planner then guesses, and at a
million candidates a list filtered on stars read a whole index (about 250 ms instead of
30 ms, benchmarks/RESULTS.md); an index added by a migration starts without statistics
too. So Relance analyses, itself, each table whose statistics are missing (an index
without them on a table that has rows) or out of date (the table's size moved by more
than a quarter since): after every migration (each command migrates first) and from the
worker every hour. One table per statement, so that a writer waits for one table at most
(the largest, nine million touchpoints, takes about 6 s; the connection waits up to 20).
"""

from __future__ import annotations

from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

DRIFT = 0.25  # a table re-analysed when its size moved by more than this share


def refresh_stale(connection: BaseDatabaseWrapper = default_connection) -> list[str]:
    """ANALYZE each table whose statistics are missing or out of date; the tables
    analysed (none on PostgreSQL, whose autovacuum does it)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
        )
        indexes: dict[str, set[str]] = {}
        for table, index, sql in cursor.fetchall():
            # A partial index that holds no row gets no statistics from ANALYZE: counting
            # it as missing would analyse its table again every hour.
            if " WHERE " not in sql.upper():
                indexes.setdefault(table, set()).add(index)
        # Unique constraints make automatic indexes (no `sql`): their stats count too.
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' "
            "AND name LIKE 'sqlite_autoindex_%'"
        )
        for table, index in cursor.fetchall():
            indexes.setdefault(table, set()).add(index)
        recorded: dict[str, dict[str, int]] = {}
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL")
            for table, index, stat in cursor.fetchall():
                recorded.setdefault(table, {})[index] = int(str(stat).split()[0])
        stale = []
        for table in sorted(indexes):
            rows = _rows(cursor, table)
            if not rows:
                continue  # an empty table: nothing to learn yet
            known = recorded.get(table, {})
            missing = indexes[table] - set(known)
            before = max(known.values(), default=0)
            if missing or abs(rows - before) > DRIFT * before:
                stale.append(table)
        for table in stale:
            cursor.execute(f'ANALYZE "{table}"')
    return stale


def _rows(cursor: Any, table: str) -> int:
    """How many rows the table holds (SQLite counts them from its smallest index: under
    0.1 s for nine million rows once cached, and a read never blocks a writer in WAL)."""
    cursor.execute(f'SELECT count(*) FROM "{table}"')
    return int(cursor.fetchone()[0])
