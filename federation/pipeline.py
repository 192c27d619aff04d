"""The sync pipeline: fetch into the bare cache, then update what we know about the project.

Steps run in order: fetch; for a released project, the public mirror (screen the delta, publish
the clean part, hold the rest: federation.mirror); then ingest (incentives), facts (README,
CONTRIBUTING, language) and the activity rollups of the catalogue.

One sync per project at a time (federation.lease): a sync that finds another one running is
recorded as skipped and makes the running one go round once more, so nothing is lost.
"""

import logging

from federation import facts, git, lease, mirror, repos
from federation.models import SyncRun
from federation.registration import gitlab, hook_url
from federation.runs import run_failed, run_finished
from incentives import selectors as incentive_selectors
from incentives import services as incentive_services
from projects import services as project_services
from projects.models import Project

log = logging.getLogger(__name__)


def hooks_install(*, project: Project) -> str:
    """Install (or update) the project's GitLab webhook; idempotent."""
    hook = gitlab().ensure_hook(
        project.gitlab_id,
        hook_url(project),
        project.hook_secret,
        events=("push", "tag_push", "merge_request"),
    )
    project_services.project_hook_state_set(project=project, state=Project.HookState.INSTALLED)
    return f"hook {hook.id}"


def hooks_failed(*, project: Project) -> None:
    project_services.project_hook_state_set(project=project, state=Project.HookState.FAILED)


def fetch(*, project: Project) -> repos.MirrorUpdate:
    """Fetch GitLab's branches and tags into the project's bare mirror. The registered clone
    address is tried first (no API call on the hot path); when it is gone (the project moved)
    or refused, GitLab's API says where the repository is now."""
    from federation import outbound

    if project.clone_url:
        try:
            return repos.ensure_mirror(
                project.key, project.clone_url, outbound.gitlab_credentials()
            )
        except (git.DisallowedURL, git.GitNotFound, git.GitAuthError):
            pass
    info = gitlab().clone_info(project.gitlab_id)
    return repos.ensure_mirror(project.key, info.url, info)


def sync(*, project: Project, trigger: str, attempt: int = 1) -> dict:
    """Sync the project, once or (when asked meanwhile) again; every round is a SyncRun."""
    token = lease.acquire(project.pk)
    if token is None:
        run = SyncRun.objects.create(
            project=project,
            trigger=trigger,
            attempt=attempt,
            detail={"note": "another sync of this project was running; it goes once more"},
        )
        run_finished(run, SyncRun.Status.SKIPPED)
        return {"project": project.path, "run": run.pk, "status": run.status}
    try:
        while True:
            result = sync_once(project=project, trigger=trigger, attempt=attempt)
            if not lease.release(project.pk, token):
                return result
            trigger, attempt = "rerun", 1
    except BaseException:
        lease.drop(project.pk, token)
        raise


def sync_once(*, project: Project, trigger: str, attempt: int = 1) -> dict:
    """One sync run, recorded in the history whatever happens."""
    run = SyncRun.objects.create(project=project, trigger=trigger, attempt=attempt)
    try:
        result = sync_steps(project=project, run=run)
    except Exception as exc:
        run_failed(run, exc)
        raise
    run_finished(run, result["status"])
    return result


def sync_steps(*, project: Project, run: SyncRun, screen=None) -> dict:
    update = fetch(project=project)
    run.refs_before, run.refs_after = update.old, update.new
    tip = update.new.get(f"refs/heads/{project.default_branch}")
    status = SyncRun.Status.SUCCEEDED
    outcome = mirror.mirror_sync(project=project, update=update, run=run, screen=screen)
    if outcome is not None:
        status = outcome.status
        run.commits_published, run.commits_held = outcome.published, outcome.held
        run.commits_skipped = outcome.skipped
        run.detail = {**run.detail, **outcome.detail}
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
    return {
        "project": project.path,
        "tip": tip,
        "changes": len(update.changes),
        "run": run.pk,
        "status": status,
    }
