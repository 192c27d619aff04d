"""Bulk writes for the ingest: ids reserved up front, rows sent with PostgreSQL `COPY` (psycopg 3)
or one `executemany` on other databases. Rows are plain tuples, so no model instance is built
per commit; JSON columns are passed already serialised."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection

BATCH = 5000


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
