import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from federation.git import GitError
from incentives.ingest import IngestError, ingest
from projects.models import Project


class Command(BaseCommand):
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
        try:
            report = ingest(project=obj, repo=repo, source=source, full=full, seen_at=seen_at)
        except (IngestError, GitError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
