"""The database goes away during an ingest (PostgreSQL only; skipped on SQLite, a failure under
CI without it).

A generated history (bench.generate) is ingested in two steps. The first step commits. While
the second runs, its database connection is terminated (`pg_terminate_backend`, what a server
restart looks like to a client). The ingest fails with an error the Celery task retries
(OperationalError/InterfaceError), nothing of the interrupted step is kept, and the retry
continues from the first step's tip. The ledger ends equal to an uninterrupted ingest of the
same history, and the database itself refuses duplicates (the unique constraints exist).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time

import pytest
from django.db import connection, connections

from bench.generate import generate
from incentives import services
from incentives.models import Award, Change, IngestState
from incentives.tasks import ingest_project
from people.models import Team
from people.services import org_import
from projects.models import Ownership, Project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
START = dt.date(2020, 1, 1)
COMMITS = 3000


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("history"), COMMITS, authors=40, teams=6, seed=9)


def git(repo, *args) -> str:
    out = subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, check=True)
    return out.stdout.decode().strip()


def make_project(history, name, cache, *, tip=None):
    """A project whose federation mirror is a clone of the generated repository (main at tip)."""
    from federation import repos

    if not Team.objects.filter(path=history.teams[0]).exists():
        org_import(text=history.org_csv.read_text(encoding="utf-8"), create_teams=True)
    project = Project.objects.create(
        gitlab_id=50_000 + Project.objects.count(), name=name, path=f"bench/{name}",
        web_url=f"http://gitlab.example/bench/{name}", clone_url=f"http://gitlab.example/bench/{name}.git",
        created_on=START, default_branch="main", key=f"k{name}",
    )  # fmt: skip
    Ownership.objects.create(project=project, team=Team.objects.get(path=history.teams[0]),
                             start=START)  # fmt: skip
    path = repos.mirror_path(project.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(history.repo_path), str(path)], check=True)
    if tip:
        git(path, "update-ref", "refs/heads/main", tip)
    return project, path


def ledger(project):
    changes = Change.objects.filter(project=project)
    awards = Award.objects.filter(change__project=project)
    return (
        sorted(changes.values_list("sha", flat=True)),
        sorted(awards.values_list("change__sha", "person_id", "kind", "points")),
    )


def forget(project) -> None:
    """Delete the project's changes, awards and ingest state (raw SQL: the ledger's models
    refuse deletes through the app)."""
    from incentives.models import ChangeCoauthor

    ids = list(Change.objects.filter(project=project).values_list("pk", flat=True))
    with connection.cursor() as cur:
        for model in (Award, ChangeCoauthor):
            cur.execute(f"DELETE FROM {model._meta.db_table} WHERE change_id = ANY(%s)", [ids])  # noqa: S608
        cur.execute(f"DELETE FROM {Change._meta.db_table} WHERE project_id = %s", [project.pk])  # noqa: S608
        cur.execute(f"DELETE FROM {IngestState._meta.db_table} WHERE project_id = %s", [project.pk])  # noqa: S608


def duplicates() -> list:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT project_id, sha FROM {Change._meta.db_table} "  # noqa: S608
            "GROUP BY project_id, sha HAVING COUNT(*) > 1"
        )
        found = cur.fetchall()
        cur.execute(
            f"SELECT change_id, person_id, kind FROM {Award._meta.db_table} "  # noqa: S608
            "WHERE kind <> 'adjustment' GROUP BY change_id, person_id, kind HAVING COUNT(*) > 1"
        )
        return found + cur.fetchall()


def constraints() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'u' UNION "
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE 'CREATE UNIQUE INDEX%%'"
        )
        return {row[0] for row in cur.fetchall()}


def terminate_when_writing(pid_box, done, killed):
    """Terminate the ingest's backend once it is inside its transaction and writing."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not done.is_set():
        pid = pid_box.get("pid")
        if pid is not None:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT xact_start IS NOT NULL, query FROM pg_stat_activity WHERE pid = %s",
                    [pid],
                )
                row = cur.fetchone()
            query = (row[1] if row else "").upper()
            if row and row[0] and ("COPY" in query or "INSERT" in query):
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_terminate_backend(%s)", [pid])
                    killed.append(cur.fetchone()[0])
                return
        time.sleep(0.005)


def test_a_database_restart_during_ingest_resumes_without_duplicates(
    postgres, history, settings, tmp_path
):
    settings.GIT_CACHE_DIR = str(tmp_path / "cache")
    # The database refuses duplicates itself, not only the code.
    assert {"change_unique_project_sha", "award_unique_adjustment_seq"} <= constraints()

    head = history.head_sha
    half = git(history.repo_path, "rev-parse", f"{head}~{COMMITS // 4}")
    project, mirror = make_project(history, "interrupted", settings.GIT_CACHE_DIR, tip=half)
    first = services.ingest(project=project)
    assert first.changes_created > 0
    committed = ledger(project)
    git(mirror, "update-ref", "refs/heads/main", head)  # the rest of the history arrives

    pid_box, done, killed, errors = {}, threading.Event(), [], []

    def run():
        try:
            with connections["default"].cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid_box["pid"] = cur.fetchone()[0]
            services.ingest(project=project)
        except Exception as exc:
            errors.append(exc)
        finally:
            done.set()
            connections["default"].close()

    worker = threading.Thread(target=run)
    worker.start()
    terminate_when_writing(pid_box, done, killed)
    worker.join(300)
    assert killed == [True], "the ingest finished before its connection could be terminated"
    assert len(errors) == 1, "the interrupted ingest did not fail"
    assert isinstance(errors[0], ingest_project.autoretry_for), repr(errors[0])

    # Nothing of the interrupted step was kept; the first step's tip is where it stands.
    assert ledger(project) == committed
    assert IngestState.objects.get(project=project).tip == half

    # The task's retry continues from there.
    ingest_project.apply(args=[project.pk]).get()
    state = IngestState.objects.get(project=project)
    assert state.tip == head
    assert duplicates() == []

    # The ledger is the one the same two steps write uninterrupted (ingested again from
    # scratch; another project would not do: the ledger deduplicates commits across projects).
    resumed = ledger(project)
    forget(project)
    git(mirror, "update-ref", "refs/heads/main", half)
    services.ingest(project=project)
    git(mirror, "update-ref", "refs/heads/main", head)
    services.ingest(project=project)
    assert ledger(project) == resumed
    assert len(resumed[0]) > len(committed[0]) and resumed[1]
