"""Bulk writes for the ingest: ids reserved up front, rows sent with PostgreSQL `COPY` (psycopg 3)
or one `executemany` on other databases. Rows are plain tuples, so no model instance is built
per commit; JSON columns are passed already serialised."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from django.db import connection

BATCH = 5000
_FOREIGN_KEYS: dict[str, str] = {}  # table -> its foreign-key constraints, quoted, joined


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reserve_ids(model, n: int) -> list[int]:
    """n fresh primary keys for `model`. On SQLite the caller must already hold the write lock
    (any write in the current transaction), so nobody else can take the same ids."""
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - a table name
        first = cur.fetchone()[0] + 1
    return list(range(first, first + n))


@contextmanager
def checked_per_statement(model) -> Iterator[None]:
    """Within the block, `model`'s foreign keys (which Django declares DEFERRABLE INITIALLY
    DEFERRED) are checked at the end of each statement rather than at commit (PostgreSQL only):
    the ingest checks its changes while git still runs instead of after it."""
    if connection.vendor != "postgresql":
        yield
        return
    table = model._meta.db_table
    with connection.cursor() as cur:
        names = _FOREIGN_KEYS.get(table)
        if names is None:
            found = connection.introspection.get_constraints(cur, table)
            names = _FOREIGN_KEYS[table] = ", ".join(
                connection.ops.quote_name(n) for n, c in sorted(found.items()) if c["foreign_key"]
            )
        if not names:
            yield
            return
        cur.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    yield  # an exception leaves them so: the transaction is rolled back anyway
    with connection.cursor() as cur:
        cur.execute(f"SET CONSTRAINTS {names} DEFERRED")


def update(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """Set `columns` of the rows named by primary key: each of `rows` is (*values, pk).
    PostgreSQL: one UPDATE joined with the values sent as arrays; elsewhere one `executemany`."""
    if not rows:
        return
    table, pk = model._meta.db_table, model._meta.pk
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            by_column = {f.column: f for f in model._meta.concrete_fields}
            fields = [by_column[c] for c in columns] + [pk]
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)  # FK: target's
            names = ", ".join(f.column for f in fields)
            sets = ", ".join(f"{c} = v.{c}" for c in columns)
            cur.execute(
                f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
                f"WHERE t.{pk.column} = v.{pk.column}",
                [list(col) for col in zip(*rows, strict=True)],
            )
            return
        sets = ", ".join(f"{c} = %s" for c in columns)
        cur.executemany(f"UPDATE {table} SET {sets} WHERE {pk.column} = %s", rows)  # noqa: S608


def _to_sqlite(value):
    if type(value) is dt.datetime:
        text = value.isoformat(" ")
        if text.endswith("+00:00"):
            return text[:-6]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _sqlite_rows(rows: list[tuple]) -> list[tuple]:
    """Datetimes as naive UTC text, dates as ISO text, decimals as text (what Django's SQLite
    backend stores); only the columns that hold such values in the first row are converted."""
    convert = [i for i, v in enumerate(rows[0]) if isinstance(v, dt.date | Decimal)]
    if not convert:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i in convert:
            row[i] = _to_sqlite(row[i])
        out.append(tuple(row))
    return out


def insert(model, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert `rows` (tuples in `columns` order; any iterable, consumed once) into `model`'s
    table. On PostgreSQL rows are streamed into COPY as they are produced, so building them
    overlaps with the server storing them."""
    table = model._meta.db_table
    names = ", ".join(columns)
    count = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The raw psycopg cursor: wrap its errors as Django's (a lost connection is then
            # django.db.OperationalError, which the ingest task retries).
            with (
                connection.wrap_database_errors,
                cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,  # noqa: S608
            ):
                write = copy.write_row
                for row in rows:
                    write(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - constant names
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cur.executemany(sql, _sqlite_rows(batch))
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, _sqlite_rows(batch))
            count += len(batch)
    return count
