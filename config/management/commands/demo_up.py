"""`make run`: migrate, seed the demo world, and serve on http://127.0.0.1:8000."""

import shutil

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Bring the whole service up on embedded defaults with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Start over with fresh data.")
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare, then exit.")

    def handle(self, *args, reset, addr, no_serve, **options):
        from config.demo.forge import start_localforge
        from config.demo.org import seed_org
        from config.demo.projects import seed_data, seed_projects

        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        if reset:
            self._reset()
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed_org()
        forge = start_localforge(settings.VAR_DIR / "forge", seed_data())
        if forge is not None:
            self.stdout.write(
                f"localforge: GitLab {settings.GITLAB_URL}, GitHub {settings.GITHUB_API_URL}"
            )
        try:
            self.stdout.write("Demo projects:")
            seed_projects(self.stdout)
            self._announce(addr, logins)
            if not no_serve:
                call_command("runserver", addr, use_reloader=False)
        finally:
            if forge is not None:
                forge.terminate()
                forge.wait(10)

    def _announce(self, addr, logins):
        self.stdout.write(self.style.SUCCESS(f"OSP Federation is up: http://{addr}/"))
        self.stdout.write(f"  API docs: http://{addr}/api/docs/   Admin: http://{addr}/admin/")
        self.stdout.write("  Demo logins (username / password, role):")
        for username, password, roles in logins:
            self.stdout.write(f"    {username:<11} / {password}   {', '.join(roles)}")

    def _reset(self):
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            from pathlib import Path

            Path(db["NAME"]).unlink(missing_ok=True)
        else:
            call_command("flush", interactive=False, verbosity=0)
        shutil.rmtree(settings.VAR_DIR / "forge", ignore_errors=True)
        self.stdout.write("Demo data reset.")
