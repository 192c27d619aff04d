"""Celery tasks: thin wrappers that load objects by primary key and call a service.

Git work runs on the `git` queue (CELERY_TASK_ROUTES `federation.tasks.*`), so API work is not
stuck behind clones. Transient failures (forge 5xx and rate limits, git network errors, a busy
lock) are retried with exponential backoff; a rate limit waits at least what the forge asked.
Every attempt of a sync or a publish is a row in the sync history.
"""

from celery import shared_task

from federation.errors import GitTimeout, RepoLocked
from federation.forges.errors import RateLimited, Unavailable
from federation.lease import Busy
from federation.outbound import TransientGitError

TRANSIENT = (Unavailable, RateLimited, ConnectionError, TimeoutError, GitTimeout, RepoLocked,
             TransientGitError, Busy)  # fmt: skip
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


def _attempt(task) -> int:
    return task.request.retries + 1


def _final(task) -> bool:
    return task.request.retries >= task.max_retries


def _honour_rate_limit(task, exc):
    """Retry a rate limit no sooner than the forge asked (autoretry would not know)."""
    if isinstance(exc, RateLimited) and not task.request.is_eager:
        countdown = max(exc.retry_after, 5 * 2**task.request.retries)
        raise task.retry(exc=exc, countdown=min(countdown, 3600))
    raise exc


@shared_task(bind=True, **RETRY)
def project_hooks_install(self, project_id: int) -> str:
    from federation import pipeline
    from projects.models import Project

    project = Project.objects.get(pk=project_id)
    try:
        return pipeline.hooks_install(project=project)
    except TRANSIENT:
        if self.request.retries >= self.max_retries:
            pipeline.hooks_failed(project=project)
        raise


@shared_task(bind=True, **RETRY)
def sync_project(self, project_id: int, trigger: str = "manual") -> dict:
    from federation import pipeline
    from projects.models import Project

    project = Project.objects.get(pk=project_id)
    try:
        return pipeline.sync(project=project, trigger=trigger, attempt=_attempt(self))
    except RateLimited as exc:
        _honour_rate_limit(self, exc)


@shared_task(bind=True, **RETRY)
def publish_disclosure(self, disclosure_id: int) -> str:
    """Queued by review when a disclosure is approved (by this name)."""
    from federation.publish import disclosure_publish

    try:
        mirror = disclosure_publish(
            disclosure_id=disclosure_id, attempt=_attempt(self), final=_final(self)
        )
    except RateLimited as exc:
        _honour_rate_limit(self, exc)
    return mirror.web_url


@shared_task(bind=True, **RETRY)
def import_pull_request(self, project_id: int, number: int) -> str:
    from federation.comeback import pull_request_import
    from projects.models import Project

    try:
        link = pull_request_import(project=Project.objects.get(pk=project_id), number=number)
    except RateLimited as exc:
        _honour_rate_limit(self, exc)
    return link.mr_url if link else ""


@shared_task(bind=True, **RETRY)
def import_divergence(self, divergence_id: int) -> str:
    from federation.comeback import divergence_import_run

    return divergence_import_run(divergence_id=divergence_id)


@shared_task
def reconcile() -> dict:
    """Beat: compare refs on both forges with what we last saw; queue syncs for differences."""
    from federation.reconcile import reconcile_all

    return reconcile_all().summary()


@shared_task
def runs_fail_stuck() -> int:
    """Beat: fail runs that started long ago and never finished (a lost worker)."""
    from federation.health import runs_fail_stuck as fail

    return len(fail())


@shared_task
def drift_check() -> int:
    """Beat: the public tree of every released project is the one we expect."""
    from federation.drift import drift_check_all

    return len(drift_check_all())


@shared_task(**RETRY)
def mirrors_gc() -> int:
    """Beat: repack the bare mirrors of this worker's cache."""
    from federation.reconcile import mirrors_gc as gc

    return gc()
