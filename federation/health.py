"""What the federation health page shows (reads), and the stuck-run sweeper (the one write).

- last success per project; projects whose last N runs all failed (FEDERATION_FAILING_RUNS, 3);
- stuck runs: running for longer than STUCK_RUN_MINUTES (30): the sweeper fails them, frees
  the project's lease and puts an interrupted publish back to approved and queues it again;
- open divergences and held deltas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from federation import lease
from federation.models import Divergence, HeldDelta, Mirror, SyncRun
from federation.runs import run_finished

DEFAULT_STUCK_MINUTES = 30
DEFAULT_FAILING_RUNS = 3


def stuck_minutes() -> int:
    return int(getattr(settings, "STUCK_RUN_MINUTES", DEFAULT_STUCK_MINUTES))


def failing_runs() -> int:
    return int(getattr(settings, "FEDERATION_FAILING_RUNS", DEFAULT_FAILING_RUNS))


def runs_stuck(*, now=None):
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=stuck_minutes())
    return SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=cutoff)


def runs_fail_stuck(*, now=None) -> list[SyncRun]:
    """Fail every stuck run; returns them."""
    failed = []
    for run in runs_stuck(now=now).select_related("project"):
        with transaction.atomic():
            claimed = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.FAILED
            )
            if not claimed:
                continue
            run.error = (
                f"stuck: still running after {stuck_minutes()} minutes (worker lost?); "
                "marked failed by the sweeper"
            )
            run_finished(run, SyncRun.Status.FAILED, error=run.error)
            lease.force_free(run.project_id)
            if run.trigger == "publish":
                _publish_again(run)
        failed.append(run)
    return failed


def _publish_again(run: SyncRun) -> None:
    from review import services as review_services
    from review.models import Disclosure

    disclosure_id = (run.detail or {}).get("disclosure")
    d = Disclosure.objects.filter(pk=disclosure_id).first()
    if d is None:
        return
    if d.state == Disclosure.State.PUBLISHING:
        review_services.disclosure_publishing_failed(disclosure=d, error="interrupted (stuck)")
    if d.state in (Disclosure.State.PUBLISHING, Disclosure.State.APPROVED):
        pk = d.pk
        transaction.on_commit(lambda: _queue_publish(pk))


def _queue_publish(disclosure_id: int) -> None:
    from federation.tasks import publish_disclosure

    publish_disclosure.delay(disclosure_id)


@dataclass
class ProjectHealth:
    project_id: int
    path: str
    public_url: str
    last_success: dt.datetime | None
    last_status: str | None
    failing: bool
    held: bool
    diverged: bool


def project_health() -> list[ProjectHealth]:
    """One line per project with a mirror or any run, worst first."""
    from projects.models import Project

    n = failing_runs()
    last_ok = dict(
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
        .values("project")
        .annotate(at=Max("finished_at"))
        .values_list("project", "at")
    )
    held = set(
        HeldDelta.objects.filter(state=HeldDelta.State.OPEN).values_list("project", flat=True)
    )
    diverged = set(
        Divergence.objects.filter(
            state__in=[Divergence.State.OPEN, Divergence.State.HELD, Divergence.State.IMPORTED]
        ).values_list("project", flat=True)
    )
    mirrors = {m.project_id: m for m in Mirror.objects.all()}
    ids = set(mirrors) | set(SyncRun.objects.values_list("project", flat=True).distinct())
    out = []
    for p in Project.objects.filter(pk__in=ids).order_by("path"):
        recent = list(
            SyncRun.objects.filter(project=p)
            .exclude(status__in=[SyncRun.Status.RUNNING, SyncRun.Status.SKIPPED])
            .order_by("-started_at", "-pk")
            .values_list("status", flat=True)[:n]
        )
        failing = len(recent) >= n and all(s == SyncRun.Status.FAILED for s in recent)
        m = mirrors.get(p.pk)
        out.append(
            ProjectHealth(
                project_id=p.pk,
                path=p.path,
                public_url=m.web_url if m else "",
                last_success=last_ok.get(p.pk),
                last_status=recent[0] if recent else None,
                failing=failing,
                held=p.pk in held,
                diverged=p.pk in diverged,
            )
        )
    out.sort(key=lambda h: (not h.failing, not h.diverged, not h.held, h.path))
    return out


def projects_failing() -> list[ProjectHealth]:
    return [h for h in project_health() if h.failing]


def divergences_open():
    return Divergence.objects.filter(
        Q(state=Divergence.State.OPEN) | Q(state=Divergence.State.HELD) | Q(state="imported")
    ).select_related("project")


def held_open():
    return HeldDelta.objects.filter(state=HeldDelta.State.OPEN).select_related("project")
