import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from incentives.leaderboards import BOARDS, leaderboard
from incentives.periods import PeriodError, custom

ROW_KEYS = ("rank", "key", "name", "points", "changes", "projects")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2025-03-31.") from None


class Command(BaseCommand):
    help = "Print a leaderboard for a period (institute-local dates, both inclusive)."

    def add_arguments(self, parser):
        parser.add_argument("--by", choices=BOARDS, required=True)
        parser.add_argument("--since", required=True, help="YYYY-MM-DD")
        parser.add_argument("--until", required=True, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=("json", "table"), default="table")
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, by, since, until, format, limit, **options):
        try:
            period = custom(_date(since), _date(until))
        except PeriodError as exc:
            raise CommandError(str(exc)) from None
        board = leaderboard(by=by, period=period, limit=limit)
        if format == "json":
            out = {
                "by": by,
                "rows": [{k: r.as_dict()[k] for k in ROW_KEYS} for r in board.rows],
                "period": period.as_dict(),
                "policy_version": board.policy_version,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        header = ("rank", by, "points", "changes", "projects", "teams")
        rows = [
            (
                str(r.rank),
                r.name if by == "person" else r.key,
                f"{r.points}",
                str(r.changes),
                str(r.projects),
                str(r.teams),
            )
            for r in board.rows
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        self.stdout.write(
            f"{by} leaderboard {period.start} .. {period.end} (policy v{board.policy_version})"
        )
        for line in (header, *rows):
            cells = [
                c.rjust(w) if i != 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            ]
            self.stdout.write("  ".join(cells).rstrip())
        if not rows:
            self.stdout.write("(no points in this period)")
