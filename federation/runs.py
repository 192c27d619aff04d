"""Closing a SyncRun: one place that writes the outcome, the duration and the error."""

from __future__ import annotations

from django.utils import timezone

from federation.models import SyncRun

FIELDS = ["status", "finished_at", "error", "refs_before", "refs_after", "commits_ingested",
          "commits_published", "commits_held", "commits_skipped", "detail"]  # fmt: skip


def run_finished(run: SyncRun, status: str, *, error: str = "") -> SyncRun:
    run.status, run.finished_at = status, timezone.now()
    if error:
        run.error = error[:4000]
    run.save(update_fields=FIELDS)
    return run


def run_failed(run: SyncRun, exc: BaseException) -> SyncRun:
    return run_finished(run, SyncRun.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}")
