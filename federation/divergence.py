"""Divergences: GitHub's branch is not where we left it (someone pushed there directly), or
GitLab rewrote history we already published (a force-push). The sync never overwrites; it holds
the project and raises one Divergence, and an OSPO admin chooses:

- import: the public commits come back to GitLab as a merge request (federation.comeback); once
  it merges, the next sync publishes a fast-forward on top of them and the divergence resolves;
- overwrite: the next sync force-pushes what we would have pushed (guard checked), with the
  admin's reason on record;
- hold: nothing moves until someone decides otherwise.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from federation.models import Divergence, Mirror

PERM = "people.administer_ospo"
ACTIVE = (Divergence.State.OPEN, Divergence.State.HELD, Divergence.State.IMPORTED)


class DivergenceError(Exception):
    pass


def current(project) -> Divergence | None:
    return Divergence.objects.filter(project=project, state__in=ACTIVE).order_by("-pk").first()


def divergence_raise(
    *, project, kind: str, ref: str, public_sha: str, expected_sha: str, internal_sha: str
) -> Divergence:
    """The project's active divergence (made when there is none)."""
    with transaction.atomic():
        existing = current(project)
        if existing is not None:
            if existing.state == Divergence.State.OPEN and existing.public_sha != public_sha:
                Divergence.objects.filter(pk=existing.pk).update(
                    public_sha=public_sha or "", internal_sha=internal_sha
                )
            return existing
        return Divergence.objects.create(
            project=project,
            kind=kind,
            ref=ref,
            public_sha=public_sha or "",
            expected_sha=expected_sha or "",
            internal_sha=internal_sha,
        )


def divergence_resolved(*, divergence: Divergence, note: str) -> None:
    Divergence.objects.filter(pk=divergence.pk, state__in=ACTIVE).update(
        state=Divergence.State.RESOLVED,
        resolved_at=timezone.now(),
        reason=(divergence.reason + "\n" + note).strip(),
    )


def _decide(divergence: Divergence, by, allowed, to_state, reason: str = "") -> Divergence:
    if not by.has_perm(PERM):
        raise DivergenceError(_("Only OSPO admins decide on divergences."))
    with transaction.atomic():
        row = Divergence.objects.select_for_update().get(pk=divergence.pk)
        if row.state not in allowed:
            raise DivergenceError(_("This divergence is %s.") % row.get_state_display().lower())
        row.state, row.decided_by, row.decided_at = to_state, by, timezone.now()
        if reason:
            row.reason = reason
        row.save()
    return row


def divergence_hold(*, divergence: Divergence, by, reason: str = "") -> Divergence:
    return _decide(divergence, by, (Divergence.State.OPEN,), Divergence.State.HELD, reason)


def divergence_overwrite(*, divergence: Divergence, by, reason: str) -> Divergence:
    """Overwrite GitHub with what we would push (logged with the reason); queues a sync."""
    reason = (reason or "").strip()
    if not reason:
        raise DivergenceError(_("Give the reason for overwriting the public branch."))
    row = _decide(divergence, by, ACTIVE, Divergence.State.OVERWRITTEN, reason)
    Mirror.objects.filter(project_id=row.project_id).update(
        force_reason=f"divergence #{row.pk} overwritten by {by.get_username()}: {reason}"
    )
    pk = row.project_id
    transaction.on_commit(lambda: _queue_sync(pk))
    return row


def divergence_import(*, divergence: Divergence, by) -> Divergence:
    """Bring the public commits back as a GitLab merge request (queued)."""
    if divergence.kind != Divergence.Kind.PUBLIC_PUSH:
        raise DivergenceError(_("Only commits pushed to GitHub can be imported."))
    allowed = (Divergence.State.OPEN, Divergence.State.HELD)
    row = _decide(divergence, by, allowed, Divergence.State.IMPORTED)
    pk = row.pk
    transaction.on_commit(lambda: _queue_import(pk))
    return row


def _queue_sync(project_id: int) -> None:
    from federation.tasks import sync_project

    sync_project.delay(project_id, trigger="overwrite")


def _queue_import(divergence_id: int) -> None:
    from federation.tasks import import_divergence

    import_divergence.delay(divergence_id)
