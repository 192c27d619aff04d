"""Running a screening: the engine over the bare mirror, findings stored, the disclosure moved.

Review never calls a forge: when the project has no mirror yet, the screening fails with that
reason (federation's sync keeps mirrors fetched) and the disclosure stays submitted.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from federation import git, repos
from review import engine, selectors, services
from review.errors import WrongState
from review.models import Disclosure, Finding, Screening
from review.models.screening import BLOCKING_SEVERITIES

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes
MAX_AUTHOR_EMAILS = 5000


class ProgressWriter:
    """The engine's progress callback: writes to the Screening row at most every
    `interval` seconds (and whenever the phase changes)."""

    def __init__(self, screening_id: int, *, interval: float = PROGRESS_INTERVAL):
        self.screening_id = screening_id
        self.interval = interval
        self._last = 0.0
        self._phase = None
        self.writes = 0
        self.total = 0

    def __call__(self, done: int, total: int, phase: str) -> None:
        now = time.monotonic()
        if phase == self._phase and now - self._last < self.interval:
            return
        self.flush(done, total, phase)

    def flush(self, done: int, total: int, phase: str) -> None:
        self._last, self._phase, self.total = time.monotonic(), phase, max(self.total, total)
        self.writes += 1
        Screening.objects.filter(pk=self.screening_id).update(
            progress_done=max(0, int(done)),
            progress_total=max(0, int(total)),
            progress_phase=str(phase)[:100],
        )

    def finish(self) -> None:
        total = self.total or 1
        self.flush(total, total, "done")


def author_emails(git_dir: Path, sha: str) -> list[str]:
    """Author emails of every commit reachable from `sha` (lower-case, sorted, deduplicated)."""
    seen: set[str] = set()
    for line in git.stream(["log", "--format=%aE", git.validate_sha(sha), "--"], repo=git_dir):
        email = line.decode("utf-8", "replace").strip().lower()
        if email:
            seen.add(email)
            if len(seen) >= MAX_AUTHOR_EMAILS:
                break
    return sorted(seen)


def _fail(screening: Screening, reason: str) -> None:
    screening.state, screening.error = Screening.State.FAILED, reason[:5000]
    screening.finished_at = timezone.now()
    screening.save(update_fields=["state", "error", "finished_at"])


def _store(screening: Screening, result: engine.EngineResult, emails: list[str]) -> None:
    Finding.objects.bulk_create(
        [
            Finding(
                screening=screening,
                check_name=f.check[:60],
                rule=f.rule[:120],
                severity=f.severity,
                path=(f.path or "")[:1000],
                line=f.line or None,
                commit=f.commit or "",
                message=f.message,
                fingerprint=f.fingerprint[:128],
                blocking=f.severity in BLOCKING_SEVERITIES,
            )
            for f in result.findings
        ],
        batch_size=500,
    )
    screening.state = Screening.State.DONE
    screening.versions, screening.summary, screening.stats = (
        result.versions,
        result.summary,
        result.stats,
    )
    screening.author_emails = emails
    screening.finished_at = timezone.now()
    screening.save()


def screenings_mark_stale(*, rules_version: str | None = None) -> int:
    """Mark finished screenings made under other rules as stale; returns how many changed."""
    rules_version = rules_version or engine.rules_version()
    if not rules_version:
        return 0
    changed = 0
    for s in Screening.objects.filter(state=Screening.State.DONE, stale=False).only("versions"):
        if s.rules_version != rules_version:
            changed += Screening.objects.filter(pk=s.pk).update(stale=True)
    return changed


def screening_run(*, screening: Screening) -> Screening:
    """Run a disclosure's queued screening to the end (the task `screen_disclosure`)."""
    d: Disclosure = screening.disclosure
    if screening.state != Screening.State.RUNNING:
        return screening
    path = repos.mirror_path(screening.project.key)
    if not (path / "HEAD").is_file():
        reason = (
            "The service has no copy of this repository yet (the federation sync fetches it); "
            "screen again after the next sync."
        )
        _fail(screening, reason)
        services.disclosure_screening_failed(disclosure=d, screening=screening, reason=reason)
        return screening
    try:
        services.disclosure_screening_started(disclosure=d, screening=screening)
    except WrongState as exc:
        _fail(screening, str(exc))
        return screening
    progress = ProgressWriter(screening.pk)
    progress.flush(0, 0, "starting")
    try:
        emails = author_emails(path, screening.sha)
        result = engine.scan(
            path,
            screening.sha,
            mode=screening.mode,
            outbound_license=screening.outbound_license,
            patents=engine.patent_records(screening.project),
            progress=progress,
        )
    except (engine.EngineError, git.GitError, git.InvalidSha) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        log.warning("screening %s failed: %s", screening.pk, reason)
        _fail(screening, reason)
        services.disclosure_screening_failed(disclosure=d, screening=screening, reason=reason)
        return screening
    except Exception as exc:
        _fail(screening, f"internal error: {exc.__class__.__name__}: {exc}")
        services.disclosure_screening_failed(
            disclosure=d, screening=screening, reason=f"internal error ({exc.__class__.__name__})"
        )
        raise
    with transaction.atomic():
        _store(screening, result, emails)
        progress.finish()
    screenings_mark_stale(rules_version=screening.rules_version)
    services.disclosure_screened(disclosure=d, screening=screening)
    screening.refresh_from_db()
    return screening


def screen_delta(*, project, old_sha: str, new_sha: str, by=None) -> Screening:
    """Screen only what `old_sha..new_sha` adds to a released project (for the federation
    engine before it publishes new commits). Runs synchronously and returns the finished
    Screening; `selectors.findings_blocking(screening)` applies the project's active waivers.

    On an unreadable repository the Screening is returned in state failed with the reason.
    """
    old_sha, new_sha = git.validate_sha(old_sha), git.validate_sha(new_sha)
    d = selectors.project_disclosure(project)
    screening = Screening.objects.create(
        project=project,
        disclosure=None,
        kind=Screening.Kind.DELTA,
        sha=new_sha,
        base_sha=old_sha,
        mode=Disclosure.Mode.FULL_HISTORY,
        outbound_license=d.outbound_license if d else (project.license or ""),
        requested_by=by,
    )
    path = repos.mirror_path(project.key)
    if not (path / "HEAD").is_file():
        _fail(screening, "The service has no copy of this repository yet.")
        return screening
    progress = ProgressWriter(screening.pk)
    try:
        emails = author_emails(path, new_sha)
        result = engine.scan_range(
            path,
            old_sha,
            new_sha,
            outbound_license=screening.outbound_license,
            patents=engine.patent_records(project),
            progress=progress,
        )
    except (engine.EngineError, git.GitError) as exc:
        _fail(screening, getattr(exc, "reason", None) or str(exc))
        return screening
    with transaction.atomic():
        _store(screening, result, emails)
        progress.finish()
    return screening
