"""Thin Celery tasks: load by primary key, call a service. Queue them with transaction.on_commit."""

from celery import shared_task
from django.db import OperationalError

from federation.git import GitTimeout, RepoLocked
from incentives import services
from projects.models import Project


@shared_task(
    acks_late=True,
    autoretry_for=(RepoLocked, GitTimeout, OperationalError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def ingest_project(project_id: int, source: str = "gitlab") -> str:
    """Ingest what is new on the project's default branch in the federation cache mirror."""
    project = Project.objects.get(pk=project_id)
    return services.ingest(project=project, source=source).summary()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_for_memberships(membership_ids: list[int], reason: str) -> int:
    """Recompute awards after HR data changed; returns the number of adjustments written."""
    report = services.awards_recompute_for_memberships(membership_ids=membership_ids, reason=reason)
    return report.adjustments


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_for_project(project_id: int, since: str, reason: str) -> int:
    """Recompute awards after a project's ownership changed from `since` (ISO date) on."""
    import datetime as dt

    project = Project.objects.get(pk=project_id)
    report = services.awards_recompute_for_project(
        project=project, since=dt.date.fromisoformat(since), reason=reason
    )
    return report.adjustments
