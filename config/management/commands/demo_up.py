"""`make run`: migrate, start localforge (and a Celery worker when a broker is configured), seed
the demo world, and serve on http://127.0.0.1:8000."""

import shutil
from pathlib import Path

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
        from config.demo import worker
        from config.demo.forge import demo_hook_secret, start_localforge
        from config.demo.projects import seed_data
        from config.demo.world import seed_world

        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        if reset:
            self._reset()
        call_command("migrate", interactive=False, verbosity=0)
        forge = start_localforge(settings.VAR_DIR / "forge", seed_data())
        if forge is not None:
            self.stdout.write(
                f"localforge: GitLab {settings.GITLAB_URL}, GitHub {settings.GITHUB_API_URL}"
            )
        demo_hook_secret()
        celery = worker.start_worker()
        if celery is not None:
            self.stdout.write(f"Celery worker on {settings.CELERY_BROKER_URL.split('@')[-1]}")
        try:
            world = seed_world(self.stdout)
            self._announce(addr, world)
            if not no_serve:
                call_command("runserver", addr, use_reloader=False)
        finally:
            worker.stop(celery)
            if forge is not None:
                forge.terminate()
                forge.wait(10)

    def _announce(self, addr, world):
        base = f"http://{addr}"
        self.stdout.write(self.style.SUCCESS(f"OSP Federation is up: {base}/"))
        self.stdout.write(f"  Catalogue:    {base}/projects/")
        self.stdout.write(f"  Review queue: {base}/review/")
        self.stdout.write(f"  Dashboard:    {base}/incentives/")
        self.stdout.write(f"  Guides:       {base}/guides/")
        self.stdout.write(f"  API docs:     {base}/api/docs/   Admin: {base}/admin/")
        self.stdout.write(f"  GitLab (localforge): {settings.GITLAB_URL}")
        self.stdout.write(f"  GitHub (localforge): {settings.GITHUB_API_URL}")
        for label, d in (
            ("released", world.released),
            ("in review", world.in_review),
            ("held", world.held),
        ):
            self.stdout.write(
                f"  Disclosure {label:<9}: {base}/review/disclosures/{d.pk}/  ({d.project.path})"
            )
        if world.pull_request is not None:
            pr = world.pull_request
            self.stdout.write(f"  Public pull request: {pr.url}  (merge request: {pr.mr_url})")
        self.stdout.write("  Demo logins (username / password, role):")
        for username, password, roles in world.logins:
            self.stdout.write(f"    {username:<11} / {password}   {', '.join(roles)}")

    def _reset(self):
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            Path(db["NAME"]).unlink(missing_ok=True)
        else:
            call_command("flush", interactive=False, verbosity=0)
        shutil.rmtree(settings.VAR_DIR / "forge", ignore_errors=True)
        cache = Path(settings.GIT_CACHE_DIR).resolve()
        if cache.is_relative_to(settings.VAR_DIR.resolve()):  # never a cache kept elsewhere
            shutil.rmtree(cache, ignore_errors=True)
        self.stdout.write("Demo data reset.")
