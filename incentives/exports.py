"""CSV exports of every table on the incentives pages."""

from __future__ import annotations

import csv

from django.http import HttpResponse

from incentives.leaderboards import Board, Flow


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return response


def _safe(value):
    """Keep spreadsheet programs from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def board_csv(board: Board) -> HttpResponse:
    header = [
        "rank",
        "key",
        "name",
        "points",
        "changes",
        "projects",
        "teams",
        "people",
        "previous_rank",
        "rank_change",
    ]
    rows = (
        [
            r.rank,
            r.key,
            r.name,
            r.points,
            r.changes,
            r.projects,
            r.teams,
            r.people,
            r.previous_rank if r.previous_rank is not None else "",
            r.rank_change if r.rank_change is not None else "",
        ]
        for r in board.rows
    )
    name = f"leaderboard-{board.by}-{board.period.start}-{board.period.end}.csv"
    return csv_response(name, header, rows)


def flow_csv(flow: Flow, period) -> HttpResponse:
    labels = dict(flow.teams)
    rows = (
        [labels.get(src), labels.get(dst), points, changes]
        for (src, dst), (points, changes) in sorted(
            flow.cells.items(), key=lambda kv: (labels.get(kv[0][0]), labels.get(kv[0][1]))
        )
    )
    return csv_response(
        f"flow-{period.start}-{period.end}.csv",
        ["from_team", "to_team", "points", "changes"],
        rows,
    )


def trend_csv(series, period) -> HttpResponse:
    return csv_response(
        f"trend-{period.start}-{period.end}.csv",
        ["bucket_start", "points", "changes"],
        ([day.isoformat(), p, n] for day, p, n in series),
    )


def awards_csv(person, awards) -> HttpResponse:
    header = [
        "landed_on",
        "project",
        "sha",
        "kind",
        "points",
        "change_count",
        "from_team",
        "to_team",
        "size",
        "acceptance",
        "novelty",
        "damping",
        "share",
        "policy_version",
        "reason",
    ]
    rows = []
    for a in awards:
        f = (a.facts or {}).get("factors", {})
        rows.append(
            [
                a.landed_on,
                a.project.path,
                a.change.sha,
                a.kind,
                a.points,
                a.change_count,
                a.from_team.path if a.from_team else "",
                a.to_team.path if a.to_team else "",
                f.get("size", ""),
                f.get("acceptance", ""),
                f.get("novelty", ""),
                f.get("damping", ""),
                f.get("share", ""),
                a.policy.version,
                a.reason,
            ]
        )
    return csv_response(f"points-{person.email}.csv", header, rows)


def identities_csv(suggestions) -> HttpResponse:
    """The identity-merge suggestions table (admin page), one row per suggestion."""
    header = ["identity", "identity_kind", "display_name", "person_name", "person_email", "why"]
    rows = (
        [
            s.identity.value,
            s.identity.kind,
            s.identity.display_name,
            s.person.name,
            s.person.email,
            "; ".join(s.reasons),
        ]
        for s in suggestions
    )
    return csv_response("identity-merge-suggestions.csv", header, rows)
