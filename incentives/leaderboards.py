"""Leaderboards, standings, the team-to-team flow and the trend: all aggregated in SQL.

A board is a few queries whatever the number of awards or rows: the ranked aggregate of the
period (with names joined and the page cut in SQL), the distinct projects / teams / people of the
page's keys, and the ranks of the same keys in the previous period. Whole years, quarters and
months are read from the rollups (PersonMonth for people and teams, TeamProjectMonth for
projects and the distinct counts of teams and projects, ProjectPeople for the people of a
project in exactly one month, quarter or year, PersonSpan for the people board of exactly one of
those); only the days at a period's edges are read from Award, through the covering index
`award_period_cover`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncMonth, TruncWeek

from incentives.models import Award, PersonMonth, PersonSpan, ProjectPeople, TeamProjectMonth
from incentives.periods import Period
from incentives.policies import PolicyBook
from incentives.rollup import month_end, quarter_end
from incentives.scoring import CENT
from people.models import Person, Team
from projects.models import Project

BOARDS = ("person", "team", "project")
_DIMENSION = {
    "person": ("a.person_id", Person._meta.db_table, "t.email", "t.name"),
    "team": ("a.from_team_id", Team._meta.db_table, "t.path", "t.name"),
    "project": ("a.project_id", Project._meta.db_table, "t.path", "t.name"),
}
NO_TEAM = "(no team)"
ONE_DAY = dt.timedelta(days=1)


def _cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass
class BoardRow:
    rank: int
    id: int | None
    key: str
    name: str
    points: Decimal
    changes: int
    projects: int
    teams: int
    people: int
    previous_rank: int | None = None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (negative: lost); None when new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "key": self.key,
            "name": self.name,
            "points": float(self.points),
            "changes": self.changes,
            "projects": self.projects,
            "teams": self.teams,
            "people": self.people,
            "previous_rank": self.previous_rank,
            "rank_change": self.rank_change,
        }


@dataclass
class Board:
    by: str
    period: Period
    rows: list[BoardRow]
    total: int
    policy_versions: list[int] = field(default_factory=list)

    @property
    def policy_version(self) -> int | None:
        return self.policy_versions[-1] if self.policy_versions else None

    def as_dict(self) -> dict:
        return {
            "by": self.by,
            "period": self.period.as_dict(),
            "previous_period": self.period.previous().as_dict(),
            "policy_version": self.policy_version,
            "policy_versions": self.policy_versions,
            "total": self.total,
            "rows": [r.as_dict() for r in self.rows],
        }


def _scope(team_ids, column: str = "a.from_team_id") -> tuple[str, list]:
    if team_ids is None:
        return "", []
    ids = sorted(team_ids) or [-1]
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


def _pieces(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    """The period cut into whole years, quarters and months (rollup spans "y", "q", "m",
    with the first and last start dates) and day ranges ("d") at the edges."""
    pieces: list[list] = []
    day = period.start
    while day <= period.end:
        if day.day == 1 and day.month == 1 and dt.date(day.year, 12, 31) <= period.end:
            kind, upto = "y", dt.date(day.year, 12, 31)
        elif day.day == 1 and day.month % 3 == 1 and quarter_end(day) <= period.end:
            kind, upto = "q", quarter_end(day)
        elif day.day == 1 and month_end(day) <= period.end:
            kind, upto = "m", month_end(day)
        else:
            kind, upto = "d", min(month_end(day), period.end)
        if pieces and pieces[-1][0] == kind:
            pieces[-1][2] = day if kind != "d" else upto
        else:
            pieces.append([kind, day, day if kind != "d" else upto])
        day = upto + ONE_DAY
    return [tuple(p) for p in pieces]


def _sources(by: str, team_ids, period: Period) -> tuple[str, list]:
    """SQL yielding (k, p, n) rows whose sums per k are the period's totals. People and team
    boards read whole years, quarters and months from the PersonMonth rollup (it is kept per
    person and credited team) and only the partial months at the edges from Award."""
    dim = _DIMENSION[by][0]
    scope, scope_params = _scope(team_ids)
    # only constants and placeholders are interpolated into this SQL
    table = Award._meta.db_table
    award_sql = f"SELECT {dim} AS k, a.points AS p, a.change_count AS n FROM {table} a WHERE a.landed_on >= %s AND a.landed_on <= %s{scope}"  # noqa: S608
    key = {"person": "r.person_id", "team": "r.from_team_id", "project": "r.project_id"}[by]
    parts, params = [], []
    r_scope, r_params = _scope(team_ids, "r.from_team_id")
    rollup = (TeamProjectMonth if by == "project" else PersonMonth)._meta.db_table
    for kind, start, end in _pieces(period):
        if kind == "d":
            parts.append(award_sql)
            params += [start, end, *scope_params]
        else:
            parts.append(
                f"SELECT {key} AS k, r.points AS p, r.changes AS n FROM {rollup} r WHERE r.span = %s AND r.month >= %s AND r.month <= %s{r_scope}"  # noqa: S608
            )
            params += [kind, start, end, *r_params]
    return " UNION ALL ".join(parts), params


def _ranked(by: str, team_ids, period: Period) -> tuple[str, list]:
    """Rank, key, points and changes of every key with activity in the period."""
    span = _single_span(period) if by == "person" and team_ids is None else None
    if span is not None:  # one row per person, read in rank order from `person_span_rank`
        sql = f"""
            SELECT RANK() OVER (ORDER BY s.points DESC) AS rank, s.k, s.points, s.changes,
                   (SELECT COUNT(*) FROM {_PS} c WHERE c.span = %s AND c.month = %s) AS total
            FROM (
                SELECT r.person_id AS k, r.points, r.changes FROM {_PS} r
                WHERE r.span = %s AND r.month = %s
            ) s
        """  # noqa: S608 - only constants and placeholders are interpolated
        return sql, [*span, *span]
    sources, params = _sources(by, team_ids, period)
    sql = f"""
        SELECT RANK() OVER (ORDER BY s.points DESC) AS rank, s.k, s.points, s.changes,
               COUNT(*) OVER () AS total
        FROM (
            SELECT u.k, SUM(u.p) AS points, SUM(u.n) AS changes
            FROM ({sources}) u
            GROUP BY u.k
            HAVING SUM(u.p) <> 0 OR SUM(u.n) <> 0
        ) s
    """  # noqa: S608 - only constants and placeholders are interpolated
    return sql, params


def _keys_filter(column: str, keys) -> tuple[str, list]:
    if keys is None:
        return "", []
    ids = [k for k in keys if k is not None]
    parts = [f"{column} IN ({', '.join(['%s'] * len(ids))})"] if ids else []
    if any(k is None for k in keys):
        parts.append(f"{column} IS NULL")
    return f" AND ({' OR '.join(parts) or '1 = 0'})", ids


_TP, _PM = TeamProjectMonth._meta.db_table, PersonMonth._meta.db_table
_PP = ProjectPeople._meta.db_table
_PS = PersonSpan._meta.db_table
# (board, counted column) -> the rollup holding that pair: (table, key column, value column)
_PAIR_ROLLUPS = {
    ("team", "project_id"): (_TP, "r.from_team_id", "r.project_id"),
    ("team", "to_team_id"): (_TP, "r.from_team_id", "r.to_team_id"),
    ("team", "person_id"): (_PM, "r.from_team_id", "r.person_id"),
    ("project", "project_id"): (_TP, "r.project_id", "r.project_id"),
    ("project", "from_team_id"): (_TP, "r.project_id", "r.from_team_id"),
}


def _pairs(by: str, column: str, period: Period, keys, team_ids) -> tuple[str, list]:
    """SQL yielding (k, v, n): net cross-team changes of key k with counted value v. Whole
    pieces of the period come from the rollup holding that pair (if any), the rest from Award."""
    dim = _DIMENSION[by][0]
    scope, scope_params = _scope(team_ids)
    only, key_params = _keys_filter(dim, keys)
    award = f"SELECT {dim} AS k, a.{column} AS v, a.change_count AS n FROM {Award._meta.db_table} a WHERE a.landed_on >= %s AND a.landed_on <= %s{scope}{only}"  # noqa: S608
    if (by, column) not in _PAIR_ROLLUPS:  # the people of projects: from Award
        return award, [period.start, period.end, *scope_params, *key_params]
    table, k, v = _PAIR_ROLLUPS[(by, column)]
    r_scope, r_params = _scope(team_ids, "r.from_team_id")
    r_only, r_keys = _keys_filter(k, keys)
    parts, params = [], []
    for kind, start, end in _pieces(period):
        if kind == "d":
            parts.append(award)
            params += [start, end, *scope_params, *key_params]
        else:
            parts.append(
                f"SELECT {k} AS k, {v} AS v, r.changes AS n FROM {table} r WHERE r.span = %s AND r.month >= %s AND r.month <= %s{r_scope}{r_only}"  # noqa: S608
            )
            params += [kind, start, end, *r_params, *r_keys]
    return " UNION ALL ".join(parts), params


def _single_span(period: Period) -> tuple[str, dt.date] | None:
    """(span, start) when the period is exactly one rollup month, quarter or year."""
    pieces = _pieces(period)
    if len(pieces) == 1 and pieces[0][0] != "d" and pieces[0][1] == pieces[0][2]:
        return pieces[0][0], pieces[0][1]
    return None


def _distinct_counts(by: str, period: Period, keys, team_ids) -> dict:
    """{key: (projects, teams, people)}: the distinct projects, other-side teams and people
    with a net positive number of cross-team changes for the key in the period. `keys` None
    means every key (exports), else just the page's keys (an index range per key)."""
    if by == "person":
        return _distinct_from_awards(by, period, keys, team_ids)
    other = "from_team_id" if by == "project" else "to_team_id"
    parts, params = [], []
    span = _single_span(period) if by == "project" and team_ids is None else None
    for slot, column in enumerate(("project_id", other, "person_id")):
        if span is not None and column == "person_id":
            only, key_params = _keys_filter("r.project_id", keys)
            parts.append(
                f"SELECT {slot} AS slot, r.project_id AS k, r.people AS c FROM {_PP} r WHERE r.span = %s AND r.month = %s AND r.people > 0{only}"  # noqa: S608
            )
            params += [*span, *key_params]
            continue
        sql, more = _pairs(by, column, period, keys, team_ids)
        parts.append(
            f"SELECT {slot} AS slot, x.k, COUNT(*) AS c FROM (SELECT COALESCE(u.k, -1) AS k, u.v FROM ({sql}) u GROUP BY 1, u.v HAVING SUM(u.n) > 0) x GROUP BY x.k"  # noqa: S608
        )
        params += more
    out: dict = {}
    for slot, key, count in _run(" UNION ALL ".join(parts), params):
        out.setdefault(None if key == -1 else key, [0, 0, 0])[slot] = count
    return {key: tuple(v) for key, v in out.items()}


def _distinct_from_awards(by: str, period: Period, keys, team_ids) -> dict:
    dim = _DIMENSION[by][0]
    scope, scope_params = _scope(team_ids)
    only, key_params = _keys_filter(dim, keys)
    other = "from_team_id" if by == "project" else "to_team_id"

    def distinct(column: str) -> str:
        return f"SELECT k, COUNT(*) AS c FROM (SELECT k, {column} FROM base GROUP BY k, {column} HAVING SUM(n) > 0) x GROUP BY k"  # noqa: S608

    sql = f"""
        WITH base AS (
            SELECT COALESCE({dim}, -1) AS k, a.project_id, a.to_team_id, a.from_team_id,
                   a.person_id, a.change_count AS n
            FROM {Award._meta.db_table} a
            WHERE a.landed_on >= %s AND a.landed_on <= %s{scope}{only}
        ),
        p AS ({distinct("project_id")}),
        t AS ({distinct(other)}),
        pe AS ({distinct("person_id")})
        SELECT COALESCE(p.k, t.k, pe.k), COALESCE(p.c, 0), COALESCE(t.c, 0), COALESCE(pe.c, 0)
        FROM p FULL OUTER JOIN t ON t.k = p.k FULL OUTER JOIN pe ON pe.k = COALESCE(p.k, t.k)
    """  # noqa: S608 - only constants and placeholders are interpolated
    rows = _run(sql, [period.start, period.end, *scope_params, *key_params])
    return {(None if r[0] == -1 else r[0]): (r[1], r[2], r[3]) for r in rows}


def _run(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def leaderboard(
    *,
    by: str,
    period: Period,
    limit: int | None = None,
    offset: int = 0,
    team_ids=None,
    compare: bool = True,
) -> Board:
    """Ranked rows of `by` (person | team | project) for the period; `team_ids` keeps only
    awards credited to those (contributor) teams. Ties share a rank (listed by id).

    Three queries whatever the size: the ranked page with names, the distinct projects /
    teams / people of the page's keys, and the previous period's ranks of those keys."""
    if by not in BOARDS:
        raise ValueError(f"by must be one of {BOARDS}")
    ranked, params = _ranked(by, team_ids, period)
    _, table, key, name = _DIMENSION[by]
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    sql = f"""
        SELECT x.rank, x.k, {key}, {name}, x.points, x.changes, x.total
        FROM ({ranked} ORDER BY s.points DESC, s.k{page}) x
        LEFT JOIN {table} t ON t.id = x.k
        ORDER BY x.points DESC, x.k
    """  # noqa: S608 - only constants and placeholders are interpolated
    raw = _run(sql, params)
    counts = (
        _distinct_counts(by, period, None if limit is None else [r[1] for r in raw], team_ids)
        if raw
        else {}
    )
    rows = []
    for r in raw:
        projects, teams, people = counts.get(r[1], (0, 0, 0))
        label = r[2] if r[2] is not None else NO_TEAM
        rows.append(
            BoardRow(
                rank=r[0],
                id=r[1],
                key=label,
                name=label if by == "team" else (r[3] or label),
                points=_cents(r[4]),
                changes=int(r[5] or 0),
                projects=projects,
                teams=teams,
                people=people,
            )
        )
    total = raw[0][6] if raw else 0
    if compare and rows:
        _previous_ranks(by, period.previous(), rows, team_ids)
    book = PolicyBook()
    versions = sorted(
        {book.on(period.start).version}
        | {p.version for p in book.policies if period.start < p.effective_from <= period.end}
    )
    return Board(by=by, period=period, rows=rows, total=total, policy_versions=versions)


def _previous_ranks(by, previous: Period, rows: list[BoardRow], team_ids) -> None:
    ranked, params = _ranked(by, team_ids, previous)
    where, keys = _keys_filter("x.k", [r.id for r in rows])
    found = {
        k: rank
        for rank, k in _run(
            f"SELECT x.rank, x.k FROM ({ranked}) x WHERE 1 = 1{where}",  # noqa: S608
            [*params, *keys],
        )
    }
    for row in rows:
        row.previous_rank = found.get(row.id)


def standing(*, person: Person, period: Period) -> BoardRow | None:
    """The person's own line on the board of all people (their rank among everyone)."""
    ranked, params = _ranked("person", None, period)
    rows = _run(
        f"SELECT x.rank, x.points, x.changes FROM ({ranked}) x WHERE x.k = %s",  # noqa: S608
        [*params, person.pk],
    )
    if not rows:
        return None
    rank, points, changes = rows[0]
    projects, teams, _ = _distinct_counts("person", period, [person.pk], None).get(
        person.pk, (0, 0, 0)
    )
    row = BoardRow(
        rank,
        person.pk,
        person.email,
        person.name,
        _cents(points),
        int(changes or 0),
        projects,
        teams,
        1,
    )
    _previous_ranks("person", period.previous(), [row], None)
    return row


@dataclass
class Flow:
    teams: list[tuple[int | None, str]]  # (id, label) on both axes, in path order
    cells: dict[tuple[int | None, int | None], tuple[Decimal, int]]
    max_points: Decimal


def _ancestor_map(depth: int | None) -> tuple[dict[int, int], dict[int, str]]:
    paths = dict(Team.objects.values_list("id", "path"))
    by_path = {p: i for i, p in paths.items()}
    up = {}
    for team_id, path in paths.items():
        if depth and path.count("/") + 1 > depth:
            up[team_id] = by_path.get("/".join(path.split("/")[:depth]), team_id)
        else:
            up[team_id] = team_id
    return up, paths


def flow_matrix(*, period: Period, depth: int | None = None) -> Flow:
    """Points and cross-team changes from contributor teams (rows) to owner teams (columns);
    `depth=1` rolls teams up to their divisions. One query (plus the team list)."""
    up, paths = _ancestor_map(depth)
    cells: dict = {}
    for row in (
        Award.objects.filter(landed_on__range=(period.start, period.end))
        .values("from_team_id", "to_team_id")
        .annotate(points=Sum("points"), changes=Sum("change_count"))
    ):
        key = (up.get(row["from_team_id"], row["from_team_id"]), up.get(row["to_team_id"]))
        p, n = cells.get(key, (Decimal("0"), 0))
        cells[key] = (p + _cents(row["points"]), n + (row["changes"] or 0))
    cells = {k: v for k, v in cells.items() if v[0] or v[1]}
    ids = {k for pair in cells for k in pair}
    teams = sorted(((i, paths.get(i) or NO_TEAM) for i in ids), key=lambda t: t[1])
    top = max((v[0] for v in cells.values()), default=Decimal("0"))
    return Flow(teams=teams, cells=cells, max_points=top)


def trend(*, period: Period, bucket: str | None = None) -> list[tuple[dt.date, Decimal, int]]:
    """(bucket start, points, cross-team changes) per week (periods up to ~3 months) or month."""
    bucket = bucket or ("week" if period.days <= 93 else "month")
    trunc = TruncWeek if bucket == "week" else TruncMonth
    rows = {
        r["b"]: (_cents(r["points"]), r["changes"] or 0)
        for r in Award.objects.filter(landed_on__range=(period.start, period.end))
        .annotate(b=trunc("landed_on"))
        .values("b")
        .annotate(points=Sum("points"), changes=Sum("change_count"))
    }
    rows = {(b.date() if isinstance(b, dt.datetime) else b): v for b, v in rows.items()}
    out = []
    day = (
        period.start - dt.timedelta(days=period.start.weekday())
        if bucket == "week"
        else period.start.replace(day=1)
    )
    while day <= period.end:
        p, n = rows.get(day, (Decimal("0.00"), 0))
        out.append((day, p, n))
        if bucket == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out
