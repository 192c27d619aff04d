"""Celery tasks: thin wrappers that load objects by primary key and call a service.

Git work runs on the `git` queue (CELERY_TASK_ROUTES), so API work is not stuck behind clones.
"""

from celery import shared_task

from federation.forges.errors import RateLimited, Unavailable

TRANSIENT = (Unavailable, RateLimited, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
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


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def sync_project(project_id: int, trigger: str = "manual") -> dict:
    from federation import pipeline
    from projects.models import Project

    return pipeline.sync(project=Project.objects.get(pk=project_id), trigger=trigger)
