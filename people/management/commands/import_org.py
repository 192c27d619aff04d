import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people import orgcsv, services


class Command(BaseCommand):
    help = (
        "Import the org CSV (email,name,team_path,start,end,gitlab_username,github_login). "
        "All or nothing: a bad row is reported with its line number and nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--create-teams",
            action="store_true",
            help="Create teams named in team_path that do not exist yet (otherwise an error).",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="Date to close memberships the file no longer lists (default: today).",
        )

    def handle(self, *args, file: Path, create_teams: bool, as_of, **options):
        try:
            text = orgcsv.decode(file.read_bytes())
            report = services.org_import(text=text, create_teams=create_teams, as_of=as_of)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        except orgcsv.OrgImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"{file}:{error.line}: {error.message}")
            raise CommandError(f"{len(exc.errors)} bad row(s); nothing was imported") from None
        self.stdout.write(("" if report.changed else "No changes. ") + report.summary())
