"""Which database a run uses, and the scratch database the benchmarks write into.

PostgreSQL when DATABASE_URL points to one, SQLite otherwise. The scratch database is made
with Django's own test-database machinery (`connection.creation.create_test_db`, migrations
included) under a separate name — `<name>_bench` on PostgreSQL, a file in the run's scratch
directory on SQLite — and dropped afterwards. The main database is never opened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


def configure(scratch_dir: Path) -> tuple[str, str]:
    """Call before django.setup(). Returns (kind, main database name) and points the default
    connection at the scratch database name right away, so nothing in the run — not even an
    accidental query before the scratch DB exists — can reach the main database.

    kind is "postgresql" when DATABASE_URL points to PostgreSQL, else "sqlite" (anything else
    is replaced by SQLite in the scratch directory)."""
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    default = settings.DATABASES["default"]
    main_name = str(default.get("NAME", ""))
    if default["ENGINE"].endswith("postgresql"):
        kind, name = "postgresql", f"{main_name}_bench"
    else:
        kind, name = "sqlite", str(scratch_dir / "bench.sqlite3")
        default.clear()
        default.update(ENGINE="django.db.backends.sqlite3", ATOMIC_REQUESTS=False)
    default["NAME"] = name
    default["TEST"] = {**default.get("TEST", {}), "NAME": name}
    return kind, main_name


@dataclass
class ScratchDB:
    kind: str
    name: str
    url: str
    server_version: str


@contextlib.contextmanager
def scratch_database(keepdb: bool = False) -> Iterator[ScratchDB]:
    """Create (migrate) the scratch database configured by `configure`; drop it afterwards."""
    from django.db import connections

    conn = connections["default"]
    name = conn.settings_dict["NAME"]
    if conn.vendor == "postgresql" and not name.endswith("_bench"):
        raise RuntimeError(f"refusing to use {name!r} as the scratch database")
    conn.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=keepdb)
    try:
        yield ScratchDB(conn.vendor, name, database_url(conn.settings_dict), server_version(conn))
    finally:
        conn.close()
        conn.creation.destroy_test_db(None, verbosity=0, keepdb=keepdb)


def database_url(sd: dict) -> str:
    if sd["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{sd['NAME']}"
    auth = quote(sd.get("USER") or "", safe="")
    if sd.get("PASSWORD"):
        auth += ":" + quote(sd["PASSWORD"], safe="")
    host = sd.get("HOST") or ""
    if "/" in host:  # a unix socket directory
        return f"postgres://{auth + '@' if auth else ''}/{sd['NAME']}?host={quote(host)}"
    port = f":{sd['PORT']}" if sd.get("PORT") else ""
    return f"postgres://{auth + '@' if auth else ''}{host}{port}/{sd['NAME']}"


def server_version(conn) -> str:
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return f"{conn.vendor} {cur.fetchone()[0]}"
