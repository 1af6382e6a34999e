"""Hand-written queries for the hot paths: the agenda and the recompute after an event.

Django's ORM builds a query and its objects in about a millisecond; the database answers
these in a tenth of that. Where an operation runs for every event or every page view, the
query is written once here, values bound as parameters, table names taken from the models,
and its results converted the way the ORM would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.base import ModelState
from django.utils.dateparse import parse_datetime


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of `sql`. On PostgreSQL, in the binary format with server-side binding: reading
    timestamps and numbers as text costs four times more than the query (measured in
    benchmarks/RESULTS.md), and repeated statements get prepared."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def marks(values: list[Any]) -> str:
    """The placeholders of an IN (…) list."""
    return ", ".join(["%s"] * len(values))


def param(moment: datetime) -> Any:
    """A datetime as the backend stores it (UTC text for SQLite, as is for PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(moment)


def moment(value: Any) -> datetime:
    """A timestamp as the driver returns it: aware already (PostgreSQL), or UTC text (SQLite)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        parsed: datetime | None = datetime.fromisoformat(value)  # C-fast for SQLite's format
    except (TypeError, ValueError):
        parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def objects(model: Any, where: str, params: list[Any], order_by: str = "id") -> list[Any]:
    """Model instances from a hand-written WHERE clause, with the ORM's conversions
    (timestamps, JSON, booleans). Built without `Model.__init__` (a third of the cost):
    the instances are the ones the ORM would load, `_state` included."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    rows = fetch(f"SELECT {columns} FROM {table(model)} WHERE {where} ORDER BY {order_by}", params)
    names = [f.attname for f in fields]
    converters = [_converter(f) for f in fields]
    alias = connection.alias
    found = []
    for row in rows:
        obj = model.__new__(model)
        obj.__dict__.update(
            zip(
                names,
                [
                    v if v is None or c is None else c(v)
                    for c, v in zip(converters, row, strict=True)
                ],
                strict=True,
            )
        )
        obj._state = ModelState()
        obj._state.adding, obj._state.db = False, alias
        found.append(obj)
    return found


def values_for(objs: list[Any], fields: list[Any]) -> list[list[Any]]:
    """The objects' field values as the database takes them (for executemany). A value of
    the very type a field stores as is (text for a text field, an int for an integer
    field…) goes unchanged — what the field's own preparation returns, at a tenth of its
    cost (on PostgreSQL it would wrap an integer to name its size: the column's type
    settles that anyway); anything else goes through that preparation."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # not the thread-local proxy: once, not per value
    kinds = [_AS_IS.get(f.get_internal_type()) for f in fields]
    return [
        [
            value
            if kind is not None and (value is None or type(value) is kind)
            else f.get_db_prep_save(value, wrapper)
            for f, kind, value in zip(
                fields, kinds, [getattr(obj, f.attname) for f in fields], strict=True
            )
        ]
        for obj in objs
    ]


# The fields whose preparation returns a value of this type unchanged (a ForeignKey reports
# its own kind: its keys here are integers).
_AS_IS: dict[str, type] = {
    **dict.fromkeys(["CharField", "TextField", "EmailField", "SlugField", "URLField"], str),
    **dict.fromkeys(
        ["IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
         "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
         "ForeignKey"],
        int,
    ),
    "BooleanField": bool,
}  # fmt: skip


def insert(model: Any, objs: list[Any]) -> None:
    """Insert the objects (their ids left to the database) in one round trip: one
    statement with many rows on PostgreSQL, executemany on SQLite (in process: there is
    no round trip to save). Django's bulk_create costs five times more."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = values_for(objs, fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    start = f"INSERT INTO {table(model)} ({columns}) VALUES "
    row = f"({marks(fields)})"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(start + row, rows)
            return
        for chunk in _chunks(rows, len(fields)):
            cursor.execute(start + ", ".join([row] * len(chunk)), _flat(chunk))


def update(model: Any, objs: list[Any], names: list[str]) -> None:
    """Write these fields of the objects, by id, in one round trip: an UPDATE … FROM
    (VALUES …) on PostgreSQL, executemany on SQLite."""
    if not objs:
        return
    fields = [model._meta.get_field(name) for name in names]
    rows = [[*values, obj.pk] for values, obj in zip(values_for(objs, fields), objs, strict=True)]
    quote = connection.ops.quote_name
    key = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(f"UPDATE {table(model)} SET {assignments} WHERE {key} = %s", rows)
            return
        # The VALUES list carries no column types: each is cast to its column's.
        assignments = ", ".join(
            f"{quote(f.column)} = v.c{n}::{f.db_type(connection)}" for n, f in enumerate(fields)
        )
        aliases = ", ".join(f"c{n}" for n in range(len(fields)))
        key_type = model._meta.pk.db_type(connection)
        row = f"({marks(rows[0])})"
        for chunk in _chunks(rows, len(rows[0])):
            cursor.execute(
                f"UPDATE {table(model)} SET {assignments}"
                f" FROM (VALUES {', '.join([row] * len(chunk))}) AS v({aliases}, id)"
                f" WHERE {table(model)}.{key} = v.id::{key_type}",
                _flat(chunk),
            )


def _chunks(rows: list[list[Any]], width: int) -> list[list[list[Any]]]:
    """Rows in groups that stay under PostgreSQL's 65,535 parameters a statement."""
    size = max(1, 60_000 // max(width, 1))
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _flat(rows: list[list[Any]]) -> list[Any]:
    return [value for row in rows for value in row]


def by_ids(model: Any, ids: list[int] | set[int]) -> dict[int, Any]:
    """Model instances by id (`objects` with an IN list), none for no ids."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {obj.pk: obj for obj in objects(model, f"id IN ({marks(ids)})", ids)}


def _converter(field: Any) -> Any:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return moment
    if kind == "JSONField":
        return lambda v: json.loads(v) if isinstance(v, str | bytes) else v
    if kind == "BooleanField":
        return bool
    return None
