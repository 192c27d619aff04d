"""The sync pipeline: fetch into the bare cache, then update what we know about the project.

Steps run in order: fetch, ingest (incentives), facts (README, CONTRIBUTING, language) and
the activity rollups of the catalogue. Delta screening and publishing join here.
"""

import logging

from django.utils import timezone

from federation import facts, repos
from federation.models import SyncRun
from federation.registration import gitlab, hook_url
from incentives import selectors as incentive_selectors
from incentives import services as incentive_services
from projects import services as project_services
from projects.models import Project

log = logging.getLogger(__name__)


def hooks_install(*, project: Project) -> str:
    """Install (or update) the project's GitLab webhook; idempotent."""
    hook = gitlab().ensure_hook(
        project.gitlab_id, hook_url(project), project.hook_secret, events=("push", "merge_request")
    )
    project_services.project_hook_state_set(project=project, state=Project.HookState.INSTALLED)
    return f"hook {hook.id}"


def hooks_failed(*, project: Project) -> None:
    project_services.project_hook_state_set(project=project, state=Project.HookState.FAILED)


def fetch(*, project: Project) -> repos.MirrorUpdate:
    info = gitlab().clone_info(project.gitlab_id)
    return repos.ensure_mirror(project.key, info.url, info)


def sync(*, project: Project, trigger: str) -> dict:
    """One sync run, recorded in the history whatever happens."""
    run = SyncRun.objects.create(project=project, trigger=trigger)
    try:
        result = sync_steps(project=project, run=run)
    except Exception as exc:
        run.status, run.error = SyncRun.Status.FAILED, f"{exc.__class__.__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
    run.save(
        update_fields=["status", "finished_at", "refs_before", "refs_after", "commits_ingested"]
    )
    return result


def sync_steps(*, project: Project, run: SyncRun) -> dict:
    update = fetch(project=project)
    run.refs_before, run.refs_after = update.old, update.new
    tip = update.new.get(f"refs/heads/{project.default_branch}")
    if tip is not None:
        report = incentive_services.ingest(project=project)
        run.commits_ingested = report.commits_read
        found = facts.read_facts(update.path, tip)
        project_services.project_facts_update(
            project=project,
            has_readme=found.has_readme,
            has_contributing=found.has_contributing,
            contributing_text=found.contributing_text,
            language=found.language,
        )
        activity = incentive_selectors.project_activity(project)
        project_services.project_activity_update(
            project=project,
            commits=activity.commits,
            contributors=activity.contributors,
            cross_team_contributors=activity.cross_team_contributors,
            last_commit_at=activity.last_commit_at,
        )
    log.info("synced %s (%s): %d ref change(s)", project.path, run.trigger, len(update.changes))
    return {"project": project.path, "tip": tip, "changes": len(update.changes), "run": run.pk}
