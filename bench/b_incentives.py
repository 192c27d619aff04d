"""Incentives: ingest throughput (against `git log --numstat` of the same range), incremental
ingest latency after a one-commit push, and the quarter leaderboard at a million awards."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from bench._fastimport import git_env
from bench.b_git import run_git_log_numstat
from bench.registry import BenchContext, benchmark, measure

START = dt.date(2023, 1, 1)


def _rev_count(repo: Path, rev: str) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", rev],
        capture_output=True,
        env=git_env(),
        check=True,
    )
    return int(out.stdout)


def _project(h, name: str):
    """The org of the generated history and a project owned by its first team. The org is
    imported every time, its people's memberships exactly as in the file (untimed): another
    figure of the same run may have imported a smaller org with the same team paths and some of
    the same emails, which left most of this history's authors unknown (a third of the awards)
    or with other teams."""
    from people.models import Membership, Team
    from people.services import org_import
    from projects.models import Ownership, Project

    text = Path(h.org_csv).read_text(encoding="utf-8")
    emails = {row["email"] for row in csv.DictReader(io.StringIO(text))}
    Membership.objects.filter(person__email__in=emails).delete()
    org_import(text=text, create_teams=True)
    project, made = Project.objects.get_or_create(
        path=f"bench/{name}",
        defaults={
            "gitlab_id": 10_000 + Project.objects.count(),
            "name": name,
            "web_url": f"http://gitlab.example/bench/{name}",
            "clone_url": f"http://gitlab.example/bench/{name}.git",
            "created_on": START,
            "summary": "benchmark project",
        },
    )
    if made:
        owner = Team.objects.get(path=h.teams[0])
        Ownership.objects.create(project=project, team=owner, start=START)
    return project


def _ingest_tables() -> list[str]:
    from incentives.models import Award, Change, ChangeCoauthor, IngestState
    from people.models import Identity

    return [m._meta.db_table for m in (Award, ChangeCoauthor, Change, IngestState, Identity)]


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql" and connection.get_autocommit():
        with connection.cursor() as cur:
            for table in _ingest_tables():
                cur.execute(f"ANALYZE {table}")


def _reset_ingest() -> None:
    """Forget every ingested change and award (untimed), so the next ingest starts over. On
    PostgreSQL the tables are vacuumed too: a first ingest in production does not meet ~50,000
    dead index entries with its own shas (each would cost the unique checks a heap visit), and
    whether autovacuum happened to run between two samples made them differ by a quarter."""
    from django.db import connection

    *tables, identities = _ingest_tables()
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - table names
        cur.execute(f"DELETE FROM {identities} WHERE person_id IS NULL")  # noqa: S608
        if connection.vendor == "postgresql" and connection.get_autocommit():
            for table in [*tables, identities]:
                cur.execute(f"VACUUM ANALYZE {table}")


@benchmark(
    "ingest_commits_per_s",
    unit="commits/s",
    target="ratio >= 0.7",
    needs=("db", "git"),
    description="End-to-end first ingest of the default branch vs git log --numstat of it",
)
def ingest_rate(ctx: BenchContext):
    from incentives.ingest import ingest

    commits = ctx.size(full=50_000, quick=2_000)
    h = ctx.history(commits, authors=ctx.size(300, 40), teams=ctx.size(20, 6))
    project = _project(h, "ingest")
    in_range = _rev_count(h.repo_path, "refs/heads/main")
    _reset_ingest()
    ingest(project=project, repo=h.repo_path)  # warm-up (page cache, imports), not timed
    run_git_log_numstat(h.repo_path, "refs/heads/main")
    ours, base, reports = [], [], []
    for i in range(ctx.size(3, 2)):
        _reset_ingest()
        runs = [
            (ours, lambda: reports.append(ingest(project=project, repo=h.repo_path))),
            (base, lambda: run_git_log_numstat(h.repo_path, "refs/heads/main")),
        ]
        for samples, fn in runs if i % 2 == 0 else reversed(runs):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    report = reports[-1]
    if report.commits_read != in_range:
        raise AssertionError(f"ingest read {report.commits_read} commits, expected {in_range}")
    median = sorted(ours)[len(ours) // 2]
    base_median = sorted(base)[len(base) // 2]
    return ctx.figure(
        round(in_range / median, 1),
        baseline_name="git_log_numstat_commits_per_s",
        baseline_value=round(in_range / base_median, 1),
        params={
            "commits_in_range": in_range,
            "changes_stored": report.changes_created,
            "awards": report.awards_created,
            "statuses": dict(report.statuses),
            "phases": report.timings,
            "ingest_seconds": [round(s, 3) for s in ours],
            "git_log_seconds": [round(s, 3) for s in base],
            "baseline_command": "git log --numstat -M refs/heads/main (bench.b_git)",
        },
    )


@benchmark(
    "ingest_incremental_ms",
    unit="ms",
    target="<= 150 ms",
    needs=("db", "git"),
    description="Ingest after a one-commit push on top of an ingested history (median of 20)",
)
def ingest_incremental(ctx: BenchContext):
    from bench.generate import append_commits
    from incentives.ingest import ingest

    commits = ctx.size(full=50_000, quick=2_000)
    h = ctx.history(commits, authors=ctx.size(300, 40), teams=ctx.size(20, 6), private=True)
    project = _project(h, "incremental")
    _reset_ingest()
    ingest(project=project, repo=h.repo_path)
    _analyze()  # what autovacuum does after a first ingest of 50,000 commits
    samples, reads = [], []
    for i in range(20):
        append_commits(h.repo_path, 1, seed=ctx.seed * 1000 + i)
        t0 = time.perf_counter()
        report = ingest(project=project, repo=h.repo_path)
        samples.append(time.perf_counter() - t0)
        reads.append(report.commits_read)
    if set(reads) != {1}:
        raise AssertionError(f"each incremental ingest should read 1 commit, read {reads}")
    ordered = sorted(samples)
    return ctx.figure(
        round(1000 * (ordered[9] + ordered[10]) / 2, 2),
        params={
            "history_commits": commits,
            "ms": {
                "min": round(1000 * ordered[0], 2),
                "p95": round(1000 * ordered[18], 2),
                "max": round(1000 * ordered[-1], 2),
            },
            "n": 20,
        },
    )


def _load_awards(ctx: BenchContext, people: int, awards: int) -> None:
    """Teams, projects, people, changes and awards spread over 2023-2024 (bulk, untimed)."""
    from django.db import connection, transaction

    from incentives.models import Award, Change
    from incentives.policies import policy_default
    from people.models import Person
    from people.services import team_ensure_path
    from projects.models import Project

    rng = random.Random(ctx.seed)
    teams = [team_ensure_path(path=f"Division {d}/Team {t}").id for d in range(8) for t in range(5)]
    Project.objects.bulk_create(
        Project(
            gitlab_id=500_000 + i,
            path=f"lb/p{i}",
            name=f"p{i}",
            web_url=f"http://gitlab.example/lb/p{i}",
            clone_url=f"http://gitlab.example/lb/p{i}.git",
            created_on=START,
            summary="leaderboard benchmark",
        )
        for i in range(300)
    )
    projects = list(Project.objects.filter(path__startswith="lb/").values_list("id", flat=True))
    owner = {p: rng.choice(teams) for p in projects}
    Person.objects.bulk_create(
        (Person(name=f"Person {i}", email=f"lb{i}@inst.example") for i in range(people)),
        batch_size=5000,
    )
    person_ids = list(Person.objects.filter(email__startswith="lb").values_list("id", flat=True))
    home = {p: rng.choice(teams) for p in person_ids}
    policy = policy_default().id
    days = (dt.date(2024, 12, 31) - START).days + 1
    now = dt.datetime.now(dt.UTC)
    n_changes = awards // 2
    change_rows, award_rows = [], []
    for c in range(n_changes):
        day = START + dt.timedelta(days=rng.randrange(days))
        project = rng.choice(projects)
        at = dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC)
        change_rows.append(
            (project, f"{c:040x}", "gitlab", "change", "", at, 540, at, at, day, "history", "",
             rng.randrange(1, 300), rng.randrange(0, 50), 0, 1, "", "", "eligible", "", "[]", now)
        )  # fmt: skip
    _copy_or_bulk(connection, Change, [
        "project_id", "sha", "source", "subject", "author_name", "authored_at",
        "author_utc_offset", "committed_at", "landed_at", "landed_on", "landing", "merge_sha",
        "lines_added", "lines_removed", "vendored_lines", "files_changed", "patch_id",
        "numstat_sig", "status", "reverts_sha", "flags", "ingested_at",
    ], change_rows)  # fmt: skip
    ids = list(
        Change.objects.filter(project_id__in=projects)
        .order_by("id")
        .values_list("id", "project_id", "landed_on")
    )
    for change_id, project, day in ids:
        for person in rng.sample(person_ids, 2):
            points = Decimal(rng.randrange(500, 6750)) / 100
            award_rows.append(
                (change_id, person, "award", 0, points, 1, policy, day, project, home[person],
                 owner[project], "{}", "", now)
            )  # fmt: skip
    _copy_or_bulk(connection, Award, [
        "change_id", "person_id", "kind", "seq", "points", "change_count", "policy_id",
        "landed_on", "project_id", "from_team_id", "to_team_id", "facts", "reason", "created_at",
    ], award_rows)  # fmt: skip
    from incentives.models import PersonMonth, PersonSpan, ProjectPeople, TeamProjectMonth
    from incentives.rollup import rollup_refresh

    with transaction.atomic():
        ends = (START, dt.date(2024, 12, 31))
        rollup_refresh(
            touched=[(p, d, projects[0]) for p in person_ids for d in ends]
            + [(person_ids[0], d, p) for p in projects for d in ends]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            rollups = (PersonMonth, PersonSpan, TeamProjectMonth, ProjectPeople)
            for model in (Award, *rollups):  # as autovacuum would
                cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _copy_or_bulk(connection, model, columns: list[str], rows: list[tuple]) -> None:
    from django.db import transaction

    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cur,
            cur.cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - constant names
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(0, len(rows), 20_000):
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                rows[i : i + 20_000],
            )


def _ensure_awards(ctx: BenchContext) -> dict:
    """Load the leaderboard data set once per run (the figures below share it)."""
    from projects.models import Project

    people, awards = ctx.size(10_000, 1_000), ctx.size(1_000_000, 20_000)
    load_s = 0.0
    if not Project.objects.filter(path="lb/p0").exists():
        t0 = time.perf_counter()
        _load_awards(ctx, people, awards)
        load_s = round(time.perf_counter() - t0, 1)
    return {"people": people, "awards_loaded": awards, "load_seconds": load_s}


def _period(kind: str):
    from incentives.periods import custom, period_of

    if kind == "custom":  # partial months at both ends, two whole quarters between
        return custom(dt.date(2024, 3, 17), dt.date(2024, 10, 20))
    return period_of(kind, dt.date(2024, 11, 15))


def _board_p95(by: str, kind: str, repeat: int):
    from incentives.leaderboards import leaderboard

    period = _period(kind)
    m = measure(lambda: leaderboard(by=by, period=period, limit=50), repeat=repeat, warmup=2)
    board = m.result
    if not board.rows or board.rows[0].previous_rank is None:
        raise AssertionError(f"{by} {kind} leaderboard returned an unexpected page")
    if by == "person" and len(board.rows) != 50:
        raise AssertionError("the people board should fill a page of 50")
    return m, board, period


def _board_figure(ctx: BenchContext, boards: tuple[str, ...], kinds: tuple[str, ...]):
    from incentives.models import Award

    params = _ensure_awards(ctx)
    worst = None
    for by, kind in ((by, kind) for by in boards for kind in kinds):
        m, board, period = _board_p95(by, kind, ctx.size(20, 10))
        params[kind if len(boards) == 1 else f"{by} {kind}"] = {
            "ms": m.summary(scale=1000, digits=2),
            "ranked": board.total,
            "awards_in_period": Award.objects.filter(
                landed_on__range=(period.start, period.end)
            ).count(),
            "query": f"leaderboard(by={by!r}, period={period.label}, limit=50) incl. previous ranks",
        }
        worst = max(worst or 0, m.p95)
    params["awards"] = Award.objects.count()
    return ctx.figure(round(worst * 1000, 2), params=params)


@benchmark(
    "leaderboard_p95_ms",
    unit="ms",
    target="<= 100 ms on postgresql",
    needs=("db",),
    description="Quarter leaderboard by person (page of 50, rank changes), p95 of 20",
)
def leaderboard_p95(ctx: BenchContext):
    return _board_figure(ctx, ("person",), ("quarter",))


@benchmark(
    "leaderboard_year_p95_ms",
    unit="ms",
    target="<= 100 ms on postgresql",
    needs=("db",),
    description="Year leaderboard by person (page of 50, rank changes), p95 of 20",
)
def leaderboard_year_p95(ctx: BenchContext):
    return _board_figure(ctx, ("person",), ("year",))


@benchmark(
    "leaderboard_team_p95_ms",
    unit="ms",
    target="<= 100 ms on postgresql",
    needs=("db",),
    description="Team leaderboard, the worse p95 of 20 of a quarter and of a year",
)
def leaderboard_team_p95(ctx: BenchContext):
    return _board_figure(ctx, ("team",), ("quarter", "year"))


@benchmark(
    "leaderboard_project_p95_ms",
    unit="ms",
    target="<= 100 ms on postgresql",
    needs=("db",),
    description="Project leaderboard, the worse p95 of 20 of a quarter and of a year",
)
def leaderboard_project_p95(ctx: BenchContext):
    return _board_figure(ctx, ("project",), ("quarter", "year"))


@benchmark(
    "leaderboard_custom_p95_ms",
    unit="ms",
    target="report",
    needs=("db",),
    description="People, team and project boards for a custom 7-month range with partial months"
    " at both ends (2024-03-17..2024-10-20), the worst p95 of 20",
)
def leaderboard_custom_p95(ctx: BenchContext):
    return _board_figure(ctx, ("person", "team", "project"), ("custom",))
