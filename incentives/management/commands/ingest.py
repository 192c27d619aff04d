import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from federation.git import GitError
from incentives.ingest import IngestError, ingest
from projects.models import Project


class Command(BaseCommand):
    progress_every = 1.0  # seconds between progress lines on stderr
    help = (
        "Ingest (or re-ingest) a registered project's default branch: store its landed changes "
        "and write awards. Reads only what is new since the last ingest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="GitLab path, e.g. group/name")
        parser.add_argument(
            "--repo",
            help="A local git directory (bare or a clone); default: the federation cache mirror",
        )
        parser.add_argument("--source", default="gitlab", help="gitlab (default) or github")
        parser.add_argument(
            "--full", action="store_true", help="Read the whole history again (idempotent)"
        )
        parser.add_argument(
            "--seen-at",
            type=dt.datetime.fromisoformat,
            help="When the new tip was seen (ISO datetime with offset); default now",
        )

    def handle(self, *args, project, repo, source, full, seen_at, **options):
        try:
            obj = Project.objects.get(path=project)
        except Project.DoesNotExist:
            raise CommandError(f"No registered project {project!r}.") from None
        if seen_at is not None and seen_at.tzinfo is None:
            raise CommandError("--seen-at needs a UTC offset, e.g. 2025-03-03T10:00:00+09:00")
        self._last = time.monotonic()  # nothing is shown for an ingest quicker than that
        try:
            report = ingest(
                project=obj,
                repo=repo,
                source=source,
                full=full,
                seen_at=seen_at,
                progress=self._progress if options["verbosity"] >= 1 else None,
            )
        except (IngestError, GitError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())

    def _progress(self, commits: int) -> None:
        """A line on stderr at most every `progress_every` seconds while the log is read."""
        now = time.monotonic()
        if now - self._last >= self.progress_every:
            self._last = now
            self.stderr.write(f"commits read: {commits:,}")
