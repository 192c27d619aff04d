"""A Celery worker for `make run` when a broker is configured (CELERY_BROKER_URL)."""

import subprocess
import sys

from django.conf import settings


def start_worker() -> subprocess.Popen | None:
    """Start a worker on the default and git queues, or None in eager mode (no broker)."""
    if not settings.CELERY_BROKER_URL:
        return None
    log = (settings.VAR_DIR / "celery.log").open("ab")
    argv = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,git",
        "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
