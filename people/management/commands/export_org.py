import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from people.selectors import org_export_csv


class Command(BaseCommand):
    help = "Export the org directory as a CSV that import_org reads back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="Output file (default: stdout).")

    def handle(self, *args, file: Path | None, **options):
        text = org_export_csv()
        if file is None:
            sys.stdout.write(text)
        else:
            file.write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {file}")
