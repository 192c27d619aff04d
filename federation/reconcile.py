"""The reconcile job (celery beat): catch missed webhooks by comparing refs cheaply.

For every released project, list GitLab's and GitHub's refs (`ls-remote`'s one request, read
over pooled connections: federation.refcheck; in parallel, no clone, no API rate limit) and compare them with what the last sync saw and pushed. Any
difference queues a sync (trigger "reconcile"); the sync itself decides what to do (publish,
hold, raise a divergence). A no-op reconcile writes nothing but `checked_at`.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from federation import outbound, refcheck, repos
from federation.models import Mirror, PublishRules

log = logging.getLogger(__name__)
DEFAULT_WORKERS = 16


@dataclass
class ReconcileReport:
    checked: int = 0
    queued: dict[int, str] = field(default_factory=dict)  # project id -> why
    errors: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"checked": self.checked, "queued": len(self.queued), "errors": len(self.errors),
                "seconds": round(self.seconds, 2)}  # fmt: skip


def why_sync(mirror: Mirror, tag_pattern: str, internal: dict, public: dict) -> str | None:
    """The reason to sync, or None when both forges are where we left them."""
    import fnmatch

    head = f"refs/heads/{mirror.project.default_branch}"
    if internal.get(head) != (mirror.seen_sha or None):
        return f"GitLab {head} is at {internal.get(head)}, last seen {mirror.seen_sha or None}"
    if public.get(f"refs/heads/{mirror.branch}") != (mirror.public_sha or None):
        return "GitHub's branch is not where we pushed it"
    if tag_pattern:
        wanted = {
            r: s
            for r, s in internal.items()
            if r.startswith("refs/tags/") and fnmatch.fnmatchcase(r[10:], tag_pattern)
        }
        seen = {r: s for r, s in (mirror.seen_refs or {}).items() if r.startswith("refs/tags/")}
        if wanted != seen:
            return "release tags changed on GitLab"
    return None


def _refs(mirror: Mirror) -> tuple[dict, dict]:
    internal = refcheck.advertised_refs(
        outbound.internal_url(mirror.project), outbound.gitlab_credentials()
    )
    public = refcheck.advertised_refs(outbound.public_url(mirror), outbound.github_credentials())
    return internal, public


def reconcile_all(*, workers: int | None = None, queue: bool = True) -> ReconcileReport:
    started = time.monotonic()
    report = ReconcileReport()
    mirrors = list(Mirror.objects.filter(state=Mirror.State.ACTIVE).select_related("project"))
    patterns = dict(PublishRules.objects.values_list("project_id", "tag_pattern"))
    workers = workers or int(getattr(settings, "RECONCILE_WORKERS", DEFAULT_WORKERS))

    def check(m: Mirror):
        try:
            internal, public = _refs(m)
        except Exception as exc:  # one project's trouble never stops the others
            return m, None, f"{exc.__class__.__name__}: {exc}"
        return m, why_sync(m, patterns.get(m.project_id, ""), internal, public), None

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(check, mirrors))
    for m, why, error in results:
        report.checked += 1
        if error:
            report.errors[m.project_id] = error
        elif why:
            report.queued[m.project_id] = why
    Mirror.objects.filter(pk__in=[m.pk for m in mirrors]).update(checked_at=timezone.now())
    if queue and report.queued:
        from federation.tasks import sync_project

        ids = list(report.queued)
        transaction.on_commit(lambda: [sync_project.delay(pk, trigger="reconcile") for pk in ids])
    report.seconds = time.monotonic() - started
    log.info("reconcile: %s", report.summary())
    return report


def mirrors_gc() -> int:
    """Repack every mirror in this worker's cache (one at a time, each under its own lock)."""
    from projects.models import Project

    done = 0
    for key in Project.objects.values_list("key", flat=True):
        try:
            path = repos.mirror_path(key)
        except ValueError:
            continue
        if (path / "HEAD").is_file():
            repos.gc(key)
            done += 1
    return done
